"""An email backend for the demo: every message is kept in the database for the outbox page."""

from django.core.mail.backends.base import BaseEmailBackend


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        from .models import SentEmail

        rows = []
        for message in email_messages:
            html = next(
                (
                    content
                    for content, mime in getattr(message, "alternatives", [])
                    if mime == "text/html"
                ),
                "",
            )
            rows.append(
                SentEmail(
                    subject=str(message.subject)[:300],
                    to=", ".join(message.to)[:500],
                    from_email=str(message.from_email)[:300],
                    body=message.body,
                    html=html,
                    headers={k: str(v) for k, v in (message.extra_headers or {}).items()},
                )
            )
        SentEmail.objects.bulk_create(rows)
        return len(rows)
