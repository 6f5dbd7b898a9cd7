"""The orders app's pages that higher apps add parts to (see shop.sections).

- `tracking_page`: the buyer's private order page, /orders/<token>/ (obj: the order); slot
  "after_timeline" under the timeline.
- `my_orders_page`: a signed-in customer's orders, /account/orders/ (obj: the list of orders);
  slot "order_actions" is rendered once per order, with `order` in its context.
- `manage_order_page`: the owner's order page, /manage/orders/<pk>/ (obj: the order), also on
  the refused-action (409) path; slot "main" above the timeline.
"""

from shop.sections import Sections, manage_menu, product_page

tracking_page = Sections("orders:tracking")
my_orders_page = Sections("orders:my_orders")
manage_order_page = Sections("orders_manage:order_detail")


def register() -> None:
    """The orders app's parts of the shop's pages: the product page's size picker and cart
    button, and the owner's menu link to the orders."""
    product_page.register("orders", template={"purchase": "orders/_product_purchase.html"})
    manage_menu.register("orders", template={"owner": "orders/manage/_menu.html"})
