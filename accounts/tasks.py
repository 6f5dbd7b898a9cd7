from celery import shared_task
from django.core.mail import EmailMessage


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def send_account_email(message: dict) -> str:
    """Send one account message (a code, a notice) that allauth rendered in the request.

    The message travels whole, not as an id: allauth keeps no row for it (a code lives only in
    the session that asked). Sending twice sends two copies of the same text, nothing worse.
    """
    EmailMessage(
        subject=message["subject"],
        body=message["body"],
        from_email=message["from_email"],
        to=message["to"],
        headers=message.get("headers") or None,
    ).send()
    return "sent"
