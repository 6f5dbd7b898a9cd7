"""Open Graph tags for a shared link (WeChat, other apps): absolute addresses and short text."""

from django import template
from django.utils.html import strip_tags
from django.utils.text import Truncator

register = template.Library()

# og:locale takes a territory; the shop's languages map to the one its readers live in.
_LOCALES = {"zh-hans": "zh_CN", "en": "en_US"}


@register.simple_tag(takes_context=True)
def absolute_uri(context, location: str) -> str:
    """`location` (a path, or an address a storage already made absolute) as a full URL,
    through request.build_absolute_uri; empty without a request."""
    request = context.get("request")
    if request is None or not location:
        return ""
    return request.build_absolute_uri(location)


@register.simple_tag
def og_text(value, length: int = 100) -> str:
    """One line of plain text of at most `length` characters: tags dropped, runs of spaces and
    line breaks made one space. Escaped by the template like any other value."""
    text = " ".join(strip_tags(str(value or "")).split())
    return Truncator(text).chars(length)


@register.simple_tag
def og_locale(language: str) -> str:
    return _LOCALES.get((language or "").lower(), "")
