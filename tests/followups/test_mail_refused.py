"""A mail server that refuses: every claimed message is a failed attempt (counted, with its
error, backed off, in the end failed with a Retry), none is left "sending", and the owner's
health panel says the mail server refuses while it does. Through Django's real SMTP backend,
against a port nobody listens on and a server that answers 554."""

import contextlib
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from followups import dispatch
from followups.models import FollowUp
from messaging.models import Message
from messaging.services import sweep

from ..messaging.smtp import SMTPStub, unused_port
from .helpers import delivered_to, dispatch_and_send, make_due

pytestmark = pytest.mark.django_db

HELP = "https://mail.example/help?token=0123456789abcdef0123456789abcdef"
SERVERS = {
    # what the server does: (the stub's arguments, or None for no server; the error's start;
    # what the panel says)
    "nobody listens": (None, "ConnectionRefusedError: [Errno 111]", "cannot be reached"),
    "554 on connect": (
        {"greeting": f"554 5.3.2 No SMTP service here, see {HELP}"},
        "SMTPConnectError: (554",
        "cannot be reached",
    ),
    "554 to the sender": (
        {"mail_reply": f"554 5.7.1 Sender blocked, see {HELP}"},
        "SMTPSenderRefused: (554",
        "it refuses the messages",
    ),
}


@contextlib.contextmanager
def mail_server(stub_arguments):
    if stub_arguments is None:
        yield unused_port()
    else:
        with SMTPStub(**stub_arguments) as server:
            yield server.port


def panel(client) -> str:
    page = client.get(reverse("followups:dashboard")).content.decode()
    return page[page.index('<li id="mail-server">') :].split("</li>")[0]


def follow_up_messages():
    return Message.objects.filter(kind__startswith="followup.")


@pytest.mark.parametrize("server", SERVERS)
def test_every_claimed_message_is_a_failed_attempt_and_the_owner_is_told(
    server, owner_client, settings, on_commit
):
    stub_arguments, error, says = SERVERS[server]
    with on_commit():  # their order emails go while the mail server answers
        orders = [delivered_to(f"r{n}@example.com") for n in range(5)]
    make_due(FollowUp.objects.filter(order__in=orders))
    assert "answering" in panel(owner_client)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_TIMEOUT = "127.0.0.1", 5
    settings.MESSAGING_MAX_ATTEMPTS = 3
    with mail_server(stub_arguments) as port:
        settings.EMAIL_PORT = port
        started = timezone.now()
        result = dispatch_and_send()
        assert (result.sent, result.emails) == (15, 15)

        # Each claimed message was one attempt, counted, with its error, and waits its backoff.
        messages = follow_up_messages()
        assert sorted(messages.values_list("state", "attempts")) == [("queued", 1)] * 15
        assert all(m.last_error.startswith(error) for m in messages), messages[0].last_error
        assert all(
            m.next_attempt_at >= started + timedelta(seconds=settings.MESSAGING_RETRY_SECONDS)
            for m in messages
        )
        assert not Message.objects.filter(state="sending").exists()
        assert set(FollowUp.objects.values_list("state", flat=True)) == {"sending"}

        # The owner is told while it happens: the mail server refuses, and the latest error,
        # without the link and token the server put in it.
        told = panel(owner_client)
        assert says in told and "the last 15 attempts failed" in told
        assert error in told.replace("&#x27;", "'") and "http" not in told and "token" not in told

        # Backed off and tried again, twice more; then failed, each with its error.
        for attempt in (2, 3):
            due = max(messages.values_list("next_attempt_at", flat=True))
            assert sweep(now=due) == 0
            assert set(messages.values_list("attempts", flat=True)) == {attempt}
        assert set(messages.values_list("state", flat=True)) == {"failed"}
        rows = FollowUp.objects.all()
        assert {(r.state, r.attempts) for r in rows} == {("failed", 3)}
        assert all(r.last_error.startswith(error) for r in rows)
        page = owner_client.get(reverse("followups:dashboard")).content.decode()
        assert page.count("Retry</button>") == 15 and "http" not in panel(owner_client)

    # The mail server answers again: a Retry goes, and the panel says it answers.
    with SMTPStub() as working:
        settings.EMAIL_PORT = working.port
        row = FollowUp.objects.filter(order=orders[0]).first()
        dispatch.retry_failed(row)
        assert dispatch_and_send().emails == 1
        row.refresh_from_db()
        assert row.state == "sent" and working.total == 1
        assert list(working.received) == [row.message.provider_id]
        assert "answering" in panel(owner_client)


def test_a_silent_mail_server_costs_one_timeout_not_one_per_message(
    owner_client, settings, on_commit
):
    with on_commit():
        orders = [delivered_to(f"s{n}@example.com") for n in range(5)]
    make_due(FollowUp.objects.filter(order__in=orders))
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_TIMEOUT = "127.0.0.1", 1
    settings.MESSAGING_SKIP_SECONDS = 30  # production's (the test settings' is 0)
    with SMTPStub(greeting="") as silent:
        settings.EMAIL_PORT = silent.port
        started = time.monotonic()
        assert dispatch_and_send().emails == 15
        seconds = time.monotonic() - started
        told = panel(owner_client)
    # The first message waited for its timeout; the 14 after it were not tried: each is a
    # failed attempt all the same, backed off, with what the first one met.
    assert seconds < 1 + 2, seconds
    timed_out = "SMTPServerDisconnected: Connection unexpectedly closed: timed out"
    errors = sorted(follow_up_messages().values_list("attempts", "state", "last_error"))
    assert errors.count((1, "queued", timed_out)) == 1
    not_tried = f"MailServerUnreachable: not tried, it failed a moment ago: {timed_out}"
    assert errors.count((1, "queued", not_tried)) == 14
    assert "cannot be reached" in told and "the last 15 attempts failed" in told
