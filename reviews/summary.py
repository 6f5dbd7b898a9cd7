"""Keeping a product's review figures exact: changed by delta in each review transaction,
and recomputable from scratch (the recompute_review_summaries command) to the same numbers."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, Sum

from shop.cache import bump_catalogue_version
from shop.models import Product

from .models import Review, ReviewSummary


def bayesian_rank(count: int, rating_sum: int) -> float:
    """Mean pulled toward a prior, so one 5-star review does not outrank 200 at 4.8."""
    prior, weight = settings.REVIEW_PRIOR_MEAN, settings.REVIEW_PRIOR_WEIGHT
    return (prior * weight + rating_sum) / (weight + count)


def _sync_product(summary: ReviewSummary) -> None:
    mean = Decimal(summary.rating_sum) / summary.count if summary.count else Decimal("0")
    Product.objects.filter(pk=summary.product_id).update(
        rating_count=summary.count,
        rating_mean=mean.quantize(Decimal("0.01"), ROUND_HALF_UP),
        rating_rank=bayesian_rank(summary.count, summary.rating_sum) if summary.count else 0,
    )


def apply_delta(
    product_id: int,
    *,
    rating: int | None = None,
    fit: str | None = None,
    sign: int = 1,
    hidden: int = 0,
) -> None:
    """Add (sign=1) or take away (sign=-1) one published review's figures, and move the hidden
    count by `hidden`. Call inside the transaction that changes the review."""
    ReviewSummary.objects.get_or_create(product_id=product_id)
    changes = {}
    if rating is not None:
        changes.update(
            count=F("count") + sign,
            rating_sum=F("rating_sum") + sign * rating,
            **{
                f"stars_{rating}": F(f"stars_{rating}") + sign,
                f"fit_{fit}": F(f"fit_{fit}") + sign,
            },
        )
    if hidden:
        changes["hidden"] = F("hidden") + hidden
    ReviewSummary.objects.filter(product_id=product_id).update(**changes)
    _sync_product(ReviewSummary.objects.get(product_id=product_id))
    # Cached product and catalogue pages show these figures.
    transaction.on_commit(bump_catalogue_version, robust=True)


def recompute_all(product_ids=None) -> int:
    """Rebuild every product's summary (or those of `product_ids`) from the reviews themselves;
    returns the number of products touched."""
    published = Q(reviews__status=Review.Status.PUBLISHED)
    products = (
        Product.objects.all() if product_ids is None else Product.objects.filter(pk__in=product_ids)
    )
    rows = products.annotate(
        n=Count("reviews", filter=published),
        total=Sum("reviews__rating", filter=published),
        hidden_n=Count("reviews", filter=Q(reviews__status=Review.Status.HIDDEN)),
        **{f"s{n}": Count("reviews", filter=published & Q(reviews__rating=n)) for n in range(1, 6)},
        **{
            f"f_{fit}": Count("reviews", filter=published & Q(reviews__fit=fit))
            for fit in ("small", "true", "large")
        },
    ).values(
        "pk", "n", "total", "hidden_n", "s1", "s2", "s3", "s4", "s5", "f_small", "f_true", "f_large"
    )
    touched = 0
    for row in rows.iterator(chunk_size=2000):
        summary, _ = ReviewSummary.objects.update_or_create(
            product_id=row["pk"],
            defaults={
                "count": row["n"],
                "rating_sum": row["total"] or 0,
                "hidden": row["hidden_n"],
                **{f"stars_{n}": row[f"s{n}"] for n in range(1, 6)},
                "fit_small": row["f_small"],
                "fit_true": row["f_true"],
                "fit_large": row["f_large"],
            },
        )
        _sync_product(summary)
        touched += 1
    return touched
