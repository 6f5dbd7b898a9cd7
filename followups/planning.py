"""Planning: the schedule is rows, saved in the transaction of the change they follow.

A delivery plans the care check, the review request and one reminder; a resolved ticket plans
"was this solved?". Due times depend only on when the order was delivered (or the ticket
resolved), never on what the buyer answered: every buyer is asked the same way.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from orders.emails import reach as reach_order
from orders.models import Order
from support.emails import reach as reach_ticket
from support.models import Ticket

from .models import FollowUp


def plan_for_delivery(order: Order, *, now=None) -> list[FollowUp]:
    """Create the care check, review request and reminder rows for a delivered order.

    Safe to call twice (existing rows stay).
    """
    now = now or order.delivered_at or timezone.now()
    plan = [
        (FollowUp.Kind.CARE_CHECK, settings.FOLLOWUP_CARE_CHECK_MINUTES),
        (FollowUp.Kind.REVIEW_REQUEST, settings.FOLLOWUP_REVIEW_REQUEST_MINUTES),
        (FollowUp.Kind.REMINDER, settings.FOLLOWUP_REMINDER_MINUTES),
    ]
    rows = [
        FollowUp(
            order=order,
            kind=kind,
            email=order.email.lower(),
            # The phone, for a buyer reached by SMS: the cap counts the person's emails and SMS
            # together (a phone given only for the courier joins nobody: families share them).
            phone=order.phone if reach_order(order).by_sms else "",
            due_at=now + timedelta(minutes=minutes),
        )
        for kind, minutes in plan
    ]
    FollowUp.objects.bulk_create(rows, ignore_conflicts=True)
    return list(FollowUp.objects.filter(order=order))


def plan_satisfaction(ticket: Ticket, *, now=None) -> FollowUp:
    """Plan (or plan again, after a reopen) the "was this solved?" question for a ticket.

    The question and its answer are support's (SatisfactionAnswer, its page); the engine only
    sends it when due.
    """
    now = now or timezone.now()
    row, _created = FollowUp.objects.update_or_create(
        ticket=ticket,
        kind=FollowUp.Kind.SATISFACTION,
        defaults={
            "email": ticket.email.lower(),
            "phone": to.address if (to := reach_ticket(ticket)).by_sms else "",
            "due_at": now + timedelta(minutes=settings.FOLLOWUP_SATISFACTION_MINUTES),
            "state": FollowUp.State.PLANNED,
            "attempts": 0,
            "last_error": "",
            "skip_reason": "",
            "sent_at": None,
            "merged_into": None,
        },
    )
    return row
