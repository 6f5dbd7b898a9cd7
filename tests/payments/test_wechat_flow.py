"""Online payment with WeChat Pay, end to end against the local stand-in: the wechatpayv3 SDK
signs every request and the stand-in verifies it; the stand-in signs every answer and signs and
encrypts (AES-GCM, APIv3 key) every notification, and the SDK verifies and decrypts them."""

import html
import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import segno
from cryptography.hazmat.primitives.asymmetric import rsa
from django.utils import timezone

from orders.models import Order
from payments import services, tasks
from payments.models import PaymentAttempt, PaymentNotice, Refund

from .helpers import PHONE_UA, online_order

pytestmark = pytest.mark.django_db
SUCCESS = b'{"code":"SUCCESS","message":"OK"}'
FAILURE = b'{"code":"FAIL","message":"FAIL"}'


def start_qr(client, order):
    """The buyer presses Pay on a computer: our page with the Native QR code."""
    response = client.post(f"/orders/{order.tracking_token}/pay/")
    assert response.status_code == 200, response.content[:300]
    return response, order.payment_attempts.latest("created_at")


def notify(client, notification):
    """POST a notification (headers, body) to the shop as WeChat Pay does."""
    headers, body = notification
    headers = {k: v for k, v in headers.items() if k != "Content-Type"}
    return client.post(
        "/payments/notify/wechat/", data=body, content_type="application/json", headers=headers
    )


def paid(client, wechat, order):
    _page, attempt = start_qr(client, order)
    wechat.pay(attempt.out_trade_no)
    response = notify(client, wechat.notification(attempt.out_trade_no))
    assert response.content == SUCCESS
    attempt.refresh_from_db()
    assert attempt.state == PaymentAttempt.State.PAID
    return attempt


def test_checkout_offers_wechat_pay_only_when_configured(client, settings, wechat, shop_profile):
    from tests.factories import VariantFactory

    variant = VariantFactory(stock=3)
    client.post("/cart/add/", {"variant": variant.pk, "quantity": 1})
    assert 'value="wechat"' in client.get("/checkout/").content.decode()
    settings.WECHATPAY_MCHID = ""
    assert 'value="wechat"' not in client.get("/checkout/").content.decode()


def test_desktop_gets_our_qr_page_then_notify_and_poll(client, wechat, shop_profile):
    order, variant = online_order(stock=4, quantity=2, method="wechat")
    variant.refresh_from_db()
    assert variant.stock == 2  # held while waiting for the payment
    response, attempt = start_qr(client, order)
    seen = wechat.requests[-1]
    assert (seen["path"], seen["status"]) == ("/v3/pay/transactions/native", 200)
    assert seen["body"]["amount"] == {"total": int(order.total * 100), "currency": "CNY"}
    assert seen["body"]["out_trade_no"] == attempt.out_trade_no
    assert seen["body"]["notify_url"] == "http://127.0.0.1:8000/payments/notify/wechat/"

    page = response.content.decode()
    code_url = (
        "weixin://wxpay/bizpayurl?pr=" + wechat.trades[attempt.out_trade_no]["prepay_id"][-7:]
    )
    assert f'data-code-url="{html.escape(code_url)}"' in page
    # The SVG drawn is segno's QR code of exactly that text (same settings as the view).
    expected = segno.make(code_url, error="m").svg_inline(scale=6, dark="#111", light="#fff")
    assert expected in page
    assert "<svg" in page and "<img" not in page.split('id="payment-qr"')[1].split("</div>")[0]
    amount = re.search(r'id="pay-amount">([^<]+)<', page).group(1)
    assert f"{order.total:.2f}" in amount.replace(",", "")
    minutes = int(re.search(r"This code works for (\d+) more minutes", page).group(1))
    assert 28 <= minutes <= 30
    assert 'hx-trigger="every 3s"' in page  # the QR page watches for the payment

    status = client.get(f"/orders/{order.tracking_token}/payment/")
    assert b"Waiting for confirmation" in status.content

    wechat.pay(attempt.out_trade_no)
    answer = notify(client, wechat.notification(attempt.out_trade_no))
    assert answer.status_code == 200
    assert answer.content == SUCCESS
    assert answer["Content-Type"] == "application/json"
    order.refresh_from_db()
    attempt.refresh_from_db()
    assert order.status == Order.Status.PAID and order.payment_state == Order.PaymentState.PAID
    assert attempt.state == PaymentAttempt.State.PAID
    assert attempt.trade_no == wechat.trades[attempt.out_trade_no]["transaction_id"]
    assert list(attempt.notices.values_list("outcome", flat=True)) == ["accepted"]
    stored = attempt.notices.get().payload
    assert stored["resource"]["out_trade_no"] == attempt.out_trade_no  # decrypted, kept

    fragment = client.get(
        f"/orders/{order.tracking_token}/payment/",
        headers={"HX-Request": "true", "HX-Target": "payment-status"},
    )
    assert b"Paid: we received" in fragment.content
    assert b"every 3s" not in fragment.content


def test_phone_goes_to_the_h5_cashier_and_back_to_our_page(client, wechat, shop_profile):
    order, _variant = online_order(method="wechat")
    response = client.post(f"/orders/{order.tracking_token}/pay/", headers={"User-Agent": PHONE_UA})
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    attempt = order.payment_attempts.get()
    trade = wechat.trades[attempt.out_trade_no]
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "wx.tenpay.com",
        "/cgi-bin/mmpayweb-bin/checkmweb",
    )
    query = parse_qs(url.query)
    assert query["prepay_id"] == [trade["prepay_id"]]
    assert query["redirect_url"] == [
        f"http://127.0.0.1:8000/orders/{order.tracking_token}/payment/"
    ]
    assert wechat.requests[-1]["path"] == "/v3/pay/transactions/h5"
    assert trade["scene_info"]["payer_client_ip"] == "127.0.0.1"
    # Coming back from the cashier pays nothing.
    back = client.get(query["redirect_url"][0].removeprefix("http://127.0.0.1:8000"))
    assert b"Waiting for confirmation" in back.content
    order.refresh_from_db()
    assert order.payment_state == Order.PaymentState.PENDING


def test_same_notification_twice_is_a_duplicate(client, wechat, shop_profile):
    order, _variant = online_order(method="wechat")
    _page, attempt = start_qr(client, order)
    wechat.pay(attempt.out_trade_no)
    notification = wechat.notification(attempt.out_trade_no)
    assert notify(client, notification).content == SUCCESS
    order.refresh_from_db()
    paid_at = order.paid_at
    again = notify(client, notification)  # a replay of the very same request
    assert again.status_code == 200 and again.content == SUCCESS
    order.refresh_from_db()
    assert order.paid_at == paid_at
    assert list(attempt.notices.values_list("outcome", flat=True)) == ["accepted", "duplicate"]
    assert order.events.filter(kind="paid").count() == 1


@pytest.mark.parametrize(
    "change, recorded",
    [
        ({"amount": {"total": 1, "currency": "CNY"}}, True),  # another amount, correctly signed
        ({"mchid": "1900000999"}, False),  # another merchant
        ({"appid": "wx9999999999999999"}, False),  # another app
        ({"out_trade_no": "P000UNKNOWN0000"}, False),  # an order we do not know
    ],
)
def test_bad_notifications_are_refused(client, wechat, shop_profile, change, recorded):
    order, _variant = online_order(method="wechat")
    _page, attempt = start_qr(client, order)
    wechat.pay(attempt.out_trade_no)
    response = notify(client, wechat.notification(attempt.out_trade_no, resource=change))
    assert response.status_code == 400 and response.content == FAILURE
    order.refresh_from_db()
    attempt.refresh_from_db()
    assert order.payment_state == Order.PaymentState.PENDING
    assert attempt.state == PaymentAttempt.State.PENDING
    assert attempt.notices.filter(outcome="refused").count() == (1 if recorded else 0)


@pytest.mark.parametrize(
    "forge",
    [
        {"signing_key": rsa.generate_private_key(public_exponent=65537, key_size=2048)},
        {"tamper_ciphertext": True},
        {"serial": "PUB_KEY_ID_0114999999999999999999999999"},
        {"timestamp": int(timezone.now().timestamp()) - 3600},  # an old captured one
    ],
    ids=["other-key", "tampered", "other-serial", "stale"],
)
def test_forged_notifications_are_refused(client, wechat, shop_profile, forge):
    order, _variant = online_order(method="wechat")
    _page, attempt = start_qr(client, order)
    wechat.pay(attempt.out_trade_no)
    response = notify(client, wechat.notification(attempt.out_trade_no, **forge))
    assert response.status_code == 400 and response.content == FAILURE
    order.refresh_from_db()
    assert order.payment_state == Order.PaymentState.PENDING
    assert PaymentNotice.objects.count() == 0


def test_a_body_changed_after_signing_is_refused(client, wechat, shop_profile):
    order, _variant = online_order(method="wechat")
    _page, attempt = start_qr(client, order)
    wechat.pay(attempt.out_trade_no)
    headers, body = wechat.notification(attempt.out_trade_no)
    response = notify(client, (headers, body.replace(b'"summary"', b'"Summary"')))
    assert response.status_code == 400
    assert PaymentNotice.objects.count() == 0


def test_paid_notice_for_a_closed_order_is_flagged_and_refunded(
    client, owner_client, wechat, shop_profile
):
    order, _variant = online_order(method="wechat")
    _page, attempt = start_qr(client, order)
    from orders.services import cancel_order

    cancel_order(order, reason="buyer asked")
    wechat.pay(attempt.out_trade_no)  # the buyer still scans the code they had
    response = notify(client, wechat.notification(attempt.out_trade_no))
    assert response.content == SUCCESS  # taken in, so WeChat stops retrying
    attempt.refresh_from_db()
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert attempt.notices.get().outcome == "flagged"
    refund = attempt.refunds.get()
    sent = wechat.refunds[refund.out_refund_no]
    assert sent["amount"]["refund"] == sent["amount"]["total"] == int(attempt.amount * 100)
    assert sent["notify_url"] == "http://127.0.0.1:8000/payments/notify/wechat/"
    # WeChat answers PROCESSING: the refund waits for its confirmation.
    assert attempt.state == PaymentAttempt.State.REFUNDING
    assert refund.state == Refund.State.REQUESTED and refund.refund_id == sent["refund_id"]
    wechat.finish_refund(refund.out_refund_no)
    assert notify(client, wechat.refund_notification(refund.out_refund_no)).content == SUCCESS
    attempt.refresh_from_db()
    assert attempt.state == PaymentAttempt.State.REFUNDED
    page = owner_client.get(f"/manage/orders/{order.pk}/").content.decode()
    assert "Flagged for the owner" in page


def test_refund_whole_and_partial_confirmed_by_query_and_notification(
    client, owner_client, wechat, shop_profile
):
    order, _variant = online_order(method="wechat")
    attempt = paid(client, wechat, order)
    total = attempt.amount
    part = (total / 2).quantize(Decimal("0.01"))
    url = f"/manage/orders/{order.pk}/payments/{attempt.pk}/refund/"
    owner_client.post(url, {"amount": str(part), "reason": "stain on the sleeve"})
    first = Refund.objects.get()
    sent = wechat.refunds[first.out_refund_no]
    assert sent["amount"] == sent["amount"] | {"refund": int(part * 100), "total": int(total * 100)}
    assert sent["reason"] == "stain on the sleeve"
    attempt.refresh_from_db()
    assert attempt.state == PaymentAttempt.State.REFUNDING  # PROCESSING at WeChat
    assert attempt.refundable == total - part

    # More than what is left is refused before WeChat is asked.
    response = owner_client.post(url, {"amount": str(total), "reason": "again"}, follow=True)
    assert b"at most" in response.content
    assert len(wechat.refunds) == 1

    # Reconciliation asks WeChat (query_refund) and records the confirmation once.
    assert tasks.reconcile_refund(first.pk) == Refund.State.REQUESTED  # still processing
    wechat.finish_refund(first.out_refund_no)
    assert tasks.reconcile_refund(first.pk) == Refund.State.SUCCEEDED
    assert services.refresh_refund(first.pk) == Refund.State.SUCCEEDED
    attempt.refresh_from_db()
    assert attempt.state == PaymentAttempt.State.PARTLY_REFUNDED
    assert attempt.refunded_amount == part
    # The REFUND.SUCCESS notification of the refund already settled changes nothing.
    late = notify(client, wechat.refund_notification(first.out_refund_no))
    assert late.content == SUCCESS
    attempt.refresh_from_db()
    assert attempt.refunded_amount == part
    assert attempt.notices.last().outcome == "duplicate"

    # The rest, confirmed by WeChat's REFUND.SUCCESS notification.
    owner_client.post(url, {"amount": str(total - part), "reason": "the rest"})
    second = Refund.objects.exclude(pk=first.pk).get()
    wechat.finish_refund(second.out_refund_no)
    answer = notify(client, wechat.refund_notification(second.out_refund_no))
    assert answer.status_code == 200 and answer.content == SUCCESS
    attempt.refresh_from_db()
    second.refresh_from_db()
    assert second.state == Refund.State.SUCCEEDED
    assert second.refund_id == wechat.refunds[second.out_refund_no]["refund_id"]
    assert attempt.state == PaymentAttempt.State.REFUNDED
    assert attempt.refunded_amount == total
    notify(client, wechat.refund_notification(second.out_refund_no))  # replayed
    attempt.refresh_from_db()
    assert attempt.refunded_amount == total
    page = owner_client.get(f"/manage/orders/{order.pk}/").content.decode()
    assert attempt.trade_no in page and "Refunded" in page


def test_refund_notifications_that_do_not_match_are_refused(
    client, owner_client, wechat, shop_profile
):
    order, _variant = online_order(method="wechat")
    attempt = paid(client, wechat, order)
    owner_client.post(
        f"/manage/orders/{order.pk}/payments/{attempt.pk}/refund/",
        {"amount": "1.00", "reason": "part"},
    )
    refund = Refund.objects.get()
    wechat.finish_refund(refund.out_refund_no)
    # Another amount than the refund asked for, correctly signed.
    wechat.refunds[refund.out_refund_no]["amount"]["refund"] = 50
    assert notify(client, wechat.refund_notification(refund.out_refund_no)).status_code == 400
    wechat.refunds[refund.out_refund_no]["amount"]["refund"] = 100
    # A refund the shop never asked for on that trade.
    wechat.refunds["R000NOTOURS0001"] = dict(
        wechat.refunds[refund.out_refund_no], out_refund_no="R000NOTOURS0001"
    )
    assert notify(client, wechat.refund_notification("R000NOTOURS0001")).status_code == 400
    refund.refresh_from_db()
    attempt.refresh_from_db()
    assert refund.state == Refund.State.REQUESTED
    assert attempt.refunded_amount == 0
    assert attempt.notices.filter(outcome="refused").count() == 2
    # A failed refund (ABNORMAL): recorded as failed, the money stays refundable.
    wechat.finish_refund(refund.out_refund_no, status="ABNORMAL")
    assert notify(client, wechat.refund_notification(refund.out_refund_no)).content == SUCCESS
    refund.refresh_from_db()
    attempt.refresh_from_db()
    assert refund.state == Refund.State.FAILED
    assert attempt.state == PaymentAttempt.State.PAID and attempt.refundable == attempt.amount


def test_cancel_a_paid_order_and_refund(client, owner_client, wechat, shop_profile):
    order, variant = online_order(stock=3, quantity=1, method="wechat")
    attempt = paid(client, wechat, order)
    owner_client.post(
        f"/manage/orders/{order.pk}/payments/cancel/", {"reason": "out of fabric", "refund": "on"}
    )
    order.refresh_from_db()
    variant.refresh_from_db()
    assert order.status == Order.Status.CANCELLED and variant.stock == 3
    refund = attempt.refunds.get()
    assert wechat.refunds[refund.out_refund_no]["amount"]["refund"] == int(attempt.amount * 100)


def test_timeout_closes_the_trade_at_wechat_and_restores_stock(client, wechat, shop_profile):
    order, variant = online_order(stock=3, quantity=2, method="wechat")
    _page, attempt = start_qr(client, order)
    Order.objects.filter(pk=order.pk).update(placed_at=timezone.now() - timedelta(hours=1))
    assert tasks.close_expired_payments() == {"cancelled": 1, "paid": 0, "later": 0}
    order.refresh_from_db()
    attempt.refresh_from_db()
    variant.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert variant.stock == 3
    assert attempt.state == PaymentAttempt.State.CLOSED
    assert wechat.trades[attempt.out_trade_no]["trade_state"] == "CLOSED"
    paths = [r["path"] for r in wechat.requests]
    assert paths[-2].startswith(f"/v3/pay/transactions/out-trade-no/{attempt.out_trade_no}?")
    assert paths[-1] == f"/v3/pay/transactions/out-trade-no/{attempt.out_trade_no}/close"
    assert tasks.close_expired_payments() == {"cancelled": 0, "paid": 0, "later": 0}


def test_reconciliation_finds_a_lost_notification(client, wechat, shop_profile, settings):
    order, _variant = online_order(method="wechat")
    _page, attempt = start_qr(client, order)
    assert services.reconcile_attempt(attempt.pk) == "pending"  # NOTPAY at WeChat
    wechat.pay(attempt.out_trade_no)  # paid, but the notification never arrives
    PaymentAttempt.objects.filter(pk=attempt.pk).update(
        created_at=timezone.now() - timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES + 1)
    )
    assert tasks.reconcile_payments() == {"attempts": 1, "refunds": 0}
    order.refresh_from_db()
    attempt.refresh_from_db()
    assert order.payment_state == Order.PaymentState.PAID
    assert attempt.state == PaymentAttempt.State.PAID
    notice = attempt.notices.get()
    assert (notice.source, notice.outcome) == ("query", "accepted")
    # The notification arriving late after all is a duplicate.
    assert notify(client, wechat.notification(attempt.out_trade_no)).content == SUCCESS
    assert attempt.notices.last().outcome == "duplicate"
