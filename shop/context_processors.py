from django.core.cache import cache

from .cache import reliable_catalogue_version
from .models import ShopProfile

# The profile of the current catalogue version, kept by this process too: a page asks for it
# two or three times (the context processor, the cart's prices, the payment instructions),
# and each answer from Redis was a round trip and an unpickling. Keyed by the version, it
# goes stale exactly when the Redis copy does; with Redis away (no version) nothing is kept.
_kept: dict[int, ShopProfile] = {}


def shop_profile() -> ShopProfile:
    """The shop profile, cached until the catalogue version changes (every save of the
    profile bumps it): for what a page shows. A service that prices or records an order
    reads ShopProfile.load() in its transaction."""
    version = reliable_catalogue_version()
    if version is not None and version in _kept:
        return _kept[version]
    key = f"shop:profile:{version or 1}"
    profile = cache.get(key)
    if profile is None:
        profile = ShopProfile.load()
        cache.set(key, profile, 3600)
    if version is not None:
        _kept.clear()  # one version at a time
        _kept[version] = profile
    return profile


def shop(request) -> dict:
    """The shop profile on every page."""
    return {"shop": shop_profile()}
