"""The support app's pages that higher apps add parts to (see shop.sections).

- `ticket_page`: a staff member's ticket page, /manage/tickets/<pk>/ (obj: the ticket); slot
  "customer" in the "This customer" card of the sidebar.
"""

from django.db.models import Count, Q
from django.utils import timezone

from orders.sections import tracking_page
from shop.cache import cached_figures
from shop.sections import Sections, manage_menu, manage_today

from .models import Ticket
from .selectors import VERSION_KEY, overdue_q

ticket_page = Sections("support_manage:ticket_detail")


def today_context(request, obj) -> dict:
    """Open and overdue tickets, for every staff member's home. One query (the status index),
    cached until a ticket changes (at most shop.cache.FIGURES_SECONDS: "overdue" moves with
    the clock)."""
    active = Q(status__in=[Ticket.Status.OPEN, Ticket.Status.WAITING])
    figures = cached_figures(
        "tickets-today",
        lambda: Ticket.objects.filter(active).aggregate(
            open=Count("pk", filter=Q(status=Ticket.Status.OPEN)),
            overdue=Count("pk", filter=overdue_q(timezone.now())),
        ),
        depends=(VERSION_KEY,),
    )
    return {"tickets_today": figures}


def register() -> None:
    """Support's parts of lower apps' pages: the buyer's order page links to the contact form;
    every staff member's menu links to the tickets."""
    tracking_page.register("support", template={"help": "support/_order_help_link.html"})
    manage_menu.register("support", template={"staff": "support/manage/_menu.html"})
    manage_today.register(
        "support",
        template={"today": "support/manage/_today.html"},
        context=today_context,
        depends=(VERSION_KEY,),
    )
