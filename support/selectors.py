from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from orders.models import Order, OrderLine

from .models import SatisfactionAnswer, Ticket, TicketMessage

VIEWS = ["unassigned", "mine", "open", "waiting", "overdue", "resolved", "all"]


def overdue_q(now) -> Q:
    active = Q(status__in=[Ticket.Status.OPEN, Ticket.Status.WAITING])
    return active & (
        Q(first_response_at__isnull=True, first_response_due__lt=now) | Q(resolution_due__lt=now)
    )


def inbox(view: str, *, user, q: str = "", now=None) -> QuerySet[Ticket]:
    """Tickets for one inbox view, searched by number, email, name or order number."""
    now = now or timezone.now()
    tickets = Ticket.objects.select_related("assignee", "order").order_by("-updated_at", "-id")
    active = [Ticket.Status.OPEN, Ticket.Status.WAITING]
    tickets = {
        "unassigned": tickets.filter(assignee__isnull=True, status__in=active),
        "mine": tickets.filter(assignee=user, status__in=active),
        "open": tickets.filter(status=Ticket.Status.OPEN),
        "waiting": tickets.filter(status=Ticket.Status.WAITING),
        "overdue": tickets.filter(overdue_q(now)),
        "resolved": tickets.filter(status__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED]),
        "all": tickets,
    }.get(view, tickets.filter(status__in=active))
    q = q.strip()
    if q:
        tickets = tickets.filter(
            Q(number__iexact=q)
            | Q(email__icontains=q)
            | Q(name__icontains=q)
            | Q(order__number__icontains=q)
        )
    # A subquery, not a join with GROUP BY: it is counted for the page's rows only, and the
    # paginator's COUNT leaves it out (a join would aggregate every message of the view).
    public_messages = (
        TicketMessage.objects.filter(ticket=OuterRef("pk"), internal=False)
        .order_by()
        .values("ticket")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return tickets.annotate(message_count=Coalesce(Subquery(public_messages), 0))


def view_counts(user, now=None) -> dict[str, int]:
    now = now or timezone.now()
    active = Q(status__in=[Ticket.Status.OPEN, Ticket.Status.WAITING])
    # Every count is of active tickets: reading only those (the status index) keeps this query
    # as fast with 50,000 resolved tickets behind it as with none.
    return Ticket.objects.filter(active).aggregate(
        unassigned=Count("id", filter=active & Q(assignee__isnull=True)),
        mine=Count("id", filter=active & Q(assignee=user)),
        open=Count("id", filter=Q(status=Ticket.Status.OPEN)),
        waiting=Count("id", filter=Q(status=Ticket.Status.WAITING)),
        overdue=Count("id", filter=overdue_q(now)),
    )


def customer_history(ticket: Ticket) -> dict:
    """This customer's other orders, tickets and reviewed lines, for the sidebar."""
    # Tickets and orders store their email lowercased, so an exact match can use the index.
    email = ticket.email.lower()
    orders = list(
        Order.objects.filter(email=email).exclude(pk=ticket.order_id).order_by("-placed_at")[:10]
    )
    tickets = list(
        Ticket.objects.filter(email=email).exclude(pk=ticket.pk).order_by("-created_at")[:10]
    )
    # Reviews are read through the order line's reverse relation, without importing the app.
    reviewed = list(
        OrderLine.objects.filter(order__email=email, review__isnull=False)
        .select_related("review", "product")
        .order_by("-review__created_at")[:10]
    )
    return {"other_orders": orders, "other_tickets": tickets, "reviewed_lines": reviewed}


def satisfaction_rate() -> dict:
    answers = SatisfactionAnswer.objects.filter(answered_at__isnull=False).aggregate(
        yes=Count("pk", filter=Q(solved=True)), total=Count("pk")
    )
    answers["percent"] = (
        round(100 * answers["yes"] / answers["total"]) if answers["total"] else None
    )
    return answers
