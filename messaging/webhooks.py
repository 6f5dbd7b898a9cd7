"""The mail provider's delivery reports (django-anymail's tracking webhooks, routed once under
/messaging/anymail/) turned into `recipient_bounced` for the apps that keep suppression lists."""

from anymail.signals import EventType, RejectReason, tracking
from django.dispatch import receiver

from .signals import recipient_bounced

# A refusal counts when it says the address is bad, not when it is a policy or a quota.
BAD_ADDRESS = {RejectReason.BOUNCED, RejectReason.INVALID}


@receiver(tracking, dispatch_uid="messaging.bounces")
def tracking_event(sender, event, esp_name, **kwargs) -> None:
    if not event.recipient:
        return
    if event.event_type in (EventType.BOUNCED, EventType.COMPLAINED) or (
        event.event_type == EventType.REJECTED and event.reject_reason in BAD_ADDRESS
    ):
        recipient_bounced.send(
            sender=tracking_event, recipient=event.recipient.lower(), reason=event.event_type
        )
