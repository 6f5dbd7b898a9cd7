"""The follow-up engine end to end: planning at delivery, dispatch, links, answers, figures."""

from datetime import timedelta

import pytest
from django.core import mail, signing
from django.db import transaction
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from followups import dispatch, figures, links, services
from followups.models import DispatcherRun, FollowUp, Suppression
from followups.tasks import dispatch_follow_ups
from messaging.models import Message
from messaging.services import sweep
from orders import services as order_services
from support.models import Ticket

from ..factories import VariantFactory
from ..orders.helpers import place
from ..reviews.helpers import delivered_order, review
from .helpers import delivered_to, dispatch_and_send, make_due, sent_kinds

pytestmark = pytest.mark.django_db

BUYER = "buyer@example.com"  # tests.orders.helpers.BUYER's address, stored lower-case


def test_the_schedule_for_one_delivery(settings):
    settings.FOLLOWUP_CARE_CHECK_MINUTES = 2 * 24 * 60
    settings.FOLLOWUP_REVIEW_REQUEST_MINUTES = 7 * 24 * 60
    settings.FOLLOWUP_REMINDER_MINUTES = 14 * 24 * 60
    order = delivered_order()
    rows = {row.kind: row for row in FollowUp.objects.filter(order=order)}
    assert set(rows) == {"care_check", "review_request", "reminder"}
    assert {k: (r.due_at - order.delivered_at) for k, r in rows.items()} == {
        "care_check": timedelta(days=2),
        "review_request": timedelta(days=7),
        "reminder": timedelta(days=14),
    }
    assert all(r.state == "planned" and r.email == BUYER for r in rows.values())
    # Nothing is due yet.
    assert dispatch_and_send().claimed == 0
    assert not mail.outbox


def test_rows_are_saved_in_the_delivering_transaction():
    order = place({VariantFactory(stock=2): 1})
    order_services.mark_shipped(order, carrier="SF", tracking_number="1")
    with pytest.raises(RuntimeError), transaction.atomic():
        order_services.mark_delivered(order)
        assert FollowUp.objects.filter(order=order).count() == 3  # planned with the delivery
        raise RuntimeError("roll back the delivery")
    assert not FollowUp.objects.exists()


@pytest.mark.parametrize("answer", ["all_good", "problem", None])
def test_the_same_review_request_whatever_the_care_check_answer(answer):
    order = delivered_to("b@example.com")
    quiet = delivered_to("quiet@example.com")  # never answers
    care = FollowUp.objects.get(order=order, kind="care_check")
    make_due(care)
    dispatch_and_send()
    if answer:
        services.answer_care_check(care, answer)
    planned = {
        k: d - order.delivered_at
        for k, d in FollowUp.objects.filter(order=order, state="planned").values_list(
            "kind", "due_at"
        )
    }
    assert planned == {
        "review_request": timedelta(minutes=7 * 24 * 60),
        "reminder": timedelta(minutes=14 * 24 * 60),
    }
    # Three weeks later both buyers got the same emails, whatever they answered.
    dispatch_and_send(now=timezone.now() + timedelta(days=21))
    assert sent_kinds(order) == sent_kinds(quiet) == ["care_check", "reminder", "review_request"]


def test_dispatch_sends_each_due_row_once_with_unsubscribe_headers():
    order = delivered_order()
    make_due(FollowUp.objects.filter(order=order, kind="care_check"))
    result = dispatch_and_send()
    assert (result.claimed, result.sent, result.emails) == (1, 1, 1)
    assert dispatch_and_send().sent == 0
    [email] = mail.outbox
    assert email.to == [BUYER] and order.number in email.subject
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = email.extra_headers["List-Unsubscribe"]
    assert one_click.startswith("<http://") and one_click.endswith("/one-click/>")
    # The addresses of emails already sent keep working (bookmarks and old emails).
    assert "/reviews/care/" in email.body and "/reviews/unsubscribe/" in email.body
    assert "/reviews/care/" in email.alternatives[0][0]
    row = FollowUp.objects.get(order=order, kind="care_check")
    assert row.state == "sent" and row.sent_at is not None and row.merged_into is None


def test_review_request_lists_the_lines_and_carries_the_signed_review_link():
    order = delivered_order()
    make_due(FollowUp.objects.filter(order=order, kind="review_request"))
    dispatch_and_send()
    [email] = mail.outbox
    for line in order.lines.all():
        assert f"{line.product_name} ({line.size}, {line.colour})" in email.body
    link = next(word for word in email.body.split() if "/reviews/write/" in word)
    path = link.split("127.0.0.1:8000", 1)[-1]
    page = Client().get(path)
    assert page.status_code == 200 and page.context["order"] == order


def test_cap_of_three_emails_in_30_days_across_orders_and_tickets(support_user):
    from support import services as support_services

    order = delivered_to(BUYER)
    for kind in ("care_check", "review_request", "reminder"):  # each at its own time
        make_due(FollowUp.objects.filter(order=order, kind=kind))
        assert dispatch_and_send().emails == 1
    ticket = support_services.open_ticket(email=BUYER, name="Mei", topic="other", body="Hi")
    support_services.resolve_ticket(ticket, acting_user=support_user)
    question = FollowUp.objects.get(ticket=ticket)
    make_due(question)
    assert dispatch_and_send().skipped == 1
    question.refresh_from_db()
    assert question.state == "skipped"
    assert question.skip_reason == "3 follow-up emails already sent to this address in 30 days"
    assert len(mail.outbox) == 3
    # 31 days later the window is free again: a new order's care check goes.
    month_ago = timezone.now() - timedelta(days=31)
    FollowUp.objects.filter(state="sent").update(sent_at=month_ago)
    Message.objects.filter(kind__startswith="followup.").update(sent_at=month_ago)
    later = delivered_to(BUYER)
    make_due(FollowUp.objects.filter(order=later, kind="care_check"))
    assert dispatch_and_send().emails == 1 and mail.outbox[-1].to == [BUYER]


def test_a_review_stops_the_reminder_and_the_request():
    order = delivered_order()
    review(order.lines.first())
    make_due(FollowUp.objects.filter(order=order))
    dispatch_and_send()
    rows = {r.kind: r for r in FollowUp.objects.filter(order=order)}
    assert rows["care_check"].state == "sent"
    assert rows["review_request"].state == rows["reminder"].state == "skipped"
    assert rows["reminder"].skip_reason == "already reviewed"
    assert len(mail.outbox) == 1


def test_unsubscribe_and_bounce_stop_the_sequence():
    unsubscribed = delivered_to(BUYER)
    services.suppress("BUYER@example.com", Suppression.Reason.UNSUBSCRIBE)
    make_due(FollowUp.objects.filter(order=unsubscribed))
    dispatch_and_send()
    assert sent_kinds(unsubscribed) == []
    assert set(
        FollowUp.objects.filter(order=unsubscribed).values_list("skip_reason", flat=True)
    ) == {"address unsubscribed"}
    bounced = delivered_to("gone@example.com")
    assert services.record_bounce("gone@example.com") is True
    assert services.record_bounce("GONE@example.com") is False  # one row per address
    make_due(FollowUp.objects.filter(order=bounced))
    dispatch_and_send()
    assert sent_kinds(bounced) == [] and not mail.outbox
    assert set(FollowUp.objects.filter(order=bounced).values_list("skip_reason", flat=True)) == {
        "address bounced"
    }


def test_problem_opens_a_ticket_with_the_order_and_lands_on_it(client):
    order = delivered_order()
    row = FollowUp.objects.get(order=order, kind="care_check")
    url = reverse("followups:care_check", args=[links.answer_token(row)])
    assert url.startswith("/reviews/care/")
    page = client.get(url).content.decode()
    assert "All good" in page and "There is a problem" in page
    row.refresh_from_db()
    assert row.answered_at is None  # opening the link changes nothing
    response = client.post(url, {"answer": "problem"})
    ticket = Ticket.objects.get()
    assert response["Location"] == ticket.get_absolute_url()
    assert (ticket.order, ticket.source, ticket.priority) == (order, "care_check", "high")
    again = client.post(url, {"answer": "all_good"}, follow=True)
    assert "already have your answer" in again.content.decode()
    row.refresh_from_db()
    assert row.answer == "problem" and Ticket.objects.count() == 1
    assert ticket.get_absolute_url() in client.get(url).content.decode()  # "follow it here"


def test_all_good_is_recorded_and_thanked(client):
    order = delivered_order()
    row = FollowUp.objects.get(order=order, kind="care_check")
    url = reverse("followups:care_check", args=[links.answer_token(row)])
    page = client.post(url, {"answer": "all_good"}, follow=True).content.decode()
    assert "glad it arrived well" in page and "You told us all is good" in page
    assert not Ticket.objects.exists()
    row.refresh_from_db()
    assert row.answer == "all_good" and row.answered_at is not None


@pytest.mark.parametrize("kind", ["forged", "expired", "other-order", "not-a-care-check"])
def test_bad_answer_links_are_refused_and_change_nothing(client, kind, settings):
    order, other = delivered_order(), delivered_order()
    row = FollowUp.objects.get(order=order, kind="care_check")
    if kind == "forged":
        token = "abc.def"
    elif kind == "expired":
        token = links.answer_token(row)
        settings.FOLLOWUP_LINK_DAYS = -1
    elif kind == "other-order":
        token = signing.dumps({"f": row.pk, "o": other.pk}, salt=links.ANSWER_SALT, compress=True)
    else:
        token = links.answer_token(FollowUp.objects.get(order=order, kind="review_request"))
    response = client.post(reverse("followups:care_check", args=[token]), {"answer": "problem"})
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    assert not FollowUp.objects.filter(answered_at__isnull=False).exists()
    assert not Ticket.objects.exists()


def test_unsubscribe_page_one_click_and_bad_tokens(client):
    token = links.unsubscribe_token("Buyer@Example.com")
    page_url = reverse("followups:unsubscribe", args=[token])
    one_click = reverse("followups:unsubscribe_one_click", args=[token])
    assert (page_url, one_click) == (f"/reviews/unsubscribe/{token}/", f"{page_url}one-click/")
    assert "Unsubscribe" in client.get(page_url).content.decode()
    assert client.get(one_click).status_code == 200  # a GET (mail scanner) only shows the page
    assert not Suppression.objects.exists()
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post(one_click, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Suppression.objects.get().email == BUYER
    # Used again: still fine, nothing more written.
    assert csrf_client.post(one_click, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert "gets no more follow-up emails" in client.post(page_url).content.decode()
    assert Suppression.objects.count() == 1
    assert csrf_client.post(one_click, {"List-Unsubscribe": "Yes"}).status_code == 400
    forged = reverse("followups:unsubscribe_one_click", args=["forged"])
    assert client.post(forged, {"List-Unsubscribe": "One-Click"}).status_code == 400
    assert client.post(reverse("followups:unsubscribe", args=["forged"])).status_code == 400
    assert Suppression.objects.count() == 1


def test_a_send_that_raises_is_retried_by_messaging_then_failed_and_retried_by_the_owner(
    settings,
):
    settings.EMAIL_BACKEND = "tests.followups.failing_backend.FailingBackend"
    settings.MESSAGING_MAX_ATTEMPTS = 3
    order = delivered_order()
    row = FollowUp.objects.get(order=order, kind="care_check")
    make_due(row)
    assert dispatch_and_send().sent == 1
    row.refresh_from_db()
    message = row.message
    assert (row.state, message.state, message.attempts) == ("sending", "queued", 1)
    assert message.last_error == "ConnectionRefusedError: SMTP is down"
    assert dispatch_and_send().claimed == 0  # the dispatcher does not send it again: messaging does
    for attempt in (2, 3):
        message.refresh_from_db()
        assert sweep(now=message.next_attempt_at) == 0
        assert Message.objects.get(pk=message.pk).attempts == attempt
    message.refresh_from_db()
    row.refresh_from_db()
    assert (message.state, message.attempts) == ("failed", 3)
    assert (row.state, row.attempts, row.last_error) == ("failed", 3, message.last_error)
    assert dispatch_and_send().claimed == 0  # not repeated forever
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    dispatch.retry_failed(row)
    assert dispatch_and_send().sent == 1
    row.refresh_from_db()
    assert row.state == "sent" and row.message.key == f"followup:{row.pk}:after:{message.pk}"
    [email] = mail.outbox
    assert order.number in email.subject
    message.refresh_from_db()
    assert message.state == "failed"  # the failed attempt stays on record
    with pytest.raises(dispatch.FollowUpError):
        dispatch.retry_failed(row)  # only a failed row


def test_rows_whose_outcome_signal_was_lost_catch_up_and_others_keep_sending():
    """A worker died between messaging's write and ours: the next run copies the outcome."""
    order, other = delivered_order(), delivered_to("li@example.com")
    make_due(FollowUp.objects.filter(order=order).exclude(kind="reminder"))
    make_due(FollowUp.objects.filter(order=other, kind="care_check"))
    assert dispatch.dispatch().emails == 3  # queued; no send task runs here
    rows = {r.kind: r for r in FollowUp.objects.filter(order=order)}
    sent_at = timezone.now()
    Message.objects.filter(pk=rows["care_check"].message_id).update(
        state="sent", attempts=1, sent_at=sent_at
    )
    Message.objects.filter(pk=rows["review_request"].message_id).update(
        state="failed", attempts=5, last_error="ConnectionRefusedError: SMTP is down"
    )
    assert dispatch.dispatch().claimed == 0
    assert dict(FollowUp.objects.filter(order=order).values_list("kind", "state")) == {
        "care_check": "sent",
        "review_request": "failed",
        "reminder": "planned",
    }
    rows = {r.kind: r for r in FollowUp.objects.filter(order=order)}
    assert rows["care_check"].sent_at == sent_at
    assert rows["review_request"].last_error == "ConnectionRefusedError: SMTP is down"
    # Still queued in messaging: still sending.
    assert FollowUp.objects.get(order=other, kind="care_check").state == "sending"


def test_funnel_figures_on_known_numbers():
    orders = [delivered_to(f"b{n}@example.com") for n in range(4)]
    make_due(FollowUp.objects.filter(kind="care_check"))
    make_due(FollowUp.objects.filter(kind="review_request", order__in=orders[:3]))
    dispatch_and_send()
    rows = list(FollowUp.objects.filter(kind="care_check").order_by("order_id"))
    services.answer_care_check(rows[0], "all_good")
    services.answer_care_check(rows[1], "problem")
    review(orders[0].lines.first())
    funnel = figures.funnel()
    assert {s["key"]: (s["count"], s["rate"]) for s in funnel["steps"]} == {
        "delivered": (4, None),
        "care_sent": (4, 100),
        "care_answered": (2, 50),
        "requests_sent": (3, 75),
        "reviewed": (1, 33),
    }
    assert funnel["problems"] == 1


def test_owner_sees_follow_ups_on_the_order_and_the_health_panel(owner_client, settings):
    settings.EMAIL_BACKEND = "tests.followups.failing_backend.FailingBackend"
    settings.MESSAGING_MAX_ATTEMPTS = 1
    order = delivered_order()
    make_due(FollowUp.objects.filter(order=order, kind="care_check"))
    dispatch_and_send()
    page = owner_client.get(order.get_manage_url()).content.decode()
    assert 'id="follow-ups"' in page
    assert all(text in page for text in ("Care check", "Review request", "Failed"))
    panel = owner_client.get(reverse("followups:dashboard"))
    assert panel.request["PATH_INFO"] == "/manage/follow-ups/"
    assert "SMTP is down" in panel.content.decode() and "Retry" in panel.content.decode()
    row = FollowUp.objects.get(state="failed")
    response = owner_client.post(reverse("followups:retry", args=[row.pk]))
    assert response["Location"] == "/manage/follow-ups/"
    row.refresh_from_db()
    assert row.state == "planned"
    assert Client().get(reverse("followups:dashboard")).status_code == 302


def test_the_manage_menu_links_the_follow_ups_page(owner_client):
    page = owner_client.get(reverse("followups:dashboard")).content.decode()
    assert '<a href="/manage/follow-ups/" aria-current="page">' in page


def test_healthz_reports_the_dispatcher(client):
    assert client.get("/healthz").json()["dispatcher_last_run"] is None
    dispatch_and_send()
    run = DispatcherRun.objects.get()
    assert client.get("/healthz").json()["dispatcher_last_run"] == run.started_at.isoformat()


@pytest.mark.parametrize("orders, dispatchers", [(2, 1), (3, 3)])
def test_beat_run_fans_out_only_for_a_backlog(settings, orders, dispatchers):
    settings.FOLLOWUP_BATCH = 6
    settings.FOLLOWUP_DISPATCHERS = 3
    for i in range(orders):
        delivered_to(f"buyer{i}@example.com")
    make_due(FollowUp.objects.all())
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        dispatch_follow_ups.delay()
    # 6 due rows fit one batch: beat's dispatcher alone. 9 rows are a backlog: it queues two
    # more (eager Celery runs them at once), which do not fan out again.
    assert DispatcherRun.objects.count() == dispatchers
    assert len(mail.outbox) == 3 * orders
    assert len({(m.to[0], m.subject) for m in mail.outbox}) == 3 * orders
    assert FollowUp.objects.filter(state="sent").count() == 3 * orders


@pytest.mark.parametrize(
    "record_type, kind, reason",
    [("Bounce", "HardBounce", "bounce"), ("SpamComplaint", "SpamComplaint", "complaint")],
)
def test_the_providers_bounce_or_complaint_stops_the_follow_ups(
    client, settings, record_type, kind, reason
):
    import base64
    import json

    secret = "postmark:s3cret-webhook-password"
    settings.ANYMAIL = {"WEBHOOK_SECRET": secret}
    order = delivered_to("mei@example.com")
    report = {
        "RecordType": record_type,
        "ID": 4323372036854775807,
        "Type": kind,
        "Email": "Mei@Example.com",
        "BouncedAt": "2026-11-30T10:15:00Z",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
    }
    response = client.post(
        "/messaging/anymail/postmark/tracking/",
        json.dumps(report),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(secret.encode()).decode(),
    )
    assert response.status_code == 200
    assert list(Suppression.objects.values_list("email", "reason")) == [("mei@example.com", reason)]
    make_due(FollowUp.objects.filter(order=order))
    dispatch_and_send()
    assert sent_kinds(order) == [] and not mail.outbox


@pytest.mark.parametrize("then", ["answered", "closed", "reopened", "nothing"])
def test_was_this_solved_is_asked_only_while_support_still_waits_for_the_answer(then):
    from support import services as support_services

    ticket = support_services.open_ticket(email=BUYER, name="Mei", topic="other", body="Hi")
    support_services.resolve_ticket(ticket)
    if then == "answered":  # through an earlier email's link, say
        support_services.answer_satisfaction(ticket, solved=True)
    elif then == "closed":
        support_services.close_ticket(ticket)
    elif then == "reopened":
        support_services.reopen_ticket(ticket)
    make_due(FollowUp.objects.filter(ticket=ticket))
    dispatch_and_send()
    row = FollowUp.objects.get(ticket=ticket)
    if then == "nothing":
        assert (
            row.state == "sent" and mail.outbox[0].subject == f"[{ticket.number}] Was this solved?"
        )
    else:
        assert (row.state, row.skip_reason) == ("skipped", "ticket reopened or already answered")
        assert not mail.outbox
