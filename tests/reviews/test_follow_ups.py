from datetime import timedelta

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders import services as order_services
from reviews import followups
from reviews.models import FollowUp, Suppression
from support.models import Ticket

from ..factories import VariantFactory
from ..orders.helpers import BUYER, place
from .helpers import delivered_order, review

pytestmark = pytest.mark.django_db


def make_due(*rows_or_qs):
    FollowUp.objects.filter(state="planned").update(due_at=timezone.now() - timedelta(seconds=1))


def sent_kinds(order):
    return sorted(FollowUp.objects.filter(order=order, state="sent").values_list("kind", flat=True))


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
    assert all(r.state == "planned" and r.email == "buyer@example.com" for r in rows.values())
    # Nothing is due yet.
    assert followups.dispatch().claimed == 0


def test_rows_are_saved_in_the_delivering_transaction():
    order = place({VariantFactory(stock=2): 1})
    order_services.mark_shipped(order, carrier="SF", tracking_number="1")
    with pytest.raises(RuntimeError):
        from django.db import transaction

        with transaction.atomic():
            order_services.mark_delivered(order)
            raise RuntimeError("roll back the delivery")
    assert not FollowUp.objects.exists()


def test_the_same_review_request_whatever_the_care_check_answer():
    from dataclasses import replace

    orders = []
    for n in range(3):
        order = place({VariantFactory(stock=2): 1}, buyer=replace(BUYER, email=f"b{n}@example.com"))
        order_services.mark_shipped(order, carrier="SF", tracking_number="1")
        orders.append(order_services.mark_delivered(order))
    care = {o.pk: FollowUp.objects.get(order=o, kind="care_check") for o in orders}
    followups.answer_care_check(care[orders[0].pk], "all_good")
    followups.answer_care_check(care[orders[1].pk], "problem")
    # orders[2]: no answer
    for kind in ("review_request", "reminder"):
        offsets = {FollowUp.objects.get(order=o, kind=kind).due_at - o.delivered_at for o in orders}
        assert len(offsets) == 1, kind
    # Three weeks later every buyer got the same emails, whatever they answered.
    followups.dispatch(now=timezone.now() + timedelta(days=21))
    for order in orders:
        assert sent_kinds(order) == ["care_check", "reminder", "review_request"]


def test_dispatch_sends_each_due_row_once_with_unsubscribe_headers():
    order = delivered_order()
    FollowUp.objects.filter(order=order, kind="care_check").update(due_at=timezone.now())
    result = followups.dispatch()
    assert (result.claimed, result.sent) == (1, 1)
    assert followups.dispatch().sent == 0
    [email] = mail.outbox
    assert email.to == ["buyer@example.com"] and order.number in email.subject
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (
        email.extra_headers["List-Unsubscribe"].startswith("<http")
        and "/one-click/" in email.extra_headers["List-Unsubscribe"]
    )
    assert "/reviews/care/" in email.body and "/reviews/unsubscribe/" in email.body
    assert "/reviews/care/" in email.alternatives[0][0]
    row = FollowUp.objects.get(order=order, kind="care_check")
    assert row.state == "sent" and row.sent_at is not None


def test_review_request_carries_the_signed_review_link():
    order = delivered_order()
    FollowUp.objects.filter(order=order, kind="review_request").update(due_at=timezone.now())
    followups.dispatch()
    [email] = mail.outbox
    link = next(word for word in email.body.split() if "/reviews/write/" in word)
    path = link.split("127.0.0.1:8000", 1)[-1]
    assert Client().get(path).status_code == 200


def test_cap_of_three_follow_up_emails_in_30_days_across_orders():
    orders = [delivered_order() for _ in range(2)]  # same buyer address: 6 rows
    make_due()
    followups.dispatch()
    sent = FollowUp.objects.filter(email="buyer@example.com", state="sent").count()
    skipped = FollowUp.objects.filter(email="buyer@example.com", state="skipped")
    assert sent == 3 and len(mail.outbox) == 3
    assert skipped.count() == 3 and all("3 follow-up emails" in r.skip_reason for r in skipped)
    # 31 days later the window is free again.
    FollowUp.objects.filter(state="sent").update(sent_at=timezone.now() - timedelta(days=31))
    third = delivered_order()
    make_due()
    followups.dispatch()
    assert FollowUp.objects.filter(order=third, state="sent").count() == 3
    assert orders  # the first two orders are the ones that filled the window


def test_a_review_stops_the_reminder_and_the_request():
    order = delivered_order()
    review(order.lines.first())
    make_due()
    followups.dispatch()
    rows = {r.kind: r for r in FollowUp.objects.filter(order=order)}
    assert rows["care_check"].state == "sent"
    assert rows["review_request"].state == rows["reminder"].state == "skipped"
    assert rows["reminder"].skip_reason == "already reviewed"


def test_unsubscribe_and_bounce_stop_the_sequence():
    unsubscribed = delivered_order()
    followups.suppress("BUYER@example.com", Suppression.Reason.UNSUBSCRIBE)
    make_due()
    followups.dispatch()
    assert sent_kinds(unsubscribed) == []
    assert set(
        FollowUp.objects.filter(order=unsubscribed).values_list("skip_reason", flat=True)
    ) == {"address unsubscribed"}
    from dataclasses import replace

    bounced = place({VariantFactory(stock=2): 1}, buyer=replace(BUYER, email="gone@example.com"))
    order_services.mark_shipped(bounced, carrier="SF", tracking_number="1")
    order_services.mark_delivered(bounced)
    assert followups.record_bounce("gone@example.com") is True
    make_due()
    followups.dispatch()
    assert sent_kinds(bounced) == [] and not mail.outbox


def test_problem_opens_a_ticket_with_the_order_and_lands_on_it(client):
    order = delivered_order()
    row = FollowUp.objects.get(order=order, kind="care_check")
    url = reverse("reviews:care_check", args=[followups.answer_token(row)])
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


def test_all_good_is_recorded_and_thanked(client):
    order = delivered_order()
    row = FollowUp.objects.get(order=order, kind="care_check")
    url = reverse("reviews:care_check", args=[followups.answer_token(row)])
    page = client.post(url, {"answer": "all_good"}, follow=True).content.decode()
    assert "glad it arrived well" in page and "You told us all is good" in page
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("kind", ["forged", "expired", "other-order"])
def test_bad_answer_links_are_refused_and_change_nothing(client, kind, settings):
    order, other = delivered_order(), delivered_order()
    row = FollowUp.objects.get(order=order, kind="care_check")
    if kind == "forged":
        token = "abc.def"
    elif kind == "expired":
        token = followups.answer_token(row)
        settings.FOLLOWUP_LINK_DAYS = -1
    else:
        token = signing.dumps(
            {"f": row.pk, "o": other.pk}, salt=followups.ANSWER_SALT, compress=True
        )
    response = client.post(reverse("reviews:care_check", args=[token]), {"answer": "problem"})
    assert response.status_code == 400
    row.refresh_from_db()
    assert row.answered_at is None and not Ticket.objects.exists()


def test_unsubscribe_page_one_click_and_bad_tokens(client):
    token = followups.unsubscribe_token("buyer@example.com")
    page_url = reverse("reviews:unsubscribe", args=[token])
    one_click = reverse("reviews:unsubscribe_one_click", args=[token])
    assert "Unsubscribe" in client.get(page_url).content.decode()
    assert client.get(one_click).status_code == 200  # a GET (mail scanner) only shows the page
    assert not Suppression.objects.exists()
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post(one_click, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Suppression.objects.get().email == "buyer@example.com"
    # Used again: still fine, nothing more written.
    assert csrf_client.post(one_click, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert "gets no more follow-up emails" in client.post(page_url).content.decode()
    assert Suppression.objects.count() == 1
    assert (
        client.post(
            reverse("reviews:unsubscribe_one_click", args=["forged"]),
            {"List-Unsubscribe": "One-Click"},
        ).status_code
        == 400
    )
    assert client.post(reverse("reviews:unsubscribe", args=["forged"])).status_code == 400
    assert Suppression.objects.count() == 1


def test_a_send_that_raises_is_retried_with_backoff_then_failed(settings):
    settings.EMAIL_BACKEND = "tests.reviews.failing_backend.FailingBackend"
    settings.FOLLOWUP_MAX_ATTEMPTS = 3
    order = delivered_order()
    FollowUp.objects.filter(order=order, kind="care_check").update(due_at=timezone.now())
    row = FollowUp.objects.get(order=order, kind="care_check")
    for attempt in (1, 2):
        result = followups.dispatch()
        row.refresh_from_db()
        assert (result.retried, row.state, row.attempts) == (1, "planned", attempt)
        assert "SMTP is down" in row.last_error and row.due_at > timezone.now()
        FollowUp.objects.filter(pk=row.pk).update(due_at=timezone.now())
    result = followups.dispatch()
    row.refresh_from_db()
    assert (result.failed, row.state, row.attempts) == (1, "failed", 3)
    assert followups.dispatch().claimed == 0  # not repeated forever
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    followups.retry_failed(row)
    assert followups.dispatch().sent == 1


def test_stuck_sending_rows_are_released():
    order = delivered_order()
    FollowUp.objects.filter(order=order, kind="care_check").update(
        state="sending",
        due_at=timezone.now() - timedelta(hours=1),
        claimed_at=timezone.now() - timedelta(hours=1),
    )
    assert followups.dispatch().sent == 1


def test_funnel_figures_on_known_numbers():
    orders = [delivered_order() for _ in range(4)]
    FollowUp.objects.update(email="x@example.com")  # one address would hit the cap: spread them
    for n, row in enumerate(FollowUp.objects.order_by("id")):
        FollowUp.objects.filter(pk=row.pk).update(email=f"b{n}@example.com")
    FollowUp.objects.filter(kind="care_check").update(due_at=timezone.now())
    FollowUp.objects.filter(kind="review_request", order__in=orders[:3]).update(
        due_at=timezone.now()
    )
    followups.dispatch()
    rows = list(FollowUp.objects.filter(kind="care_check").order_by("order_id"))
    followups.answer_care_check(rows[0], "all_good")
    followups.answer_care_check(rows[1], "problem")
    review(orders[0].lines.first())
    figures = {s["key"]: (s["count"], s["rate"]) for s in followups.funnel()["steps"]}
    assert figures == {
        "delivered": (4, None),
        "care_sent": (4, 100),
        "care_answered": (2, 50),
        "requests_sent": (3, 75),
        "reviewed": (1, 33),
    }
    assert followups.funnel()["problems"] == 1


def test_owner_sees_follow_ups_on_the_order_and_the_health_panel(owner_client, settings):
    settings.EMAIL_BACKEND = "tests.reviews.failing_backend.FailingBackend"
    settings.FOLLOWUP_MAX_ATTEMPTS = 1
    order = delivered_order()
    FollowUp.objects.filter(order=order, kind="care_check").update(due_at=timezone.now())
    followups.dispatch()
    page = owner_client.get(order.get_manage_url()).content.decode()
    assert (
        'id="follow-ups"' in page
        and "Care check" in page
        and "Review request" in page
        and "Failed" in page
    )
    panel = owner_client.get(reverse("reviews_followups:dashboard")).content.decode()
    assert "SMTP is down" in panel and "Retry" in panel
    row = FollowUp.objects.get(state="failed")
    owner_client.post(reverse("reviews_followups:retry", args=[row.pk]))
    row.refresh_from_db()
    assert row.state == "planned"
    assert Client().get(reverse("reviews_followups:dashboard")).status_code == 302


def test_healthz_reports_the_dispatcher(client):
    assert client.get("/healthz").json()["dispatcher_last_run"] is None
    followups.dispatch()
    assert client.get("/healthz").json()["dispatcher_last_run"] is not None


def test_outbox_page_only_with_debug(client, settings):
    settings.DEBUG = False
    assert client.get("/outbox/").status_code == 404


@pytest.mark.parametrize("orders, dispatchers", [(2, 1), (3, 3)])
def test_beat_run_fans_out_only_for_a_backlog(settings, orders, dispatchers):
    from dataclasses import replace

    from reviews.models import DispatcherRun
    from reviews.tasks import dispatch_follow_ups

    settings.FOLLOWUP_BATCH = 6
    settings.FOLLOWUP_DISPATCHERS = 3
    variant = VariantFactory(stock=10)
    for i in range(orders):
        order = place({variant: 1}, buyer=replace(BUYER, email=f"buyer{i}@example.com"))
        order_services.mark_shipped(order, carrier="SF", tracking_number=str(i))
        order_services.mark_delivered(order)
    make_due()
    mail.outbox.clear()
    dispatch_follow_ups.delay()
    # 6 due rows fit one batch: beat's dispatcher alone. 9 rows are a backlog: it queues two
    # more (eager Celery runs them at once), which do not fan out again.
    assert DispatcherRun.objects.count() == dispatchers
    assert len(mail.outbox) == 3 * orders
    assert len({(m.to[0], m.subject) for m in mail.outbox}) == 3 * orders
    assert FollowUp.objects.filter(state="sent").count() == 3 * orders
