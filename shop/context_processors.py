from django.core.cache import cache

from .cache import catalogue_version
from .models import ShopProfile


def shop_profile() -> ShopProfile:
    """The shop profile, cached until the catalogue version changes (every save of the
    profile bumps it): for what a page shows. A service that prices or records an order
    reads ShopProfile.load() in its transaction."""
    key = f"shop:profile:{catalogue_version()}"
    profile = cache.get(key)
    if profile is None:
        profile = ShopProfile.load()
        cache.set(key, profile, 3600)
    return profile


def shop(request) -> dict:
    """The shop profile on every page."""
    return {"shop": shop_profile()}
