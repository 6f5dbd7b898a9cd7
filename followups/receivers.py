from django.dispatch import receiver

from messaging.models import Message
from messaging.signals import message_failed, message_sent, recipient_bounced, sms_replied
from messaging.sms.inbound import is_stop
from orders.signals import order_delivered
from support.signals import ticket_resolved

from .dispatch import record_outcome
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


@receiver(sms_replied, dispatch_uid="followups.sms_stop")
def stop_by_reply(sender, phone, text, **kwargs) -> None:
    """A buyer replied "TD" (or 退订, STOP, ...) to an SMS: no more follow-up SMS to that phone."""
    if is_stop(text):
        suppress(phone, Suppression.Reason.UNSUBSCRIBE)


@receiver(message_sent, sender=Message, dispatch_uid="followups.message_sent")
@receiver(message_failed, sender=Message, dispatch_uid="followups.message_failed")
def follow_up_outcome(sender, message: Message, **kwargs) -> None:
    """Messaging sent a follow-up email, or gave up on it: its rows say so, for the owner."""
    if message.about == "followup":
        record_outcome(message)
