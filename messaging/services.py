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
is failed, with the last error. The apps above hear how it went through messaging.signals
(`message_sent`, `message_failed`).
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .channels import Undeliverable, get_channel
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
    and the sweep) never both send it. `first` is the task's first attempt, which does not
    wait for next_attempt_at; a retry waits for it. Returns "sent", "retrying", "failed" or
    "not due" (somebody else has it, it is done, or its time has not come).
    """
    now = now or timezone.now()
    claim = Message.objects.filter(pk=message_id, state=Message.State.QUEUED)
    claim = claim.filter(attempts=0) if first else claim.filter(next_attempt_at__lte=now)
    if not claim.update(state=Message.State.SENDING, claimed_at=now):
        return "not due"
    message = Message.objects.get(pk=message_id)
    attempts = message.attempts + 1
    try:
        provider_id = get_channel(message.channel).send(message)
    except Exception as error:  # noqa: BLE001 - every failure is recorded on the row
        final = isinstance(error, Undeliverable) or attempts >= settings.MESSAGING_MAX_ATTEMPTS
        log.warning(
            "message %s (%s) attempt %s failed: %r", message.pk, message.kind, attempts, error
        )
        last_error = f"{error.__class__.__name__}: {error}"[:2000]
        Message.objects.filter(pk=message.pk).update(
            state=Message.State.FAILED if final else Message.State.QUEUED,
            attempts=attempts,
            last_error=last_error,
            next_attempt_at=now + backoff(attempts),
        )
        if not final:
            return "retrying"
        message.state, message.attempts, message.last_error = (
            Message.State.FAILED,
            attempts,
            last_error,
        )
        message_failed.send(sender=Message, message=message)
        return "failed"
    sent_at = timezone.now()
    Message.objects.filter(pk=message.pk).update(
        state=Message.State.SENT,
        attempts=attempts,
        last_error="",
        sent_at=sent_at,
        provider_id=str(provider_id or "")[:255],
    )
    message.state, message.attempts, message.sent_at = Message.State.SENT, attempts, sent_at
    message_sent.send(sender=Message, message=message)
    return "sent"


def sweep(*, now: datetime | None = None, batch: int | None = None) -> int:
    """Send every queued row whose time has come, whatever its kind; returns how many were sent.

    That is a row whose task was lost (the broker was down at commit) once its grace is over,
    and a failed attempt once its backoff is over. A row left "sending" by a worker that died
    goes back to the queue first: at-least-once, since a lost message is worse than a rare
    duplicate.
    """
    now = now or timezone.now()
    Message.objects.filter(
        state=Message.State.SENDING,
        claimed_at__lt=now - timedelta(minutes=settings.MESSAGING_STUCK_MINUTES),
    ).update(state=Message.State.QUEUED, next_attempt_at=now)
    due = Message.objects.filter(state=Message.State.QUEUED, next_attempt_at__lte=now)
    ids = list(
        due.order_by("next_attempt_at", "id").values_list("pk", flat=True)[
            : batch or settings.MESSAGING_SWEEP_BATCH
        ]
    )
    return sum(send_message(pk, now=now) == "sent" for pk in ids)
