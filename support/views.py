"""The customer's side: the contact form and a ticket's private thread."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from config.inputs import is_one_line
from config.logs import concerns
from orders.models import Order
from shop.storage import private_file_response

from . import services
from .forms import ContactForm, CustomerReplyForm, SatisfactionForm, new_nonce
from .models import SatisfactionAnswer, Ticket, TicketAttachment


def new_ticket(request):
    """Contact form; with ?order=<tracking token> the order is attached (the link proves it).

    A typed order number is checked by the form, and the answer is the same whether or not
    it names an order: only proof (the link, or a verified account) shows the order here.
    """
    order_token = request.GET.get("order") or request.POST.get("order_token") or ""
    # A token is one short line; anything else names no order (PostgreSQL cannot compare a NUL).
    order = (
        Order.objects.filter(tracking_token=order_token).first()
        if order_token and is_one_line(order_token)
        else None
    )
    initial = {"email": order.email, "name": order.name} if order else {}
    form = ContactForm(
        request.POST or None,
        request.FILES or None,
        order=order,
        user=request.user,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ticket = services.open_ticket(
            email=data["email"],
            name=data["name"],
            topic=data["topic"],
            body=data["body"],
            order=form.order,
            order_proven=form.order_proven,
            order_number_given=data.get("order_number", ""),
            photos=data["photos"],
            language=request.LANGUAGE_CODE,
        )
        messages.success(
            request,
            _(
                "Thank you. We emailed you this page's link; a person from the workshop will answer here."
            ),
        )
        return redirect(ticket.get_absolute_url())
    return render(
        request,
        "support/new.html",
        {"form": form, "order": order, "order_token": order_token},
        status=422 if form.errors else 200,
    )


def _ticket(token: str) -> Ticket:
    if len(token) > 64 or not is_one_line(token):
        raise Http404("No such ticket.")
    ticket = Ticket.objects.select_related("order").filter(token=token).first()
    if ticket is None:
        raise Http404("No such ticket.")
    concerns(ticket=ticket.number, order=ticket.order.number if ticket.order else None)
    return ticket


def thread(request, token: str):
    """The customer's private thread: public messages only, never internal notes."""
    ticket = _ticket(token)
    form = CustomerReplyForm(
        request.POST or None, request.FILES or None, initial={"nonce": new_nonce()}
    )
    if request.method == "POST":
        if request.POST.get("close"):
            services.close_ticket(ticket)
            messages.success(request, _("Closed. Thank you for letting us know."))
            return redirect(ticket.get_absolute_url())
        if form.is_valid():
            try:
                services.reply_to_ticket(
                    ticket,
                    form.cleaned_data["body"],
                    nonce=form.cleaned_data["nonce"],
                    photos=form.cleaned_data["photos"],
                )
            except services.TicketError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Sent. We will answer here and by email."))
                return redirect(ticket.get_absolute_url())
    public = (
        ticket.messages.filter(internal=False)
        .prefetch_related("attachments")
        .select_related("author")
    )
    return render(
        request,
        "support/thread.html",
        {"ticket": ticket, "thread": list(public), "form": form},
        status=422 if form.errors else 200,
    )


def attachment(request, token: str, pk: int, size: str):
    """A photo of the ticket's public thread, for the holder of the ticket's link only."""
    ticket = _ticket(token)
    photo = get_object_or_404(
        TicketAttachment, pk=pk, message__ticket=ticket, message__internal=False
    )
    if size not in TicketAttachment.SIZES:
        raise Http404("No such size.")
    return private_file_response(getattr(photo, size))


def satisfaction(request, token: str):
    """ "Was this solved?": opening the link only shows the question; the buttons post."""
    ticket = _ticket(token)
    answer = SatisfactionAnswer.objects.filter(ticket=ticket).first()
    form = SatisfactionForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and answer is not None:
        try:
            services.answer_satisfaction(
                ticket, solved=form.cleaned_data["solved"], comment=form.cleaned_data["comment"]
            )
        except services.TicketError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Thank you for telling us."))
        return redirect("support:satisfaction", token=token)
    return render(
        request,
        "support/satisfaction.html",
        {"ticket": ticket, "answer": answer, "form": form},
        status=422 if form.errors else 200,
    )
