"""The demo's email backend: nothing leaves the machine, every message is in the table.

Mail sent by the email channel is already a Message row (the /outbox/ page reads them), so it
is dropped here. Mail sent around messaging (the follow-up engine still sends its own, until it
queues through messaging) is recorded as a sent Message, so the outbox shows every email.
"""

import uuid

from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class DemoBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        from .models import Message

        now = timezone.now()
        rows = [
            Message(
                key=f"mail:{uuid.uuid4().hex}",
                kind="mail",
                recipient=", ".join(email.to)[:254],
                language="",
                sender=str(email.from_email)[:320],
                subject=str(email.subject),
                text=email.body,
                html=next(
                    (c for c, mime in getattr(email, "alternatives", []) if mime == "text/html"),
                    "",
                ),
                headers={k: str(v) for k, v in (email.extra_headers or {}).items()},
                state=Message.State.SENT,
                attempts=1,
                next_attempt_at=now,
                sent_at=now,
            )
            for email in email_messages
            if not getattr(email, "from_messaging", False)
        ]
        Message.objects.bulk_create(rows)
        return len(list(email_messages))
