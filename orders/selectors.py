from django.db.models import Count, Q, QuerySet

from .models import Order
from .phones import search_forms


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
    if filters.get("placed_from"):
        orders = orders.filter(placed_at__date__gte=filters["placed_from"])
    if filters.get("placed_to"):
        orders = orders.filter(placed_at__date__lte=filters["placed_to"])
    return orders
