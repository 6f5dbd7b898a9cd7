"""Follow-up emails go through messaging: one Message row per email, sent and retried by
messaging, its outcome shown on the owner's pages, Retry through the dispatcher again."""

import pytest
from django.core import mail
from django.urls import reverse

from followups import cap, dispatch, emails
from followups.models import DispatcherRun, FollowUp
from messaging.models import Message
from messaging.services import sweep
from reviews.services import review_token

from ..reviews.helpers import delivered_order
from .helpers import delivered_to, dispatch_and_send, make_due

pytestmark = pytest.mark.django_db

BUYER = "buyer@example.com"


def follow_up_messages():
    return Message.objects.filter(kind__startswith="followup.")


def test_a_follow_up_email_is_one_message_with_its_key_headers_and_the_buyers_links(settings):
    order = delivered_order()
    later = delivered_to(BUYER, days_later=1)  # its care check joins the first order's
    make_due(FollowUp.objects.filter(order=order, kind="care_check"))
    result = dispatch_and_send()
    assert (result.sent, result.emails) == (2, 1)
    [message] = follow_up_messages()
    lead = FollowUp.objects.get(order=order, kind="care_check")
    joined = FollowUp.objects.get(order=later, kind="care_check")
    assert (message.key, message.kind, message.recipient) == (
        f"followup:{lead.pk}",
        "followup.care_check",
        BUYER,
    )
    assert (message.about, message.about_id, message.state) == ("followup", lead.pk, "sent")
    assert message.language == settings.LANGUAGE_CODE == "en"
    assert lead.message == joined.message == message
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.headers["List-Unsubscribe"].endswith("/one-click/>")
    # Both orders' care-check links, and the unsubscribe page, in the text and the HTML.
    for part in (message.text, message.html):
        assert part.count("/reviews/care/") == 2 and "/reviews/unsubscribe/" in part
    # What went out is that row, as messaging's channel sends every message.
    [email] = mail.outbox
    assert (email.subject, email.body) == (message.subject, message.text)
    assert email.extra_headers["List-Unsubscribe"] == message.headers["List-Unsubscribe"]
    assert email.extra_headers["Message-ID"] == message.provider_id


def test_a_review_request_message_carries_the_signed_review_link():
    order = delivered_order()
    make_due(FollowUp.objects.filter(order=order, kind="review_request"))
    dispatch_and_send()
    [message] = follow_up_messages()
    assert message.kind == "followup.review_request"
    assert reverse("reviews:write", args=[review_token(order)]) in message.text


def test_the_sender_is_the_shop_by_name(shop_profile):
    type(shop_profile).objects.filter(pk=shop_profile.pk).update(name="Yichang Shirts")
    order = delivered_order()
    make_due(FollowUp.objects.filter(order=order, kind="care_check"))
    dispatch_and_send()
    assert follow_up_messages().get().sender == "Yichang Shirts <shop@localhost>"


def test_the_dispatcher_run_twice_queues_one_message_sent_once(shop_profile):
    order = delivered_order()
    make_due(FollowUp.objects.filter(order=order, kind="care_check"))
    lead = FollowUp.objects.get(order=order, kind="care_check")  # as the dispatcher reads it
    # The send task is lost (the broker was down at commit): no commit callback runs here.
    assert dispatch.dispatch().emails == 1
    assert dispatch.dispatch().claimed == 0  # the row is messaging's now
    [message] = follow_up_messages()
    # The same email queued again under its key is the same row, and nothing more is sent.
    again = emails.queue_follow_up_email(
        cap.Message([lead]), emails.build_follow_up_email(lead, shop_profile)
    )
    assert again.pk == message.pk and follow_up_messages().count() == 1
    # Messaging's sweep sends it once the task's grace is over (the order's emails too).
    assert sweep(now=message.next_attempt_at) == 4
    assert sweep(now=message.next_attempt_at) == 0
    assert [m.subject for m in mail.outbox].count(message.subject) == 1
    lead.refresh_from_db()
    assert lead.state == "sent" and lead.sent_at is not None and lead.message == message


def test_a_failing_backend_retries_the_message_then_the_owner_sees_it_failed_and_retries(
    owner_client, settings
):
    settings.EMAIL_BACKEND = "tests.followups.failing_backend.FailingBackend"
    settings.MESSAGING_MAX_ATTEMPTS = 2
    order = delivered_order()
    make_due(FollowUp.objects.filter(order=order, kind="care_check"))
    dispatch_and_send()
    [message] = follow_up_messages()
    assert (message.state, message.attempts) == ("queued", 1)  # messaging retries it
    row = FollowUp.objects.get(order=order, kind="care_check")
    assert row.state == "sending"
    assert sweep(now=message.next_attempt_at) == 0
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("failed", 2)
    assert message.last_error == "ConnectionRefusedError: SMTP is down"

    order_page = owner_client.get(order.get_manage_url()).content.decode()
    care = order_page[order_page.index("Care check") :].split("</tr>")[0]
    assert "Failed" in care and "SMTP is down" in care
    panel = owner_client.get(reverse("followups:dashboard")).content.decode()
    assert "ConnectionRefusedError: SMTP is down (2×)" in panel
    assert reverse("followups:retry", args=[row.pk]) in panel

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = owner_client.post(reverse("followups:retry", args=[row.pk]))
    assert response["Location"] == "/manage/follow-ups/"
    assert dispatch_and_send().emails == 1
    [email] = mail.outbox
    assert order.number in email.subject and email.to == [BUYER]
    row.refresh_from_db()
    assert row.state == "sent" and row.last_error == ""
    assert list(follow_up_messages().order_by("id").values_list("state", flat=True)) == [
        "failed",
        "sent",
    ]
    panel = owner_client.get(reverse("followups:dashboard")).content.decode()
    assert "SMTP is down" not in panel and "Nothing failed." in panel


def test_retry_plans_every_row_of_a_failed_merged_email_again(settings):
    settings.EMAIL_BACKEND = "tests.followups.failing_backend.FailingBackend"
    settings.MESSAGING_MAX_ATTEMPTS = 1
    order = delivered_order()
    later = delivered_to(BUYER, days_later=1)
    make_due(FollowUp.objects.filter(order=order, kind="care_check"))
    dispatch_and_send()
    rows = FollowUp.objects.filter(kind="care_check")
    assert set(rows.values_list("state", flat=True)) == {"failed"}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    dispatch.retry_failed(rows.get(order=later))  # the row that joined the email
    assert set(rows.values_list("state", flat=True)) == {"planned"}
    dispatch_and_send()
    [email] = mail.outbox
    assert order.number in email.body and later.number in email.body
    assert set(rows.values_list("state", flat=True)) == {"sent"}


def test_an_email_that_cannot_be_put_together_fails_alone(monkeypatch):
    broken = delivered_to("broken@example.com")
    fine = delivered_to("fine@example.com")
    make_due(FollowUp.objects.filter(order__in=[broken, fine], kind="care_check"))
    real = emails.build_follow_up_email

    def build(row, *args, **kwargs):
        if row.order_id == broken.pk:
            raise ValueError("a template's bug")
        return real(row, *args, **kwargs)

    monkeypatch.setattr(dispatch, "build_follow_up_email", build)
    result = dispatch_and_send()
    assert (result.sent, result.failed, result.emails) == (1, 1, 1)
    row = FollowUp.objects.get(order=broken, kind="care_check")
    assert (row.state, row.last_error, row.message) == (
        "failed",
        "ValueError: a template's bug",
        None,
    )
    assert [m.to for m in mail.outbox] == [["fine@example.com"]]
    assert DispatcherRun.objects.get().failed == 1
