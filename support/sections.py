"""The support app's pages that higher apps add parts to (see shop.sections).

- `ticket_page`: a staff member's ticket page, /manage/tickets/<pk>/ (obj: the ticket); slot
  "customer" in the "This customer" card of the sidebar.
"""

from shop.sections import Sections

ticket_page = Sections("support_manage:ticket_detail")
