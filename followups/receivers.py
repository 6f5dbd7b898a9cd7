from django.dispatch import receiver

from orders.signals import order_delivered
from support.signals import ticket_resolved

from .planning import plan_for_delivery, plan_satisfaction


@receiver(order_delivered)
def plan_follow_ups(sender, order, **kwargs) -> None:
    # Inside the delivering transaction: the rows are saved with the delivery or not at all.
    plan_for_delivery(order)


@receiver(ticket_resolved)
def plan_satisfaction_question(sender, ticket, **kwargs) -> None:
    plan_satisfaction(ticket)
