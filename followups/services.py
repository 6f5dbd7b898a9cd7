"""The buyer's answers to follow-ups: the care check, and stopping every follow-up email."""

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


@transaction.atomic
def suppress(email: str, reason: str) -> bool:
    """Stop every follow-up to `email`; returns False if it was already suppressed."""
    _row, created = Suppression.objects.get_or_create(
        email=email.lower(), defaults={"reason": reason}
    )
    return created


def record_bounce(email: str) -> bool:
    """A hard bounce (from the mail provider's webhook or by hand): stop follow-ups."""
    return suppress(email, Suppression.Reason.BOUNCE)
