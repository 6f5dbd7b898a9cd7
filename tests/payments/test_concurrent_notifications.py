"""Two copies of the same notification arriving together mark the order paid once (row locks
on the attempt and the order). Like the other concurrency tests, it needs PostgreSQL (CI runs it
there): SQLite has no row locks to test."""

import threading

import pytest
from django.db import connection
from django.test import Client

from orders.models import Order

from .helpers import notify, online_order, start_paying

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_notifications_at_once_mark_it_paid_once(alipay, shop_profile):
    order, _variant = online_order()
    attempt = start_paying(Client(), order)
    form = alipay.sandbox.pay(attempt.out_trade_no)
    barrier = threading.Barrier(2)
    answers: list[bytes] = []
    lock = threading.Lock()

    def deliver() -> None:
        try:
            barrier.wait(timeout=30)
            body = notify(Client(), form).content
        except Exception as error:  # noqa: BLE001 - recorded, fails the test below
            body = repr(error).encode()
        finally:
            connection.close()
        with lock:
            answers.append(body)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert answers == [b"success", b"success"]
    outcomes = sorted(attempt.notices.values_list("outcome", flat=True))
    assert outcomes == ["accepted", "duplicate"]
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.events.filter(kind="paid").count() == 1
