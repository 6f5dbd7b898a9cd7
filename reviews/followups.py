"""The follow-up engine: plan rows at delivery, dispatch the due ones, answer and unsubscribe.

Planning happens in the transaction that marks an order delivered (or resolves a ticket), so
the schedule is saved with the state change or not at all. The dispatcher claims due rows in
batches with SELECT ... FOR UPDATE SKIP LOCKED and marks them "sending" in one short
transaction, sends after that commit, then marks them sent, skipped or failed. Several
dispatchers can run at once without sending a row twice. If the broker or the worker is down,
rows simply wait: the next run sends what is due, once.

Every buyer gets the same care check, review request and reminder on the same schedule: a
care-check answer never moves, adds or removes a review email (no review gating).
"""

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.emails import compose
from orders.models import Order, OrderLine
from shop.models import ShopProfile
from support.models import Ticket

from .models import DispatcherRun, FollowUp, Review, Suppression

log = logging.getLogger(__name__)
ANSWER_SALT = "follow-ups.answer"
UNSUBSCRIBE_SALT = "follow-ups.unsubscribe"
UNSUBSCRIBE_DAYS = 365
STUCK_SENDING_MINUTES = 30


class FollowUpError(Exception):
    """A follow-up link or answer that is refused; the message is for a person."""


# ------------------------------------------------------------------ planning
def plan_for_delivery(order: Order, *, now=None) -> list[FollowUp]:
    """Create the care check, review request and reminder rows for a delivered order.

    Due times depend only on the delivery time. Safe to call twice (existing rows stay).
    """
    now = now or order.delivered_at or timezone.now()
    plan = [
        (FollowUp.Kind.CARE_CHECK, settings.FOLLOWUP_CARE_CHECK_MINUTES),
        (FollowUp.Kind.REVIEW_REQUEST, settings.FOLLOWUP_REVIEW_REQUEST_MINUTES),
        (FollowUp.Kind.REMINDER, settings.FOLLOWUP_REMINDER_MINUTES),
    ]
    rows = [
        FollowUp(order=order, kind=kind, email=order.email, due_at=now + timedelta(minutes=minutes))
        for kind, minutes in plan
    ]
    FollowUp.objects.bulk_create(rows, ignore_conflicts=True)
    return list(FollowUp.objects.filter(order=order))


def plan_satisfaction(ticket: Ticket, *, now=None) -> FollowUp:
    """Plan (or plan again, after a reopen) the "was this solved?" question for a ticket."""
    now = now or timezone.now()
    row, _created = FollowUp.objects.update_or_create(
        ticket=ticket,
        kind=FollowUp.Kind.SATISFACTION,
        defaults={
            "email": ticket.email,
            "due_at": now + timedelta(minutes=settings.FOLLOWUP_SATISFACTION_MINUTES),
            "state": FollowUp.State.PLANNED,
            "attempts": 0,
            "last_error": "",
            "skip_reason": "",
            "sent_at": None,
        },
    )
    return row


# ------------------------------------------------------------------ links
def answer_token(row: FollowUp) -> str:
    return signing.dumps({"f": row.pk, "o": row.order_id}, salt=ANSWER_SALT, compress=True)


def unsubscribe_token(email: str) -> str:
    return signing.dumps({"e": email.lower()}, salt=UNSUBSCRIBE_SALT, compress=True)


def row_for_answer_token(token: str) -> FollowUp:
    """The care check a link answers. Raises FollowUpError if forged, expired or mismatched."""
    try:
        data = signing.loads(
            token, salt=ANSWER_SALT, max_age=timedelta(days=settings.FOLLOWUP_LINK_DAYS)
        )
    except signing.SignatureExpired:
        raise FollowUpError(_("This link has expired."))
    except signing.BadSignature:
        raise FollowUpError(_("This link is not valid. Use the link from your email."))
    row = (
        FollowUp.objects.select_related("order")
        .filter(pk=data.get("f"), kind=FollowUp.Kind.CARE_CHECK)
        .first()
    )
    if row is None or row.order_id != data.get("o"):
        raise FollowUpError(_("This link is not valid. Use the link from your email."))
    return row


def email_for_unsubscribe_token(token: str) -> str:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=timedelta(days=UNSUBSCRIBE_DAYS))
    except signing.SignatureExpired:
        raise FollowUpError(
            _("This unsubscribe link has expired. Write to us and we will stop the emails.")
        )
    except signing.BadSignature:
        raise FollowUpError(_("This unsubscribe link is not valid."))
    return data["e"]


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


# ------------------------------------------------------------------ answering
@transaction.atomic
def answer_care_check(row: FollowUp, answer: str) -> Ticket | None:
    """Record "all good" or "problem" once; a problem opens a high-priority ticket with the
    order attached. The review request and reminder are left exactly as planned."""
    from support.services import open_ticket_from_care_check

    if answer not in FollowUp.Answer.values:
        raise FollowUpError(_("Choose one of the two answers."))
    row = FollowUp.objects.select_for_update().get(pk=row.pk)
    if row.answered_at is not None:
        raise FollowUpError(_("Thank you, we already have your answer."))
    row.answer = answer
    row.answered_at = timezone.now()
    row.save(update_fields=["answer", "answered_at"])
    if answer == FollowUp.Answer.PROBLEM:
        return open_ticket_from_care_check(row.order)
    return None


@transaction.atomic
def suppress(email: str, reason: str) -> bool:
    """Stop every follow-up to `email`; returns False if it was already suppressed."""
    _, created = Suppression.objects.get_or_create(email=email.lower(), defaults={"reason": reason})
    return created


def record_bounce(email: str) -> bool:
    """A hard bounce (from the mail provider's webhook or by hand): stop follow-ups."""
    return suppress(email, Suppression.Reason.BOUNCE)


# ------------------------------------------------------------------ building emails
_PLACEHOLDER = "0TOKEN0"


def _link_patterns() -> dict[str, str]:
    """Absolute links with a placeholder for the token: reversing once per batch, not per
    email, is a third of the dispatcher's time saved (see bench/README.md)."""
    names = {
        "unsubscribe": "reviews:unsubscribe",
        "one_click": "reviews:unsubscribe_one_click",
        "care_check": "reviews:care_check",
        "review": "reviews:write",
        "satisfaction": "support:satisfaction",
    }
    return {key: _absolute(reverse(name, args=[_PLACEHOLDER])) for key, name in names.items()}


def build_email(
    row: FollowUp, shop: ShopProfile, links: dict[str, str] | None = None
) -> EmailMultiAlternatives:
    """The email for one follow-up, with one-click unsubscribe (RFC 8058) headers."""
    from .services import review_token

    links = links or _link_patterns()
    token = unsubscribe_token(row.email)
    unsubscribe = links["unsubscribe"].replace(_PLACEHOLDER, token)
    one_click = links["one_click"].replace(_PLACEHOLDER, token)
    context = {
        "row": row,
        "shop": shop,
        "unsubscribe_url": unsubscribe,
        "order": row.order,
        "ticket": row.ticket,
    }
    if row.kind == FollowUp.Kind.CARE_CHECK:
        context["answer_url"] = links["care_check"].replace(_PLACEHOLDER, answer_token(row))
    elif row.kind in (FollowUp.Kind.REVIEW_REQUEST, FollowUp.Kind.REMINDER):
        context["review_url"] = links["review"].replace(_PLACEHOLDER, review_token(row.order))
    else:
        context["answer_url"] = links["satisfaction"].replace(_PLACEHOLDER, row.ticket.token)
    name = (row.order.name if row.order_id else row.ticket.name).split()
    context["first_name"] = name[0] if name else ""
    return compose(
        shop,
        to=[row.email],
        subject=render_to_string(f"reviews/email/{row.kind}_subject.txt", context),
        text=render_to_string(f"reviews/email/{row.kind}.txt", context),
        html=render_to_string(f"reviews/email/{row.kind}.html", context),
        headers={
            "List-Unsubscribe": f"<{one_click}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


# ------------------------------------------------------------------ dispatching
@dataclass
class DispatchResult:
    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    retried: int = 0
    # The rows one batch sent; not summed over a run, whose memory must not grow with its rows.
    sent_ids: list[int] = field(default_factory=list)


def _claim(batch: int, now) -> list[FollowUp]:
    with transaction.atomic():
        rows = list(
            FollowUp.objects.select_for_update(skip_locked=True)
            .filter(state=FollowUp.State.PLANNED, due_at__lte=now)
            .order_by("due_at", "id")[:batch]
        )
        if rows:
            FollowUp.objects.filter(pk__in=[r.pk for r in rows]).update(
                state=FollowUp.State.SENDING, claimed_at=now
            )
    return rows


def _skip_reasons(rows: list[FollowUp], now) -> dict[int, str]:
    """Why each row must not be sent (reviewed, unsubscribed, cap reached...); a few queries per batch."""
    emails = {r.email.lower() for r in rows}
    suppressed = dict(Suppression.objects.filter(email__in=emails).values_list("email", "reason"))
    since = now - timedelta(days=settings.FOLLOWUP_CAP_DAYS)
    recent = Counter(
        dict(
            FollowUp.objects.filter(email__in=emails, state=FollowUp.State.SENT, sent_at__gte=since)
            .values("email")
            .annotate(n=Count("id"))
            .values_list("email", "n")
        )
    )
    order_ids = {r.order_id for r in rows if r.order_id}
    reviewed = set(
        Review.objects.filter(order_line__order_id__in=order_ids)
        .values_list("order_line__order_id", flat=True)
        .distinct()
    )
    ticket_ids = {r.ticket_id for r in rows if r.ticket_id}
    tickets = (
        {
            t.pk: t
            for t in Ticket.objects.filter(pk__in=ticket_ids).select_related("satisfaction")
            if ticket_ids
        }
        if ticket_ids
        else {}
    )
    reasons = {}
    for row in rows:
        email = row.email.lower()
        if email in suppressed:
            reasons[row.pk] = _("address %(why)s") % {
                "why": Suppression.Reason(suppressed[email]).label.lower()
            }
        elif (
            row.kind in (FollowUp.Kind.REVIEW_REQUEST, FollowUp.Kind.REMINDER)
            and row.order_id in reviewed
        ):
            reasons[row.pk] = _("already reviewed")
        elif row.kind == FollowUp.Kind.SATISFACTION and _satisfaction_moot(
            tickets.get(row.ticket_id)
        ):
            reasons[row.pk] = _("ticket reopened or already answered")
        elif recent[email] >= settings.FOLLOWUP_CAP:
            reasons[row.pk] = _(
                "%(n)s follow-up emails already sent to this address in %(d)s days"
            ) % {
                "n": settings.FOLLOWUP_CAP,
                "d": settings.FOLLOWUP_CAP_DAYS,
            }
        else:
            recent[email] += 1
    return reasons


def _satisfaction_moot(ticket: Ticket | None) -> bool:
    if ticket is None or ticket.status != Ticket.Status.RESOLVED:
        return True
    answer = getattr(ticket, "satisfaction", None)
    return answer is None or answer.answered_at is not None


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=settings.FOLLOWUP_RETRY_MINUTES * 2 ** max(0, attempts - 1))


def dispatch_batch(batch: int | None = None, *, now=None) -> DispatchResult:
    """Claim, send and record one batch of due follow-ups."""
    now = now or timezone.now()
    result = DispatchResult()
    rows = _claim(batch or settings.FOLLOWUP_BATCH, now)
    result.claimed = len(rows)
    if not rows:
        return result
    rows = list(
        FollowUp.objects.filter(pk__in=[r.pk for r in rows])
        .select_related("order", "ticket")
        .order_by("due_at", "id")
    )
    reasons = _skip_reasons(rows, now)
    shop = ShopProfile.load()
    links = _link_patterns()
    sent, failed = [], []
    connection = get_connection()
    try:
        connection.open()
        for row in rows:
            if row.pk in reasons:
                continue
            try:
                connection.send_messages([build_email(row, shop, links)])
                sent.append(row.pk)
            except Exception as error:  # noqa: BLE001 - one bad send must not stop the batch
                log.warning("follow-up %s failed: %r", row.pk, error)
                failed.append((row, f"{error.__class__.__name__}: {error}"[:500]))
    finally:
        connection.close()
    with transaction.atomic():
        if sent:
            FollowUp.objects.filter(pk__in=sent).update(
                state=FollowUp.State.SENT, sent_at=timezone.now(), attempts=1, last_error=""
            )
        by_reason: dict[str, list[int]] = {}
        for pk, reason in reasons.items():
            by_reason.setdefault(reason, []).append(pk)
        for reason, pks in by_reason.items():
            FollowUp.objects.filter(pk__in=pks).update(
                state=FollowUp.State.SKIPPED, skip_reason=reason
            )
        for row, error in failed:
            attempts = row.attempts + 1
            if attempts >= settings.FOLLOWUP_MAX_ATTEMPTS:
                FollowUp.objects.filter(pk=row.pk).update(
                    state=FollowUp.State.FAILED, attempts=attempts, last_error=error
                )
                result.failed += 1
            else:
                FollowUp.objects.filter(pk=row.pk).update(
                    state=FollowUp.State.PLANNED,
                    attempts=attempts,
                    last_error=error,
                    due_at=now + _backoff(attempts),
                )
                result.retried += 1
    result.sent, result.skipped, result.sent_ids = len(sent), len(reasons), sent
    return result


def release_stuck(now=None) -> int:
    """Rows left "sending" by a worker that died mid-batch go back to planned.

    A row may then be sent twice if the worker died after sending but before recording:
    at-least-once, since losing a buyer's email is worse than a rare duplicate.
    """
    now = now or timezone.now()
    return FollowUp.objects.filter(
        state=FollowUp.State.SENDING, claimed_at__lt=now - timedelta(minutes=STUCK_SENDING_MINUTES)
    ).update(state=FollowUp.State.PLANNED)


def dispatch(*, batch: int | None = None, max_batches: int = 1000, now=None) -> DispatchResult:
    """Send everything due, batch by batch, and record the run for the health panel."""
    started = timezone.now()
    run = DispatcherRun.objects.create(started_at=started)
    release_stuck(now)
    total = DispatchResult()
    for _batch in range(max_batches):
        result = dispatch_batch(batch, now=now)
        total.claimed += result.claimed
        total.sent += result.sent
        total.skipped += result.skipped
        total.failed += result.failed
        total.retried += result.retried
        if result.claimed < (batch or settings.FOLLOWUP_BATCH):
            break
    DispatcherRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now(),
        claimed=total.claimed,
        sent=total.sent,
        skipped=total.skipped,
        failed=total.failed,
    )
    # Keep the table small: the panel shows the latest runs only.
    old = DispatcherRun.objects.order_by("-started_at").values_list("pk", flat=True)[200:201]
    if old:
        DispatcherRun.objects.filter(pk__lte=old[0]).delete()
    return total


@transaction.atomic
def retry_failed(row: FollowUp) -> FollowUp:
    """The owner's retry button: a failed row is planned again, due now."""
    row = FollowUp.objects.select_for_update().get(pk=row.pk)
    if row.state != FollowUp.State.FAILED:
        raise FollowUpError(_("Only a failed follow-up can be retried."))
    row.state = FollowUp.State.PLANNED
    row.attempts = 0
    row.due_at = timezone.now()
    row.save(update_fields=["state", "attempts", "due_at"])
    return row


# ------------------------------------------------------------------ figures
def funnel() -> dict:
    """delivered -> care checks sent -> answered -> review requests sent -> reviews written."""
    delivered = Order.objects.filter(status=Order.Status.DELIVERED).count()
    rows = FollowUp.objects.filter(order__isnull=False).aggregate(
        care_sent=Count("id", filter=Q(kind=FollowUp.Kind.CARE_CHECK, state=FollowUp.State.SENT)),
        care_answered=Count(
            "id", filter=Q(kind=FollowUp.Kind.CARE_CHECK, state=FollowUp.State.SENT) & ~Q(answer="")
        ),
        problems=Count(
            "id", filter=Q(kind=FollowUp.Kind.CARE_CHECK, answer=FollowUp.Answer.PROBLEM)
        ),
        requests_sent=Count(
            "id", filter=Q(kind=FollowUp.Kind.REVIEW_REQUEST, state=FollowUp.State.SENT)
        ),
    )
    requested = FollowUp.objects.filter(
        kind=FollowUp.Kind.REVIEW_REQUEST, state=FollowUp.State.SENT
    ).values("order_id")
    reviewed = (
        OrderLine.objects.filter(order_id__in=requested, review__isnull=False)
        .values("order_id")
        .distinct()
        .count()
    )

    def rate(part, whole):
        return round(100 * part / whole) if whole else None

    steps = [
        ("delivered", _("Orders delivered"), delivered, None),
        ("care_sent", _("Care checks sent"), rows["care_sent"], rate(rows["care_sent"], delivered)),
        (
            "care_answered",
            _("Care checks answered"),
            rows["care_answered"],
            rate(rows["care_answered"], rows["care_sent"]),
        ),
        (
            "requests_sent",
            _("Review requests sent"),
            rows["requests_sent"],
            rate(rows["requests_sent"], delivered),
        ),
        (
            "reviewed",
            _("Orders reviewed after a request"),
            reviewed,
            rate(reviewed, rows["requests_sent"]),
        ),
    ]
    return {
        "steps": [{"key": k, "label": label, "count": n, "rate": r} for k, label, n, r in steps],
        "problems": rows["problems"],
    }


def health(now=None) -> dict:
    now = now or timezone.now()
    last = DispatcherRun.objects.order_by("-started_at").first()
    return {
        "last_run": last,
        "due_unsent": FollowUp.objects.filter(
            state__in=[FollowUp.State.PLANNED, FollowUp.State.SENDING], due_at__lte=now
        ).count(),
        "failed": list(
            FollowUp.objects.filter(state=FollowUp.State.FAILED)
            .select_related("order", "ticket")
            .order_by("-due_at")[:50]
        ),
    }
