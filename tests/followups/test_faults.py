"""The engine's faults on the real parts: PostgreSQL, Redis, a real Celery worker, dispatchers
running at once in threads."""

import os
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from followups.models import DispatcherRun, FollowUp
from followups.tasks import dispatch_follow_ups
from orders import services as order_services
from orders.models import Order
from shop.models import ShopProfile
from support import services as support_services

from ..factories import ProductFactory, VariantFactory
from ..orders.helpers import BUYER, place
from .helpers import dispatchers_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL"
)


def shipped_orders(n: int) -> list[Order]:
    ShopProfile.load()
    product = ProductFactory()
    variant = VariantFactory(product=product, stock=n + 1)
    orders = []
    for i in range(n):
        order = place({variant: 1}, buyer=replace(BUYER, email=f"buyer{i}@example.com"))
        orders.append(order_services.mark_shipped(order, carrier="SF", tracking_number=str(i)))
    return orders


def use_broker(app, url: str) -> None:
    """Point the app at another broker: its cached pools are keyed by the old connection."""
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url


@pytest.fixture
def real_broker(settings):
    """Celery publishing for real (not eager) for the length of a test."""
    saved = celery_app.conf.task_always_eager, celery_app.conf.broker_url
    celery_app.conf.task_always_eager = False
    yield celery_app
    celery_app.conf.task_always_eager = saved[0]
    use_broker(celery_app, saved[1])


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@needs_redis
def test_broker_down_delivery_still_saves_rows_then_a_real_worker_sends_each_once(real_broker):
    [order] = shipped_orders(1)
    # The broker is unreachable: nothing listens on this port.
    use_broker(real_broker, "redis://127.0.0.1:6399/0")
    started = time.monotonic()
    delivered = order_services.mark_delivered(order)
    assert time.monotonic() - started < 20
    assert Order.objects.get(pk=order.pk).status == "delivered" and delivered.delivered_at
    assert FollowUp.objects.filter(order=order).count() == 3
    FollowUp.objects.filter(order=order).update(due_at=timezone.now() - timedelta(seconds=1))

    # The broker returns; a real worker consumes the dispatcher task from Redis.
    from celery.contrib.testing.worker import start_worker

    use_broker(real_broker, os.environ["REDIS_URL"])
    with real_broker.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")
    mail.outbox.clear()
    with start_worker(real_broker, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        dispatch_follow_ups.delay()
        dispatch_follow_ups.delay()  # twice: a duplicate run sends nothing more
        assert wait_for(lambda: FollowUp.objects.filter(order=order, state="sent").count() == 3)
        # Let the second run finish too before counting.
        assert wait_for(
            lambda: DispatcherRun.objects.filter(finished_at__isnull=False).count() >= 2
        )
    follow_up_mail = [m for m in mail.outbox if m.to == [order.email]]
    assert len(follow_up_mail) == 3
    assert len({m.subject for m in follow_up_mail}) == 3
    connection.close()


def test_two_dispatchers_at_once_send_each_row_once():
    orders = shipped_orders(60)
    for order in orders:
        order_services.mark_delivered(order)
    FollowUp.objects.update(due_at=timezone.now() - timedelta(seconds=1))
    total = FollowUp.objects.count()
    assert total == 180
    mail.outbox.clear()
    results = dispatchers_at_once(2, batch=25)
    assert results[0].sent + results[1].sent == total  # each row sent by exactly one dispatcher
    assert results[0].sent > 0 and results[1].sent > 0 or total <= 25
    assert len(mail.outbox) == total
    keys = [(m.to[0], m.subject) for m in mail.outbox]
    assert len(set(keys)) == total
    assert FollowUp.objects.filter(state="sent").count() == total


def test_two_dispatchers_at_once_hold_the_cap_for_one_address(settings):
    """Six due follow-ups to one address, two dispatchers taking one row at a time: once both
    counted only what was sent, so each saw room under the cap and all six went."""
    settings.EMAIL_BACKEND = "tests.followups.failing_backend.SlowBackend"
    ShopProfile.load()
    for n in range(6):  # six "was this solved?" questions: they never merge
        ticket = support_services.open_ticket(
            email="mei@example.com", name="Mei", topic="other", body=f"Question {n}"
        )
        support_services.resolve_ticket(ticket)
    assert FollowUp.objects.filter(email="mei@example.com").count() == 6
    FollowUp.objects.update(due_at=timezone.now() - timedelta(seconds=1))
    mail.outbox.clear()
    results = dispatchers_at_once(2, batch=1)
    questions = [m for m in mail.outbox if "Was this solved?" in m.subject]
    assert len(questions) == settings.FOLLOWUP_CAP == 3
    states = sorted(FollowUp.objects.values_list("state", flat=True))
    assert states == ["sent"] * 3 + ["skipped"] * 3
    assert sum(r.sent for r in results) == 3 and sum(r.skipped for r in results) == 3
