from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.client_ip import client_ip

from . import services
from .forms import ReviewForm
from .models import Review


# ----------------------------------------------------------------- helpful votes
def _voter(request) -> str:
    if request.user.is_authenticated:
        return f"u:{request.user.pk}"
    if not request.session.session_key:
        request.session["voter"] = True
        request.session.save()
    return f"s:{request.session.session_key}"


def _rate_limited(request) -> bool:
    # The real client, not the proxy in front of every visitor (config.client_ip).
    key = f"helpful-votes:{client_ip(request)}"
    cache.add(key, 0, timeout=60)
    try:
        count = cache.incr(key)
    except ValueError:
        count = 1
    return count > settings.HELPFUL_VOTES_PER_MINUTE


@require_POST
def vote_helpful(request, pk: int):
    """Count one "helpful" and say so: "Thanks, counted", or that this person already did.

    htmx requests get the button's fragment with status 200 in every case, because htmx does
    not swap a 4xx answer and the person would see nothing; without JavaScript the answer is a
    redirect back to the review with the same words as a message.
    """
    review = get_object_or_404(Review, pk=pk, status=Review.Status.PUBLISHED)
    outcome, error = "counted", None
    if _rate_limited(request):
        outcome, error = "refused", _("Too many votes from here: try again in a minute.")
    else:
        try:
            review.helpful_count = services.vote_helpful(review, voter=_voter(request))
        except services.AlreadyVoted as exc:
            outcome, error = "already", str(exc)
        except services.ReviewError as exc:
            outcome, error = "refused", str(exc)
    if request.htmx:
        return render(
            request, "reviews/_helpful.html", {"review": review, "outcome": outcome, "error": error}
        )
    if outcome == "counted":
        messages.success(request, _("Thanks, counted"))
    elif outcome == "already":
        messages.info(request, error)
    else:
        messages.error(request, error)
    return redirect(review.product.get_absolute_url() + f"#review-{review.pk}")


# ----------------------------------------------------------------- writing, behind signed links
def _line_forms(request, order):
    lines = list(order.lines.select_related("review").all())
    reviewed = {line.pk: getattr(line, "review", None) for line in lines}
    default_name = services.default_display_name(order.name)
    forms = []
    for line in lines:
        if reviewed[line.pk] is not None:
            continue
        form = ReviewForm(
            request.POST or None,
            request.FILES or None,
            prefix=f"line-{line.pk}",
            initial={"display_name": default_name},
        )
        forms.append((line, form))
    return lines, reviewed, forms


def write_reviews(request, token: str):
    """One page to review every line of a delivered order; lines left empty are skipped."""
    try:
        order = services.order_for_token(token)
    except services.InvalidReviewLink as error:
        return render(request, "reviews/link_error.html", {"error": str(error)}, status=400)
    lines, reviewed, forms = _line_forms(request, order)
    if request.method == "POST":
        started = [
            (line, form)
            for line, form in forms
            if form.has_started() or form.files.get(form.add_prefix("photos"))
        ]
        if not started:
            messages.error(request, _("Fill in at least one garment's review."))
        elif all(form.is_valid() for _, form in started):
            reviews = []
            for line, form in started:
                data = dict(form.cleaned_data)
                photos = data.pop("photos")
                reviews.append((line, services.ReviewInput(**data), photos))
            try:
                services.publish_reviews(reviews)
            except services.ReviewError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("Thank you: your review is published."))
                return redirect("reviews:write", token=token)
        status = 422
    else:
        status = 200
    return render(
        request,
        "reviews/write.html",
        {
            "order": order,
            "lines": lines,
            "reviewed": reviewed,
            "forms": forms,
            "token": token,
            "editable": {pk: r for pk, r in reviewed.items() if r and services.can_edit(r)},
        },
        status=status,
    )


def edit_review(request, token: str, pk: int):
    try:
        order = services.order_for_token(token)
    except services.InvalidReviewLink as error:
        return render(request, "reviews/link_error.html", {"error": str(error)}, status=400)
    review = get_object_or_404(Review, pk=pk, order_line__order=order)
    fields = ("rating", "fit", "title", "body", "display_name", "height_cm", "usual_size")
    form = ReviewForm(
        request.POST or None,
        request.FILES or None,
        initial={f: getattr(review, f) for f in fields},
        max_photos=max(0, 4 - review.photo_count),
    )
    if not services.can_edit(review):
        return render(
            request,
            "reviews/link_error.html",
            {
                "error": _("Reviews can be changed for %(n)s days after writing.")
                % {"n": settings.REVIEW_EDIT_DAYS}
            },
            status=400,
        )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        photos = data.pop("photos")
        try:
            services.edit_review(review, services.ReviewInput(**data), photos=photos)
        except services.ReviewError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your review is updated."))
            return redirect("reviews:write", token=token)
    return render(
        request,
        "reviews/edit.html",
        {"form": form, "review": review, "token": token, "order": order},
        status=422 if form.errors else 200,
    )
