from functools import lru_cache

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import get_language, override

from .cart import SESSION_KEY


def count_in_session(request) -> int:
    """Units in the visitor's cart; reads the session only when one exists (no query else)."""
    session = getattr(request, "session", None)
    if session is None or not request.COOKIES.get(settings.SESSION_COOKIE_NAME):
        return 0
    items = session.get(SESSION_KEY) or {}
    return sum(int(q) for q in items.values())


def cart(request) -> dict:
    """The cart count for the header, read only if the page shows it: a page rendered for the
    page cache shows a marker instead and must not read the visitor's session."""
    return {"cart_count": lambda: count_in_session(request)}


@lru_cache(maxsize=512)
def _cart_link(language: str, count: int) -> str:
    with override(language):
        return render_to_string("orders/_cart_link.html", {"cart_count": count})


def cart_link(request) -> str:
    """The header's cart link for this visitor (the page cache's `cart` part): one rendering
    per language and count per process, then a dictionary lookup."""
    return _cart_link(get_language(), count_in_session(request))
