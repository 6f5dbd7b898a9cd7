"""Order notices and ticket messages by SMS to a buyer reached by phone (console provider)."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.test import TestCase
from django.utils import translation

from messaging.models import Message, ShortLink
from messaging.sms import console
from messaging.sms.length import sms_length
from orders import services
from orders.emails import build_order_sms, queue_order_email, reach
from orders.models import Order, OrderLine
from support.emails import build_ticket_sms
from support.emails import reach as reach_ticket
from support.models import Ticket

from ..factories import VariantFactory

pytestmark = pytest.mark.django_db
PHONE = "+8613800138000"
SHORT = re.compile(r"https?://[^/\s]+/s/([0-9A-Za-z]{10})/")


def sms_order(language: str = "zh-hans", *, email: str = "", phone: str = PHONE) -> Order:
    """A phone-only order, made directly (checkout's phone field is another helper's), with
    its "placed" message queued in its transaction as place_order does."""
    variant = VariantFactory(stock=5)
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        order = Order.objects.create(
            checkout_key=f"sms-{variant.pk}-{language}-{email}",
            email=email,
            name="陈美",
            phone=phone,
            notify_by=Order.NotifyBy.SMS,
            address_line1="西陵一路12号",
            city="宜昌市",
            region="湖北省",
            district="西陵区",
            country="CN",
            language=language,
            payment_method="cod",
            currency="CNY",
            subtotal=Decimal("199.00"),
            shipping_cost=Decimal("0.00"),
            total=Decimal("199.00"),
        )
        order.number = f"2026-{order.pk:06d}"
        order.save(update_fields=["number"])
        OrderLine.objects.create(
            order=order,
            variant=variant,
            product=variant.product,
            product_name=variant.product.name,
            size=variant.size,
            colour=variant.colour,
            sku=variant.sku,
            unit_price=Decimal("199.00"),
            quantity=1,
            line_total=Decimal("199.00"),
        )
        queue_order_email(order, "placed")
    return order


def ship_and_deliver(order: Order) -> Order:
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.mark_shipped(order, carrier="SF Express", tracking_number="SF1234567890123")
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.mark_delivered(order)


def follow_short_link(client, text: str) -> str:
    """Where the (first) short link in `text` leads."""
    code = SHORT.search(text).group(1)
    response = client.get(f"/s/{code}/")
    assert response.status_code == 302
    return response["Location"]


def test_reach_is_the_phone_for_sms_and_the_email_otherwise():
    order = sms_order(email="mei@example.com")
    assert (reach(order).channel, reach(order).address) == ("sms", PHONE)
    order.notify_by = Order.NotifyBy.EMAIL
    assert (reach(order).channel, reach(order).address) == ("email", "mei@example.com")


def test_a_phone_only_order_gets_placed_shipped_and_delivered_by_sms(client):
    order = ship_and_deliver(sms_order())
    assert [sms.phone for sms in console.outbox] == [PHONE] * 3
    assert [sms.template for sms in console.outbox] == [
        "SMS_ORDER_PLACED",
        "SMS_ORDER_SHIPPED",
        "SMS_ORDER_DELIVERED",
    ]
    rows = Message.objects.filter(about="order", about_id=order.pk)
    assert set(rows.values_list("channel", "recipient", "state")) == {("sms", PHONE, "sent")}
    assert sorted(rows.values_list("kind", flat=True)) == [
        "order.delivered",
        "order.placed",
        "order.shipped",
    ]
    assert mail.outbox == []
    shipped = console.outbox[1]
    # The template's values: the number, the courier's name, the tracking number, the code.
    code = shipped.params["code"]
    assert shipped.params == {
        "number": order.number,
        "courier": "顺丰速运",
        "tracking": "SF1234567890123",
        "code": code,
    }
    assert ShortLink.objects.filter(code=code).exists()
    assert follow_short_link(client, shipped.text).endswith(order.get_absolute_url())
    # The order's timeline says which messages went, as for email.
    assert order.events.filter(kind="email_sent").count() == 3


def test_zh_order_sms_are_chinese_though_the_active_language_is_english():
    with translation.override("en"):
        ship_and_deliver(sms_order("zh-hans"))
    texts = [sms.text for sms in console.outbox]
    assert texts[0].startswith("【景和制衣】订单") and "退订回TD" in texts[0]
    assert "顺丰速运" in texts[1] and "运单号SF1234567890123" in texts[1]
    assert "已送达" in texts[2]


def test_en_order_sms_are_english():
    with translation.override("zh-hans"):
        ship_and_deliver(sms_order("en"))
    texts = [sms.text for sms in console.outbox]
    assert all("Reply TD to stop" in text for text in texts)
    assert "SF Express" in texts[1] and "no. SF1234567890123" in texts[1]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_order_and_ticket_sms_fit_two_parts(language, settings):
    order = ship_and_deliver(sms_order(language))
    sign = settings.SMS_SIGN_NAME
    order.refresh_from_db()
    lengths = {
        kind: sms_length(build_order_sms(order, kind).text, sign)
        for kind in ("placed", "shipped", "delivered", "cancelled")
    }
    from support.services import open_ticket_from_care_check

    ticket = open_ticket_from_care_check(order)
    lengths |= {
        f"ticket.{kind}": sms_length(build_ticket_sms(ticket, kind).text, sign)
        for kind in ("opened", "staff_reply", "resolved")
    }
    assert {kind: n.parts <= 2 for kind, n in lengths.items()} == dict.fromkeys(lengths, True)
    # Without a link, one SMS.
    assert lengths["placed"].parts == lengths["delivered"].parts == 1


def test_a_stopped_phone_still_gets_its_order_notices():
    """Order notices are transactional: "TD" stops what we ask, not the parcel's news."""
    from followups.services import suppress

    suppress(PHONE, "unsubscribe")
    ship_and_deliver(sms_order())
    assert len(console.outbox) == 3


def test_a_ticket_about_an_sms_order_answers_by_sms_and_one_opened_by_email_stays_email():
    order = sms_order(email="mei@example.com")
    care = Ticket(email="mei@example.com", order=order, source=Ticket.Source.CARE_CHECK)
    no_email = Ticket(email="", order=order, source=Ticket.Source.WEB)
    by_email = Ticket(email="mei@example.com", order=order, source=Ticket.Source.WEB)
    assert reach_ticket(care).address == reach_ticket(no_email).address == PHONE
    assert (reach_ticket(by_email).channel, reach_ticket(by_email).address) == (
        "email",
        "mei@example.com",
    )


def test_a_staff_reply_reaches_the_sms_buyer_by_sms(client, settings, support_user):
    from support import services as support

    settings.SUPPORT_NOTIFY_EMAILS = ["staff@example.com"]
    order = sms_order()
    console.reset_outbox()
    with TestCase.captureOnCommitCallbacks(execute=True):
        ticket = support.open_ticket_from_care_check(order)
    mail.outbox.clear()
    console.reset_outbox()
    with TestCase.captureOnCommitCallbacks(execute=True):
        support.reply_to_ticket(ticket, "我们会给您换一件。", acting_user=support_user)
    [sms] = console.outbox
    assert sms.phone == PHONE and sms.template == "SMS_TICKET_REPLY"
    assert follow_short_link(client, sms.text).endswith(ticket.get_absolute_url())
    assert mail.outbox == []  # the buyer has no email
