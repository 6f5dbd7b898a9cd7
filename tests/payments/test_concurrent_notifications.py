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


def _at_once(send, count=2) -> list[bytes]:
    barrier = threading.Barrier(count)
    answers: list[bytes] = []
    lock = threading.Lock()

    def deliver() -> None:
        try:
            barrier.wait(timeout=30)
            body = send()
        except Exception as error:  # noqa: BLE001 - recorded, fails the test below
            body = repr(error).encode()
        finally:
            connection.close()
        with lock:
            answers.append(body)

    threads = [threading.Thread(target=deliver) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def _wechat_notify(notification) -> bytes:
    headers, body = notification
    headers = {k: v for k, v in headers.items() if k != "Content-Type"}
    return (
        Client()
        .post(
            "/payments/notify/wechat/", data=body, content_type="application/json", headers=headers
        )
        .content
    )


def test_two_wechat_notifications_at_once_mark_it_paid_once(wechat, shop_profile):
    from payments.models import Refund
    from payments.services import request_refund

    ok = b'{"code":"SUCCESS","message":"OK"}'
    order, _variant = online_order(method="wechat")
    assert Client().post(f"/orders/{order.tracking_token}/pay/").status_code == 200
    attempt = order.payment_attempts.get()
    wechat.pay(attempt.out_trade_no)
    notification = wechat.notification(attempt.out_trade_no)
    assert _at_once(lambda: _wechat_notify(notification)) == [ok, ok]
    assert sorted(attempt.notices.values_list("outcome", flat=True)) == ["accepted", "duplicate"]
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.events.filter(kind="paid").count() == 1

    # Two copies of one REFUND.SUCCESS notification: the refunded sum moves once.
    attempt.refresh_from_db()
    refund = request_refund(attempt, amount=attempt.amount, reason="both")
    wechat.finish_refund(refund.out_refund_no)
    notification = wechat.refund_notification(refund.out_refund_no)
    assert _at_once(lambda: _wechat_notify(notification)) == [ok, ok]
    attempt.refresh_from_db()
    assert attempt.refunded_amount == attempt.amount
    assert Refund.objects.get().state == Refund.State.SUCCEEDED
    assert sorted(attempt.notices.values_list("outcome", flat=True)) == [
        "accepted",
        "accepted",
        "duplicate",
        "duplicate",
    ]
