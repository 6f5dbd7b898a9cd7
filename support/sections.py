"""The support app's pages that higher apps add parts to (see shop.sections).

- `ticket_page`: a staff member's ticket page, /manage/tickets/<pk>/ (obj: the ticket); slot
  "customer" in the "This customer" card of the sidebar.
"""

from orders.sections import tracking_page
from shop.sections import Sections, manage_menu

ticket_page = Sections("support_manage:ticket_detail")


def register() -> None:
    """Support's parts of lower apps' pages: the buyer's order page links to the contact form;
    every staff member's menu links to the tickets."""
    tracking_page.register("support", template={"help": "support/_order_help_link.html"})
    manage_menu.register("support", template={"staff": "support/manage/_menu.html"})
