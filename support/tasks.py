from celery import shared_task
from django.db import transaction

from .emails import queue_ticket_email
from .models import Ticket, TicketMessage


@shared_task(acks_late=True)
def send_ticket_email(ticket_id: int, kind: str, message_id: int | None = None) -> str:
    """For tasks queued before messaging took over (one release): queue the email there."""
    with transaction.atomic():
        ticket = Ticket.objects.select_related("order", "assignee").filter(pk=ticket_id).first()
        if ticket is None:
            return "no such ticket"
        message = TicketMessage.objects.filter(pk=message_id).first() if message_id else None
        if not queue_ticket_email(ticket, kind, message):
            return "nobody to tell"
    return "queued"
