import time

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend


class FailingBackend(BaseEmailBackend):
    """A mail server that is down: every send raises."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP is down")


class SlowBackend(EmailBackend):
    """A mail server that takes a moment per message (into mail.outbox), so that two
    dispatchers' sends overlap as they do in production."""

    def send_messages(self, email_messages):
        time.sleep(0.05)
        return super().send_messages(email_messages)
