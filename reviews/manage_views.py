"""The owner's review pages: every review, replies in place, hiding only for policy reasons."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import owner_required
from config.inputs import safe_next
from orders.receivers import ORDERS_VERSION
from shop.cache import cached_figures
from shop.models import Product
from shop.staff_cache import cache_staff_page
from support.selectors import VERSION_KEY as INBOX_VERSION

from . import services
from .forms import HideForm, ModerationLogFilter, ReplyForm, ReviewAdminFilter
from .models import HideReason, Review
from .receivers import REVIEWS_VERSION
from .selectors import moderation_log as moderation_entries
from .selectors import reviews_for_owner


@owner_required
def review_list(request):
    form = ReviewAdminFilter(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(reviews_for_owner(filters), 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    products = (
        Product.objects.filter(reviews__isnull=False).distinct().order_by("name").only("id", "name")
    )
    template = "reviews/manage/review_list.html"
    if (
        request.htmx
        and not request.htmx.history_restore_request
        and request.htmx.target == "review-table"
    ):
        template += "#review-table"
    return render(
        request,
        template,
        {
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "products": products,
            "reasons": HideReason.choices,
            "unreplied": Review.objects.filter(reply__isnull=True, status="published").count(),
        },
    )


def _row(request, review, *, error=None, status=200):
    review = Review.objects.select_related("product", "reply", "order_line__order").get(
        pk=review.pk
    )
    if request.htmx:
        return render(
            request,
            "reviews/manage/review_list.html#review-row",
            {"review": review, "error": error, "reasons": HideReason.choices},
            status=status,
        )
    if error:
        messages.error(request, error)
    return redirect(safe_next(request, "reviews_manage:review_list"))


@owner_required
@require_POST
def reply(request, pk: int):
    review = get_object_or_404(Review, pk=pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _row(request, review, error=_("Write a reply first."), status=422)
    services.reply_to_review(review, body=form.cleaned_data["body"], acting_user=request.user)
    if not request.htmx:
        messages.success(request, _("Reply published."))
    return _row(request, review)


@owner_required
@require_POST
def hide(request, pk: int):
    review = get_object_or_404(Review, pk=pk)
    form = HideForm(request.POST)
    if not form.is_valid():
        return _row(
            request,
            review,
            error=_(
                "Choose one of the policy reasons: a review is never hidden for being negative."
            ),
            status=422,
        )
    try:
        services.hide_review(
            review,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            acting_user=request.user,
        )
    except services.ReviewError as error:
        return _row(request, review, error=str(error), status=409)
    return _row(request, review)


@owner_required
@require_POST
def unhide(request, pk: int):
    review = get_object_or_404(Review, pk=pk)
    try:
        services.unhide_review(review, acting_user=request.user)
    except services.ReviewError as error:
        return _row(request, review, error=str(error), status=409)
    return _row(request, review)


@owner_required
def moderation_log(request):
    """Who hid or showed again which review, when and why (the owner's reviews pages)."""
    form = ModerationLogFilter(request.GET or None)
    review_id = form.cleaned_data["review"] if form.is_valid() else None
    page = Paginator(moderation_entries(review_id=review_id), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reviews/manage/moderation_log.html",
        {"page": page, "review_id": review_id, "query": query.urlencode()},
    )


@owner_required
@cache_staff_page(depends=(REVIEWS_VERSION, ORDERS_VERSION, INBOX_VERSION))
def reputation_dashboard(request):
    from .reputation import branding_checklist, figures

    # Aggregates over every review, ticket and order of 90 days: computed again after a
    # review, an order or a ticket changed; which orders were asked for a review (the
    # follow-up dispatcher's plain SQL sends no signal) is at most a minute old.
    data = cached_figures(
        "reputation", figures, depends=(REVIEWS_VERSION, ORDERS_VERSION, INBOX_VERSION)
    )
    checklist = branding_checklist(data)
    return render(
        request,
        "reviews/manage/reputation.html",
        {"f": data, "checklist": checklist, "ready": all(c["passed"] for c in checklist)},
    )
