from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from .models import User
from .services import confirmation_url


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def send_confirmation_email(user_id: int) -> str:
    """Email a sign-up confirmation link; skipped once the address is confirmed."""
    user = User.objects.filter(pk=user_id).first()
    if user is None or user.email_confirmed_at:
        return "skipped"
    context = {"user": user, "url": confirmation_url(user)}
    send_mail(
        render_to_string("accounts/email/confirm_subject.txt", context).strip(),
        render_to_string("accounts/email/confirm.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
        html_message=render_to_string("accounts/email/confirm.html", context),
    )
    return "sent"
