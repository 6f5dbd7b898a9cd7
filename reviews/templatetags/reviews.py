from django import template

from reviews.services import review_url as make_review_url

register = template.Library()


@register.filter
def review_url(order) -> str:
    """The signed review link of a delivered order."""
    return make_review_url(order)


@register.filter
def stars(value) -> str:
    """★★★★☆ for a rating (rounded to the nearest whole star)."""
    try:
        n = int(round(float(value)))
    except (TypeError, ValueError):
        return ""
    n = max(0, min(5, n))
    return "★" * n + "☆" * (5 - n)
