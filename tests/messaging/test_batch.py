"""Messages queued together (the follow-up dispatcher's batches): one INSERT, one send task per
SEND_CHUNK, one connection to the mail server per task, and still each row claimed alone and
recorded as soon as it is handed over, so a crash mid-chunk costs at most the one in flight."""

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from messaging import services
from messaging.channels import EmailChannel, message_id
from messaging.models import Message
from messaging.services import queue_message, queued_together, send_messages
from messaging.signals import message_sent

from .smtp import SMTPStub
from .test_queue import WorkerKilled, catch

pytestmark = pytest.mark.django_db


def queue_many(note, n: int, *, start: int = 0) -> list[Message]:
    with queued_together():
        queued = [
            queue_message(note(body=str(i)), to=f"b{i}@example.com", kind="test.note", key=f"k{i}")
            for i in range(start, start + n)
        ]
    return queued


def test_queued_together_is_one_insert_and_one_task_per_chunk(
    note, django_capture_on_commit_callbacks
):
    n = services.SEND_CHUNK * 2 + 1
    rendered = [note(body=str(i)) for i in range(n)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            with CaptureQueriesContext(connection) as queries, queued_together():
                queued = [
                    queue_message(r, to=f"b{i}@example.com", kind="test.note", key=f"k{i}")
                    for i, r in enumerate(rendered)
                ]
                assert all(m.pk is None for m in queued)  # nothing written inside the block
            statements = [q["sql"] for q in queries.captured_queries]
            # The keys already queued (none), then the rows: one INSERT on PostgreSQL (SQLite
            # splits it by its limit on parameters).
            inserts = sum(s.startswith("INSERT") for s in statements)
            assert inserts == 1 if connection.vendor == "postgresql" else inserts <= 3
            assert len(statements) == 1 + inserts, statements
    assert len(callbacks) == 3  # 50 + 50 + 1
    assert all(m.pk for m in queued) and Message.objects.count() == n
    assert sorted(m.body for m in mail.outbox) == sorted(f"[en] {i}" for i in range(n))
    assert set(Message.objects.values_list("state", flat=True)) == {"sent"}


def test_a_key_queued_before_is_that_row_and_not_sent_again(
    note, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        [first] = queue_many(note, 1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again, new = queue_many(note, 2)
    assert again.pk == first.pk and again.state == "sent"
    assert new.pk != first.pk and Message.objects.count() == 2
    assert len(callbacks) == 1 and len(mail.outbox) == 2


def test_nothing_is_written_when_the_block_raises(note, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), queued_together():
            queue_message(note(), to="b@example.com", kind="test.note", key="k")
            raise RuntimeError("the batch failed")
    assert not Message.objects.exists() and not callbacks
    # And the next block starts afresh.
    with django_capture_on_commit_callbacks(execute=True):
        queue_many(note, 1)
    assert Message.objects.count() == 1


def test_a_chunk_goes_over_one_smtp_connection(note, settings):
    queued = queue_many(note, 5)  # no callbacks run: sent here
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    with SMTPStub() as smtp:
        settings.EMAIL_PORT = smtp.port
        outcomes = send_messages([m.pk for m in queued], first=True)
    assert list(outcomes.values()) == ["sent"] * 5
    assert smtp.connections == 1
    assert set(smtp.received) == {message_id(m) for m in queued}


class DiesAtTheThird(EmailChannel):
    """The worker is killed while the mail server has the third message."""

    handed_over = 0

    def send(self, message):
        provider_id = super().send(message)
        DiesAtTheThird.handed_over += 1
        if DiesAtTheThird.handed_over == 3:
            raise WorkerKilled
        return provider_id


def test_a_crash_mid_chunk_leaves_only_the_message_in_flight_sending(note, settings):
    settings.MESSAGING_CHANNELS = {
        **settings.MESSAGING_CHANNELS,
        "test": f"{__name__}.DiesAtTheThird",
    }
    DiesAtTheThird.handed_over = 0
    with queued_together():
        queued = [
            queue_message(
                note(body=str(i)), to="b@example.com", kind="t", key=f"k{i}", channel="test"
            )
            for i in range(5)
        ]
    with pytest.raises(WorkerKilled):
        send_messages([m.pk for m in queued], first=True)
    states = [Message.objects.get(pk=m.pk) for m in queued]
    # Two recorded sent, the third claimed (its lease runs), the rest untouched: queued, with no
    # attempt counted, for the task's next run or the sweep.
    assert [(m.state, m.attempts) for m in states] == [
        ("sent", 1),
        ("sent", 1),
        ("sending", 1),
        ("queued", 0),
        ("queued", 0),
    ]
    assert len(mail.outbox) == 3
    # The task run again sends the two left, not the two sent nor the one in flight.
    settings.MESSAGING_CHANNELS = {
        **settings.MESSAGING_CHANNELS,
        "test": "messaging.channels.EmailChannel",
    }
    outcomes = send_messages([m.pk for m in queued], first=True)
    assert list(outcomes.values()) == ["not due", "not due", "not due", "sent", "sent"]
    assert len(mail.outbox) == 5


def test_a_receivers_error_leaves_the_record_standing(note):
    [message] = queue_many(note, 1)

    def broken(sender, message, **kwargs):
        Message.objects.filter(pk=message.pk).update(subject="changed by the receiver")
        raise ValueError("a bug in an app above")

    message_sent.connect(broken, sender=Message, dispatch_uid="tests.broken")
    try:
        with catch(message_sent) as told:
            assert send_messages([message.pk], first=True) == {message.pk: "sent"}
    finally:
        message_sent.disconnect(dispatch_uid="tests.broken", sender=Message)
    message.refresh_from_db()
    # Sent, and recorded so; what the failing receivers wrote is undone with them.
    assert message.state == "sent" and message.subject != "changed by the receiver"
    assert [m.pk for m in told] == [message.pk]


def test_sending_a_chunk_costs_a_fixed_number_of_queries_per_message(note):
    small, large = queue_many(note, 2), queue_many(note, 8, start=2)
    costs = []
    for queued in (small, large):
        with CaptureQueriesContext(connection) as queries:
            send_messages([m.pk for m in queued], first=True)
        costs.append(len(queries.captured_queries))
    per_message = (costs[1] - costs[0]) / 6
    # The read, then per message: its claim (with the one before's record), its record.
    assert per_message == int(per_message) and per_message <= 6, costs
