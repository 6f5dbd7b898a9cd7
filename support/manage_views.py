"""The staff inbox under /manage/tickets/ (Support and Owner)."""

from datetime import datetime, time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import OWNER, SUPPORT
from accounts.permissions import role_required
from config.inputs import parse_id
from config.logs import concerns
from orders import services as order_services
from orders.manage_forms import CancelForm
from orders.receivers import ORDERS_VERSION
from shop import personal
from shop.cache import cached_figures
from shop.staff_cache import cache_staff_page
from shop.storage import private_file_response

from . import services
from .forms import CannedReplyForm, InboxFilterForm, StaffReplyForm, new_nonce
from .models import CannedReply, Ticket, TicketAttachment
from .receivers import CANNED_VERSION
from .sections import ticket_page
from .selectors import VERSION_KEY as INBOX_VERSION
from .selectors import (
    VIEWS,
    canned_body,
    customer_history,
    decode_cursor,
    inbox,
    inbox_figures,
    inbox_page,
)

staff_required = role_required(OWNER, SUPPORT)
personal.register("reply_nonce", lambda request: new_nonce())


@staff_required
@cache_staff_page(depends=(INBOX_VERSION,))
def ticket_list(request):
    form = InboxFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    view, q = filters.get("view") or "unassigned", filters.get("q", "")
    now = timezone.now()
    until = filters.get("until")
    page = inbox_page(
        inbox(view, user=request.user, q=q, now=now),
        after=decode_cursor(filters.get("after")),
        before=decode_cursor(filters.get("before")),
        # The whole day chosen, in the shop's time zone.
        until=datetime.combine(until, time.max, tzinfo=timezone.get_current_timezone())
        if until
        else None,
    )
    # The page as it is, for the 15 s poll (which must not take a reader of page 300 back to
    # the first one).
    here = {"view": view, "q": q}
    for key in ("after", "before", "until"):
        if filters.get(key):
            here[key] = filters[key]
    figures = inbox_figures(request.user)
    context = {
        "form": form,
        "here": urlencode(here),
        # What a swap announces: the view's whole count when the inbox counts it, else the rows
        # shown (a search or a resolved list is not counted, to keep the page free of COUNT).
        "announced_count": figures["counts"].get(view)
        if not q and view in figures["counts"]
        else len(page.object_list),
        "page": page,
        "view": view,
        "q": q,
        "until": until,
        "views": VIEWS,
        "now": now,
        **figures,
    }
    template = "support/manage/ticket_list.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#inbox"
    return render(request, template, context)


def _staff_users():
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name__in=[OWNER, SUPPORT]) | Q(is_superuser=True))
        .distinct()
        .order_by("email")
    )


# What the ticket page shows of the ticket itself, read in one query.
TICKET_PAGE = Ticket.objects.select_related("order", "assignee", "satisfaction")


def _detail(request, ticket, form=None, status=200, *, loaded=False):
    if not loaded:  # after a change: read it again, as the page shows it
        ticket = TICKET_PAGE.get(pk=ticket.pk)
    concerns(ticket=ticket.number, order=ticket.order.number if ticket.order else None)
    # Both change seldom and are the same on every ticket page: canned replies cached until
    # one is saved or deleted (support.receivers), the staff list for at most a minute.
    canned = cached_figures(
        "canned-replies", lambda: list(CannedReply.objects.all()), depends=(CANNED_VERSION,)
    )
    chosen = request.GET.get("canned")
    initial_body = ""
    # The reply goes out in the ticket's language (Ticket.language, once tickets have one).
    language = getattr(ticket, "language", None) or settings.LANGUAGE_CODE
    if parse_id(chosen):
        reply = next((c for c in canned if c.pk == parse_id(chosen)), None)
        initial_body = services.render_canned(canned_body(reply, language), ticket) if reply else ""
    # A stored page must not give two tabs one nonce (the second tab's reply would be taken for
    # a repeat of the first and dropped): the cached page holds a marker, filled per answer.
    nonce = personal.part_marker("reply_nonce") if personal.rendering_for_cache(request) else None
    form = form or StaffReplyForm(initial={"nonce": nonce or new_nonce(), "body": initial_body})
    order = ticket.order
    context = {
        "ticket": ticket,
        "thread": list(ticket.messages.select_related("author").prefetch_related("attachments")),
        "form": form,
        "canned": [(c, services.render_canned(canned_body(c, language), ticket)) for c in canned],
        "staff": cached_figures("staff-users", lambda: list(_staff_users())),
        "priorities": Ticket.Priority.choices,
        "order": order,
        "order_lines": list(order.lines.all()) if order else [],
        "overdue": ticket.is_overdue(),
        **customer_history(ticket),
        **ticket_page.render_context(request, ticket),
    }
    return render(request, "support/manage/ticket_detail.html", context, status=status)


def _ticket_page_depends() -> tuple[str, ...]:
    # The ticket, its thread and the customer's other tickets (every ticket and message change
    # bumps the inbox version), the order and the customer's other orders, the canned
    # replies, and whatever the higher apps' parts show (their reviews).
    return (INBOX_VERSION, ORDERS_VERSION, CANNED_VERSION, *ticket_page.depends())


@staff_required
@cache_staff_page(depends=_ticket_page_depends)
def ticket_detail(request, pk: int):
    ticket = get_object_or_404(TICKET_PAGE, pk=pk)
    if request.method == "POST":
        form = StaffReplyForm(request.POST)
        if not form.is_valid():
            return _detail(request, ticket, form, status=422)
        data = form.cleaned_data
        if data["internal"]:
            services.add_internal_note(
                ticket, data["body"], acting_user=request.user, nonce=data["nonce"]
            )
            messages.success(request, _("Note added (staff only)."))
        else:
            services.reply_to_ticket(
                ticket, data["body"], acting_user=request.user, nonce=data["nonce"]
            )
            messages.success(request, _("Reply sent to %(email)s.") % {"email": ticket.email})
            if data["resolve"]:
                try:
                    services.resolve_ticket(ticket, acting_user=request.user)
                except services.TicketError as error:
                    messages.error(request, str(error))
        return redirect(ticket.get_manage_url())
    return _detail(request, ticket, loaded=True)


@staff_required
@require_POST
def ticket_action(request, pk: int, action: str):
    ticket = get_object_or_404(Ticket, pk=pk)
    try:
        if action == "assign":
            user_id = request.POST.get("assignee") or ""
            if user_id == "me":
                assignee = request.user
            elif user_id:
                if parse_id(user_id) is None:
                    raise services.TicketError(_("Choose a member of staff."))
                assignee = get_object_or_404(_staff_users(), pk=parse_id(user_id))
            else:
                assignee = None
            services.assign_ticket(ticket, assignee, acting_user=request.user)
        elif action == "priority":
            services.set_priority(
                ticket, request.POST.get("priority", ""), acting_user=request.user
            )
        elif action == "waiting":
            services.set_waiting(ticket, acting_user=request.user)
        elif action == "resolve":
            services.resolve_ticket(ticket, acting_user=request.user)
        elif action == "reopen":
            services.reopen_ticket(ticket, acting_user=request.user)
        elif action == "cancel-order":
            if ticket.order is None:
                raise services.TicketError(_("No order is attached."))
            reason = request.POST.get("reason", "").strip() or _(
                "Cancelled at the customer's request (%(t)s)."
            ) % {"t": ticket.number}
            # Held to the order's column like the order page's own cancel form.
            form = CancelForm({"reason": reason})
            if not form.is_valid():
                raise services.TicketError(" ".join(form.errors["reason"]))
            services.cancel_ticket_order(
                ticket, reason=form.cleaned_data["reason"], acting_user=request.user
            )
        else:
            raise services.TicketError(_("Unknown action."))
    except (services.TicketError, order_services.OrderError) as error:
        messages.error(request, str(error))
        return _detail(request, ticket, status=409)
    messages.success(request, _("Done."))
    return redirect(ticket.get_manage_url())


@staff_required
def attachment(request, pk: int, attachment_pk: int, size: str):
    """A photo of a ticket's thread, for staff (the customer's copy sits behind their token)."""
    photo = get_object_or_404(TicketAttachment, pk=attachment_pk, message__ticket_id=pk)
    if size not in TicketAttachment.SIZES:
        raise Http404("No such size.")
    return private_file_response(getattr(photo, size))


@staff_required
def canned_list(request, pk: int | None = None):
    reply = get_object_or_404(CannedReply, pk=pk) if pk else None
    form = CannedReplyForm(request.POST or None, instance=reply)
    if request.method == "POST":
        if request.POST.get("delete") and reply:
            reply.delete()
            messages.success(request, _("Deleted."))
            return redirect("support_manage:canned_list")
        if form.is_valid():
            form.save()
            messages.success(request, _("Saved."))
            return redirect("support_manage:canned_list")
    return render(
        request,
        "support/manage/canned_list.html",
        {"form": form, "reply": reply, "replies": CannedReply.objects.all()},
        status=422 if form.errors else 200,
    )
