"""The owner's follow-ups: the funnel, the engine's health, failed rows and their retry."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import owner_required
from messaging import errors as messaging_errors

from . import dispatch, figures
from .errors import FollowUpError
from .models import FollowUp


def without_links(rows: list[FollowUp]) -> list[FollowUp]:
    """The owner reads each error, never the buyer's links in it (messaging.errors); rows
    recorded before messaging cleaned its errors are cleaned here."""
    for row in rows:
        row.last_error = messaging_errors.without_links(row.last_error)
    return rows


@owner_required
def follow_ups(request):
    health = figures.health()
    health["failed"] = without_links(health["failed"])
    return render(
        request,
        "followups/manage/follow_ups.html",
        {"funnel": figures.funnel(), "health": health, "now": timezone.now()},
    )


@owner_required
@require_POST
def retry_follow_up(request, pk: int):
    row = get_object_or_404(FollowUp, pk=pk)
    try:
        dispatch.retry_failed(row)
    except FollowUpError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Planned again: the dispatcher sends it within a minute."))
    return redirect("followups:dashboard")
