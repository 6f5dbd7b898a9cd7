"""Redis is a cache, not a single point of failure.

Redis is the cache and the broker. With it stopped or frozen the shop still sells: pages come
from the database, a change that was committed answers as a success, queueing a task costs
at most a short timeout, /healthz says what is down within 2 s, and what could not be queued
is sent once afterwards by the sweeps.

The first tests need no Redis: a closed port is a stopped Redis, and a port that accepts
connections but never answers is a frozen one. The last ones (marked `redis`, on PostgreSQL)
start a real redis-server of their own on a spare port as the cache and the broker, stop it
(SIGTERM) or freeze it (SIGSTOP), and go through the shop as buyers and the owner do.
"""

import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail
from django.db import OperationalError, connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import OWNER
from config.breaker import Breaker
from config.cache import CacheUnavailable, ResilientRedisCache, raise_cache_errors
from config.celery import BrokerUnavailable, publish
from config.celery import app as celery_app
from messaging import services as messaging
from messaging.models import Message
from messaging.tasks import send_message_task
from orders import services as order_services
from orders.models import Order
from shop import cache as shop_cache
from shop import tasks as shop_tasks
from shop.cache import VERSION_KEY, bump_catalogue_version, catalogue_version
from shop.models import ImportJob, ShopProfile

from .factories import ProductFactory, UserFactory, VariantFactory
from .orders.helpers import place

CHECKOUT = {
    "email": "mei@example.com",
    "name": "Mei Chen",
    "phone": "+86 138 0000 0000",
    "address_line1": "12 Riverside Road",
    # The checkout's choices for 湖北省 / 宜昌市 / 西陵区 (orders.regions codes).
    "cn_province": "42",
    "cn_city": "4205",
    "cn_district": "420502",
    "postcode": "443000",
    "country": "CN",
    "notify_by": "email",
    "payment_method": "cod",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(autouse=True)
def _fresh_breakers():
    Breaker.reset_all()
    yield
    Breaker.reset_all()
    shop_cache._missed_bump.clear()


@pytest.fixture
def silent_port():
    """A port that accepts connections and never answers, as a frozen Redis does."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


def redis_cache(port: int, **options) -> dict:
    return {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "KEY_PREFIX": f"test-redis-down-{port}",
            "OPTIONS": {**settings.REDIS_CACHE_OPTIONS, **options},
        }
    }


def use_broker(url: str) -> None:
    """Point the Celery app at another broker (its pools are keyed by the old connection)."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.conf.broker_url = url
    celery_app.conf.broker_transport_options = (
        settings.REDIS_BROKER_OPTIONS if url.startswith("redis") else {}
    )


@pytest.fixture
def real_broker():
    """Celery publishing for real (not eager) for the length of a test."""
    saved = (
        celery_app.conf.task_always_eager,
        celery_app.conf.broker_url,
        celery_app.conf.broker_transport_options,
    )
    celery_app.conf.task_always_eager = False
    yield celery_app
    celery_app.conf.task_always_eager = saved[0]
    use_broker(saved[1])
    celery_app.conf.broker_transport_options = saved[2]


def timed(call, *args, **kwargs):
    began = time.monotonic()
    result = call(*args, **kwargs)
    return result, time.monotonic() - began


# ----------------------------------------------------------------- the cache, without Redis
def test_a_stopped_cache_answers_as_an_empty_one_and_raises_only_when_asked(caplog):
    caplog.set_level(logging.WARNING, logger="config.breaker")
    cache = ResilientRedisCache(f"redis://:s3cret@127.0.0.1:{free_port()}/0", {})
    assert cache.get("k") is None and cache.get("k", 7) == 7
    assert cache.set("k", 1) is None
    assert cache.add("k", 1) is True  # stored and lost at once: a lock or count goes on
    assert cache.incr("k", 3) == 3  # the count starts again
    assert cache.get_many(["a", "b"]) == {} and cache.has_key("k") is False
    assert cache.get_or_set("k", 5) == 5
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]  # both failed
    assert cache.delete("k") is False
    with raise_cache_errors(), pytest.raises(CacheUnavailable):
        cache.get("k")
    assert cache.breaker.is_down
    assert "unreachable" in caplog.text and "s3cret" not in caplog.text + cache.breaker.name


def test_a_frozen_cache_costs_one_timeout_then_is_skipped_until_it_is_tried_again(silent_port):
    cache = ResilientRedisCache(
        f"redis://127.0.0.1:{silent_port}/0",
        {"OPTIONS": {**settings.REDIS_CACHE_OPTIONS, "skip_seconds": 0.5}},
    )
    value, first = timed(cache.get, "k", "miss")
    assert value == "miss"
    assert 0.1 < first < 0.5  # the socket timeout (0.2 s), not for ever
    _, skipped = timed(lambda: [cache.get(f"k{i}") for i in range(50)])
    assert skipped < 0.05  # 50 calls, none of them sent
    time.sleep(0.5)
    _, again = timed(cache.get, "k")
    assert again > 0.1  # tried again after skip_seconds


@override_settings(ACCOUNT_RATE_LIMITS={"login_failed": "3/m/ip"})
@pytest.mark.parametrize("cache_down, refused", [(False, True), (True, False)])
def test_sign_in_limits_fail_open_without_an_error_when_the_cache_is_down(
    client, customer, cache_down, refused
):
    caches = redis_cache(free_port()) if cache_down else settings.CACHES
    with override_settings(CACHES=caches):
        login = reverse("account_login")
        answers = [
            client.post(login, {"login": customer.email, "password": "wrong"}).status_code
            for _ in range(5)
        ]
        right = client.post(login, {"login": customer.email, "password": "pass-word-123"})
    assert all(code < 500 for code in answers), answers
    # Refused after 3 wrong passwords while the counts are kept; let in while they cannot be.
    assert (client.session.get("_auth_user_id") is None) is refused, right.status_code


@pytest.mark.parametrize("cache_down, refused", [(False, True), (True, False)])
def test_public_write_limits_fail_open_when_the_cache_is_down(
    db, client, settings, cache_down, refused
):
    settings.PUBLIC_WRITE_LIMITS = {
        **settings.PUBLIC_WRITE_LIMITS,
        "orders:cart_add": [("ip", "2/m")],
    }
    caches = redis_cache(free_port()) if cache_down else settings.CACHES
    with override_settings(CACHES=caches):
        answers = [
            client.post(reverse("orders:cart_add"), {"variant": "1", "quantity": "1"}).status_code
            for _ in range(4)
        ]
    assert all(code < 500 for code in answers), answers
    assert (429 in answers) is refused, answers


def test_a_bump_the_cache_could_not_take_is_made_when_it_answers(db, monkeypatch):
    version = catalogue_version()
    down = ResilientRedisCache(f"redis://127.0.0.1:{free_port()}/0", {})
    monkeypatch.setattr("shop.cache.cache", down)
    bump_catalogue_version()  # logged, remembered, not raised
    monkeypatch.undo()
    from django.core.cache import cache

    assert cache.get(VERSION_KEY) == version  # not bumped yet
    assert catalogue_version() == version + 1  # the first call that reaches it makes it
    assert catalogue_version() == version + 1  # once


# ----------------------------------------------------------------- the broker, without Redis
def test_publishing_to_a_stopped_broker_is_quick_then_skipped(real_broker, caplog):
    use_broker(f"redis://127.0.0.1:{free_port()}/1")
    caplog.set_level(logging.WARNING, logger="config.celery")  # a test worker may raise root's
    queued, seconds = timed(publish, shop_tasks.sweep_imports)
    assert queued is False and seconds < 1
    assert "not queued, left to its sweep" in caplog.text
    with pytest.raises(BrokerUnavailable):  # skipped: not even tried for a few seconds
        shop_tasks.sweep_imports.delay()


def test_publishing_to_a_frozen_broker_gives_up_within_a_second(real_broker, silent_port):
    use_broker(f"redis://127.0.0.1:{silent_port}/1")
    queued, seconds = timed(publish, shop_tasks.sweep_imports)
    assert queued is False
    assert seconds < 1  # two attempts of REDIS_TIMEOUT each, then the breaker
    _, skipped = timed(publish, shop_tasks.sweep_imports)
    assert skipped < 0.05


def test_a_worker_waits_for_a_frozen_broker_instead_of_timing_out_its_acks():
    from types import SimpleNamespace

    from config.celery import worker_waits_for_a_frozen_broker

    conf = SimpleNamespace(broker_transport_options=dict(settings.REDIS_BROKER_OPTIONS))
    worker_waits_for_a_frozen_broker(conf=conf)
    assert "socket_timeout" not in conf.broker_transport_options
    assert conf.broker_transport_options["visibility_timeout"] == 3600
    assert "socket_timeout" in settings.REDIS_BROKER_OPTIONS  # the web's publishing keeps it


def test_healthz_answers_within_2_s_when_cache_and_broker_are_frozen(
    db, client, real_broker, silent_port
):
    use_broker(f"redis://127.0.0.1:{silent_port}/1")
    with override_settings(CACHES=redis_cache(silent_port)):
        response, seconds = timed(client.get, "/healthz")
    data = response.json()
    assert seconds < 2
    assert response.status_code == 503
    assert data["database"] == "ok"
    assert data["cache"] != "ok" and data["broker"] != "ok", data


def test_healthz_is_200_and_names_every_dependency_when_all_answer(db, client):
    response = client.get("/healthz")
    data = response.json()
    assert {"database", "cache", "broker", "dispatcher_last_run"} <= set(data)
    assert data["cache"] == "ok"
    assert response.status_code == (200 if data["broker"] == "ok" else 503)


# ----------------------------------------------------------------- sweeps and retries
def test_an_import_whose_task_was_lost_is_started_by_the_sweep(owner_client, real_broker):
    from django.core.files.uploadedfile import SimpleUploadedFile

    header = "slug,name,category,price,status,sku,size,colour,stock\n"
    row = "swept-shirt,Swept shirt,Shirts,99.00,active,SW-1,M,Navy,5\n"
    use_broker(f"redis://127.0.0.1:{free_port()}/1")
    upload = SimpleUploadedFile("p.csv", (header + row).encode(), content_type="text/csv")
    response = owner_client.post(reverse("shop_manage:product_import"), {"file": upload})
    assert response.status_code == 302  # the upload stands although its task was lost
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.PENDING
    real_broker.conf.task_always_eager = True  # the broker is back (eager: run it here)
    assert shop_tasks.sweep_imports() == 0  # not yet: its task may still be on its way
    ImportJob.objects.update(created_at=timezone.now() - shop_tasks.SWEEP_GRACE)
    assert shop_tasks.sweep_imports() == 1
    job.refresh_from_db()
    assert job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED)
    assert shop_tasks.sweep_imports() == 0


def test_an_import_is_taken_by_one_task_and_the_sweeps_copy_never_restarts_one(db, owner):
    job = ImportJob.objects.create(file="imports/none.csv", created_by=owner)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.VALIDATING)
    assert shop_tasks.import_products(job.pk, swept=True) == "skipped"
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.VALIDATING


def test_a_database_error_before_the_claim_asks_celery_to_retry_the_send(db, monkeypatch):
    def restarting(*args, **kwargs):
        raise OperationalError("the database system is shutting down")

    monkeypatch.setattr(messaging, "send_message", restarting)
    with pytest.raises(Retry):
        send_message_task.delay(1)


# ----------------------------------------------------------------- a real Redis, stopped and frozen
needs_redis_server = pytest.mark.skipif(
    not os.environ.get("REDIS_URL") or not shutil.which("redis-server"),
    reason="needs Redis: set REDIS_URL and install redis-server",
)


class RedisServer:
    """A redis-server of the test's own on a spare port, never the shared one."""

    def __init__(self):
        self.port = free_port()
        self.process = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own arguments
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(port=self.port, socket_timeout=1)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.terminate()
            self.process.wait(10)

    def freeze(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)


@pytest.fixture
def redis_stack(real_broker):
    """A real Redis as the cache (db 0) and the broker (db 1)."""
    server = RedisServer()
    server.start()
    use_broker(server.url(1))
    cache_settings = override_settings(
        CACHES={
            "default": {
                "BACKEND": "config.cache.ResilientRedisCache",
                "LOCATION": server.url(0),
                "OPTIONS": settings.REDIS_CACHE_OPTIONS,
            }
        }
    )
    cache_settings.enable()
    try:
        yield server
    finally:
        cache_settings.disable()
        server.stop()


@pytest.fixture
def storefront(transactional_db):
    """The shop's data, before Redis goes: a garment in stock, one nearly sold out, and a
    shipped order for the owner to mark delivered."""
    Group.objects.get_or_create(name=OWNER)  # a flush after another test took the migration's
    owner = UserFactory(email="owner@example.com", roles=[OWNER])
    ShopProfile.load()
    product = ProductFactory(name="Linen shirt")
    plenty = VariantFactory(product=product, size="M", stock=100)
    few = VariantFactory(product=ProductFactory(name="Last coat"), size="L", stock=3)
    shipped = order_services.mark_shipped(place({plenty: 1}), carrier="SF", tracking_number="SF1")
    owner_client = Client()
    owner_client.force_login(owner)
    return {
        "product": product,
        "plenty": plenty,
        "few": few,
        "shipped": shipped,
        "owner": owner_client,
    }


def go_shopping(storefront) -> list[tuple[str, int, float]]:
    """What buyers and the owner do; each step's (name, status, seconds)."""
    steps = []

    def step(name, call, *args, **kwargs):
        response, seconds = timed(call, *args, **kwargs)
        steps.append((name, response.status_code, seconds))
        return response

    def checkout(buyer, variant, email):
        step(
            "cart add",
            buyer.post,
            reverse("orders:cart_add"),
            {"variant": variant.pk, "quantity": 1},
        )
        form = step("checkout form", buyer.get, reverse("orders:checkout")).content.decode()
        key = re.search(r'name="checkout_key" value="([^"]+)"', form).group(1)
        placed = step(
            "checkout",
            buyer.post,
            reverse("orders:checkout"),
            {**CHECKOUT, "email": email, "checkout_key": key},
        )
        step("thanks page", buyer.get, placed["Location"])

    shop = storefront
    product = shop["product"]
    step("catalogue", Client().get, "/products/")
    step("product page", Client().get, product.get_absolute_url())
    checkout(Client(), shop["plenty"], "first@example.com")
    shipped = shop["shipped"]
    step(
        "owner marks delivered",
        shop["owner"].post,
        reverse("orders_manage:order_action", args=[shipped.pk, "deliver"]),
    )
    checkout(Client(), shop["few"], "low@example.com")  # a low-stock order: a cache bump
    return steps


def assert_the_shop_sold(shop, steps) -> None:
    errors = [s for s in steps if s[1] >= 500]
    assert errors == [], steps
    assert [s[1] for s in steps if s[0] == "checkout"] == [302, 302], steps
    assert Order.objects.filter(email__in=["first@example.com", "low@example.com"]).count() == 2
    assert Order.objects.get(pk=shop["shipped"].pk).status == "delivered"


def send_what_was_left() -> None:
    """The sweep, once every queued message's grace is over."""
    later = timezone.now() + timedelta(seconds=settings.MESSAGING_SWEEP_GRACE_SECONDS + 1)
    messaging.sweep(now=later)


def assert_every_message_sent_once() -> None:
    messages = Message.objects.all()
    assert messages.count() >= 3  # two orders placed and one delivered
    assert set(messages.values_list("state", flat=True)) == {"sent"}
    sent = [(m.to[0], m.subject) for m in mail.outbox]
    assert len(sent) == messages.count() and len(set(sent)) == len(sent), sent


@pytest.mark.redis
@pytest.mark.postgres
@needs_redis_server
@pytest.mark.django_db(transaction=True)
def test_with_redis_stopped_the_shop_sells_and_the_outages_mail_goes_once_after(
    redis_stack, storefront, client
):
    assert Client().get("/products/").status_code == 200  # the cache is filled
    mail.outbox.clear()
    redis_stack.stop()

    steps = go_shopping(storefront)
    assert_the_shop_sold(storefront, steps)
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["database"] == "ok" and health.json()["cache"] != "ok"
    assert mail.outbox == []  # nothing could be queued

    redis_stack.start()  # back, empty
    Breaker.reset_all()
    assert client.get("/healthz").status_code == 200
    send_what_was_left()
    send_what_was_left()  # a second sweep sends nothing more
    assert_every_message_sent_once()
    connection.close()


@pytest.mark.redis
@pytest.mark.postgres
@needs_redis_server
@pytest.mark.django_db(transaction=True)
def test_with_redis_frozen_every_request_answers_within_a_second_and_mail_goes_once_after(
    redis_stack, storefront, client, real_broker
):
    from celery.contrib.testing.worker import start_worker
    from django.core.cache import cache

    assert Client().get("/products/").status_code == 200  # the cache is filled
    version = cache.get(VERSION_KEY)
    mail.outbox.clear()
    redis_stack.freeze()
    try:
        steps = go_shopping(storefront)
        health, health_seconds = timed(client.get, "/healthz")
    finally:
        redis_stack.thaw()
    assert_the_shop_sold(storefront, steps)
    slow = [s for s in steps if s[2] >= 1]
    assert slow == [], steps
    assert health.status_code == 503 and health_seconds < 2, (health.json(), health_seconds)

    Breaker.reset_all()
    # A bump the frozen cache could not take is made by the first page that reaches it.
    assert Client().get("/products/").status_code == 200
    assert cache.get(VERSION_KEY) == version + 1
    # A publish that timed out may still have reached Redis (it was in the socket): a real
    # worker runs what is queued, the sweep sends the rest, each message once.
    with start_worker(real_broker, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        with real_broker.connection_for_write() as broker:
            queue = broker.default_channel.client
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and (
                queue.llen("celery") or Message.objects.filter(state="sending").exists()
            ):
                time.sleep(0.1)
        time.sleep(0.5)  # a task just taken has claimed its row by now
    send_what_was_left()
    assert_every_message_sent_once()
    connection.close()


@pytest.mark.redis
@needs_redis_server
def test_a_worker_with_a_task_running_lives_through_a_redis_stop(real_broker, tmp_path):
    """kombu 5.7 made such a worker exit (config.celery's guard): after the stop, it takes
    the next task."""
    server = RedisServer()
    server.start()
    log = (tmp_path / "worker.log").open("w")
    environment = {**os.environ, "CELERY_BROKER_URL": server.url(0)}
    environment.pop("REDIS_URL", None)
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency=2"]
        + ["--loglevel=INFO", "--include=tests.redis_worker_tasks", "--without-mingle"],
        cwd=Path(__file__).resolve().parent.parent,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        use_broker(server.url(0))
        assert wait_until(lambda: "ready." in (tmp_path / "worker.log").read_text(), 30)
        running, after = tmp_path / "running", tmp_path / "after"
        real_broker.send_task("tests.write_after", args=[str(running), 3])
        assert wait_until(lambda: Path(f"{running}.started").exists(), 10)
        server.stop()  # a task runs, the other process waits on BRPOP
        time.sleep(1)
        server.start()
        use_broker(server.url(0))
        real_broker.send_task("tests.write_after", args=[str(after), 0])
        assert wait_until(lambda: after.exists(), 30), (tmp_path / "worker.log").read_text()
        assert worker.poll() is None
    finally:
        worker.terminate()
        worker.wait(20)
        server.stop()
        log.close()


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False
