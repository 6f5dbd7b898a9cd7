"""Follow-ups by SMS: every one of a phone-only order, the one-tap answer from the short link,
stopping by reply and by link, and the cap across email and SMS (console provider)."""

import json
import re

import pytest
from django.core import mail
from django.test import TestCase
from django.utils import translation

from followups.models import FollowUp, Suppression
from messaging.models import Message
from messaging.sms import console
from messaging.sms.length import sms_length
from orders.models import Order
from support import services as support

from ..orders.test_sms_messages import PHONE, follow_short_link, ship_and_deliver, sms_order
from .helpers import delivered_to, dispatch_and_send, make_due, sent_kinds, states

pytestmark = pytest.mark.django_db
TOKEN = "test-sms-webhook-token-3f9a1c"  # config/settings/test.py
SHORT = re.compile(r"https?://[^/\s]+(/s/[0-9A-Za-z]{10}/)")


@pytest.fixture(autouse=True)
def production_delays(settings):
    settings.FOLLOWUP_CARE_CHECK_MINUTES = 2 * 24 * 60
    settings.FOLLOWUP_REVIEW_REQUEST_MINUTES = 7 * 24 * 60
    settings.FOLLOWUP_REMINDER_MINUTES = 14 * 24 * 60
    settings.FOLLOWUP_MERGE_MINUTES = 7 * 24 * 60
    settings.FOLLOWUP_CAP, settings.FOLLOWUP_CAP_DAYS = 3, 30


def send_due(order, kind):
    make_due(FollowUp.objects.filter(order=order, kind=kind))
    return dispatch_and_send()


def follow_up_sms(kind):
    return [sms for sms in console.outbox if sms.template == kind]


def test_every_follow_up_of_a_phone_only_order_goes_by_sms(client, settings):
    settings.FOLLOWUP_CAP = 4  # the satisfaction question too, within the month
    order = ship_and_deliver(sms_order())
    rows = FollowUp.objects.filter(order=order)
    assert set(rows.values_list("email", "phone")) == {("", PHONE)}
    console.reset_outbox()
    for kind in ("care_check", "review_request", "reminder"):
        send_due(order, kind)
    assert sent_kinds(order) == ["care_check", "reminder", "review_request"]
    assert [sms.template for sms in console.outbox] == [
        "SMS_CARE_CHECK",
        "SMS_REVIEW_REQUEST",
        "SMS_REVIEW_REMINDER",
    ]
    assert all(sms.phone == PHONE for sms in console.outbox)
    messages = Message.objects.filter(about="followup")
    assert set(messages.values_list("channel", "recipient", "state")) == {("sms", PHONE, "sent")}
    # The review request's short link opens the order's review page.
    assert "/reviews/write/" in follow_short_link(client, console.outbox[1].text)
    # The satisfaction question after a ticket about it is resolved goes by SMS too.
    with TestCase.captureOnCommitCallbacks(execute=True):
        ticket = support.open_ticket_from_care_check(order)
    with TestCase.captureOnCommitCallbacks(execute=True):
        support.resolve_ticket(ticket)
    console.reset_outbox()
    make_due(FollowUp.objects.filter(ticket=ticket))
    dispatch_and_send()
    [question] = console.outbox
    assert question.template == "SMS_SATISFACTION" and question.phone == PHONE
    assert ticket.token in follow_short_link(client, question.text)
    assert mail.outbox == []


def test_the_care_check_is_answered_with_one_tap_from_the_sms_link(client):
    order = ship_and_deliver(sms_order())
    send_due(order, "care_check")
    [sms] = follow_up_sms("SMS_CARE_CHECK")
    page = follow_short_link(client, sms.text)
    row = FollowUp.objects.get(order=order, kind="care_check")
    # Opening it (as link previews and scanners do) only shows the question.
    response = client.get(page)
    assert response.status_code == 200 and b'value="all_good"' in response.content
    row.refresh_from_db()
    assert row.answer == ""
    response = client.post(page, {"answer": "all_good"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.answer == "all_good"


@pytest.mark.parametrize(
    ("provider", "body"),
    [
        ("aliyun", [{"phone_number": "13800138000", "content": "ＴＤ", "sign_name": "景和制衣"}]),
        ("tencent", {"mobile": "13800138000", "nationcode": "86", "text": " 退订 ", "time": 1}),
        ("aliyun", [{"phone_number": "13800138000", "content": "stop"}]),
        ("tencent", {"mobile": "13800138000", "nationcode": "86", "text": "t"}),
    ],
)
def test_a_reply_td_stops_follow_up_sms(client, provider, body):
    order = ship_and_deliver(sms_order())
    response = client.post(
        f"/messaging/sms/{provider}/replies/{TOKEN}/",
        json.dumps(body, ensure_ascii=False),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert Suppression.objects.get().phone == PHONE
    console.reset_outbox()
    send_due(order, "care_check")
    assert states(order)["care_check"] == "skipped"
    assert console.outbox == []


def test_a_reply_that_is_not_a_stop_changes_nothing(client):
    body = [{"phone_number": "13800138000", "content": "谢谢，衣服很好"}]
    response = client.post(
        f"/messaging/sms/aliyun/replies/{TOKEN}/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200
    assert not Suppression.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/messaging/sms/aliyun/replies/wrong-token-0000000000/",
        "/messaging/sms/nosuch/replies/" + TOKEN + "/",
        "/messaging/sms/aliyun/other/" + TOKEN + "/",
    ],
)
def test_the_webhook_refuses_another_token_provider_or_kind(client, path):
    body = [{"phone_number": "13800138000", "content": "TD"}]
    response = client.post(path, json.dumps(body), content_type="application/json")
    assert response.status_code == 404
    assert not Suppression.objects.exists()


def test_the_webhook_is_closed_without_a_token_set(client, settings):
    settings.SMS_WEBHOOK_TOKEN = ""
    response = client.post("/messaging/sms/aliyun/replies//", "[]", content_type="application/json")
    assert response.status_code == 404


def test_a_malformed_reply_push_is_400_and_changes_nothing(client):
    response = client.post(
        f"/messaging/sms/tencent/replies/{TOKEN}/", b"\xff{not json", content_type="text/plain"
    )
    assert response.status_code == 400
    assert not Suppression.objects.exists()


def test_the_stop_link_shows_a_button_and_stops_on_its_press(client):
    order = ship_and_deliver(sms_order())
    send_due(order, "care_check")
    [sms] = follow_up_sms("SMS_CARE_CHECK")
    stop = SHORT.findall(sms.text)[1]
    page = client.get(stop)["Location"]
    assert "/reviews/unsubscribe/" in page
    shown = client.get(page)
    assert shown.status_code == 200
    assert "text messages" in shown.content.decode() and "emails" not in shown.content.decode()
    assert not Suppression.objects.exists()  # opening is not stopping
    done = client.post(page).content.decode()
    assert Suppression.objects.get().phone == PHONE
    assert "no more follow-up text messages" in done
    send_due(order, "review_request")
    assert states(order)["review_request"] == "skipped"


def test_the_cap_counts_emails_and_sms_to_one_person():
    """A buyer who ordered by email, then gave the same email and a phone and chose SMS: three
    follow-ups in 30 days across both ways, not three each."""
    first = delivered_to("mei@example.com")
    send_due(first, "care_check")
    send_due(first, "review_request")
    assert len(mail.outbox) >= 2
    second = ship_and_deliver(sms_order(email="mei@example.com"))
    console.reset_outbox()
    # Two sent by email: the care check would leave no place for the review request to come.
    send_due(second, "care_check")
    assert states(second)["care_check"] == "skipped"
    assert "held back" in FollowUp.objects.get(order=second, kind="care_check").skip_reason
    send_due(second, "review_request")
    assert states(second)["review_request"] == "sent"  # the third: by SMS
    assert len(follow_up_sms("SMS_REVIEW_REQUEST")) == 1
    send_due(second, "reminder")
    assert states(second)["reminder"] == "skipped"  # a fourth would break the cap
    assert "3 follow-up" in FollowUp.objects.get(order=second, kind="reminder").skip_reason
    assert follow_up_sms("SMS_REVIEW_REMINDER") == []
    counted = Message.objects.filter(about="followup", state="sent")
    assert sorted(counted.values_list("channel", flat=True)) == ["email", "email", "sms"]


def test_the_cap_counts_sms_to_one_phone_across_orders(settings):
    settings.FOLLOWUP_CAP = 2
    first = ship_and_deliver(sms_order())
    second = ship_and_deliver(sms_order())
    send_due(first, "review_request")
    send_due(second, "review_request")
    send_due(first, "reminder")
    sent = Message.objects.filter(about="followup", state="sent", channel="sms")
    assert sent.count() == 2
    assert "skipped" in {states(first)["reminder"], states(second)["review_request"]}


def test_an_email_buyer_who_gave_a_phone_is_not_joined_to_others_by_it():
    """A phone given for the courier joins nobody (families share numbers): only a buyer
    reached by SMS is counted by phone."""
    from ..orders.helpers import BUYER

    order = delivered_to("li@example.com")
    assert FollowUp.objects.filter(order=order).values_list("phone", flat=True)[0] == ""
    assert Order.objects.get(pk=order.pk).phone == BUYER.phone


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_follow_up_sms_fit_two_parts_and_say_how_to_stop(language, settings):
    with translation.override("en" if language == "zh-hans" else "zh-hans"):
        order = ship_and_deliver(sms_order(language))
        for kind in ("care_check", "review_request", "reminder"):
            send_due(order, kind)
    texts = [sms.text for sms in console.outbox if sms.template.startswith("SMS_CARE")] + [
        sms.text for sms in console.outbox if "REVIEW" in sms.template
    ]
    assert len(texts) == 3
    for text in texts:
        assert sms_length(text.split("】", 1)[1], settings.SMS_SIGN_NAME).parts <= 2, text
        assert len(SHORT.findall(text)) == 2  # the answer and the stop link
        assert ("退订回TD" if language == "zh-hans" else "Reply TD to stop") in text


def test_follow_up_sms_of_a_zh_order_are_chinese_though_english_is_active():
    with translation.override("en"):
        order = ship_and_deliver(sms_order("zh-hans"))
        send_due(order, "care_check")
    [sms] = follow_up_sms("SMS_CARE_CHECK")
    assert "收到了吗" in sms.text and "退订回TD" in sms.text


def test_a_stopped_email_does_not_stop_sms_and_a_stopped_phone_not_email():
    from followups.services import suppress

    suppress("mei@example.com", Suppression.Reason.UNSUBSCRIBE)
    order = ship_and_deliver(sms_order(email="mei@example.com"))
    send_due(order, "care_check")
    assert states(order)["care_check"] == "sent"
    suppress(PHONE, Suppression.Reason.UNSUBSCRIBE)
    by_email = delivered_to("li@example.com")
    Order.objects.filter(pk=by_email.pk).update(phone=PHONE)
    send_due(by_email, "care_check")
    assert states(by_email)["care_check"] == "sent"
    assert Suppression.objects.count() == 2
