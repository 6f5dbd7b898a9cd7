from django.core.cache import cache

from .cache import catalogue_version
from .models import ShopProfile


def shop(request) -> dict:
    """The shop profile on every page, cached until the catalogue version changes."""
    key = f"shop:profile:{catalogue_version()}"
    profile = cache.get(key)
    if profile is None:
        profile = ShopProfile.load()
        cache.set(key, profile, 3600)
    return {"shop": profile}
