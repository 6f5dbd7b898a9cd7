from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet

from .models import ModerationLog, Review, ReviewPhoto, ReviewSummary

SORTS = {
    "newest": ["-created_at", "-id"],
    "highest": ["-rating", "-created_at", "-id"],
    "lowest": ["rating", "-created_at", "-id"],
    "helpful": ["-helpful_count", "-created_at", "-id"],
}


def product_reviews(product_id: int, filters: dict) -> QuerySet[Review]:
    """Published reviews of a product, filtered and sorted, photos and reply prefetched."""
    reviews = Review.objects.filter(product_id=product_id, status=Review.Status.PUBLISHED)
    if filters.get("stars"):
        reviews = reviews.filter(rating=filters["stars"])
    if filters.get("photos"):
        reviews = reviews.filter(photo_count__gt=0)
    if filters.get("size"):
        reviews = reviews.filter(size_bought=filters["size"])
    return (
        reviews.order_by(*SORTS.get(filters.get("sort") or "newest", SORTS["newest"]))
        .select_related("reply")
        .prefetch_related(
            Prefetch("photos", queryset=ReviewPhoto.objects.order_by("position", "id"))
        )
    )


def summary_for(product) -> ReviewSummary:
    """The product's summary, or an empty one (not saved) when it has no reviews yet."""
    try:
        return product.review_summary
    except ReviewSummary.DoesNotExist:
        return ReviewSummary(product=product)


MIN_FIT_BY_SIZE = 3


def size_figures(product_id: int) -> dict:
    """The sizes reviewers bought (the list's size filter) and the fit shares per size for
    sizes with at least MIN_FIT_BY_SIZE reviews: one query, cached per catalogue version
    (every publish, hide, unhide or edit bumps it), so a busy product page does not count
    thousands of reviews on every view."""
    from django.core.cache import cache

    from shop.cache import catalogue_version

    key = f"review-sizes:{catalogue_version()}:{product_id}"
    figures = cache.get(key)
    if figures is not None:
        return figures
    rows = (
        Review.objects.filter(product_id=product_id, status=Review.Status.PUBLISHED)
        .values("size_bought")
        .annotate(
            n=Count("id"),
            small=Count("id", filter=Q(fit="small")),
            large=Count("id", filter=Q(fit="large")),
        )
        .order_by("size_bought")
    )
    figures = {"sizes": [], "fit": []}
    for r in rows:
        figures["sizes"].append(r["size_bought"])
        if r["n"] >= MIN_FIT_BY_SIZE:
            figures["fit"].append(
                {
                    "size": r["size_bought"],
                    "n": r["n"],
                    "small": round(100 * r["small"] / r["n"]),
                    "large": round(100 * r["large"] / r["n"]),
                }
            )
    cache.set(key, figures, settings.CATALOGUE_CACHE_SECONDS)
    return figures


def reviews_by_email(email: str, *, limit: int = 10) -> list[Review]:
    """The reviews written for orders placed with `email` (any state), newest first.

    Orders store their email lower-cased, so an exact match can use the index.
    """
    return list(
        Review.objects.filter(order_line__order__email=email.lower())
        .select_related("product", "order_line")
        .order_by("-created_at")[:limit]
    )


def reviews_for_owner(filters: dict) -> QuerySet[Review]:
    """Every review (cleaned ReviewAdminFilter data), newest first, with what a row shows."""
    reviews = Review.objects.select_related("product", "reply", "order_line__order").order_by(
        "-created_at", "-id"
    )
    if filters.get("rating"):
        reviews = reviews.filter(rating=int(filters["rating"]))
    if filters.get("replied"):
        reviews = reviews.filter(reply__isnull=filters["replied"] == "no")
    if filters.get("photos"):
        reviews = reviews.filter(photo_count__gt=0)
    if filters.get("product"):
        reviews = reviews.filter(product_id=filters["product"])
    if filters.get("status"):
        reviews = reviews.filter(status=filters["status"])
    return reviews


def moderation_log(*, review_id: int | None = None) -> QuerySet[ModerationLog]:
    """Every hide and show-again, newest first, with who did it and the review it touched
    (one query per page: the review, its product and the acting user are joined)."""
    entries = ModerationLog.objects.select_related("review__product", "actor").order_by(
        "-created_at", "-id"
    )
    if review_id:
        entries = entries.filter(review_id=review_id)
    return entries
