from django.conf import settings

from .cart import SESSION_KEY


def cart(request) -> dict:
    """The cart count for the header; reads the session only when one exists."""
    session = getattr(request, "session", None)
    if session is None or not request.COOKIES.get(settings.SESSION_COOKIE_NAME):
        return {"cart_count": 0}
    items = session.get(SESSION_KEY) or {}
    return {"cart_count": sum(int(q) for q in items.values())}
