from django.db.models import Count, Q, QuerySet

from .models import Order


def orders_for_staff(filters: dict) -> QuerySet[Order]:
    """Orders matching the staff list's filters, newest first, with their line counts."""
    orders = Order.objects.annotate(line_count=Count("lines")).order_by("-placed_at", "-id")
    q = (filters.get("q") or "").strip()
    if q:
        orders = orders.filter(
            Q(number__icontains=q) | Q(email__icontains=q) | Q(name__icontains=q)
        )
    if filters.get("status"):
        orders = orders.filter(status=filters["status"])
    if filters.get("placed_from"):
        orders = orders.filter(placed_at__date__gte=filters["placed_from"])
    if filters.get("placed_to"):
        orders = orders.filter(placed_at__date__lte=filters["placed_to"])
    return orders
