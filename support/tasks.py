from celery import shared_task
from django.db import transaction

from .emails import build_ticket_email
from .models import Ticket, TicketEmail, TicketMessage


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def send_ticket_email(ticket_id: int, kind: str, message_id: int | None = None) -> str:
    """Send one ticket email once; the log row and the send share a transaction."""
    with transaction.atomic():
        ticket = Ticket.objects.select_related("order", "assignee").filter(pk=ticket_id).first()
        if ticket is None:
            return "no such ticket"
        message = TicketMessage.objects.filter(pk=message_id).first() if message_id else None
        _, created = TicketEmail.objects.get_or_create(
            ticket=ticket, key=f"{kind}:{message_id or ''}"
        )
        if not created:
            return "already sent"
        email = build_ticket_email(ticket, kind, message)
        if email is None:
            return "nobody to tell"
        email.send()
    return "sent"
