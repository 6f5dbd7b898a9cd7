"""Every message about an order or a ticket is written in the language it was made in, whoever
triggers it: here the buyer ordered (or wrote) in Chinese and an English-speaking owner acts.

One test per message kind: its subject and its text and HTML bodies contain Chinese, and none of
the English template's own sentences.
"""

import re
import secrets
from dataclasses import replace

import pytest
from django.utils import translation

from followups.models import FollowUp
from messaging.models import Message
from orders import services as order_services
from support import services as support_services

from ..factories import UserFactory, VariantFactory
from ..followups.helpers import dispatch_and_send, make_due
from ..orders.helpers import BUYER

pytestmark = pytest.mark.django_db

HAN = re.compile(r"[\u4e00-\u9fff]")


def place(language: str, *, email: str = BUYER.email):
    return order_services.place_order(
        {VariantFactory(stock=5).pk: 1},
        replace(BUYER, email=email),
        payment_method="cod",
        checkout_key=secrets.token_urlsafe(16),
        language=language,
    )


def delivered(language: str, *, email: str = BUYER.email):
    order = place(language, email=email)
    with translation.override("en"):
        order_services.mark_shipped(order, carrier="SF", tracking_number="SF1")
        return order_services.mark_delivered(order)


def the_message(kind: str) -> Message:
    [message] = Message.objects.filter(kind=kind)
    return message


def assert_chinese(message: Message, *english: str) -> None:
    """Subject, text and HTML are Chinese and carry none of `english` (the English template's
    own sentences) nor the English greeting."""
    assert message.language == "zh-hans"
    for part in (message.subject, message.text, message.html):
        assert HAN.search(part), part
        for sentence in (*english, "Hello "):
            assert sentence not in part, (sentence, part)


# ----------------------------------------------------------------- orders
def test_order_placed_email_is_chinese_for_a_chinese_order():
    with translation.override("en"):  # placed by a request in Chinese, the worker is English
        order = place("zh-hans")
    assert order.language == "zh-hans"
    assert_chinese(
        the_message("order.placed"),
        "Thank you: we have your order",
        "received",
        "Pay the courier in cash",  # the payment instructions, made in Python
        "Track your order",
        "Total",
    )
    assert "¥" in the_message("order.placed").text
    assert "CN¥" not in the_message("order.placed").text


def test_order_shipped_email_is_chinese_when_an_english_owner_ships():
    order = place("zh-hans")
    with translation.override("en"):
        order_services.mark_shipped(
            order, carrier="SF Express", tracking_number="SF1", acting_user=UserFactory()
        )
    shipped = the_message("order.shipped")
    assert_chinese(shipped, "left the workshop", "is on its way", "Your order's page")
    # The courier as the buyer knows it, not as the English owner's list stored it.
    assert "顺丰速运" in shipped.text and "顺丰速运" in shipped.html
    assert "SF Express" not in shipped.text


def test_order_delivered_email_is_chinese():
    delivered("zh-hans")
    assert_chinese(the_message("order.delivered"), "was delivered", "If anything is not right")


def test_order_cancelled_email_is_chinese():
    order = place("zh-hans")
    with translation.override("en"):
        order_services.cancel_order(order, reason="缺货", acting_user=UserFactory())
    assert_chinese(the_message("order.cancelled"), "was cancelled")


def test_an_order_in_english_stays_english_while_chinese_is_active():
    with translation.override("zh-hans"):
        place("en")
    message = the_message("order.placed")
    assert message.language == "en"
    assert "Thank you: we have your order" in message.text and not HAN.search(message.subject)


# ----------------------------------------------------------------- tickets
def chinese_ticket():
    with translation.override("en"):
        return support_services.open_ticket(
            email="mei@example.com",
            name="李伟",
            topic="size",
            body="尺码偏小，可以换吗？",
            language="zh-hans",
        )


def test_ticket_opened_email_is_chinese_and_staff_get_the_shop_language(support_user):
    ticket = chinese_ticket()
    assert ticket.language == "zh-hans"
    assert_chinese(
        the_message("ticket.opened"),
        "We got your message",
        "will answer",
        "Your conversation with us",
    )
    # Staff read the shop's language (English in the test settings), whatever the buyer's.
    staff = the_message("ticket.staff_new")
    assert staff.language == "en" and " opened " in staff.text


def test_ticket_staff_reply_email_is_chinese(support_user):
    ticket = chinese_ticket()
    with translation.override("en"):
        support_services.reply_to_ticket(ticket, "可以，请寄回。", acting_user=support_user)
    assert_chinese(
        the_message("ticket.staff_reply"), "A reply from", "Answer or read the whole conversation"
    )


def test_ticket_resolved_email_is_chinese(support_user):
    ticket = chinese_ticket()
    with translation.override("en"):
        support_services.resolve_ticket(ticket, acting_user=support_user)
    assert_chinese(the_message("ticket.resolved"), "Marked as solved", "We marked your request")


def test_staff_emails_follow_the_shop_language_not_the_ticket(settings, support_user):
    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("en"):
        support_services.open_ticket(
            email="sam@example.com", name="Sam", topic="size", body="Too small", language="en"
        )
    staff = the_message("ticket.staff_new")
    assert staff.language == "zh-hans" and HAN.search(staff.subject)
    assert the_message("ticket.opened").language == "en"


def test_a_care_check_problem_opens_the_ticket_in_the_order_language():
    order = delivered("zh-hans")
    with translation.override("en"):
        ticket = support_services.open_ticket_from_care_check(order)
    assert ticket.language == "zh-hans"
    assert HAN.search(ticket.subject) and "Care check" not in ticket.subject


# ----------------------------------------------------------------- follow-ups
def follow_up(order, kind: str) -> Message:
    make_due(FollowUp.objects.filter(order=order, kind=kind))
    with translation.override("en"):
        dispatch_and_send()
    return the_message(f"followup.{kind}")


def test_care_check_email_is_chinese():
    order = delivered("zh-hans")
    assert_chinese(
        follow_up(order, "care_check"),
        "arrive well",
        "arrived a couple of days ago",
        "Tell us",
        "Stop these emails",
        "Unsubscribe from these emails",
    )


def test_review_request_email_is_chinese():
    order = delivered("zh-hans")
    assert_chinese(
        follow_up(order, "review_request"),
        "How do you find your garments",
        "Would you review",
        "Write a review",
    )


def test_reminder_email_is_chinese():
    order = delivered("zh-hans")
    follow_up(order, "care_check")  # the reminder waits for the earlier rows of its order
    follow_up(order, "review_request")
    assert_chinese(
        follow_up(order, "reminder"), "A last word about", "This is the only reminder we send"
    )


def test_satisfaction_email_is_chinese(support_user):
    ticket = chinese_ticket()
    support_services.resolve_ticket(ticket, acting_user=support_user)
    make_due(FollowUp.objects.filter(ticket=ticket))
    with translation.override("en"):
        dispatch_and_send()
    assert_chinese(the_message("followup.satisfaction"), "Was this solved", "We marked your")


@pytest.mark.parametrize(("first", "latest"), [("en", "zh-hans"), ("zh-hans", "en")])
def test_a_merged_follow_up_is_in_the_latest_order_language(first, latest):
    earlier = delivered(first, email="mei@example.com")
    later = delivered(latest, email="mei@example.com")
    make_due(FollowUp.objects.filter(order__in=[earlier, later], kind="care_check"))
    dispatch_and_send()
    [message] = Message.objects.filter(kind="followup.care_check")
    assert earlier.number in message.text and later.number in message.text  # one email, merged
    assert message.language == latest
