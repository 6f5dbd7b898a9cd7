"""The support app's pages that higher apps add parts to (see shop.sections).

- `ticket_page`: a staff member's ticket page, /manage/tickets/<pk>/ (obj: the ticket); slot
  "customer" in the "This customer" card of the sidebar.
"""

from shop.sections import Sections

ticket_page = Sections("support_manage:ticket_detail")


def register() -> None:
    """Support's parts of lower apps' pages: the buyer's order page links to the contact form."""
    from orders.sections import tracking_page

    tracking_page.register("support", template={"help": "support/_order_help_link.html"})
