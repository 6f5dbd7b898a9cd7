from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .models import Order
from .phones import search_forms

# Waiting for its parcel: paid, or placed for cash on delivery.
PAID = Q(status=Order.Status.PAID)
CASH_ON_DELIVERY = Q(status=Order.Status.PLACED, payment_method="cod")
TO_SHIP = PAID | CASH_ON_DELIVERY


def ship_within_hours() -> int:
    """How long a paid (or cash-on-delivery) order may wait for its parcel before it is late."""
    return getattr(settings, "ORDERS_SHIP_WITHIN_HOURS", 48)


def late_to_ship() -> Q:
    """Orders to ship waiting longer than ship_within_hours(): a paid order from its payment
    (placed_at for old rows without one), cash on delivery from its placing."""
    since = timezone.now() - timedelta(hours=ship_within_hours())
    return (
        (PAID & Q(paid_at__lt=since))
        | (PAID & Q(paid_at__isnull=True, placed_at__lt=since))
        | (CASH_ON_DELIVERY & Q(placed_at__lt=since))
    )


WORK = {"to_ship": lambda: TO_SHIP, "cod": lambda: CASH_ON_DELIVERY, "late": late_to_ship}


def orders_for_staff(filters: dict) -> QuerySet[Order]:
    """Orders matching the staff list's filters, newest first, with their line counts.

    The search finds an order by number, email, name or phone: a phone as typed ("138 0013 8000",
    "+86 138-0013-8000", "13800138000") matches the stored E.164 form.
    """
    orders = Order.objects.annotate(line_count=Count("lines")).order_by("-placed_at", "-id")
    q = (filters.get("q") or "").strip()
    if q:
        condition = Q(number__icontains=q) | Q(email__icontains=q) | Q(name__icontains=q)
        condition |= Q(phone__icontains=q)
        for stored in search_forms(q):
            condition |= Q(phone__contains=stored)
        orders = orders.filter(condition)
    if filters.get("status"):
        orders = orders.filter(status=filters["status"])
    if filters.get("work"):
        orders = orders.filter(WORK[filters["work"]]())
    if filters.get("placed_from"):
        orders = orders.filter(placed_at__date__gte=filters["placed_from"])
    if filters.get("placed_to"):
        orders = orders.filter(placed_at__date__lte=filters["placed_to"])
    return orders
