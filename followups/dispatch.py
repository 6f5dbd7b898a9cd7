"""Dispatch: claim the due rows, decide per address under its lock, queue the emails.

The claim is one transaction. Due rows are taken with SELECT ... FOR UPDATE SKIP LOCKED,
so several dispatchers share them without taking one twice. Then every address among them is
locked (PostgreSQL: pg_advisory_xact_lock on a hash of the address, in one fixed order), and
under that lock the dispatcher reads what the cap counts - the address's follow-up emails in
messaging's table, sent in the window or still queued or being sent - decides
(followups.cap), marks rows skipped or planned for later, and queues each email it sends
through messaging, its rows marked "sending" with it. The lock lasts until that commit, so
whoever decides next about the address sees those emails: two dispatchers cannot both take
the last place under the cap.

Messaging sends each email after the commit, retries it with backoff and, after its last
attempt, fails it with the error; its signals bring the outcome back onto the rows
(followups.receivers). If the broker or the worker is down, nothing is lost: the next run
decides what is due, and messaging's sweep sends what was queued.
"""

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from messaging import models as messaging
from messaging.errors import describe
from messaging.services import queued_together
from orders.emails import Reach
from orders.emails import reach as reach_order
from orders.models import Order
from reviews.models import Review
from shop.models import ShopProfile
from support.emails import reach as reach_ticket
from support.models import Ticket
from support.selectors import satisfaction_questions_open

from . import cap
from .emails import (
    KINDS,
    build_follow_up_email,
    build_follow_up_sms,
    queue_follow_up_email,
    unreviewed_lines,
)
from .errors import FollowUpError
from .links import Links
from .models import DispatcherRun, FollowUp, Suppression

log = logging.getLogger(__name__)
Kind, State = FollowUp.Kind, FollowUp.State
ORDER_KINDS = (Kind.CARE_CHECK, Kind.REVIEW_REQUEST, Kind.REMINDER)
REVIEW_KINDS = (Kind.REVIEW_REQUEST, Kind.REMINDER)


@dataclass
class DispatchResult:
    """Rows claimed, handed to messaging to send (`sent`, merged ones included), skipped,
    deferred, failed (their email could not be put together); and the emails queued."""

    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    deferred: int = 0
    failed: int = 0
    emails: int = 0

    def add(self, other: "DispatchResult") -> None:
        for name in ("claimed", "sent", "skipped", "deferred", "failed", "emails"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


# ------------------------------------------------------------------ claiming and deciding
def identities(row: FollowUp) -> set[str]:
    """Who a row is for: its email and its phone (the cap counts a person's emails and SMS
    together: one buyer, however reached)."""
    return {value for value in (row.email.lower(), row.phone) if value}


def _address_key(email: str) -> int:
    """A signed 64-bit key for the address's advisory lock, the same in every process."""
    digest = hashlib.blake2b(email.encode(), digest_size=8, person=b"follow-up-cap").digest()
    return int.from_bytes(digest, "big", signed=True)


def _lock_addresses(emails: set[str]) -> None:
    """Serialise the cap's decisions per address (email or phone) until the transaction ends.

    Taken in ascending key order by every dispatcher, so two never wait on each other. SQLite
    needs none: it lets one transaction write at a time, and a second dispatcher that read
    before the first wrote fails to write rather than deciding on stale counts.
    """
    if connection.vendor != "postgresql":
        return
    keys = sorted({_address_key(email) for email in emails})
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k", [keys])


def people(rows: list[FollowUp]) -> list[set[str]]:
    """The rows' identities joined into people: rows that share an email or a phone are one
    person's (an order by email and one by SMS with the same phone), decided together."""
    parent: dict[str, str] = {}

    def root(item: str) -> str:
        while parent.setdefault(item, item) != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for row in rows:
        ids = sorted(identities(row))
        for other in ids[1:]:
            parent[root(other)] = root(ids[0])
        if ids:
            root(ids[0])
    groups: dict[str, set[str]] = defaultdict(set)
    for item in list(parent):
        groups[root(item)].add(item)
    return list(groups.values())


def destinations(rows: list[FollowUp]) -> dict[int, Reach]:
    """Where each row's follow-up goes (its order's or ticket's `reach`): from the rows'
    orders and tickets when they were read with them, else in two queries."""
    orders = {row.order_id: row.order for row in rows if FollowUp.order.is_cached(row)}
    tickets = {row.ticket_id: row.ticket for row in rows if FollowUp.ticket.is_cached(row)}
    if missing := {row.order_id for row in rows if row.order_id} - set(orders):
        orders |= Order.objects.in_bulk(missing)
    if missing := {row.ticket_id for row in rows if row.ticket_id} - set(tickets):
        tickets |= Ticket.objects.select_related("order").in_bulk(missing)
    where = {}
    for row in rows:
        if row.ticket_id and row.ticket_id in tickets:
            where[row.pk] = reach_ticket(tickets[row.ticket_id])
        elif row.order_id in orders:
            where[row.pk] = reach_order(orders[row.order_id])
        else:
            where[row.pk] = Reach("email", row.email)
    return where


def _refusals(rows: list[FollowUp], emails: set[str]) -> dict[int, str]:
    """Why each row must not be sent (its email address or phone stopped, reviewed, ticket
    reopened); a few queries. A stop is the channel's: a phone that replied "TD" gets no
    follow-up SMS, an email address that unsubscribed no follow-up email."""
    suppressed = {}
    for email, phone, reason in Suppression.objects.filter(
        Q(email__in={e.lower() for e in emails}) | Q(phone__in=emails)
    ).values_list("email", "phone", "reason"):
        suppressed[email or phone] = reason
    where = destinations(rows) if suppressed else {}
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
        to = where.get(row.pk)
        address = (to.address if to.by_sms else to.address.lower()) if to else ""
        if address in suppressed:
            reasons[row.pk] = _("address %(why)s") % {
                "why": Suppression.Reason(suppressed[address]).label.lower()
            }
        elif row.kind in REVIEW_KINDS and row.order_id in reviewed:
            reasons[row.pk] = _("already reviewed")
        elif row.kind == Kind.SATISFACTION and row.ticket_id not in open_questions:
            reasons[row.pk] = _("ticket reopened or already answered")
    return reasons


def _read(due: list[FollowUp], now) -> dict[str, cap.Address]:
    """What the cap needs about each person of `due` (their emails and phones); call with
    them locked."""
    groups = people(due)
    person_of = {item: min(group) for group in groups for item in group}
    emails = set(person_of)  # every identity: email addresses and phones
    addresses = {min(group): cap.Address(due=[]) for group in groups}

    def person(row: FollowUp) -> str | None:
        return next((person_of[i] for i in sorted(identities(row)) if i in person_of), None)

    for row in due:
        addresses[person(row)].due.append(row)
    claimed = [row.pk for row in due]
    # The cap counts messaging's rows, one per email or SMS, rather than ours: they are
    # written in the transaction that decided them, under this lock, and only messaging
    # changes their state, in one write each. So queued, sending and sent are exactly the
    # messages that went or are going, and a failed one frees its place as it fails; our rows
    # learn the outcome a moment later, from a signal (and miss it until catch_up if a worker
    # died between). A person's emails and SMS count together.
    counted = messaging.Message.objects.filter(recipient__in=emails, kind__in=KINDS).filter(
        Q(
            state=messaging.Message.State.SENT,
            sent_at__gte=now - timedelta(days=settings.FOLLOWUP_CAP_DAYS),
        )
        | Q(state__in=(messaging.Message.State.QUEUED, messaging.Message.State.SENDING))
    )
    for recipient, sent_at in counted.values_list("recipient", "sent_at"):
        addresses[person_of[recipient]].counted.append(sent_at or now)
    theirs = Q(email__in=emails) | Q(phone__in=emails)
    # Planned rows that may join a message: locked, skipping those another dispatcher holds.
    candidates = list(
        FollowUp.objects.select_for_update(skip_locked=True)
        .filter(
            theirs,
            kind__in=ORDER_KINDS,
            state=State.PLANNED,
            due_at__lte=now + cap.merge_window(),
        )
        .exclude(pk__in=claimed)
        .order_by("due_at", "id")
    )
    waiting = list(
        FollowUp.objects.filter(
            theirs,
            kind=Kind.REVIEW_REQUEST,
            state=State.PLANNED,
            due_at__lte=now + timedelta(days=settings.FOLLOWUP_CAP_DAYS),
        )
        .exclude(pk__in=claimed)
        .only("id", "email", "phone", "kind", "order_id", "due_at")
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
        addresses[person(row)].candidates.append(row)
    for row in waiting:
        addresses[person(row)].waiting_requests.append(row)
    for address in addresses.values():
        address.refused, address.unfinished = refused, unfinished
    return addresses


def _mark(outcome: cap.Outcome) -> None:
    """Skip and defer as decided; the rows that go are marked as their email is queued."""
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


def _claim(batch: int, now) -> DispatchResult:
    """Claim, decide and queue one batch, in one transaction."""
    with transaction.atomic():
        due = list(
            FollowUp.objects.select_for_update(skip_locked=True)
            .filter(state=State.PLANNED, due_at__lte=now)
            .order_by("due_at", "id")[:batch]
        )
        result = DispatchResult(claimed=len(due))
        if not due:
            return result
        _lock_addresses({i for row in due for i in identities(row)})
        outcome = cap.Outcome()
        for address in _read(due, now).values():
            decided = cap.decide(address, now=now)
            outcome.send += decided.send
            outcome.skip.update(decided.skip)
            outcome.defer.update(decided.defer)
        _mark(outcome)
        result.skipped, result.deferred = len(outcome.skip), len(outcome.defer)
        if outcome.send:
            _queue(outcome.send, now, result)
    return result


# ------------------------------------------------------------------ queueing and outcomes
def _queue(messages: list[cap.Message], now, result: DispatchResult) -> None:
    """Put each email together and queue them all through messaging, in one INSERT, their rows
    marked "sending" with them in one UPDATE. An email that cannot be put together (a
    template's bug, bad data) fails alone, with its error: it must not hold back the batch,
    nor every batch after it."""
    rows = FollowUp.objects.select_related("order", "ticket", "ticket__order").in_bulk(
        [row.pk for message in messages for row in message.rows]
    )
    messages = [cap.Message([rows[row.pk] for row in m.rows]) for m in messages]
    where = destinations([m.lead for m in messages])
    shop, links = ShopProfile.load(), Links()
    lines = unreviewed_lines(
        row.order_id for m in messages if m.kind in REVIEW_KINDS for row in m.rows
    )
    queued = []
    # One INSERT for the batch's emails, and one send task per messaging.SEND_CHUNK of them.
    with queued_together():
        for message in messages:
            to = where[message.lead.pk]
            try:
                if to.by_sms:
                    rendered = build_follow_up_sms(message.lead, to, links, merged=message.merged)
                else:
                    rendered = build_follow_up_email(
                        message.lead, shop, links, merged=message.merged, lines=lines
                    )
            except Exception as error:  # noqa: BLE001 - recorded on the rows, for the owner
                log.exception("follow-up %s could not be put together", message.lead.pk)
                FollowUp.objects.filter(pk__in=[row.pk for row in message.rows]).update(
                    state=State.FAILED,
                    attempts=1,
                    last_error=describe(error, limit=500),
                    merged_into=None,
                )
                result.failed += len(message.rows)
                continue
            queued.append((message, queue_follow_up_email(message, rendered, to=to)))
    links_to = {}  # row -> (its email, the row that carries it; None for that row itself)
    for message, email in queued:  # the emails have their ids now
        for row in message.rows:
            links_to[row.pk] = (email.pk, None if row is message.lead else message.lead.pk)
        result.sent += len(message.rows)
        result.emails += 1
    _mark_sending(links_to, now)


def _mark_sending(links_to: dict[int, tuple[int, int | None]], now) -> None:
    """Rows "sending", each linked to its email and to the row that carries it, in one UPDATE
    (PostgreSQL; bulk_update's CASE per row costs more to build than the batch's queries)."""
    if not links_to:
        return
    if connection.vendor != "postgresql":
        rows = [
            FollowUp(pk=pk, state=State.SENDING, claimed_at=now, message_id=m, merged_into_id=lead)
            for pk, (m, lead) in links_to.items()
        ]
        FollowUp.objects.bulk_update(rows, ["state", "claimed_at", "message", "merged_into"])
        return
    meta = FollowUp._meta
    column = {name: meta.get_field(name).column for name in ("state", "claimed_at", "message")}
    merged_into = meta.get_field("merged_into").column
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {meta.db_table} AS f SET {column['state']} = %s, "  # noqa: S608 - names
            f"{column['claimed_at']} = %s, {column['message']} = v.message, "
            f"{merged_into} = v.lead FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) "
            "AS v(id, message, lead) WHERE f.id = v.id",
            [
                State.SENDING,
                now,
                list(links_to),
                [m for m, _lead in links_to.values()],
                [lead for _m, lead in links_to.values()],
            ],
        )


def record_outcome(message: messaging.Message) -> int:
    """Copy how messaging's `message` went (sent, or failed and why) onto the rows it
    carries; returns how many changed. Nothing while it is still queued or being sent."""
    rows = FollowUp.objects.filter(message_id=message.pk, state=State.SENDING)
    if message.state == messaging.Message.State.SENT:
        # Once per email sent, in messaging's commit: written out, as the ORM's building of
        # the UPDATE cost more than running it (bench/followups).
        meta = FollowUp._meta
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {meta.db_table} SET state = %s, sent_at = %s, attempts = %s,"  # noqa: S608
                f" last_error = '' WHERE {meta.get_field('message').column} = %s AND state = %s",
                [
                    State.SENT,
                    connection.ops.adapt_datetimefield_value(message.sent_at),
                    message.attempts,
                    message.pk,
                    State.SENDING,
                ],
            )
            return cursor.rowcount
    if message.state == messaging.Message.State.FAILED:
        return rows.update(
            state=State.FAILED, attempts=message.attempts, last_error=message.last_error[:500]
        )
    return 0


def catch_up() -> int:
    """Rows still "sending" whose email messaging has finished with take its outcome.

    The outcome comes back by a signal right after messaging recorded it; a worker that died
    between the two left the rows behind. (A message stuck "sending" is messaging's own: its
    sweep takes it back.) One query when nothing is behind.
    """
    behind = FollowUp.objects.filter(
        state=State.SENDING,
        message__state__in=(messaging.Message.State.SENT, messaging.Message.State.FAILED),
    )
    return sum(
        record_outcome(message)
        for message in messaging.Message.objects.filter(pk__in=behind.values("message_id"))
    )


def dispatch_batch(batch: int | None = None, *, now=None) -> DispatchResult:
    """Claim, decide and queue one batch of due follow-ups."""
    return _claim(batch or settings.FOLLOWUP_BATCH, now or timezone.now())


# A run is alive while its dispatcher holds this PostgreSQL session lock (the class key, the
# run's id): a dispatcher killed, or cut off from its database, loses it with its connection.
RUN_LOCK_CLASS = 0x46555052
# Elsewhere (SQLite: tests, one machine) a run unfinished after tasks.dispatch_follow_ups' hard
# time limit is dead.
RUN_TIME_LIMIT = timedelta(minutes=10)


def _run_lock(function: str, run_pk: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [RUN_LOCK_CLASS, run_pk % 2**31])
        return cursor.fetchone()[0] is not False


def _start_run() -> DispatcherRun:
    """A new run, alive from the moment other dispatchers can see it."""
    with transaction.atomic():
        run = DispatcherRun.objects.create(started_at=timezone.now())
        if connection.vendor == "postgresql":
            _run_lock("pg_advisory_lock", run.pk)
    return run


def _end_run(run: DispatcherRun, *, interrupted: bool) -> None:
    DispatcherRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now(), interrupted=interrupted
    )
    if connection.vendor == "postgresql":
        try:
            _run_lock("pg_advisory_unlock", run.pk)
        except DatabaseError:
            connection.close()  # the lock goes with the connection, not back into the pool


def close_dead_runs() -> int:
    """Runs whose dispatcher died (killed, or its database restarted) are finished, marked
    interrupted, for the health panel; what they had claimed went back to "planned" when their
    transaction died, and the next run sends it. Returns how many were closed."""
    unfinished = DispatcherRun.objects.filter(finished_at__isnull=True)
    if connection.vendor != "postgresql":
        dead = list(unfinished.filter(started_at__lt=timezone.now() - RUN_TIME_LIMIT))
    else:
        dead = []
        for run in unfinished:
            if _run_lock("pg_try_advisory_lock", run.pk):  # nobody holds it: the run is dead
                dead.append(run)
                _run_lock("pg_advisory_unlock", run.pk)
    return DispatcherRun.objects.filter(pk__in=[run.pk for run in dead]).update(
        finished_at=timezone.now(), interrupted=True
    )


def dispatch(*, batch: int | None = None, max_batches: int = 1000, now=None) -> DispatchResult:
    """Queue everything due, batch by batch, and record the run for the health panel: its
    figures after each batch (each is a transaction of its own), so a run that is killed shows
    what it did, and the next run closes it."""
    close_dead_runs()
    run = _start_run()
    interrupted = True
    try:
        catch_up()
        total = DispatchResult()
        for _batch in range(max_batches):
            result = dispatch_batch(batch, now=now)
            total.add(result)
            DispatcherRun.objects.filter(pk=run.pk).update(
                claimed=F("claimed") + result.claimed,
                sent=F("sent") + result.sent,
                skipped=F("skipped") + result.skipped,
                failed=F("failed") + result.failed,
            )
            if result.claimed < (batch or settings.FOLLOWUP_BATCH):
                break
        interrupted = False
    finally:
        _end_run(run, interrupted=interrupted)
    # Keep the table small: the panel shows the latest runs only.
    old = DispatcherRun.objects.order_by("-started_at").values_list("pk", flat=True)[200:201]
    if old:
        DispatcherRun.objects.filter(pk__lte=old[0]).delete()
    return total


@transaction.atomic
def retry_failed(row: FollowUp) -> FollowUp:
    """The owner's retry button: the failed email's rows are planned again, due now.

    The dispatcher then decides about them afresh (the cap, an unsubscribe or a review since)
    and queues a new email; the failed one stays in messaging's table as it was.
    """
    row = FollowUp.objects.select_for_update().get(pk=row.pk)
    if row.state != State.FAILED:
        raise FollowUpError(_("Only a failed follow-up can be retried."))
    same_email = Q(pk=row.pk)
    if row.message_id:
        same_email |= Q(message_id=row.message_id)
    FollowUp.objects.filter(same_email, state=State.FAILED).update(
        state=State.PLANNED, attempts=0, due_at=timezone.now(), merged_into=None
    )
    row.refresh_from_db()
    return row
