"""The cap and the repeat buyer: what one address gets when its follow-ups crowd together.

Days are counted from the first delivery; the dispatcher runs at each due time (`now=`). The
delays are the production ones (care check day 2, review request day 7, reminder day 14; one
email merges what falls due within 7 days; 3 emails in 30 days).
"""

from datetime import timedelta

import pytest
from django.core import mail

from followups import dispatch, services
from followups.models import FollowUp
from messaging.models import Message
from messaging.services import sweep
from support import services as support_services

from .helpers import delivered_to, dispatch_and_send, make_due, states

pytestmark = pytest.mark.django_db

MEI = "mei@example.com"


@pytest.fixture(autouse=True)
def production_delays(settings):
    settings.FOLLOWUP_CARE_CHECK_MINUTES = 2 * 24 * 60
    settings.FOLLOWUP_REVIEW_REQUEST_MINUTES = 7 * 24 * 60
    settings.FOLLOWUP_REMINDER_MINUTES = 14 * 24 * 60
    settings.FOLLOWUP_MERGE_MINUTES = 7 * 24 * 60
    settings.FOLLOWUP_CAP, settings.FOLLOWUP_CAP_DAYS = 3, 30


def on_day(first, day: float):
    """Run the dispatcher as it runs on `day` after the first delivery; the emails it sent."""
    before = len(mail.outbox)
    dispatch_and_send(now=first.delivered_at + timedelta(days=day, minutes=1))
    return mail.outbox[before:]


def review_links(email) -> list[str]:
    return [word for word in email.body.split() if "/reviews/write/" in word]


def test_two_orders_delivered_the_same_week_make_three_emails_not_six():
    first = delivered_to(MEI)
    second = delivered_to(MEI, days_later=3)
    [care] = on_day(first, 2)
    assert first.number in care.body and second.number in care.body
    assert len([w for w in care.body.split() if "/reviews/care/" in w]) == 2  # one per order
    assert on_day(first, 5) == []  # the second care check went with the first
    [request] = on_day(first, 7)
    assert request.subject.startswith("How do you find your garments from")
    assert len(review_links(request)) == 2
    for line in [*first.lines.all(), *second.lines.all()]:
        assert line.product_name in request.body
    assert on_day(first, 10) == []
    [reminder] = on_day(first, 14)
    assert "only reminder" in reminder.body and len(review_links(reminder)) == 2
    assert on_day(first, 17) == [] and len(mail.outbox) == 3
    assert (
        states(first)
        == states(second)
        == {
            "care_check": "sent",
            "review_request": "sent",
            "reminder": "sent",
        }
    )
    merged = FollowUp.objects.filter(order=second)
    assert {row.merged_into.order_id for row in merged} == {first.pk}


@pytest.mark.parametrize("answer", ["all_good", "problem", None])
def test_a_repeat_buyer_is_asked_to_review_the_second_order(answer):
    """The issue's buyer: the second order is delivered on day 13. Before, the first order's
    care check, review request and reminder filled the cap and the second was never asked.
    Whatever the buyer answered to the care check, the same emails go (no review gating)."""
    first = delivered_to(MEI)
    second = delivered_to(MEI, days_later=13)
    assert len(on_day(first, 2)) == 1  # care check, first order
    if answer:
        services.answer_care_check(FollowUp.objects.get(order=first, kind="care_check"), answer)
    assert len(on_day(first, 7)) == 1  # review request, first order
    # Day 14: the first order's reminder waits for the second order's review request (day 20)
    # rather than take the last place.
    assert on_day(first, 14) == []
    reminder = FollowUp.objects.get(order=first, kind="reminder")
    assert reminder.state == "planned"
    assert reminder.due_at == FollowUp.objects.get(order=second, kind="review_request").due_at
    # Day 15: the second care check would leave no place for the review request: held back.
    assert on_day(first, 15) == []
    care = FollowUp.objects.get(order=second, kind="care_check")
    assert care.state == "skipped" and "review request is still to come" in care.skip_reason
    # Day 20: one review request for both orders: the second order's lines, and the first's
    # (its reminder).
    [request] = on_day(first, 20)
    assert "Would you review" in request.body and len(review_links(request)) == 2
    assert first.number in request.body and second.number in request.body
    assert states(first)["reminder"] == states(second)["review_request"] == "sent"
    # Day 27: three emails in 30 days: the second order's reminder is skipped.
    assert on_day(first, 27) == []
    assert states(second) == {
        "care_check": "skipped",
        "review_request": "sent",
        "reminder": "skipped",
    }
    assert len(mail.outbox) == 3


def test_when_the_cap_bites_the_review_request_goes_before_a_care_check():
    """After an outage, one place left, a review request and another order's care check due:
    the review request goes."""
    first = delivered_to(MEI)
    second = delivered_to(MEI, days_later=8)
    make_due(FollowUp.objects.filter(order=first, kind="care_check"))
    assert len(on_day(first, 0)) == 1
    ticket = support_services.open_ticket(email=MEI, name="Mei", topic="other", body="Hi")
    support_services.resolve_ticket(ticket)
    make_due(FollowUp.objects.filter(ticket=ticket))
    assert len(on_day(first, 0)) == 1  # "was this solved?": two places used
    # The worker was down: on day 10 the first order's request (day 7) and the second's care
    # check (day 10) are both due, with one place left.
    [email] = on_day(first, 10)
    assert "Would you review" in email.body and email.to == [MEI]
    assert states(first)["review_request"] == "sent"
    assert states(second)["care_check"] == "skipped"


def questions(n: int, email: str = MEI) -> list[FollowUp]:
    """`n` "was this solved?" questions to `email`, due now (they never merge)."""
    rows = []
    for _ in range(n):
        ticket = support_services.open_ticket(email=email, name="Mei", topic="other", body="Hi")
        support_services.resolve_ticket(ticket)
        rows.append(FollowUp.objects.get(ticket=ticket))
    make_due(*rows)
    return rows


def test_the_cap_counts_emails_being_sent_by_another_dispatcher():
    # Three follow-ups to Mei were queued a moment ago and are not sent yet: their send tasks
    # wait in the broker (no commit callback runs here); one is being sent right now.
    questions(3)
    assert dispatch.dispatch().emails == 3
    queued = Message.objects.filter(recipient=MEI, kind__startswith="followup.")
    assert set(queued.values_list("state", flat=True)) == {"queued"} and not mail.outbox
    Message.objects.filter(pk=queued.first().pk).update(state="sending")
    first = delivered_to(MEI)
    second = delivered_to("li@example.com")
    make_due(FollowUp.objects.filter(order__in=[first, second], kind="care_check"))
    dispatch_and_send()
    assert states(first)["care_check"] == "skipped"
    assert states(second)["care_check"] == "sent"
    assert [m.to for m in mail.outbox] == [["li@example.com"]]


def test_an_email_that_failed_frees_its_place_under_the_cap(settings):
    """Messaging gave up on one email: it was never received, so three more may go."""
    settings.EMAIL_BACKEND = "tests.followups.failing_backend.FailingBackend"
    settings.MESSAGING_MAX_ATTEMPTS = 1
    [failed] = questions(1)
    dispatch_and_send()
    failed.refresh_from_db()
    assert (failed.state, failed.message.state) == ("failed", "failed")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sent = questions(3)
    assert dispatch_and_send().emails == 3 and len(mail.outbox) == 3
    [fourth] = questions(1)
    dispatch_and_send()
    assert FollowUp.objects.get(pk=fourth.pk).state == "skipped" and len(mail.outbox) == 3
    assert {row.state for row in FollowUp.objects.filter(pk__in=[r.pk for r in sent])} == {"sent"}


def test_a_merged_email_that_fails_is_retried_whole(settings):
    """Messaging retries the one email that carries both orders' care checks, whole."""
    settings.EMAIL_BACKEND = "tests.followups.failing_backend.FailingBackend"
    first = delivered_to(MEI)
    second = delivered_to(MEI, days_later=1)
    assert on_day(first, 2) == []
    rows = FollowUp.objects.filter(kind="care_check")
    [message] = Message.objects.filter(kind="followup.care_check")
    assert (message.state, message.attempts) == ("queued", 1)
    assert {(r.state, r.message_id) for r in rows} == {("sending", message.pk)}
    assert FollowUp.objects.get(order=second, kind="care_check").merged_into.order == first
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert on_day(first, 3) == []  # the dispatcher has nothing to do: messaging has it
    assert sweep(now=message.next_attempt_at) == 1
    [care] = mail.outbox
    assert first.number in care.body and second.number in care.body
    assert set(rows.values_list("state", flat=True)) == {"sent"}
    assert Message.objects.filter(kind__startswith="followup.").count() == 1


def test_a_reviewed_order_drops_out_of_the_merged_request():
    from ..reviews.helpers import review

    first = delivered_to(MEI)
    second = delivered_to(MEI, days_later=2)
    review(second.lines.first())
    assert len(on_day(first, 2)) == 1  # both care checks
    [request] = on_day(first, 7)
    assert first.number in request.body and second.number not in request.body
    assert len(review_links(request)) == 1
    assert states(second)["review_request"] == "planned"  # skipped when its own time comes
    on_day(first, 9)
    assert states(second)["review_request"] == "skipped"
