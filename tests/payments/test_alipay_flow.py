"""Online payment with Alipay, end to end against the local stand-in: the SDK signs every
request and the stand-in verifies it; the stand-in signs every answer and notification and the
SDK verifies them."""

from decimal import Decimal

import pytest

from orders.models import Order
from payments.models import PaymentAttempt, PaymentNotice, Refund

from .helpers import PHONE_UA, notify, online_order, start_paying

pytestmark = pytest.mark.django_db


def test_checkout_offers_alipay_only_when_configured(client, settings, alipay, shop_profile):
    from tests.factories import VariantFactory

    variant = VariantFactory(stock=3)
    client.post("/cart/add/", {"variant": variant.pk, "quantity": 1})
    page = client.get("/checkout/").content.decode()
    assert 'value="alipay"' in page
    assert 'value="wechat"' not in page or settings.__dict__.get("WECHATPAY_MCHID")
    settings.ALIPAY_APP_ID = ""
    page = client.get("/checkout/").content.decode()
    assert 'value="alipay"' not in page


def test_pay_notify_and_poll(client, alipay, shop_profile):
    order, variant = online_order(stock=4, quantity=2)
    variant.refresh_from_db()
    assert variant.stock == 2  # held while waiting for the payment
    attempt = start_paying(client, order)
    assert alipay.methods() == ["alipay.trade.page.pay"]
    method, biz = alipay.sandbox.requests[0]
    assert biz["total_amount"] == f"{order.total:.2f}"
    assert biz["out_trade_no"] == attempt.out_trade_no

    # Back at the return URL, with every parameter Alipay adds: still waiting, never paid.
    status = client.get(
        f"/orders/{order.tracking_token}/payment/?out_trade_no={attempt.out_trade_no}&trade_no=x&total_amount=1.00&sign=forged"
    )
    assert b"Waiting for confirmation" in status.content
    assert b'hx-trigger="every 3s"' in status.content
    order.refresh_from_db()
    assert order.payment_state == Order.PaymentState.PENDING

    response = notify(client, alipay.sandbox.pay(attempt.out_trade_no))
    assert response.status_code == 200
    assert response.content == b"success"
    order.refresh_from_db()
    attempt.refresh_from_db()
    assert order.status == Order.Status.PAID and order.payment_state == Order.PaymentState.PAID
    assert attempt.state == PaymentAttempt.State.PAID
    assert attempt.trade_no == alipay.sandbox.trades[attempt.out_trade_no].trade_no
    assert list(attempt.notices.values_list("outcome", flat=True)) == ["accepted"]

    fragment = client.get(
        f"/orders/{order.tracking_token}/payment/",
        headers={"HX-Request": "true", "HX-Target": "payment-status"},
    )
    assert b"Paid: we received" in fragment.content
    assert b"every 3s" not in fragment.content  # polling stops
    assert b"<html" not in fragment.content


def test_phone_gets_the_wap_payment(client, alipay, shop_profile):
    order, _variant = online_order()
    start_paying(client, order, **{"User-Agent": PHONE_UA})
    assert alipay.methods() == ["alipay.trade.wap.pay"]
    assert alipay.sandbox.requests[0][1]["product_code"] == "QUICK_WAP_PAY"


def test_same_notification_twice_is_a_duplicate(client, alipay, shop_profile):
    order, _variant = online_order()
    attempt = start_paying(client, order)
    form = alipay.sandbox.pay(attempt.out_trade_no)
    assert notify(client, form).content == b"success"
    order.refresh_from_db()
    paid_at = order.paid_at
    again = notify(client, form)
    assert again.status_code == 200 and again.content == b"success"
    order.refresh_from_db()
    assert order.paid_at == paid_at
    assert list(attempt.notices.values_list("outcome", flat=True)) == ["accepted", "duplicate"]
    assert order.events.filter(kind="paid").count() == 1


@pytest.mark.parametrize(
    "change, recorded",
    [
        ({"total_amount": "0.01"}, True),  # a different amount, correctly signed
        ({"app_id": "2021999999999999"}, False),  # another app
        ({"seller_id": "2088999999999999"}, False),  # another merchant
        ({"out_trade_no": "P000UNKNOWN"}, False),  # an order we do not know
    ],
)
def test_bad_notifications_are_refused(client, alipay, shop_profile, change, recorded):
    order, _variant = online_order()
    attempt = start_paying(client, order)
    alipay.sandbox.pay(attempt.out_trade_no)
    trade = alipay.sandbox.trades[attempt.out_trade_no]
    response = notify(client, alipay.sandbox.notification(trade, **change))
    assert response.status_code == 400 and response.content == b"failure"
    order.refresh_from_db()
    attempt.refresh_from_db()
    assert order.payment_state == Order.PaymentState.PENDING
    assert attempt.state == PaymentAttempt.State.PENDING
    assert attempt.notices.filter(outcome="refused").count() == (1 if recorded else 0)


def test_bad_signature_is_refused(client, alipay, shop_profile):
    order, _variant = online_order()
    attempt = start_paying(client, order)
    form = alipay.sandbox.pay(attempt.out_trade_no)
    form["total_amount"] = "999.00"  # changed after signing
    response = notify(client, form)
    assert response.status_code == 400
    forged = dict(form, total_amount=f"{order.total:.2f}", sign=form["sign"][:-8] + "AAAAAAA=")
    assert notify(client, forged).status_code == 400
    order.refresh_from_db()
    assert order.payment_state == Order.PaymentState.PENDING
    assert PaymentNotice.objects.count() == 0


def test_notifications_are_limited_per_address_and_generously(client, settings, alipay):
    per_minute = int(dict(settings.PUBLIC_WRITE_LIMITS["payments:notify"])["ip"].split("/")[0])
    assert per_minute >= 300  # a provider's retries and bursts pass
    settings.PUBLIC_WRITE_LIMITS = {
        **settings.PUBLIC_WRITE_LIMITS,
        "payments:notify": [("ip", "5/m")],
    }
    url = "/payments/notify/alipay/"
    for _ in range(5):
        assert client.post(url, data={"sign": "forged"}).status_code == 400
    assert client.post(url, data={"sign": "forged"}).status_code == 429
    # Another address (the provider's) is still heard.
    assert client.post(url, data={"sign": "x"}, REMOTE_ADDR="203.0.113.9").status_code == 400


def test_notify_is_post_only_and_needs_no_csrf(alipay, shop_profile):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.get("/payments/notify/alipay/").status_code == 405
    assert strict.post("/payments/notify/alipay/", data={"a": "b"}).status_code == 400
    assert strict.post("/payments/notify/nope/", data={}).status_code == 404


def test_refund_whole_and_partial(client, owner_client, alipay, shop_profile):
    order, _variant = online_order()
    attempt = start_paying(client, order)
    notify(client, alipay.sandbox.pay(attempt.out_trade_no))
    total = attempt.amount
    part = (total / 2).quantize(Decimal("0.01"))
    url = f"/manage/orders/{order.pk}/payments/{attempt.pk}/refund/"
    owner_client.post(url, {"amount": str(part), "reason": "stain on the sleeve"})
    attempt.refresh_from_db()
    assert attempt.state == PaymentAttempt.State.PARTLY_REFUNDED
    assert attempt.refunded_amount == part
    trade = alipay.sandbox.trades[attempt.out_trade_no]
    assert list(trade.refunds.values()) == [f"{part:.2f}"]

    # More than what is left is refused before the provider is asked.
    response = owner_client.post(url, {"amount": str(total), "reason": "again"}, follow=True)
    assert b"at most" in response.content
    assert len(trade.refunds) == 1
    attempt.refresh_from_db()
    assert attempt.refunded_amount == part

    owner_client.post(url, {"amount": str(total - part), "reason": "the rest"})
    attempt.refresh_from_db()
    assert attempt.state == PaymentAttempt.State.REFUNDED
    assert attempt.refunded_amount == total
    assert set(Refund.objects.values_list("state", flat=True)) == {"succeeded"}
    page = owner_client.get(f"/manage/orders/{order.pk}/").content.decode()
    assert attempt.trade_no in page and "Refunded" in page


def test_refunds_are_for_the_owner_only(client, alipay, shop_profile, support_user):
    order, _variant = online_order()
    attempt = start_paying(client, order)
    notify(client, alipay.sandbox.pay(attempt.out_trade_no))
    client.force_login(support_user)
    response = client.post(
        f"/manage/orders/{order.pk}/payments/{attempt.pk}/refund/",
        {"amount": "1.00", "reason": "x"},
    )
    assert response.status_code == 403
    assert Refund.objects.count() == 0


def test_cancel_a_paid_order_and_refund(client, owner_client, alipay, shop_profile):
    order, variant = online_order(stock=3, quantity=1)
    attempt = start_paying(client, order)
    notify(client, alipay.sandbox.pay(attempt.out_trade_no))
    owner_client.post(
        f"/manage/orders/{order.pk}/payments/cancel/", {"reason": "out of fabric", "refund": "on"}
    )
    order.refresh_from_db()
    attempt.refresh_from_db()
    variant.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert variant.stock == 3
    assert attempt.state == PaymentAttempt.State.REFUNDED
    assert alipay.sandbox.trades[attempt.out_trade_no].refunds


def test_pay_again_closes_the_old_attempt(
    client, alipay, shop_profile, django_capture_on_commit_callbacks
):
    order, _variant = online_order()
    first = start_paying(client, order)
    with django_capture_on_commit_callbacks(execute=True):
        second = start_paying(client, order)
    first.refresh_from_db()
    assert first.state == PaymentAttempt.State.CLOSED
    assert alipay.sandbox.trades[first.out_trade_no].state == "TRADE_CLOSED"
    assert second.state == PaymentAttempt.State.PENDING
    tracking = client.get(order.get_absolute_url()).content.decode()
    assert f"/orders/{order.tracking_token}/pay/" in tracking


def test_payment_of_a_closed_attempt_is_flagged_and_refunded(
    client, owner_client, alipay, shop_profile
):
    order, _variant = online_order()
    attempt = start_paying(client, order)
    from orders.services import cancel_order

    cancel_order(order, reason="buyer asked")
    # The buyer still pays the trade they had open.
    response = notify(client, alipay.sandbox.pay(attempt.out_trade_no))
    assert response.content == b"success"  # taken in, so Alipay stops retrying
    attempt.refresh_from_db()
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert attempt.notices.get().outcome == "flagged"
    assert attempt.state == PaymentAttempt.State.REFUNDED
    assert alipay.sandbox.trades[attempt.out_trade_no].refunds == {
        attempt.refunds.get().out_refund_no: f"{attempt.amount:.2f}"
    }
    page = owner_client.get(f"/manage/orders/{order.pk}/").content.decode()
    assert "Flagged for the owner" in page
