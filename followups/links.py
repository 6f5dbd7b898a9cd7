"""Signed links in follow-up emails: the care check's answer and the unsubscribe.

The salts and payloads are those of every email already sent, so old links keep working.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from reviews.services import review_token

from .errors import FollowUpError
from .models import FollowUp

ANSWER_SALT = "follow-ups.answer"
UNSUBSCRIBE_SALT = "follow-ups.unsubscribe"
UNSUBSCRIBE_DAYS = 365
_PLACEHOLDER = "0TOKEN0"


def answer_token(row: FollowUp) -> str:
    return signing.dumps({"f": row.pk, "o": row.order_id}, salt=ANSWER_SALT, compress=True)


def unsubscribe_token(email: str) -> str:
    return signing.dumps({"e": email.lower()}, salt=UNSUBSCRIBE_SALT, compress=True)


def row_for_answer_token(token: str) -> FollowUp:
    """The care check a link answers. Raises FollowUpError if forged, expired or mismatched."""
    try:
        data = signing.loads(
            token, salt=ANSWER_SALT, max_age=timedelta(days=settings.FOLLOWUP_LINK_DAYS)
        )
    except signing.SignatureExpired:
        raise FollowUpError(_("This link has expired."))
    except signing.BadSignature:
        raise FollowUpError(_("This link is not valid. Use the link from your email."))
    row = (
        FollowUp.objects.select_related("order")
        .filter(pk=data.get("f"), kind=FollowUp.Kind.CARE_CHECK)
        .first()
    )
    if row is None or row.order_id != data.get("o"):
        raise FollowUpError(_("This link is not valid. Use the link from your email."))
    return row


def email_for_unsubscribe_token(token: str) -> str:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=timedelta(days=UNSUBSCRIBE_DAYS))
    except signing.SignatureExpired:
        raise FollowUpError(
            _("This unsubscribe link has expired. Write to us and we will stop the emails.")
        )
    except signing.BadSignature:
        raise FollowUpError(_("This unsubscribe link is not valid."))
    return data["e"]


class Links:
    """Absolute links for one batch's emails, reversed once with a placeholder for the token:
    reversing per email was a third of the dispatcher's time (see bench/README.md)."""

    NAMES = {
        "unsubscribe": "followups:unsubscribe",
        "one_click": "followups:unsubscribe_one_click",
        "care_check": "followups:care_check",
        "review": "reviews:write",
        "satisfaction": "support:satisfaction",
    }

    def __init__(self) -> None:
        site = settings.SITE_URL.rstrip("/")
        self._patterns = {
            key: site + reverse(name, args=[_PLACEHOLDER]) for key, name in self.NAMES.items()
        }

    def _with(self, key: str, token: str) -> str:
        return self._patterns[key].replace(_PLACEHOLDER, token)

    def unsubscribe(self, email: str) -> tuple[str, str]:
        """The unsubscribe page and its RFC 8058 one-click address, for one recipient."""
        token = unsubscribe_token(email)
        return self._with("unsubscribe", token), self._with("one_click", token)

    def care_check(self, row: FollowUp) -> str:
        return self._with("care_check", answer_token(row))

    def review(self, order) -> str:
        return self._with("review", review_token(order))

    def satisfaction(self, ticket) -> str:
        return self._with("satisfaction", ticket.token)
