"""Queue in the caller's transaction, send after commit, retry with backoff, sweep what was lost."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from messaging import services
from messaging.channels import Channel, EmailChannel, Undeliverable, message_id, short_key
from messaging.models import Message
from messaging.services import queue_message, send_message, sweep
from messaging.signals import message_failed

pytestmark = pytest.mark.django_db


def queue(rendered, key="k1", to="mei@example.com", **kwargs):
    return queue_message(rendered, to=to, kind="test.note", key=key, **kwargs)


@contextmanager
def catch(signal):
    """The messages `signal` told about while the block ran."""
    told = []

    def receiver(sender, message, **kwargs):
        told.append(message)

    signal.connect(receiver, sender=Message, dispatch_uid="tests.catch")
    try:
        yield told
    finally:
        signal.disconnect(dispatch_uid="tests.catch", sender=Message)


def test_the_same_key_queued_twice_is_one_row_and_one_email(
    note, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = queue(note(body="first"))
        second = queue(note(body="second"))
    assert first.pk == second.pk and Message.objects.count() == 1
    assert len(callbacks) == 1
    [email] = mail.outbox
    assert email.body == "[en] first" and email.to == ["mei@example.com"]
    first.refresh_from_db()
    assert (first.state, first.attempts, first.sent_at is not None) == ("sent", 1, True)
    assert first.provider_id == email.extra_headers["Message-ID"]


def test_sent_after_commit_only_and_never_for_a_rollback(note, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            queue(note(), key="kept")
            assert not mail.outbox  # still inside the transaction
        with pytest.raises(RuntimeError), transaction.atomic():
            queue(note(), key="rolled-back")
            raise RuntimeError("the change failed")
    assert [m.to for m in mail.outbox] == [["mei@example.com"]]
    assert list(Message.objects.values_list("key", "state")) == [("kept", "sent")]


def test_a_failing_backend_retries_with_backoff_then_fails_with_the_error(
    note, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.messaging.conftest.FailingBackend"
    settings.MESSAGING_MAX_ATTEMPTS = 3
    settings.MESSAGING_RETRY_SECONDS = 60
    with catch(message_failed) as failed, django_capture_on_commit_callbacks(execute=True):
        message = queue(note())
    assert failed == []  # a retry is not a failure
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("queued", 1)
    assert message.last_error == "ConnectionRefusedError: SMTP is down"
    first_retry = message.next_attempt_at
    assert first_retry - timezone.now() == pytest.approx(
        timedelta(seconds=60), abs=timedelta(seconds=5)
    )

    # Not before its time; then once, after a doubled wait.
    assert send_message(message.pk, now=first_retry - timedelta(seconds=1)) == "not due"
    assert sweep(now=first_retry - timedelta(seconds=1)) == 0
    assert send_message(message.pk, now=first_retry) == "retrying"
    message.refresh_from_db()
    assert message.attempts == 2 and message.next_attempt_at == first_retry + timedelta(seconds=120)

    with catch(message_failed) as failed:
        assert sweep(now=message.next_attempt_at) == 0  # the third and last attempt fails too
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("failed", 3)
    # The apps above hear it once, with the row as it is now.
    [told] = failed
    assert (told.pk, told.state, told.attempts, told.last_error) == (
        message.pk,
        "failed",
        3,
        "ConnectionRefusedError: SMTP is down",
    )
    assert message.last_error == "ConnectionRefusedError: SMTP is down"
    assert sweep(now=message.next_attempt_at + timedelta(days=1)) == 0  # failed stays failed
    assert not mail.outbox

    # The mail server is back: a failed row is not sent again by itself.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_message(message.pk, now=message.next_attempt_at + timedelta(days=1)) == "not due"


def test_the_sweep_sends_rows_whose_task_was_lost_once(note, settings):
    # No on_commit callback runs: as when the broker was down at commit.
    lost = [queue(note(body=str(n)), key=f"lost-{n}") for n in range(3)]
    assert not mail.outbox
    assert sweep() == 0  # within the grace the task may still come
    later = timezone.now() + timedelta(seconds=settings.MESSAGING_SWEEP_GRACE_SECONDS + 1)
    assert sweep(now=later) == 3
    assert sweep(now=later) == 0
    assert sorted(m.body for m in mail.outbox) == ["[en] 0", "[en] 1", "[en] 2"]
    # The task arriving late, when the broker came back, sends nothing more.
    assert send_message(lost[0].pk, first=True) == "not due"
    assert len(mail.outbox) == 3


class WorkerKilled(BaseException):
    """What SIGKILL looks like from inside: nothing after it runs, no except clause catches it."""


class HandsOverThenDies(EmailChannel):
    """The mail server has the message; the worker is killed before it records so."""

    def send(self, message):
        super().send(message)
        raise WorkerKilled


def test_a_worker_killed_mid_send_leaves_one_attempt_and_its_lease_to_the_sweep(note, settings):
    settings.MESSAGING_CHANNELS = {
        **settings.MESSAGING_CHANNELS,
        "test": f"{__name__}.HandsOverThenDies",
    }
    message = queue(note(), channel="test")
    with pytest.raises(WorkerKilled):
        send_message(message.pk, first=True)
    message.refresh_from_db()
    # Claimed: the attempt is counted at once, and the claim is a lease.
    assert (message.state, message.attempts, message.last_error) == ("sending", 1, "")
    lease = timedelta(seconds=settings.MESSAGING_LEASE_SECONDS)
    assert timedelta(minutes=1) < lease <= timedelta(minutes=3)  # minutes, not half an hour
    assert sweep(now=message.claimed_at + lease - timedelta(seconds=1)) == 0  # maybe still sending
    assert Message.objects.get(pk=message.pk).state == "sending"
    # The task redelivered late finds the row taken: it does not send it.
    assert send_message(message.pk, first=True) == "not due"

    settings.MESSAGING_CHANNELS = {
        **settings.MESSAGING_CHANNELS,
        "test": "messaging.channels.EmailChannel",
    }
    assert sweep(now=message.claimed_at + lease + timedelta(seconds=1)) == 1
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == ("sent", 2, "")
    # Sent twice (the first went before the kill), under one Message-ID, derived from the row.
    first, second = mail.outbox
    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"]
    assert first.extra_headers["Message-ID"] == message_id(message) == message.provider_id
    assert message_id(message) != message_id(queue(note(), key="k2"))


def test_a_message_that_kills_its_worker_every_time_fails_after_the_last_attempt(note, settings):
    settings.MESSAGING_CHANNELS = {
        **settings.MESSAGING_CHANNELS,
        "test": f"{__name__}.HandsOverThenDies",
    }
    settings.MESSAGING_MAX_ATTEMPTS = 2
    message = queue(note(), channel="test")
    later = timezone.now() + timedelta(seconds=settings.MESSAGING_LEASE_SECONDS + 1)
    with pytest.raises(WorkerKilled):
        send_message(message.pk, first=True)
    with pytest.raises(WorkerKilled):
        sweep(now=later)  # the lease ran out: queued again at once, and it kills again
    assert Message.objects.get(pk=message.pk).attempts == 2
    with catch(message_failed) as failed:
        assert sweep(now=later + timedelta(seconds=settings.MESSAGING_LEASE_SECONDS + 1)) == 0
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("failed", 2)
    assert message.last_error == services.LEASE_EXPIRED and [m.pk for m in failed] == [message.pk]


def test_a_refused_address_fails_at_once(note, settings, django_capture_on_commit_callbacks):
    settings.MESSAGING_CHANNELS = {**settings.MESSAGING_CHANNELS, "test": f"{__name__}.Refusing"}
    with catch(message_failed) as failed, django_capture_on_commit_callbacks(execute=True):
        message = queue(note(), channel="test")
    assert [m.pk for m in failed] == [message.pk]
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == (
        "failed",
        1,
        "Undeliverable: no such number",
    )


class Refusing(Channel):
    def send(self, message):
        raise Undeliverable("no such number")


class Recording(Channel):
    sent: list = []

    def send(self, message):
        Recording.sent.append((message.recipient, message.text))
        return f"rec-{len(Recording.sent)}"


def test_a_new_channel_is_a_class_and_a_setting(note, settings, django_capture_on_commit_callbacks):
    settings.MESSAGING_CHANNELS = {**settings.MESSAGING_CHANNELS, "sms": f"{__name__}.Recording"}
    Recording.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(note(body="Your parcel left"), to="+8613800000000", channel="sms")
    message.refresh_from_db()
    assert Recording.sent == [("+8613800000000", "[en] Your parcel left")]
    assert (message.state, message.provider_id) == ("sent", "rec-1") and not mail.outbox


def test_an_unknown_channel_is_refused_when_queued(note):
    with pytest.raises(KeyError):
        queue(note(), channel="pigeon")
    assert not Message.objects.exists()


def test_backoff_doubles(settings):
    settings.MESSAGING_RETRY_SECONDS = 30
    assert [services.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]


def test_a_provider_gets_the_messages_key_and_its_message_id(note, settings, on_commit):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    with on_commit():
        short = queue(note(), key="order:7:shipped")
        long = queue(note(), key="account:" + "x" * 100)
    sent = {m.extra_headers["Message-ID"]: m.anymail_test_params for m in mail.outbox}
    assert sent[message_id(short)]["metadata"] == {"message_key": "order:7:shipped"}
    # Too long for every provider's metadata: a digest of it, the same each time.
    digest = sent[message_id(long)]["metadata"]["message_key"]
    assert len(digest) <= 80 and digest == short_key(long.key) != long.key


def test_a_new_key_is_one_insert_and_a_taken_one_is_refused(
    note, django_assert_num_queries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        with django_assert_num_queries(1):
            queue(note(), key="k", new_key=True)
    assert len(callbacks) == 1  # its send task, after commit
    with pytest.raises(IntegrityError), transaction.atomic():
        queue(note(), key="k", new_key=True)
    assert Message.objects.filter(key="k").count() == 1
