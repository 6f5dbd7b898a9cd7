from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Case, Count, F, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.functions import Coalesce
from django.utils import timezone, translation

from orders.models import Order

from .models import SatisfactionAnswer, Ticket, TicketMessage

ORDER_IDS = 200  # order numbers matched by a search, looked up before the tickets
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
    if q and _is_email(q):
        # A whole address: the customer's tickets, by exact match on the (lower-cased) email
        # column's btree index, on any database. A part of one ("lin@example") still goes
        # through the "contains" search below.
        tickets = tickets.filter(email=q.lower())
    elif q:
        # Every arm can use an index (numbers are stored upper-case; trigram indexes serve
        # "contains", migration support 0003): the order numbers are looked up first, so the
        # search is an OR of index scans rather than a scan of all tickets joined to orders.
        order_ids = list(
            Order.objects.filter(number__icontains=q).values_list("pk", flat=True)[: ORDER_IDS + 1]
        )
        by_order = (
            Q(order_id__in=order_ids)
            if len(order_ids) <= ORDER_IDS
            else Q(order__number__icontains=q)  # a vague search: correct, if slower
        )
        tickets = tickets.filter(
            Q(number=q.upper()) | Q(email__icontains=q) | Q(name__icontains=q) | by_order
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
    return tickets.annotate(
        message_count=Coalesce(Subquery(public_messages), 0),
        # What the ticket waits for next: its first answer, then its resolution (the same two
        # targets Ticket.is_overdue checks), so the due column and the Overdue label agree.
        due_at=Case(
            When(first_response_at__isnull=True, then=F("first_response_due")),
            default=F("resolution_due"),
        ),
    )


def _is_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


# ----------------------------------------------------------------------- keyset pagination
# The inbox is ordered by (updated_at, id), newest first. A page is found by seeking to the
# row it starts after (or ends before) through the index on that order, never by OFFSET: page
# 300 reads the same 51 rows as page 1. A cursor is "<updated_at in microseconds>-<id>".
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PAGE_SIZE = 50


def encode_cursor(ticket: Ticket) -> str:
    return f"{(ticket.updated_at - EPOCH) // timedelta(microseconds=1)}-{ticket.pk}"


def decode_cursor(value: str | None) -> tuple[datetime, int] | None:
    """(updated_at, id) from a cursor, or None for anything that is not one."""
    micros, _, pk = (value or "").partition("-")
    if not (micros.isdigit() and pk.isdigit() and len(micros) <= 17 and len(pk) <= 18):
        return None
    try:
        return EPOCH + timedelta(microseconds=int(micros)), int(pk)
    except OverflowError:
        return None


@dataclass
class InboxPage:
    object_list: list
    next_cursor: str | None  # the "older" link: rows after this page's last
    previous_cursor: str | None  # the "newer" link: rows before this page's first

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.previous_cursor)


def inbox_page(
    tickets: QuerySet[Ticket], *, after=None, before=None, until=None, size: int = PAGE_SIZE
) -> InboxPage:
    """One page of an inbox queryset (ordered newest first) by keyset: the rows after the
    cursor `after`, before the cursor `before`, or updated at or before `until` (a datetime:
    the jump to a date); the first page otherwise. One query whichever page it is."""
    if before:
        updated, pk = before
        rows = list(
            tickets.filter(updated_at__gte=updated)
            .exclude(updated_at=updated, id__lte=pk)
            .order_by("updated_at", "id")[: size + 1]
        )
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        if rows:
            return InboxPage(
                rows,
                next_cursor=encode_cursor(rows[-1]),
                previous_cursor=encode_cursor(rows[0]) if more_newer else None,
            )
        after = until = None  # nothing newer any more: the first page
    if after:
        updated, pk = after
        tickets = tickets.filter(updated_at__lte=updated).exclude(updated_at=updated, id__gte=pk)
    elif until:
        tickets = tickets.filter(updated_at__lte=until)
    rows = list(tickets[: size + 1])
    more_older = len(rows) > size
    rows = rows[:size]
    return InboxPage(
        rows,
        next_cursor=encode_cursor(rows[-1]) if more_older else None,
        previous_cursor=encode_cursor(rows[0]) if (after or until) and rows else None,
    )


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
    """This customer's other orders and tickets, for the sidebar (reviews add their part)."""
    # Tickets and orders store their email lowercased, so an exact match can use the index.
    email = ticket.email.lower()
    orders = list(
        Order.objects.filter(email=email).exclude(pk=ticket.order_id).order_by("-placed_at")[:10]
    )
    tickets = list(
        Ticket.objects.filter(email=email).exclude(pk=ticket.pk).order_by("-created_at")[:10]
    )
    return {"other_orders": orders, "other_tickets": tickets}


def satisfaction_rate() -> dict:
    answers = SatisfactionAnswer.objects.filter(answered_at__isnull=False).aggregate(
        yes=Count("pk", filter=Q(solved=True)), total=Count("pk")
    )
    answers["percent"] = (
        round(100 * answers["yes"] / answers["total"]) if answers["total"] else None
    )
    return answers


def satisfaction_questions_open(ticket_ids) -> set[int]:
    """The tickets whose "was this solved?" still waits for its answer: resolved, not reopened
    (reopening deletes the unanswered question), not answered. The follow-up engine asks only
    these when the question falls due."""
    return set(
        SatisfactionAnswer.objects.filter(
            ticket_id__in=ticket_ids,
            ticket__status=Ticket.Status.RESOLVED,
            answered_at__isnull=True,
        ).values_list("ticket_id", flat=True)
    )


VERSION_KEY = "support:inbox-version"
INBOX_FIGURES_SECONDS = 15  # the inbox polls every 15 s; tickets turn overdue as time passes


def bump_inbox_version() -> None:
    """Called after any change to a ticket or a satisfaction answer (support.receivers)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 2, timeout=None)


def inbox_figures(user) -> dict:
    """The inbox header's figures: each view's count and the satisfaction rate.

    Cached per staff member until a ticket or an answer changes, and for at most
    INBOX_FIGURES_SECONDS: with 50,000 tickets they are two thirds of the inbox's SQL time,
    and every poll of every open inbox would count them again.
    """
    version = cache.get_or_set(VERSION_KEY, 1, timeout=None)
    key = f"inbox-figures:{version}:{user.pk}"
    figures = cache.get(key)
    if figures is None:
        figures = {"counts": view_counts(user), "satisfaction": satisfaction_rate()}
        cache.set(key, figures, INBOX_FIGURES_SECONDS)
    return figures


def canned_body(reply, language: str) -> str:
    """The canned reply's body in `language` ("zh-hans" or "en"), or in the other language
    when that one is empty: a ticket is answered in its own language, not the staff
    member's. (Reading `reply.body` would give the language of the page being shown.)"""
    if language not in settings.MODELTRANSLATION_LANGUAGES:
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        return reply.body
