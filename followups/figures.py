"""The owner's figures: the funnel from delivery to review, and the engine's health."""

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from messaging.selectors import channel_health
from orders.models import Order, OrderLine

from .models import DispatcherRun, FollowUp

Kind, State = FollowUp.Kind, FollowUp.State


def requested_orders():
    """The orders whose review request went out, one row each (also the reputation figures')."""
    return FollowUp.objects.filter(kind=Kind.REVIEW_REQUEST, state=State.SENT).values("order_id")


def funnel() -> dict:
    """delivered -> care checks sent -> answered -> review requests sent -> reviews written.

    Counted per order: a care check merged into another order's email was sent all the same.
    """
    delivered = Order.objects.filter(status=Order.Status.DELIVERED).count()
    rows = FollowUp.objects.filter(order__isnull=False).aggregate(
        care_sent=Count("id", filter=Q(kind=Kind.CARE_CHECK, state=State.SENT)),
        care_answered=Count("id", filter=Q(kind=Kind.CARE_CHECK, state=State.SENT) & ~Q(answer="")),
        problems=Count("id", filter=Q(kind=Kind.CARE_CHECK, answer=FollowUp.Answer.PROBLEM)),
        requests_sent=Count("id", filter=Q(kind=Kind.REVIEW_REQUEST, state=State.SENT)),
    )
    reviewed = (
        OrderLine.objects.filter(order_id__in=requested_orders(), review__isnull=False)
        .values("order_id")
        .distinct()
        .count()
    )

    def rate(part, whole):
        return round(100 * part / whole) if whole else None

    steps = [
        ("delivered", _("Orders delivered"), delivered, None),
        ("care_sent", _("Care checks sent"), rows["care_sent"], rate(rows["care_sent"], delivered)),
        (
            "care_answered",
            _("Care checks answered"),
            rows["care_answered"],
            rate(rows["care_answered"], rows["care_sent"]),
        ),
        (
            "requests_sent",
            _("Review requests sent"),
            rows["requests_sent"],
            rate(rows["requests_sent"], delivered),
        ),
        (
            "reviewed",
            _("Orders reviewed after a request"),
            reviewed,
            rate(reviewed, rows["requests_sent"]),
        ),
    ]
    return {
        "steps": [{"key": k, "label": label, "count": n, "rate": r} for k, label, n, r in steps],
        "problems": rows["problems"],
    }


def health(now=None) -> dict:
    """The dispatcher's last run, what is due and not sent, what failed, and how the mail
    server answered the latest attempts (messaging's, every kind: it refuses them all alike)."""
    now = now or timezone.now()
    return {
        "last_run": DispatcherRun.objects.order_by("-started_at").first(),
        "mail": channel_health("email"),
        # The SMS provider's latest attempts, alike (a template not approved, no balance).
        "sms": channel_health("sms"),
        "due_unsent": FollowUp.objects.filter(
            state__in=[State.PLANNED, State.SENDING], due_at__lte=now
        ).count(),
        "failed": list(
            FollowUp.objects.filter(state=State.FAILED)
            .select_related("order", "ticket")
            .order_by("-due_at")[:50]
        ),
    }
