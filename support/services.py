"""Service tickets: each step one function, atomic, guarded; emails after commit.

Internal notes are never shown to or emailed to the customer: only public staff replies and
the ticket's own notices are sent.
"""

import re
from collections.abc import Iterable
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from orders import services as order_services
from orders.emails import one_line
from orders.models import Order
from shop.i18n import supported_language
from shop.images import CleanImage, store_image_files

from .models import SatisfactionAnswer, Ticket, TicketAttachment, TicketMessage
from .signals import ticket_resolved


class TicketError(Exception):
    """A ticket change that is refused; the message is for a person."""


def _queue_email(ticket: Ticket, kind: str, message: TicketMessage | None = None) -> None:
    from .emails import queue_ticket_email

    # Recorded with the change, sent after commit (messaging sweeps it up if the broker is down).
    queue_ticket_email(ticket, kind, message)


def _targets(priority: str, start) -> tuple:
    first, resolution = settings.SUPPORT_TARGETS[priority]
    return start + timedelta(hours=first), start + timedelta(hours=resolution)


def _attach(message: TicketMessage, photos: Iterable[CleanImage]) -> None:
    for image in photos:
        attachment = TicketAttachment(message=message)
        store_image_files(attachment, image)
        attachment.save()


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise TicketError(_("Write a message first."))
    return body


def user_holds_order(user, order: Order) -> bool:
    """True when `user` is signed in with a verified address that is `order`'s email.

    The one place that decides whether an account proves it holds an order: with
    django-allauth, one of the account's verified addresses; before it, the confirmed address.
    """
    if user is None or not user.is_authenticated or not order.email:
        return False
    if apps.is_installed("allauth.account"):
        from allauth.account.models import EmailAddress

        return EmailAddress.objects.filter(
            user=user, email__iexact=order.email, verified=True
        ).exists()
    return (
        getattr(user, "email_confirmed_at", None) is not None
        and user.email.lower() == order.email.lower()
    )


@transaction.atomic
def open_ticket(
    *,
    email: str,
    name: str,
    topic: str,
    body: str,
    order: Order | None = None,
    order_proven: bool = False,
    order_number_given: str = "",
    photos: Iterable[CleanImage] = (),
    source: str = Ticket.Source.WEB,
    priority: str = Ticket.Priority.NORMAL,
    subject: str = "",
    language: str | None = None,
) -> Ticket:
    """Open a ticket with the customer's first message; email them its private link and
    tell staff. Raises TicketError for an empty message or unknown topic.

    `order_proven` says the opener proved they hold `order` (see Ticket.order_proven); an
    unproven order is shown to staff only, with a warning. `language` is the one the customer
    wrote in (the request's); their emails about the ticket are written in it (one we do not
    offer, or none, is the shop's).
    """
    if topic not in Ticket.Topic.values:
        raise TicketError(_("Choose a topic."))
    body = _clean_body(body)
    now = timezone.now()
    first_due, resolution_due = _targets(priority, now)
    ticket = Ticket.objects.create(
        email=email.strip().lower(),
        name=one_line(name)[:120],
        language=supported_language(language),
        order=order,
        order_proven=order is not None and order_proven,
        order_number_given=one_line(order_number_given)[:20],
        topic=topic,
        subject=one_line(subject or body.splitlines()[0])[:160],
        priority=priority,
        source=source,
        created_at=now,
        first_response_due=first_due,
        resolution_due=resolution_due,
    )
    ticket.number = f"T-{ticket.pk:06d}"
    ticket.save(update_fields=["number"])
    message = TicketMessage.objects.create(
        ticket=ticket, author_kind=TicketMessage.Author.CUSTOMER, body=body, created_at=now
    )
    _attach(message, photos)
    _queue_email(ticket, "opened")
    _queue_email(ticket, "staff_new")
    return ticket


def open_ticket_from_care_check(order: Order, *, body: str = "") -> Ticket:
    """The care check's "there is a problem": a high-priority ticket with the order attached.

    Called by the follow-up engine; the buyer then describes the problem on the ticket page.
    """
    # The ticket is the order's conversation: in the order's language, like its first lines.
    with translation.override(order.language):
        return open_ticket(
            email=order.email,
            name=order.name,
            topic=Ticket.Topic.OTHER,
            body=body
            or _("There is a problem with order %(n)s (from the care check).")
            % {"n": order.number},
            order=order,
            order_proven=True,  # the care check's signed link was the buyer's
            source=Ticket.Source.CARE_CHECK,
            priority=Ticket.Priority.HIGH,
            subject=_("Care check: problem with order %(n)s") % {"n": order.number},
            language=order.language,
        )


def _add_message(ticket, *, kind, body, author=None, internal=False, nonce=None, photos=()):
    try:
        with transaction.atomic():
            message = TicketMessage.objects.create(
                ticket=ticket,
                author_kind=kind,
                author=author,
                body=body,
                internal=internal,
                nonce=nonce or None,
            )
    except IntegrityError:
        if nonce:
            return None  # the same form posted twice: the first message stands
        raise
    _attach(message, photos)
    return message


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


@transaction.atomic
def reply_to_ticket(
    ticket: Ticket,
    body: str,
    *,
    acting_user=None,
    nonce: str | None = None,
    photos: Iterable[CleanImage] = (),
) -> TicketMessage | None:
    """A public reply. From staff (acting_user given): records the first response once, sets
    the ticket waiting on the customer and emails them. From the customer: a resolved ticket
    reopens; a closed one refuses. The same `nonce` twice adds one message (returns None)."""
    body = _clean_body(body)
    ticket = _locked(ticket)
    now = timezone.now()
    if acting_user is not None:
        message = _add_message(
            ticket,
            kind=TicketMessage.Author.STAFF,
            body=body,
            author=acting_user,
            nonce=nonce,
            photos=photos,
        )
        if message is None:
            return None
        fields = ["status", "updated_at"]
        if ticket.first_response_at is None:
            ticket.first_response_at = now
            fields.append("first_response_at")
        if ticket.status == Ticket.Status.OPEN:
            ticket.status = Ticket.Status.WAITING
        ticket.save(update_fields=fields)
        _queue_email(ticket, "staff_reply", message)
        return message
    if ticket.status == Ticket.Status.CLOSED:
        raise TicketError(_("This ticket is closed. Open a new one and we will answer."))
    message = _add_message(
        ticket, kind=TicketMessage.Author.CUSTOMER, body=body, nonce=nonce, photos=photos
    )
    if message is None:
        return None
    if ticket.status == Ticket.Status.RESOLVED:
        _reopen(ticket, note=_("Reopened by the customer's reply."))
    elif ticket.status == Ticket.Status.WAITING:
        ticket.status = Ticket.Status.OPEN
        ticket.save(update_fields=["status", "updated_at"])
    else:
        ticket.save(update_fields=["updated_at"])
    _queue_email(ticket, "staff_customer_reply", message)
    return message


@transaction.atomic
def add_internal_note(
    ticket: Ticket, body: str, *, acting_user, nonce: str | None = None
) -> TicketMessage | None:
    """A note for staff only: never shown on the customer's page, never emailed to them."""
    body = _clean_body(body)
    ticket = _locked(ticket)
    message = _add_message(
        ticket,
        kind=TicketMessage.Author.STAFF,
        body=body,
        author=acting_user,
        internal=True,
        nonce=nonce,
    )
    ticket.save(update_fields=["updated_at"])
    return message


@transaction.atomic
def cancel_ticket_order(ticket: Ticket, *, reason: str, acting_user) -> Order:
    """Cancel the order attached to `ticket` and say so in a staff note: both or neither.

    Raises TicketError when no order is attached, and the orders app's OrderError when the
    order can no longer be cancelled; then nothing is written.
    """
    if ticket.order is None:
        raise TicketError(_("No order is attached."))
    order = order_services.cancel_order(ticket.order, reason=reason, acting_user=acting_user)
    add_internal_note(
        ticket,
        _("Cancelled order %(n)s: %(r)s") % {"n": order.number, "r": order.cancel_reason},
        acting_user=acting_user,
    )
    return order


def _system_note(ticket: Ticket, body: str, *, internal: bool = True) -> None:
    author = TicketMessage.Author.STAFF if internal else TicketMessage.Author.SYSTEM
    TicketMessage.objects.create(ticket=ticket, author_kind=author, body=body, internal=internal)


@transaction.atomic
def assign_ticket(ticket: Ticket, assignee, *, acting_user) -> Ticket:
    """Give the ticket to a staff member (or None to unassign); noted in the thread."""
    ticket = _locked(ticket)
    if assignee is not None and not (assignee.is_support or assignee.is_owner):
        raise TicketError(_("Tickets can be assigned to support staff only."))
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    who = assignee.get_full_name() or assignee.email if assignee else _("nobody")
    _system_note(
        ticket, _("Assigned to %(who)s by %(by)s.") % {"who": who, "by": acting_user.email}
    )
    return ticket


@transaction.atomic
def set_priority(ticket: Ticket, priority: str, *, acting_user) -> Ticket:
    """Change the priority; the targets are measured again from the ticket's opening."""
    if priority not in Ticket.Priority.values:
        raise TicketError(_("Unknown priority."))
    ticket = _locked(ticket)
    ticket.priority = priority
    ticket.first_response_due, ticket.resolution_due = _targets(priority, ticket.created_at)
    ticket.save(update_fields=["priority", "first_response_due", "resolution_due", "updated_at"])
    return ticket


@transaction.atomic
def set_waiting(ticket: Ticket, *, acting_user) -> Ticket:
    ticket = _locked(ticket)
    if ticket.is_done:
        raise TicketError(_("Reopen the ticket first."))
    ticket.status = Ticket.Status.WAITING
    ticket.save(update_fields=["status", "updated_at"])
    return ticket


@transaction.atomic
def resolve_ticket(ticket: Ticket, *, acting_user=None) -> Ticket:
    """Mark resolved (the time is recorded once per resolution), open an unanswered "was this
    solved?" record and send `ticket_resolved`, whose receiver in the follow-up engine plans
    the question as a database row."""
    ticket = _locked(ticket)
    if ticket.is_done:
        raise TicketError(
            _("This ticket is already %(s)s.") % {"s": ticket.get_status_display().lower()}
        )
    now = timezone.now()
    ticket.status = Ticket.Status.RESOLVED
    ticket.resolved_at = now
    ticket.save(update_fields=["status", "resolved_at", "updated_at"])
    by = acting_user.email if acting_user else _("the customer")
    _system_note(ticket, _("Resolved by %(by)s.") % {"by": by})
    SatisfactionAnswer.objects.update_or_create(
        ticket=ticket,
        defaults={
            "solved": None,
            "comment": "",
            "answered_at": None,
        },
    )
    ticket_resolved.send(sender=Ticket, ticket=ticket)
    _queue_email(ticket, "resolved")
    return ticket


def _reopen(ticket: Ticket, *, note: str) -> None:
    ticket.status = Ticket.Status.OPEN
    ticket.resolved_at = None
    ticket.save(update_fields=["status", "resolved_at", "updated_at"])
    # The question is moot once the problem is back (the engine skips it when due).
    SatisfactionAnswer.objects.filter(ticket=ticket, answered_at__isnull=True).delete()
    _system_note(ticket, note)


@transaction.atomic
def reopen_ticket(ticket: Ticket, *, acting_user=None) -> Ticket:
    """Open a resolved ticket again (staff, or the customer's reply)."""
    ticket = _locked(ticket)
    if ticket.status != Ticket.Status.RESOLVED:
        raise TicketError(_("Only a resolved ticket can be reopened."))
    _reopen(
        ticket,
        note=_("Reopened by %(by)s.")
        % {"by": acting_user.email if acting_user else _("the customer")},
    )
    return ticket


@transaction.atomic
def close_ticket(ticket: Ticket) -> Ticket:
    """The customer closes their ticket: done, nothing more is expected."""
    ticket = _locked(ticket)
    if ticket.status == Ticket.Status.CLOSED:
        return ticket
    if ticket.resolved_at is None:
        ticket.resolved_at = timezone.now()
    ticket.status = Ticket.Status.CLOSED
    ticket.save(update_fields=["status", "resolved_at", "updated_at"])
    _system_note(ticket, _("Closed by the customer."), internal=False)
    return ticket


@transaction.atomic
def answer_satisfaction(ticket: Ticket, *, solved: bool, comment: str = "") -> SatisfactionAnswer:
    """Record the customer's "was this solved?" answer (the first answer stands)."""
    answer = SatisfactionAnswer.objects.select_for_update().filter(ticket=ticket).first()
    if answer is None:
        raise TicketError(_("There is no question to answer on this ticket."))
    if answer.answered_at is not None:
        raise TicketError(_("Thank you, we already have your answer."))
    answer.solved = solved
    answer.comment = comment.strip()[:2000]
    answer.answered_at = timezone.now()
    answer.save(update_fields=["solved", "comment", "answered_at"])
    return answer


CANNED_VARIABLE = re.compile(r"\{([a-z_]+)\}")


def render_canned(body: str, ticket: Ticket) -> str:
    """Fill a canned reply's variables for this ticket; anything else in braces stays as typed.

    A plain lookup of `{name}` in a fixed table: str.format would let a reply reach attributes
    (`{customer_name.nope}`) and format specs (`{customer_name:>999999999}`) and break every
    ticket page. There is no tracking link: staff never hold the buyer's links. The order's
    number is filled in only when the opener proved they hold it, so that a reply never tells a
    stranger that the number they typed is a real order.
    """
    values = {
        "customer_name": ticket.name.split()[0] if ticket.name else "",
        "ticket_number": ticket.number or "",
    }
    if ticket.order is not None and ticket.order_proven:
        values["order_number"] = ticket.order.number or ""

    def fill(match: re.Match) -> str:
        return values.get(match.group(1), match.group(0))

    return CANNED_VARIABLE.sub(fill, body)
