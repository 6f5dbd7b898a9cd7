"""The buyer's answers to follow-ups: the care check, and stopping every follow-up (email, or
SMS to a phone)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from support.models import Ticket
from support.services import open_ticket_from_care_check

from .errors import FollowUpError
from .models import FollowUp, Suppression


@transaction.atomic
def answer_care_check(row: FollowUp, answer: str) -> Ticket | None:
    """Record "all good" or "problem" once; a problem opens a high-priority ticket with the
    order attached. The review request and reminder are left exactly as planned."""
    if answer not in FollowUp.Answer.values:
        raise FollowUpError(_("Choose one of the two answers."))
    row = FollowUp.objects.select_for_update().get(pk=row.pk)
    if row.answered_at is not None:
        raise FollowUpError(_("Thank you, we already have your answer."))
    row.answer = answer
    row.answered_at = timezone.now()
    row.save(update_fields=["answer", "answered_at"])
    if answer == FollowUp.Answer.PROBLEM:
        return open_ticket_from_care_check(row.order)
    return None


def is_phone(address: str) -> bool:
    """An E.164 number ("+8613800138000"), as orders keep phones; anything else is an email."""
    return address.startswith("+")


def suppression_lookup(address: str) -> dict[str, str]:
    address = address.strip()
    return {"phone": address} if is_phone(address) else {"email": address.lower()}


def is_suppressed(address: str) -> bool:
    return Suppression.objects.filter(**suppression_lookup(address)).exists()


@transaction.atomic
def suppress(address: str, reason: str) -> bool:
    """Stop every follow-up to `address`, an email address or an E.164 mobile number; returns
    False if it was already suppressed."""
    _row, created = Suppression.objects.get_or_create(
        **suppression_lookup(address), defaults={"reason": reason}
    )
    return created


def record_bounce(email: str) -> bool:
    """A hard bounce (from the mail provider's webhook or by hand): stop follow-ups."""
    return suppress(email, Suppression.Reason.BOUNCE)
