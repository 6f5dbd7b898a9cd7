"""Record a message, send it after commit, retry it, sweep up what a broker outage lost.

The API for every app that sends anything:

    rendered = render(Templates.of("orders/email/shipped"), context,
                      language=..., sender_name=shop.name)
    queue_message(rendered, to=order.email, kind="order.shipped",
                  key=f"order:{order.pk}:shipped", about="order", about_id=order.pk)

`queue_message` runs inside the caller's transaction: the row is saved with the change it tells
about, or not at all, and its send task is queued when that transaction commits. A caller that
queues many at once (the follow-up dispatcher: hundreds a batch) does so inside
`queued_together()`: the rows are written in one INSERT when the block ends, and sent by one
task per SEND_CHUNK messages, each task over one connection to the mail server.

A queued row is sent once: by its task, or by the sweep (beat, every minute) when the task
was lost while the broker was down, or after a failed attempt's backoff. After
MESSAGING_MAX_ATTEMPTS the row is failed, with the last error (links and tokens left out).
The apps above hear how it went through messaging.signals (`message_sent`, `message_failed`).

A crash costs at most the message in flight: each row is claimed alone, right before it is
handed over, for a lease of MESSAGING_LEASE_SECONDS, and its outcome is recorded the moment its
channel returns. A row whose worker died mid-send (killed, or cut off from its database) is
queued again when its lease runs out; it may have gone, and goes again under the same
Message-ID (channels.message_id), which receivers can recognise.
"""

import contextlib
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .channels import Undeliverable, get_channel
from .errors import describe
from .models import Message
from .render import Rendered
from .signals import message_failed, message_sent

log = logging.getLogger(__name__)

# Messages per send task when they are queued together: enough that a task's overhead and its
# connection to the mail server are shared, few enough that a backlog is spread over the
# worker's processes (a dispatcher's batch of 500 is 10 tasks).
SEND_CHUNK = 50

_together = threading.local()


@contextlib.contextmanager
def queued_together() -> Iterator[None]:
    """Inside the caller's transaction: every queue_message() in the block is written when the
    block ends, in one query for the keys already queued and one INSERT for the others, and
    sent after commit by one task per SEND_CHUNK new messages.

    What queue_message returns inside the block is the row to be: it has its pk (and, for a
    key queued before, that row's fields) once the block has ended, so link it to other rows
    after the block. Nothing is written when the block raises. Blocks do not nest.
    """
    if getattr(_together, "pending", None) is not None:
        raise RuntimeError("queued_together() blocks do not nest")
    _together.pending = {}
    try:
        yield
        pending, _together.pending = _together.pending, None
        _write_together(list(pending.values()))
    finally:
        _together.pending = None


def _write_together(messages: list[Message]) -> None:
    if not messages:
        return
    existing = Message.objects.in_bulk([m.key for m in messages], field_name="key")
    new = []
    for message in messages:
        if message.key in existing:  # queued before: that row, as get_or_create returns it
            message.__dict__.update(existing[message.key].__dict__)
        else:
            new.append(message)
    Message.objects.bulk_create(new)
    ids = [message.pk for message in new]
    for start in range(0, len(ids), SEND_CHUNK):
        transaction.on_commit(
            lambda chunk=ids[start : start + SEND_CHUNK]: _publish_chunk(chunk), robust=True
        )


def _publish_chunk(ids: list[int]) -> None:
    from .tasks import send_messages_task

    send_messages_task.delay(ids)


def queue_message(
    rendered: Rendered,
    *,
    to: str,
    kind: str,
    key: str,
    about: str = "",
    about_id: int | None = None,
    channel: str = "email",
    new_key: bool = False,
) -> Message:
    """Record one message to `to` and send it after the caller's transaction commits.

    Idempotent by `key`: queueing the same key again returns the first row and sends nothing
    more, so a caller may queue from code that can run twice. With `new_key`, the caller
    knows no row can have the key yet (it names a row the caller created in this transaction,
    a new order's first message): one INSERT instead of a lookup, a savepoint and the INSERT;
    a row that has the key after all is an IntegrityError, never a second message.
    Raises KeyError for a channel that settings.MESSAGING_CHANNELS does not name.
    """
    get_channel(channel)  # refuse an unknown channel now, not in a worker later
    fields = {
        "kind": kind,
        "channel": channel,
        "recipient": to,
        "language": rendered.language,
        "about": about,
        "about_id": about_id,
        "sender": rendered.sender,
        "subject": rendered.subject,
        "text": rendered.text,
        "html": rendered.html,
        "headers": rendered.headers,
        # The task has this long; after it, the sweep sends the row.
        "next_attempt_at": timezone.now()
        + timedelta(seconds=settings.MESSAGING_SWEEP_GRACE_SECONDS),
    }
    pending = getattr(_together, "pending", None)
    if pending is not None:  # inside queued_together(): written when the block ends
        if key not in pending:
            pending[key] = Message(key=key, **fields)
        return pending[key]
    if new_key:
        message, created = Message.objects.create(key=key, **fields), True
    else:
        message, created = Message.objects.get_or_create(key=key, defaults=fields)
    if created:
        from .tasks import send_message_task

        # robust: a broker that is down must not turn a saved change into an error page;
        # the sweep sends the row once the grace is over.
        transaction.on_commit(lambda: send_message_task.delay(message.pk), robust=True)
    return message


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: MESSAGING_RETRY_SECONDS, doubled each time."""
    return timedelta(seconds=settings.MESSAGING_RETRY_SECONDS * 2 ** max(0, attempts - 1))


def send_message(message_id: int, *, now: datetime | None = None, first: bool = False) -> str:
    """Send one queued message through its channel, once, and record how it went.

    send_messages() for one message; returns its outcome.
    """
    return send_messages([message_id], now=now, first=first).get(message_id, "not due")


def send_messages(
    message_ids: Iterable[int], *, now: datetime | None = None, first: bool = False
) -> dict[int, str]:
    """Send these queued messages, one after the other, each once, and record how each went.

    Messages of one channel share its session (one connection to the mail server). Each row is
    claimed right before it is handed over, by a conditional update (queued -> sending), so two
    workers (a task and the sweep) never both send it. The claim counts the attempt and is a
    lease of MESSAGING_LEASE_SECONDS: the outcome is recorded the moment the channel returns,
    and a worker that dies in between leaves that one row to the sweep (release_stale), attempt
    counted; the rows after it are still queued. `first` is the task's first attempt, which
    does not wait for next_attempt_at; a retry waits for it. Returns each message's outcome:
    "sent", "retrying", "failed" or "not due" (somebody else has it, it is done, or its time
    has not come). Raises the database's errors (the task retries: what was sent is recorded).
    """
    now = now or timezone.now()
    ids = list(dict.fromkeys(message_ids))
    # The content never changes once queued: read every row at once, claim each on its own.
    rows = Message.objects.filter(pk__in=ids, state=Message.State.QUEUED)
    rows = rows.filter(attempts=0) if first else rows.filter(next_attempt_at__lte=now)
    found = rows.in_bulk()
    outcomes = dict.fromkeys(ids, "not due")
    by_channel: dict[str, list[Message]] = {}
    for pk in ids:
        if pk in found:
            by_channel.setdefault(found[pk].channel, []).append(found[pk])
    for name, messages in by_channel.items():
        channel = get_channel(name)
        with channel.session():
            # Each row is claimed right before it goes; after the first, in the commit that
            # records the one before it (one commit per message, not two).
            claimed = _claim(messages[0], now=now, first=first)
            for message, following in zip(messages, [*messages[1:], None], strict=True):

                def claim_following(following=following) -> bool:
                    return following is not None and _claim(following, now=now, first=first)

                if not claimed:
                    claimed = claim_following()
                    continue
                outcomes[message.pk], claimed = _send(
                    channel, message, now=now, then=claim_following
                )
    return outcomes


# The two statements each message costs, written out: the ORM's building of an UPDATE cost
# more CPU than PostgreSQL's running it (about 0.4 ms each, measured by bench/followups).
_TABLE = Message._meta.db_table
_CLAIM = (
    f"UPDATE {_TABLE} SET state = %s, claimed_at = %s, attempts = attempts + 1"  # noqa: S608
    " WHERE id = %s AND state = %s AND attempts = %s AND (%s OR next_attempt_at <= %s)"
)
_SENT = (
    f"UPDATE {_TABLE} SET state = %s, last_error = '', sent_at = %s, provider_id = %s"  # noqa: S608
    " WHERE id = %s"
)


def _claim(message: Message, *, now: datetime, first: bool) -> bool:
    """Take `message` (as read) for this attempt if it is still to be sent: still queued, not
    attempted since it was read (another attempt would have counted one), and (a retry) due.
    `message` is then as claimed."""
    claimed_at = timezone.now()
    if first and message.attempts:
        return False
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            _CLAIM,
            [
                Message.State.SENDING,
                adapt(claimed_at),
                message.pk,
                Message.State.QUEUED,
                message.attempts,
                first,
                adapt(now),
            ],
        )
        if cursor.rowcount != 1:
            return False
    message.state, message.claimed_at = Message.State.SENDING, claimed_at
    message.attempts += 1
    return True


def _send(channel, message: Message, *, now: datetime, then) -> tuple[str, bool]:
    """Hand `message` (claimed) to `channel` and record how it went; `then()` (the next
    claim) runs in the commit that records it. Returns the outcome and what `then()` did."""
    try:
        provider_id = channel.send(message)
    except Exception as error:  # noqa: BLE001 - every failure is recorded on the row
        log.warning(
            "message %s (%s) attempt %s failed: %r",
            message.pk,
            message.kind,
            message.attempts,
            error,
        )
        outcome = _failed(
            message,
            describe(error),
            next_attempt_at=now + backoff(message.attempts),
            refused=isinstance(error, Undeliverable),
        )
        return outcome, then()
    sent_at = timezone.now()
    message.state, message.sent_at, message.last_error = Message.State.SENT, sent_at, ""
    message.provider_id = str(provider_id or "")[:255]
    # One commit for the row and what the apps above record about it (a follow-up's rows, an
    # order's timeline), so they never disagree. Recorded whoever holds the row now: it went
    # (a lease that ran out meanwhile means another attempt may send it again, which the
    # key-derived Message-ID makes recognisable).
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                _SENT,
                [
                    Message.State.SENT,
                    connection.ops.adapt_datetimefield_value(sent_at),
                    message.provider_id,
                    message.pk,
                ],
            )
        _tell(message_sent, message)
        claimed = then()
    return "sent", claimed


class _ReceiverFailed(Exception):
    pass


def _tell(signal, message: Message) -> None:
    """Send `signal` about `message` inside the transaction that records it, in a savepoint:
    a receiver's error is logged and what the receivers wrote is undone, while the message's
    own record stands (it went, or failed; followups.dispatch.catch_up mends its rows)."""
    try:
        with transaction.atomic():
            responses = signal.send_robust(sender=Message, message=message)
            errors = [(receiver, e) for receiver, e in responses if isinstance(e, Exception)]
            if errors:
                raise _ReceiverFailed(errors)
    except _ReceiverFailed as failed:
        log.error("receivers failed about message %s: %r", message.pk, failed.args[0])


def _failed(
    message: Message, last_error: str, *, next_attempt_at: datetime, refused: bool = False
) -> str:
    """Record the failed attempt that `message` (as claimed) was: queued again for
    `next_attempt_at`, or failed for good after the last attempt or a refusal. Only while the
    row is still this claim's ("not due" otherwise: another attempt has it)."""
    final = refused or message.attempts >= settings.MESSAGING_MAX_ATTEMPTS
    state = Message.State.FAILED if final else Message.State.QUEUED
    with transaction.atomic():
        if not Message.objects.filter(
            pk=message.pk, state=Message.State.SENDING, claimed_at=message.claimed_at
        ).update(state=state, last_error=last_error, next_attempt_at=next_attempt_at):
            return "not due"
        if not final:
            return "retrying"
        message.state, message.last_error = state, last_error
        _tell(message_failed, message)
    return "failed"


# What a row whose lease ran out says: its worker was killed, or lost its database, mid-send.
LEASE_EXPIRED = (
    "WorkerLost: the worker stopped while sending it; it is sent again (it may have gone)"
)


def release_stale(now: datetime) -> int:
    """Rows left "sending" past their lease belong to a worker that died: each was a failed
    attempt, queued again at once (at-least-once: a lost message is worse than a rare
    duplicate, which the receiver can tell by its Message-ID), or failed after the last."""
    stale = Message.objects.filter(
        state=Message.State.SENDING,
        claimed_at__lt=now - timedelta(seconds=settings.MESSAGING_LEASE_SECONDS),
    )
    return sum(
        _failed(message, LEASE_EXPIRED, next_attempt_at=now) != "not due" for message in stale
    )


def sweep(*, now: datetime | None = None, batch: int | None = None) -> int:
    """Send every queued row whose time has come, whatever its kind; returns how many were sent.

    That is a row whose task was lost (the broker was down at commit, the worker that had it
    died) once its grace is over, a failed attempt once its backoff is over, and a row whose
    lease ran out. Batch after batch, for MESSAGING_SWEEP_SECONDS at most, so a backlog is not
    left to one batch a minute.
    """
    now = now or timezone.now()
    release_stale(now)
    batch = batch or settings.MESSAGING_SWEEP_BATCH
    deadline = time.monotonic() + settings.MESSAGING_SWEEP_SECONDS
    due = Message.objects.filter(state=Message.State.QUEUED, next_attempt_at__lte=now)
    sent = 0
    while True:
        ids = list(due.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:batch])
        # A batch over one connection to the mail server.
        sent += sum(outcome == "sent" for outcome in send_messages(ids, now=now).values())
        if len(ids) < batch or time.monotonic() > deadline:
            return sent
