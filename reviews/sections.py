"""The parts the reviews app adds to lower apps' pages (shop.sections), registered in ready().

- the product page: JSON-LD in <head>; the summary, fit, filters and the review list (its htmx
  fragment "review-list" answers filtering, sorting and paging without the garment);
- the buyer's order page and "my orders": the review link of a delivered order;
- the staff ticket page: the reviews this customer wrote;
- the owner's menu: reputation and reviews.
"""

import json
from urllib.parse import urljoin

from django.conf import settings
from django.core.paginator import Paginator
from django.utils.safestring import mark_safe

from orders.sections import my_orders_page, tracking_page
from shop.cache import cached_figures
from shop.sections import manage_menu, manage_today, product_page
from support.sections import ticket_page

from .forms import ReviewListFilter
from .models import Review
from .receivers import REVIEWS_VERSION
from .selectors import product_reviews, reviews_by_email, size_figures, summary_for


# ----------------------------------------------------------------- the product page
def review_list_context(request, product, summary=None) -> dict:
    summary = summary or summary_for(product)
    form = ReviewListFilter(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    paginator = Paginator(product_reviews(product.pk, filters), settings.REVIEW_PAGE_SIZE)
    if not any(filters.get(name) for name in ("stars", "photos", "size")):
        # The summary counts the published reviews exactly (it changes in the same transaction
        # as they do), so the whole list needs no COUNT over thousands of rows.
        paginator.count = summary.count
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {"review_page": page, "review_filters": filters, "review_query": query.urlencode()}


def product_reviews_context(request, product) -> dict:
    summary = summary_for(product)
    context = review_list_context(request, product, summary)
    sizes = size_figures(product.pk) if summary.count else {"sizes": [], "fit": []}
    context.update(
        summary=summary,
        fit=summary.fit_summary(),
        fit_sizes=sizes["fit"],
        review_sizes=sizes["sizes"],
        json_ld=json_ld(
            product,
            list(product.images.all()),
            summary,
            list(context["review_page"].object_list)[:5],
            _shop(request),
        ),
    )
    return context


def _shop(request):
    from shop.context_processors import shop

    return shop(request)["shop"]


def json_ld(product, images, summary, reviews, shop) -> str:
    """schema.org Product with AggregateRating and Review, per Google's review-snippet rules.

    Only about the product (never the shop), only with real published reviews.
    """
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "description": product.description[:500],
        # urljoin: a bucket's address is absolute already, the disk's is a path on the site.
        "image": [urljoin(settings.SITE_URL, image.large_url) for image in images[:3]],
        "brand": {"@type": "Brand", "name": shop.name},
        "offers": {
            "@type": "Offer",
            "price": str(product.price),
            "priceCurrency": shop.currency,
            "availability": "https://schema.org/InStock"
            if any(v.stock for v in product.offered_variants)
            else "https://schema.org/OutOfStock",
        },
    }
    if summary.count:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": f"{summary.mean:.2f}",
            "reviewCount": summary.count,
            "bestRating": 5,
            "worstRating": 1,
        }
        data["review"] = [
            {
                "@type": "Review",
                "author": {"@type": "Person", "name": review.display_name},
                "datePublished": review.created_at.date().isoformat(),
                "name": review.title,
                "reviewBody": review.body,
                "reviewRating": {
                    "@type": "Rating",
                    "ratingValue": review.rating,
                    "bestRating": 5,
                    "worstRating": 1,
                },
            }
            for review in reviews
        ]
    text = json.dumps(data, ensure_ascii=False)
    # Inside <script>, "</" or "<!--" in user text must not end the element.
    return mark_safe(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))  # noqa: S308


# ----------------------------------------------------------------- the staff ticket page
def customer_reviews_context(request, ticket) -> dict:
    return {"customer_reviews": reviews_by_email(ticket.email)}


# ----------------------------------------------------------------- the owner's home
def today_context(request, obj) -> dict:
    """Published reviews still without the owner's reply. One query, cached until a review or
    a reply changes."""
    if not request.user.is_owner:
        return {}
    unreplied = cached_figures(
        "reviews-unreplied",
        Review.objects.filter(status=Review.Status.PUBLISHED, reply__isnull=True).count,
        depends=(REVIEWS_VERSION,),
    )
    return {"reviews_unreplied": unreplied}


def register() -> None:
    product_page.register(
        "reviews",
        template={
            "head": "reviews/_product_json_ld.html",
            "main": "reviews/_product_reviews.html",
        },
        context=product_reviews_context,
        params=(*ReviewListFilter.base_fields, "page"),
        fragments={"review-list": review_list_context},
    )
    tracking_page.register(
        "reviews", template={"after_timeline": "reviews/_order_review_link.html"}
    )
    my_orders_page.register("reviews", template={"order_actions": "reviews/_my_orders_review.html"})
    ticket_page.register(
        "reviews",
        template={"customer": "reviews/manage/_customer_reviews.html"},
        context=customer_reviews_context,
        depends=(REVIEWS_VERSION,),
    )
    manage_menu.register("reviews", template={"owner": "reviews/manage/_menu.html"})
    manage_today.register(
        "reviews",
        template={"today": "reviews/manage/_today.html"},
        context=today_context,
        depends=(REVIEWS_VERSION,),
    )
