"""Sign-up and email confirmation."""

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from .models import User

CONFIRM_SALT = "accounts.confirm-email"
CONFIRM_MAX_AGE = 3 * 24 * 3600


class InvalidLink(Exception):
    """A confirmation link that is forged, expired or for another address."""


def confirmation_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "e": user.email}, salt=CONFIRM_SALT, compress=True)


def confirmation_url(user: User) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "accounts:confirm", args=[confirmation_token(user)]
    )


def user_for_token(token: str) -> User:
    """The user a confirmation token names; raises InvalidLink if it cannot be trusted."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.SignatureExpired:
        raise InvalidLink("This link has expired: ask for a new one from your account.")
    except signing.BadSignature:
        raise InvalidLink("This link is not valid.")
    user = User.objects.filter(pk=data.get("u"), email=data.get("e"), is_active=True).first()
    if user is None:
        raise InvalidLink("This link is not valid.")
    return user


@transaction.atomic
def sign_up(*, email: str, password: str, first_name: str, last_name: str = "") -> User:
    """Create a customer account and email a confirmation link after commit."""
    user = User.objects.create_user(
        email=email, password=password, first_name=first_name, last_name=last_name
    )
    send_confirmation(user)
    return user


def send_confirmation(user: User) -> None:
    from .tasks import send_confirmation_email

    # robust: a broker that is down must not turn a saved change into an error page.
    transaction.on_commit(lambda: send_confirmation_email.delay(user.pk), robust=True)


@transaction.atomic
def confirm_email(user: User) -> User:
    """Mark the address confirmed (once; a second confirmation changes nothing)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = timezone.now()
        user.save(update_fields=["email_confirmed_at"])
    return user
