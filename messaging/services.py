"""Record a message, send it after commit, retry it, sweep up what a broker outage lost.

The API for every app that sends anything:

    rendered = render(Templates.of("orders/email/shipped"), context,
                      language=..., sender_name=shop.name)
    queue_message(rendered, to=order.email, kind="order.shipped",
                  key=f"order:{order.pk}:shipped", about="order", about_id=order.pk)

`queue_message` runs inside the caller's transaction: the row is saved with the change it tells
about, or not at all, and its send task is queued when that transaction commits. A queued row
is sent once: by its task, or by the sweep (beat, every minute) when the task was lost while
the broker was down, or after a failed attempt's backoff. After MESSAGING_MAX_ATTEMPTS the row
is failed, with the last error (links and tokens left out). The apps above hear how it went
through messaging.signals (`message_sent`, `message_failed`).

A crash costs at most the message in flight: each row is claimed alone, for a lease of
MESSAGING_LEASE_SECONDS, and its outcome is recorded the moment its channel returns. A row
whose worker died mid-send is queued again when its lease runs out; it may have gone, and
goes again under the same Message-ID (channels.message_id), which receivers can recognise.
"""

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .channels import Undeliverable, get_channel
from .errors import describe
from .models import Message
from .render import Rendered
from .signals import message_failed, message_sent

log = logging.getLogger(__name__)


def queue_message(
    rendered: Rendered,
    *,
    to: str,
    kind: str,
    key: str,
    about: str = "",
    about_id: int | None = None,
    channel: str = "email",
) -> Message:
    """Record one message to `to` and send it after the caller's transaction commits.

    Idempotent by `key`: queueing the same key again returns the first row and sends nothing
    more, so a caller may queue from code that can run twice. Raises KeyError for a channel
    that settings.MESSAGING_CHANNELS does not name.
    """
    get_channel(channel)  # refuse an unknown channel now, not in a worker later
    message, created = Message.objects.get_or_create(
        key=key,
        defaults={
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
        },
    )
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

    The row is claimed by a conditional update (queued -> sending), so two workers (a task
    and the sweep) never both send it. The claim counts the attempt and is a lease of
    MESSAGING_LEASE_SECONDS: the outcome is recorded the moment the channel returns, and a
    worker that dies in between leaves the row to the sweep (release_stale), attempt counted.
    `first` is the task's first attempt, which does not wait for next_attempt_at; a retry
    waits for it. Returns "sent", "retrying", "failed" or "not due" (somebody else has it, it
    is done, or its time has not come).
    """
    now = now or timezone.now()
    claim = Message.objects.filter(pk=message_id, state=Message.State.QUEUED)
    claim = claim.filter(attempts=0) if first else claim.filter(next_attempt_at__lte=now)
    claimed_at = timezone.now()
    if not claim.update(
        state=Message.State.SENDING, claimed_at=claimed_at, attempts=F("attempts") + 1
    ):
        return "not due"
    message = Message.objects.get(pk=message_id)
    try:
        provider_id = get_channel(message.channel).send(message)
    except Exception as error:  # noqa: BLE001 - every failure is recorded on the row
        log.warning(
            "message %s (%s) attempt %s failed: %r",
            message.pk,
            message.kind,
            message.attempts,
            error,
        )
        return _failed(
            message,
            describe(error),
            next_attempt_at=now + backoff(message.attempts),
            refused=isinstance(error, Undeliverable),
        )
    sent_at = timezone.now()
    # Recorded whoever holds the row now: it went (a lease that ran out meanwhile means
    # another attempt may send it again, which the key-derived Message-ID makes recognisable).
    Message.objects.filter(pk=message.pk).update(
        state=Message.State.SENT,
        last_error="",
        sent_at=sent_at,
        provider_id=str(provider_id or "")[:255],
    )
    message.state, message.sent_at, message.last_error = Message.State.SENT, sent_at, ""
    message_sent.send(sender=Message, message=message)
    return "sent"


def _failed(
    message: Message, last_error: str, *, next_attempt_at: datetime, refused: bool = False
) -> str:
    """Record the failed attempt that `message` (as claimed) was: queued again for
    `next_attempt_at`, or failed for good after the last attempt or a refusal. Only while the
    row is still this claim's ("not due" otherwise: another attempt has it)."""
    final = refused or message.attempts >= settings.MESSAGING_MAX_ATTEMPTS
    state = Message.State.FAILED if final else Message.State.QUEUED
    if not Message.objects.filter(
        pk=message.pk, state=Message.State.SENDING, claimed_at=message.claimed_at
    ).update(state=state, last_error=last_error, next_attempt_at=next_attempt_at):
        return "not due"
    if not final:
        return "retrying"
    message.state, message.last_error = state, last_error
    message_failed.send(sender=Message, message=message)
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
        sent += sum(send_message(pk, now=now) == "sent" for pk in ids)
        if len(ids) < batch or time.monotonic() > deadline:
            return sent
