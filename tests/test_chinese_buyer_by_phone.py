"""A buyer in China with only a mobile number, end to end through the real pages: checkout with a
Chinese address chosen from the lists, the owner ships and delivers from /manage/, and every
message, order notice and follow-up alike, goes by SMS (console provider), in Chinese, with a
one-tap care-check answer from the SMS's short link. Joins issue 13's parts: checkout (phones,
regions), couriers, the SMS channel, follow-ups."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from followups.models import FollowUp
from messaging.models import Message
from messaging.sms import console
from orders.models import Order

from .followups.test_sms_followups import send_due
from .orders.test_phone_checkout import CN, start
from .orders.test_sms_messages import follow_short_link

pytestmark = pytest.mark.django_db


def test_a_phone_only_chinese_buyer_orders_and_hears_everything_by_sms(
    owner_client, shop_profile, django_capture_on_commit_callbacks
):
    from decimal import Decimal

    from .factories import ProductFactory, VariantFactory

    variant = VariantFactory(
        product=ProductFactory(name="亚麻衬衫", price=Decimal("189.00")), stock=3
    )
    buyer = Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    key = start(buyer, variant)
    with django_capture_on_commit_callbacks(execute=True):
        placed = buyer.post(reverse("orders:checkout"), {**CN, "checkout_key": key})
    assert placed.status_code == 302
    order = Order.objects.get()
    assert (order.email, order.phone, order.notify_by, order.language) == (
        "",
        "+8613800138000",
        "sms",
        "zh-hans",
    )
    assert (order.region, order.city, order.district) == ("湖北省", "宜昌市", "西陵区")

    # The owner works in English, and is told the buyer gets an SMS, not an email.
    page = owner_client.get(order.get_manage_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Mark shipped and text the buyer" in page
    with django_capture_on_commit_callbacks(execute=True):
        shipped = owner_client.post(
            reverse("orders_manage:order_action", args=[order.pk, "ship"]),
            {"carrier": "sf", "tracking_number": "SF1234567890123"},
            HTTP_ACCEPT_LANGUAGE="en",
            follow=True,
        )
    assert "Marked shipped; the buyer gets an SMS." in shipped.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("orders_manage:order_action", args=[order.pk, "deliver"]))

    notices = [sms.template for sms in console.outbox]
    assert notices == ["SMS_ORDER_PLACED", "SMS_ORDER_SHIPPED", "SMS_ORDER_DELIVERED"]
    shipped_sms = console.outbox[1]
    assert "顺丰速运" in shipped_sms.text and "SF1234567890123" in shipped_sms.text
    # The shipped SMS's link opens the buyer's tracking page, which links the courier's page.
    tracking = buyer.get(follow_short_link(buyer, shipped_sms.text)).content.decode()
    assert "www.sf-express.com" in tracking and "SF1234567890123" in tracking

    # The care check by SMS, answered with one tap on the page its short link opens.
    console.reset_outbox()
    send_due(order, "care_check")
    [care] = console.outbox
    assert care.template == "SMS_CARE_CHECK" and "退订回TD" in care.text
    answer_page = follow_short_link(buyer, care.text)
    assert buyer.post(answer_page, {"answer": "all_good"}).status_code == 302
    assert FollowUp.objects.get(order=order, kind="care_check").answer == "all_good"

    # Nothing went by email, and every message row is an SMS to the buyer's phone.
    assert mail.outbox == []
    assert set(Message.objects.values_list("channel", "recipient")) == {("sms", "+8613800138000")}
