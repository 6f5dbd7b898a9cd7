"""The buyer's follow-up links: the care check and the unsubscribe (with RFC 8058 one-click).

Their addresses are those of emails already sent (/reviews/care/..., /reviews/unsubscribe/...).
"""

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from . import links, services
from .errors import FollowUpError
from .models import FollowUp, Suppression


def _link_error(request, error: FollowUpError):
    return render(request, "reviews/link_error.html", {"error": str(error)}, status=400)


def care_check(request, token: str):
    """The care check: opening the link only shows the question; the buttons post."""
    try:
        row = links.row_for_answer_token(token)
    except FollowUpError as error:
        return _link_error(request, error)
    if request.method == "POST":
        try:
            ticket = services.answer_care_check(row, request.POST.get("answer", ""))
        except FollowUpError as error:
            messages.error(request, str(error))
            return redirect("followups:care_check", token=token)
        if ticket is not None:
            messages.success(
                request,
                _(
                    "We are sorry. Tell us what is wrong here; a person from the workshop will answer."
                ),
            )
            return redirect(ticket.get_absolute_url())
        messages.success(request, _("Thank you! We are glad it arrived well."))
        return redirect("followups:care_check", token=token)
    ticket = (
        row.order.tickets.filter(source="care_check").order_by("-created_at").first()
        if row.answer == FollowUp.Answer.PROBLEM
        else None
    )
    return render(
        request, "followups/care_check.html", {"row": row, "order": row.order, "ticket": ticket}
    )


def unsubscribe(request, token: str):
    """GET shows a button (mail scanners open links); POST stops every follow-up email."""
    try:
        email = links.email_for_unsubscribe_token(token)
    except FollowUpError as error:
        return _link_error(request, error)
    done = services.is_suppressed(email)  # an email address, or a phone from an SMS's link
    if request.method == "POST":
        services.suppress(email, Suppression.Reason.UNSUBSCRIBE)
        done = True
    # A phone (E.164) came from an SMS's stop link: the page speaks of messages, not emails.
    is_phone = email.startswith("+")
    return render(
        request,
        "followups/unsubscribe.html",
        {"email": email, "done": done, "is_phone": is_phone},
    )


@csrf_exempt  # RFC 8058: the mail provider posts "List-Unsubscribe=One-Click" with no cookie.
def unsubscribe_one_click(request, token: str):
    if request.method != "POST":
        return unsubscribe(request, token)
    try:
        email = links.email_for_unsubscribe_token(token)
    except FollowUpError as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    if request.POST.get("List-Unsubscribe") != "One-Click":
        return HttpResponseBadRequest(
            "Expected List-Unsubscribe=One-Click.",
            content_type="text/plain",  # for mail software
        )
    services.suppress(email, Suppression.Reason.UNSUBSCRIBE)
    return HttpResponse(_("Unsubscribed."), content_type="text/plain; charset=utf-8")
