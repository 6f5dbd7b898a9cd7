"""A version number for everything the public catalogue shows.

Cached catalogue fragments carry the version in their key; any change to products, variants,
images, categories or the shop profile bumps it, so stale fragments are never read again.
"""

from django.core.cache import cache

VERSION_KEY = "catalogue:version"


def catalogue_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY, 1)
    return version


def bump_catalogue_version() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 2, timeout=None)
