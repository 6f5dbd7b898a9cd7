"""Dispatch: claim the due rows, decide per address under its lock, send, record.

The claim is one short transaction. Due rows are taken with SELECT ... FOR UPDATE SKIP LOCKED,
so several dispatchers share them without taking one twice. Then every address among them is
locked (PostgreSQL: pg_advisory_xact_lock on a hash of the address, in one fixed order), and
under that lock the dispatcher reads what the cap counts - the messages sent in the window and
those any dispatcher is sending - decides (followups.cap), and marks rows sending, skipped or
planned for later. The lock lasts until that commit, so whoever decides next about the address
sees these rows as sending: two dispatchers cannot both take the last place under the cap.

Emails go after the commit, then rows are marked sent, or planned again with a backoff, or
failed. If the broker or the worker is down, rows simply wait: the next run sends what is due.
"""

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from reviews.models import Review
from shop.models import ShopProfile
from support.selectors import satisfaction_questions_open

from . import cap
from .emails import build_email, unreviewed_lines
from .errors import FollowUpError
from .links import Links
from .models import DispatcherRun, FollowUp, Suppression

log = logging.getLogger(__name__)
STUCK_SENDING_MINUTES = 30
Kind, State = FollowUp.Kind, FollowUp.State
ORDER_KINDS = (Kind.CARE_CHECK, Kind.REVIEW_REQUEST, Kind.REMINDER)
REVIEW_KINDS = (Kind.REVIEW_REQUEST, Kind.REMINDER)


@dataclass
class DispatchResult:
    """Rows claimed, sent (merged ones included), skipped, deferred, failed, retried; and the
    emails those sent rows made."""

    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    deferred: int = 0
    failed: int = 0
    retried: int = 0
    emails: int = 0
    # The rows one batch sent; not summed over a run, whose memory must not grow with its rows.
    sent_ids: list[int] = field(default_factory=list)

    def add(self, other: "DispatchResult") -> None:
        for name in ("claimed", "sent", "skipped", "deferred", "failed", "retried", "emails"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Claim:
    claimed: int = 0
    outcome: cap.Outcome = field(default_factory=cap.Outcome)


# ------------------------------------------------------------------ claiming and deciding
def _address_key(email: str) -> int:
    """A signed 64-bit key for the address's advisory lock, the same in every process."""
    digest = hashlib.blake2b(email.encode(), digest_size=8, person=b"follow-up-cap").digest()
    return int.from_bytes(digest, "big", signed=True)


def _lock_addresses(emails: set[str]) -> None:
    """Serialise the cap's decisions per address until the transaction ends.

    Taken in ascending key order by every dispatcher, so two never wait on each other. SQLite
    needs none: it lets one transaction write at a time, and a second dispatcher that read
    before the first wrote fails to write rather than deciding on stale counts.
    """
    if connection.vendor != "postgresql":
        return
    keys = sorted({_address_key(email) for email in emails})
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k", [keys])


def _refusals(rows: list[FollowUp], emails: set[str]) -> dict[int, str]:
    """Why each row must not be sent (unsubscribed, reviewed, ticket reopened); a few queries."""
    suppressed = dict(
        Suppression.objects.filter(email__in={e.lower() for e in emails}).values_list(
            "email", "reason"
        )
    )
    review_orders = {r.order_id for r in rows if r.kind in REVIEW_KINDS}
    reviewed = set(
        Review.objects.filter(order_line__order_id__in=review_orders)
        .values_list("order_line__order_id", flat=True)
        .distinct()
    )
    ticket_ids = {r.ticket_id for r in rows if r.kind == Kind.SATISFACTION}
    open_questions = satisfaction_questions_open(ticket_ids) if ticket_ids else set()
    reasons = {}
    for row in rows:
        if row.email.lower() in suppressed:
            reasons[row.pk] = _("address %(why)s") % {
                "why": Suppression.Reason(suppressed[row.email.lower()]).label.lower()
            }
        elif row.kind in REVIEW_KINDS and row.order_id in reviewed:
            reasons[row.pk] = _("already reviewed")
        elif row.kind == Kind.SATISFACTION and row.ticket_id not in open_questions:
            reasons[row.pk] = _("ticket reopened or already answered")
    return reasons


def _read(due: list[FollowUp], now) -> dict[str, cap.Address]:
    """What the cap needs about each address of `due`; call with the addresses locked."""
    emails = {row.email for row in due}
    addresses = {email: cap.Address(due=[]) for email in emails}
    for row in due:
        addresses[row.email].due.append(row)
    claimed = [row.pk for row in due]
    counted = FollowUp.objects.filter(email__in=emails, merged_into__isnull=True).filter(
        Q(state=State.SENT, sent_at__gte=now - timedelta(days=settings.FOLLOWUP_CAP_DAYS))
        | Q(state=State.SENDING)
    )
    for email, sent_at in counted.values_list("email", "sent_at"):
        addresses[email].counted.append(sent_at or now)
    # Planned rows that may join a message: locked, skipping those another dispatcher holds.
    candidates = list(
        FollowUp.objects.select_for_update(skip_locked=True)
        .filter(
            email__in=emails,
            kind__in=ORDER_KINDS,
            state=State.PLANNED,
            due_at__lte=now + cap.merge_window(),
        )
        .exclude(pk__in=claimed)
        .order_by("due_at", "id")
    )
    waiting = list(
        FollowUp.objects.filter(
            email__in=emails,
            kind=Kind.REVIEW_REQUEST,
            state=State.PLANNED,
            due_at__lte=now + timedelta(days=settings.FOLLOWUP_CAP_DAYS),
        )
        .exclude(pk__in=claimed)
        .only("id", "email", "kind", "order_id", "due_at")
    )
    unfinished = set(
        FollowUp.objects.filter(
            order_id__in={row.order_id for row in candidates},
            kind__in=(Kind.CARE_CHECK, Kind.REVIEW_REQUEST),
            state__in=(State.PLANNED, State.SENDING),
        ).values_list("order_id", "kind")
    )
    refused = _refusals(due + candidates + waiting, emails)
    for row in candidates:
        addresses[row.email].candidates.append(row)
    for row in waiting:
        addresses[row.email].waiting_requests.append(row)
    for address in addresses.values():
        address.refused, address.unfinished = refused, unfinished
    return addresses


def _mark(outcome: cap.Outcome, now) -> None:
    leads = [message.lead.pk for message in outcome.send]
    FollowUp.objects.filter(pk__in=leads).update(
        state=State.SENDING, claimed_at=now, merged_into=None
    )
    for message in outcome.send:
        if message.merged:
            FollowUp.objects.filter(pk__in=[row.pk for row in message.merged]).update(
                state=State.SENDING, claimed_at=now, merged_into=message.lead.pk
            )
    by_reason: dict[str, list[int]] = defaultdict(list)
    for pk, reason in outcome.skip.items():
        by_reason[reason].append(pk)
    for reason, pks in by_reason.items():
        FollowUp.objects.filter(pk__in=pks).update(state=State.SKIPPED, skip_reason=reason)
    by_time = defaultdict(list)
    for pk, when in outcome.defer.items():
        by_time[when].append(pk)
    for when, pks in by_time.items():
        FollowUp.objects.filter(pk__in=pks).update(due_at=when)


def _claim(batch: int, now) -> Claim:
    with transaction.atomic():
        due = list(
            FollowUp.objects.select_for_update(skip_locked=True)
            .filter(state=State.PLANNED, due_at__lte=now)
            .order_by("due_at", "id")[:batch]
        )
        claim = Claim(claimed=len(due))
        if not due:
            return claim
        _lock_addresses({row.email for row in due})
        for address in _read(due, now).values():
            decided = cap.decide(address, now=now)
            claim.outcome.send += decided.send
            claim.outcome.skip.update(decided.skip)
            claim.outcome.defer.update(decided.defer)
        _mark(claim.outcome, now)
    return claim


# ------------------------------------------------------------------ sending and recording
def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=settings.FOLLOWUP_RETRY_MINUTES * 2 ** max(0, attempts - 1))


def _send(messages: list[cap.Message]) -> tuple[list[cap.Message], list[tuple]]:
    """Send each message on one connection; one bad send must not stop the batch."""
    shop = ShopProfile.load()
    links = Links()
    lines = unreviewed_lines(
        row.order_id for m in messages if m.kind in REVIEW_KINDS for row in m.rows
    )
    sent, failed = [], []
    mail = get_connection()
    try:
        mail.open()
        for message in messages:
            try:
                email = build_email(message.lead, shop, links, merged=message.merged, lines=lines)
                mail.send_messages([email])
                sent.append(message)
            except Exception as error:  # noqa: BLE001 - recorded on the rows, retried later
                log.warning("follow-up %s failed: %r", message.lead.pk, error)
                failed.append((message, f"{error.__class__.__name__}: {error}"[:500]))
    finally:
        mail.close()
    return sent, failed


def _record(sent: list[cap.Message], failed: list[tuple], now, result: DispatchResult) -> None:
    with transaction.atomic():
        sent_ids = [row.pk for message in sent for row in message.rows]
        if sent_ids:
            FollowUp.objects.filter(pk__in=sent_ids).update(
                state=State.SENT, sent_at=timezone.now(), attempts=1, last_error=""
            )
        for message, error in failed:
            for row in message.rows:
                attempts = row.attempts + 1
                changes = {"attempts": attempts, "last_error": error, "merged_into": None}
                if attempts >= settings.FOLLOWUP_MAX_ATTEMPTS:
                    changes["state"] = State.FAILED
                    result.failed += 1
                else:
                    changes["state"] = State.PLANNED
                    changes["due_at"] = max(row.due_at, now + _backoff(attempts))
                    result.retried += 1
                FollowUp.objects.filter(pk=row.pk).update(**changes)
    result.sent, result.sent_ids, result.emails = len(sent_ids), sent_ids, len(sent)


def dispatch_batch(batch: int | None = None, *, now=None) -> DispatchResult:
    """Claim, decide, send and record one batch of due follow-ups."""
    now = now or timezone.now()
    claim = _claim(batch or settings.FOLLOWUP_BATCH, now)
    result = DispatchResult(
        claimed=claim.claimed,
        skipped=len(claim.outcome.skip),
        deferred=len(claim.outcome.defer),
    )
    if not claim.outcome.send:
        return result
    ids = [row.pk for message in claim.outcome.send for row in message.rows]
    rows = FollowUp.objects.select_related("order", "ticket").in_bulk(ids)
    messages = [cap.Message([rows[row.pk] for row in m.rows]) for m in claim.outcome.send]
    sent, failed = _send(messages)
    _record(sent, failed, now, result)
    return result


def release_stuck(now=None) -> int:
    """Rows left "sending" by a worker that died mid-batch go back to planned.

    A row may then be sent twice if the worker died after sending but before recording:
    at-least-once, since losing a buyer's email is worse than a rare duplicate.
    """
    now = now or timezone.now()
    return FollowUp.objects.filter(
        state=State.SENDING, claimed_at__lt=now - timedelta(minutes=STUCK_SENDING_MINUTES)
    ).update(state=State.PLANNED, merged_into=None)


def dispatch(*, batch: int | None = None, max_batches: int = 1000, now=None) -> DispatchResult:
    """Send everything due, batch by batch, and record the run for the health panel."""
    run = DispatcherRun.objects.create(started_at=timezone.now())
    release_stuck(now)
    total = DispatchResult()
    for _batch in range(max_batches):
        result = dispatch_batch(batch, now=now)
        total.add(result)
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
    if row.state != State.FAILED:
        raise FollowUpError(_("Only a failed follow-up can be retried."))
    row.state = State.PLANNED
    row.attempts = 0
    row.due_at = timezone.now()
    row.save(update_fields=["state", "attempts", "due_at"])
    return row
