"""The owner's follow-ups: the funnel, the engine's health, failed rows and their retry."""

import re

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import owner_required

from . import dispatch, figures
from .errors import FollowUpError
from .models import FollowUp

# A mail server's or provider's error may quote the message it refused, links included; the
# owner reads the error, never the buyer's links in it (review, answer, unsubscribe).
_LINK_OR_TOKEN = re.compile(r"https?://\S+|[\w\-:.]{32,}")


def without_links(rows: list[FollowUp]) -> list[FollowUp]:
    for row in rows:
        row.last_error = _LINK_OR_TOKEN.sub("[…]", row.last_error)
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
