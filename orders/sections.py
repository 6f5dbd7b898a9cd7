"""The orders app's pages that higher apps add parts to (see shop.sections).

- `tracking_page`: the buyer's private order page, /orders/<token>/ (obj: the order); slot
  "after_timeline" under the timeline.
- `my_orders_page`: a signed-in customer's orders, /account/orders/ (obj: the list of orders);
  slot "order_actions" is rendered once per order, with `order` in its context.
- `manage_order_page`: the owner's order page, /manage/orders/<pk>/ (obj: the order), also on
  the refused-action (409) path; slot "main" above the timeline.
"""

from django.db.models import Count

from shop.cache import cached_figures
from shop.sections import Sections, manage_menu, manage_today, product_page

from .models import Order
from .receivers import ORDERS_VERSION
from .selectors import CASH_ON_DELIVERY, PAID, TO_SHIP, late_to_ship, ship_within_hours

tracking_page = Sections("orders:tracking")
my_orders_page = Sections("orders:my_orders")
manage_order_page = Sections("orders_manage:order_detail")


def today_context(request, obj) -> dict:
    """The owner's orders to ship, paid and cash on delivery, and how many of them are late
    (paid, or placed for cash on delivery, longer than ORDERS_SHIP_WITHIN_HOURS ago). One query,
    cached until an order changes (at most shop.cache.FIGURES_SECONDS: "late" moves with the
    clock)."""
    if not request.user.is_owner:
        return {}
    hours = ship_within_hours()
    figures = cached_figures(
        f"orders-today:{hours}",
        lambda: Order.objects.filter(TO_SHIP).aggregate(
            paid=Count("pk", filter=PAID),
            cod=Count("pk", filter=CASH_ON_DELIVERY),
            late=Count("pk", filter=late_to_ship()),
        ),
        depends=(ORDERS_VERSION,),
    )
    figures["to_ship"] = figures["paid"] + figures["cod"]
    return {"orders_today": figures, "ship_within_hours": hours}


def register() -> None:
    """The orders app's parts of the shop's pages: the product page's size picker and cart
    button, and the owner's menu link to the orders."""
    product_page.register("orders", template={"purchase": "orders/_product_purchase.html"})
    manage_menu.register("orders", template={"owner": "orders/manage/_menu.html"})
    manage_today.register(
        "orders",
        template={"today": "orders/manage/_today.html"},
        context=today_context,
        depends=(ORDERS_VERSION,),
    )
