"""Channels: how a recorded message leaves. One class per way of reaching people.

settings.MESSAGING_CHANNELS names them, e.g. {"email": "messaging.channels.EmailChannel"};
an SMS channel is one more class and one more entry there, nothing else.
"""

from email.utils import make_msgid
from functools import cache
from smtplib import SMTPRecipientsRefused

from anymail.exceptions import AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.module_loading import import_string

from .models import Message


class Undeliverable(Exception):
    """The channel refused the message for good (a refused address): no retry helps."""


class Channel:
    """Send one message; return the provider's id for it (for its delivery reports).

    Raise Undeliverable when retrying cannot help; any other exception is retried with backoff.
    """

    def send(self, message: Message) -> str:
        raise NotImplementedError


def build_email(
    *, subject: str, text: str, html: str, sender: str, to: list[str], headers: dict[str, str]
) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(subject, text, sender, to, headers=dict(headers))
    if html:
        email.attach_alternative(html, "text/html")
    return email


class EmailChannel(Channel):
    """Email through Django's mail API: settings.EMAIL_BACKEND picks SMTP or any provider
    django-anymail supports, with EMAIL_TIMEOUT bounding every connection."""

    def build(self, message: Message) -> EmailMultiAlternatives:
        email = build_email(
            subject=message.subject,
            text=message.text,
            html=message.html,
            sender=message.sender,
            to=[message.recipient],
            headers=message.headers,
        )
        # Ours, so the id is known whatever the backend; a provider may report its own.
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
        email.extra_headers.setdefault("Message-ID", make_msgid(domain=domain))
        return email

    def send(self, message: Message) -> str:
        email = self.build(message)
        try:
            email.send()
        except (SMTPRecipientsRefused, AnymailRecipientsRefused) as error:
            raise Undeliverable(str(error)) from error
        status = getattr(email, "anymail_status", None)
        return (status and status.message_id) or email.extra_headers["Message-ID"]


@cache
def _load(path: str) -> Channel:
    return import_string(path)()


def get_channel(name: str) -> Channel:
    """The channel registered under `name` in settings.MESSAGING_CHANNELS (KeyError if none)."""
    return _load(settings.MESSAGING_CHANNELS[name])
