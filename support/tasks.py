from celery import shared_task
from django.db import transaction
from django.utils import timezone

from .emails import build_ticket_email
from .models import SatisfactionAnswer, Ticket, TicketEmail, TicketMessage

BATCH = 200


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


@shared_task(acks_late=True)
def send_due_satisfaction_questions() -> int:
    """Periodic: ask "was this solved?" for each resolved ticket whose question is due.

    Rows are claimed with SKIP LOCKED, so two runs at once never ask twice; a failed send
    rolls back its claim and is tried again on the next run.
    """
    sent = 0
    while True:
        with transaction.atomic():
            due = list(
                SatisfactionAnswer.objects.select_for_update(skip_locked=True)
                .filter(
                    sent_at__isnull=True,
                    due_at__lte=timezone.now(),
                    ticket__status=Ticket.Status.RESOLVED,
                )
                .select_related("ticket")[:BATCH]
            )
            for answer in due:
                email = build_ticket_email(answer.ticket, "satisfaction", None)
                if email is not None:
                    email.send()
                answer.sent_at = timezone.now()
                answer.save(update_fields=["sent_at"])
            sent += len(due)
        if len(due) < BATCH:
            return sent
