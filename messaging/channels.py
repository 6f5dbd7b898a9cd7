"""Channels: how a recorded message leaves. One class per way of reaching people.

settings.MESSAGING_CHANNELS names them, e.g. {"email": "messaging.channels.EmailChannel"};
an SMS channel is one more class and one more entry there, nothing else.
"""

import contextlib
import hashlib
import json
import socket
import threading
from collections.abc import Iterator
from functools import cache
from smtplib import SMTPConnectError, SMTPRecipientsRefused, SMTPServerDisconnected

from anymail.exceptions import AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.module_loading import import_string

from config.breaker import Breaker

from .models import Message
from .render import SMS_PARAMS_HEADER


class Undeliverable(Exception):
    """The channel refused the message for good (a refused address): no retry helps."""


class MailServerUnreachable(ConnectionError):
    """The mail server failed to answer a moment ago: this attempt did not try it."""


# What a mail server that cannot be reached raises (refused, reset, silent, unknown host, or
# closed before its greeting): the server's state, not the message's.
UNREACHABLE = (
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    SMTPConnectError,
    SMTPServerDisconnected,
)


class Channel:
    """Send one message; return the provider's id for it (for its delivery reports).

    Raise Undeliverable when retrying cannot help; any other exception is retried with backoff.
    """

    def send(self, message: Message) -> str:
        raise NotImplementedError

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """Several messages in a row (a batch): a channel that can share one connection among
        them opens it lazily, on the first send inside the block, and closes it at the end.
        Each send still succeeds or fails on its own. By default, nothing is shared."""
        yield


def build_email(
    *, subject: str, text: str, html: str, sender: str, to: list[str], headers: dict[str, str]
) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(subject, text, sender, to, headers=dict(headers))
    if html:
        email.attach_alternative(html, "text/html")
    return email


def short_key(key: str) -> str:
    """`key`, or a digest of it when it is too long for a provider's metadata (80 characters
    is the smallest limit among anymail's providers)."""
    return key if len(key) <= 80 else hashlib.blake2b(key.encode(), digest_size=20).hexdigest()


def message_id(message: Message) -> str:
    """The Message-ID of `message`, the same every time it is sent: a digest of its key (and of
    when the row was made, so that a database started afresh never reuses an id)."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].rstrip(">") or "localhost"
    made = message.created_at.timestamp() if message.created_at else 0
    seed = f"{message.key}|{made:.6f}"
    digest = hashlib.blake2b(seed.encode(), digest_size=16, person=b"message-id").hexdigest()
    return f"<{digest}@{domain}>"


class EmailChannel(Channel):
    """Email through Django's mail API: settings.EMAIL_BACKEND picks SMTP or any provider
    django-anymail supports, with EMAIL_TIMEOUT bounding every connection.

    Inside `session()` the messages share one connection to the mail server (one SMTP
    greeting and login per batch instead of one per message); it is opened by the first send,
    inside that send's error handling, and opened again after a send that broke it.
    """

    def __init__(self) -> None:
        # Channels are loaded once per process and shared by its threads: each its own session.
        self._local = threading.local()

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        if getattr(self._local, "connection", None) is not None:
            yield  # already inside one: share it
            return
        self._local.connection = get_connection()
        try:
            yield
        finally:
            connection, self._local.connection = self._local.connection, None
            with contextlib.suppress(Exception):  # a broken connection is closed as it can be
                connection.close()

    def build(self, message: Message) -> EmailMultiAlternatives:
        email = build_email(
            subject=message.subject,
            text=message.text,
            html=message.html,
            sender=message.sender,
            to=[message.recipient],
            headers=message.headers,
        )
        # Ours, so the id is known whatever the backend (a provider may report its own), and
        # derived from the row's key: a message sent again after a crash carries the same id,
        # so it is recognisable, and receivers that deduplicate by Message-ID drop it.
        email.extra_headers.setdefault("Message-ID", message_id(message))
        # Providers behind anymail get the key too (their delivery reports carry it back).
        email.metadata = {"message_key": short_key(message.key)}
        return email

    def send(self, message: Message) -> str:
        email = self.build(message)
        # A mail server that cannot be reached costs one connection's timeout, not one per
        # message: for MESSAGING_SKIP_SECONDS after, this process does not try it (each
        # message claimed meanwhile is a failed attempt, backed off as any other).
        where = f"{settings.EMAIL_BACKEND} {settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
        server = Breaker.named(f"Mail server ({where})", settings.MESSAGING_SKIP_SECONDS)
        if not server.should_try():
            raise MailServerUnreachable(f"not tried, it failed a moment ago: {server.last_error}")
        connection = getattr(self._local, "connection", None)
        try:
            if connection is not None:
                connection.open()  # no-op when open; here, so a refusal is this send's error
                email.connection = connection
            email.send()
        except (SMTPRecipientsRefused, AnymailRecipientsRefused) as error:
            server.succeeded()  # it answered: the address is what it refuses
            raise Undeliverable(str(error)) from error
        except UNREACHABLE as error:
            server.failed(error)
            self._drop(connection)
            raise
        except Exception:
            self._drop(connection)  # a half-finished conversation: start the next one afresh
            raise
        server.succeeded()
        status = getattr(email, "anymail_status", None)
        return (status and status.message_id) or email.extra_headers["Message-ID"]

    @staticmethod
    def _drop(connection) -> None:
        """Close a shared connection that failed; the session's next send opens a new one."""
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()


@cache
def _load(path: str) -> Channel:
    return import_string(path)()


def get_channel(name: str) -> Channel:
    """The channel registered under `name` in settings.MESSAGING_CHANNELS (KeyError if none)."""
    return _load(settings.MESSAGING_CHANNELS[name])


class SmsChannel(Channel):
    """SMS through the provider SMS_PROVIDER names (messaging.sms: Aliyun, Tencent, console).

    The row's `recipient` is the E.164 number, `text` what the buyer reads (our rendering of
    the approved template, without the 【sign name】 the provider adds) and its template's
    values are recorded in the SMS_PARAMS_HEADER header. `SmsRefused` (an `Undeliverable`:
    template not approved, bad number, no balance) fails the row now; `SmsRetryable`
    (throttled, timed out, 5xx) and a missing setting are retried with messaging's backoff.
    """

    def send(self, message: Message) -> str:
        from .sms import send_sms  # here: messaging.sms.errors imports this module

        try:
            params = json.loads(message.headers.get(SMS_PARAMS_HEADER) or "{}")
        except ValueError:
            params = {}
        if not isinstance(params, dict):
            params = {}
        return send_sms(
            message.kind,
            message.recipient,
            {str(k): "" if v is None else str(v) for k, v in params.items()},
            idempotency_key=message.key,
            text=message.text,
        ).provider_id
