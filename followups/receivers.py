from django.dispatch import receiver

from messaging.signals import recipient_bounced
from orders.signals import order_delivered
from support.signals import ticket_resolved

from .models import Suppression
from .planning import plan_for_delivery, plan_satisfaction
from .services import suppress


@receiver(order_delivered)
def plan_follow_ups(sender, order, **kwargs) -> None:
    # Inside the delivering transaction: the rows are saved with the delivery or not at all.
    plan_for_delivery(order)


@receiver(ticket_resolved)
def plan_satisfaction_question(sender, ticket, **kwargs) -> None:
    plan_satisfaction(ticket)


@receiver(recipient_bounced)
def stop_follow_ups(sender, recipient, reason, **kwargs) -> None:
    """The mail provider reports the address bounced or complained: no more follow-ups to it."""
    complained = reason == "complained"
    suppress(recipient, Suppression.Reason.COMPLAINT if complained else Suppression.Reason.BOUNCE)
