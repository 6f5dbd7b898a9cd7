"""The shop's reputation in figures, for the owner's dashboard and its branding checklist."""

from datetime import timedelta
from statistics import median

from django.conf import settings
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import Order
from support.models import SatisfactionAnswer, Ticket

from .models import Review, ReviewSummary
from .summary import bayesian_rank

WINDOW_DAYS = 90
SAMPLE = 5000


class ReviewRequests:
    """The orders that were asked for a review. The follow-up engine knows them and sits above
    reviews, so it registers its query here in its ready(); unregistered, no order was asked."""

    def __init__(self) -> None:
        self._source = None

    def register(self, source) -> None:
        self._source = source

    def orders(self):
        """The asked orders' ids, as a values queryset (one row per order)."""
        return self._source() if self._source else Order.objects.none().values("pk")


review_requests = ReviewRequests()


def _hours(deltas) -> float | None:
    values = [d.total_seconds() / 3600 for d in deltas if d is not None]
    return round(median(values), 1) if values else None


def figures(now=None) -> dict:
    """Every figure of the shop's reputation over the last WINDOW_DAYS (reviews: all time)."""
    now = now or timezone.now()
    since = now - timedelta(days=WINDOW_DAYS)
    totals = ReviewSummary.objects.aggregate(
        count=Sum("count"),
        rating_sum=Sum("rating_sum"),
        hidden=Sum("hidden"),
        s1=Sum("stars_1"),
        s2=Sum("stars_2"),
        s3=Sum("stars_3"),
        s4=Sum("stars_4"),
        s5=Sum("stars_5"),
        small=Sum("fit_small"),
        true=Sum("fit_true"),
        large=Sum("fit_large"),
    )
    totals = {k: v or 0 for k, v in totals.items()}
    count = totals["count"]
    fit_total = totals["small"] + totals["true"] + totals["large"]
    requested_orders = review_requests.orders()
    converted = (
        Review.objects.filter(order_line__order_id__in=requested_orders)
        .values("order_line__order_id")
        .distinct()
        .count()
    )
    tickets = Ticket.objects.filter(created_at__gte=since)
    first = (
        tickets.filter(first_response_at__isnull=False)
        .annotate(d=F("first_response_at") - F("created_at"))
        .values_list("d", flat=True)[:SAMPLE]
    )
    resolution = (
        tickets.filter(resolved_at__isnull=False)
        .annotate(d=F("resolved_at") - F("created_at"))
        .values_list("d", flat=True)[:SAMPLE]
    )
    answers = SatisfactionAnswer.objects.filter(answered_at__gte=since).aggregate(
        yes=Count("pk", filter=Q(solved=True)), total=Count("pk")
    )
    shipped = Order.objects.filter(shipped_at__gte=since)
    on_time = shipped.filter(
        shipped_at__lte=F("placed_at") + timedelta(days=settings.SHIP_ON_TIME_DAYS)
    ).count()
    shipped_n = shipped.count()
    buyers = (
        Order.objects.exclude(status=Order.Status.CANCELLED).values("email").annotate(n=Count("id"))
    )
    buyer_n = buyers.count()
    repeat_n = buyers.filter(n__gt=1).count()
    care = Ticket.objects.filter(source=Ticket.Source.CARE_CHECK)
    care_n = care.count()
    care_fixed = care.filter(status__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED]).count()

    def pct(part, whole):
        return round(100 * part / whole) if whole else None

    return {
        "reviews": count,
        "mean": round(totals["rating_sum"] / count, 2) if count else None,
        "bayesian": round(bayesian_rank(count, totals["rating_sum"]), 2) if count else None,
        "hidden": totals["hidden"],
        "distribution": [
            {"stars": n, "count": totals[f"s{n}"], "percent": pct(totals[f"s{n}"], count) or 0}
            for n in (5, 4, 3, 2, 1)
        ],
        "fit": {k: pct(totals[k], fit_total) for k in ("small", "true", "large")}
        if fit_total
        else None,
        "review_conversion": pct(converted, requested_orders.count()),
        "review_requests": requested_orders.count(),
        "first_response_hours": _hours(first),
        "resolution_hours": _hours(resolution),
        "satisfaction": pct(answers["yes"], answers["total"]),
        "satisfaction_answers": answers["total"],
        "on_time": pct(on_time, shipped_n),
        "shipped": shipped_n,
        "repeat_buyers": pct(repeat_n, buyer_n),
        "buyers": buyer_n,
        "care_problems": care_n,
        "care_fixed": care_fixed,
    }


def branding_checklist(f: dict) -> list[dict]:
    """Thresholds a small maker should pass before spending on branding (settings can move them)."""
    t = settings.BRANDING_THRESHOLDS
    checks = [
        ("reviews", f["reviews"], t["reviews"], ">=", _("verified reviews")),
        ("mean", f["mean"], t["mean"], ">=", _("average rating")),
        (
            "review_conversion",
            f["review_conversion"],
            t["review_conversion"],
            ">=",
            _("review requests answered (%)"),
        ),
        (
            "first_response_hours",
            f["first_response_hours"],
            t["first_response_hours"],
            "<=",
            _("hours to first answer (median)"),
        ),
        (
            "satisfaction",
            f["satisfaction"],
            t["satisfaction"],
            ">=",
            _("tickets the buyer says were solved (%)"),
        ),
        ("on_time", f["on_time"], t["on_time"], ">=", _("orders shipped on time (%)")),
        (
            "repeat_buyers",
            f["repeat_buyers"],
            t["repeat_buyers"],
            ">=",
            _("buyers who came back (%)"),
        ),
    ]
    rows = []
    for key, value, target, op, label in checks:
        passed = value is not None and (value >= target if op == ">=" else value <= target)
        rows.append(
            {
                "key": key,
                "value": value,
                "target": target,
                "op": "≥" if op == ">=" else "≤",
                "label": label,
                "passed": passed,
            }
        )
    return rows
