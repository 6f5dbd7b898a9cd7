"""A version number for everything the public catalogue shows.

Cached catalogue fragments carry the version in their key; any change to products, variants,
images, categories or the shop profile bumps it, so stale fragments are never read again.
"""

import logging
import secrets
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started

from config.cache import CacheUnavailable, raise_cache_errors

log = logging.getLogger(__name__)

VERSION_KEY = "catalogue:version"

# Public pages show stock only as "sold out", "only N left" (when all of a product's variants
# together hold FEW_LEFT units or fewer) and whether a size can be chosen (stock above zero).
# An order that leaves every variant it touched above FEW_LEFT changes none of that, so it
# keeps the cached pages: with steady orders, most orders must not empty the whole cache.
FEW_LEFT = 5


# A bump the cache could not take (Redis down): made by this process's next cache call that
# reaches it, so that pages cached before the outage are not served after it. Fragments also
# expire after CATALOGUE_CACHE_SECONDS, whichever comes first.
_missed_bump = threading.Event()


# The version read once per request: a catalogue page asked Redis for it six or seven times
# (page key, grid key, index, cards, profile, facets, frame), a round trip each. Kept from
# request_started to request_finished only, and dropped by this process's own bumps; a bump by
# another process shows from the next request on (as it did from the next read before).
_per_request = threading.local()


def _request_started(**kwargs) -> None:
    _per_request.active, _per_request.version = True, None


def _request_finished(**kwargs) -> None:
    _per_request.active, _per_request.version = False, None


request_started.connect(_request_started, dispatch_uid="catalogue_version_memo_start")
request_finished.connect(_request_finished, dispatch_uid="catalogue_version_memo_end")


def _read_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # A random start, not 1: a version number never comes back after Redis lost its data,
        # so what a process keeps in memory per version (shop.catalogue_index) is never taken
        # for the new data's.
        cache.add(VERSION_KEY, secrets.randbelow(2**40) + 1, timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def reliable_catalogue_version() -> int | None:
    """The version, or None when the cache cannot say (Redis away: every answer would be 1)."""
    if _missed_bump.is_set():
        bump_catalogue_version()
    version = getattr(_per_request, "version", None)
    if version is not None:
        return version
    try:
        with raise_cache_errors():
            version = _read_version()
    except CacheUnavailable:
        return None
    if version is not None and getattr(_per_request, "active", False):
        _per_request.version = version
    return version


def catalogue_version() -> int:
    version = reliable_catalogue_version()
    return 1 if version is None else version


def catalogue_version_with(keys: list[str]) -> tuple[int, dict]:
    """The catalogue version and the cache's values of `keys`, in one round trip to Redis
    where the version is not read yet in this request (a cached page's answer asks for its
    page and the visitor's session beside the version: one call instead of three).

    The version is what catalogue_version() gives: read again the slow way when Redis holds
    none or cannot answer (then the values are what get_many could give: none)."""
    if _missed_bump.is_set():
        bump_catalogue_version()
    version = getattr(_per_request, "version", None)
    if version is not None:
        return version, (cache.get_many(keys) if keys else {})
    found = cache.get_many([VERSION_KEY, *keys])
    version = found.pop(VERSION_KEY, None)
    if not isinstance(version, int):
        return catalogue_version(), found
    if getattr(_per_request, "active", False):
        _per_request.version = version
    return version, found


class KeptPerVersion:
    """Values this process keeps for the current catalogue version, beside their Redis copy.

    For what every catalogue answer reads whole (the filter form's facets, the page's frame):
    a Redis round trip and the unpickling of 20 KB on each answer cost more than the rest of
    a page cache hit. Keyed by the version, a value goes stale exactly when the Redis copy
    does; it is also dropped after CATALOGUE_CACHE_SECONDS, as the Redis copy expires. Only
    the current version is kept, and nothing when the cache cannot tell the version.
    """

    def __init__(self):
        self._version, self._values, self._since = None, {}, 0.0

    def get(self, name: str):
        version = reliable_catalogue_version()
        if version is None or version != self._version:
            return None
        if time.monotonic() - self._since > settings.CATALOGUE_CACHE_SECONDS:
            return None
        return self._values.get(name)

    def put(self, name: str, value) -> None:
        version = reliable_catalogue_version()
        if version is None:
            return
        now = time.monotonic()
        if version != self._version or now - self._since > settings.CATALOGUE_CACHE_SECONDS:
            self._version, self._values, self._since = version, {}, now
        self._values[name] = value


def bump_catalogue_version() -> None:
    """Make every cached catalogue fragment stale. Never raises: called after commit, a change
    that was saved must not turn into an error page because the cache is away."""
    _per_request.version = None
    try:
        with raise_cache_errors():
            try:
                cache.incr(VERSION_KEY)
            except ValueError:
                cache.set(VERSION_KEY, 2, timeout=None)
    except CacheUnavailable as error:
        if not _missed_bump.is_set():
            log.warning("catalogue version not bumped (%s): will be when the cache answers", error)
        _missed_bump.set()
    else:
        _missed_bump.clear()


def stock_after_change_is_visible(stock_after: int, added: int) -> bool:
    """stock_change_is_visible for one variant whose stock after the change is known exactly
    (read under the change's row lock, in its transaction): no query."""
    return stock_after <= FEW_LEFT + max(0, added)


def stock_change_is_visible(changes: dict[int, int]) -> bool:
    """Whether a stock change shows on a public page; call it after the change, inside its
    transaction (the rows are then locked, their stock exact).

    `changes` maps variant id -> units added (negative: taken). Visible when any of those
    variants held FEW_LEFT units or fewer before or after the change.
    """
    from django.db.models import Q

    from .models import Variant

    if not changes:
        return False
    low = Q()
    for variant_id, added in changes.items():
        low |= Q(pk=variant_id, stock__lte=FEW_LEFT + max(0, added))
    return Variant.objects.filter(low).exists()


# ----------------------------------------------------------------------- staff figures
# The staff pages' counts (the dashboard's "today" figures, the reputation page) are
# aggregates over whole tables: cached for at most FIGURES_SECONDS, and dropped at once when
# a table they read changes, through a version key per source that its app bumps after commit
# (post_save receivers; the catalogue and the inbox have theirs already). So a figure is at
# most a minute old only for changes made without a save (the follow-up dispatcher's SQL) or
# for those that depend on the clock alone (an order turning late, a ticket turning overdue).
FIGURES_SECONDS = 60


def bump_version(key: str) -> None:
    """Make every figure cached under this version key stale. Never raises (after commit)."""
    try:
        with raise_cache_errors():
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 2, timeout=None)
    except CacheUnavailable as error:  # the figures expire within FIGURES_SECONDS anyway
        log.warning("figures version %s not bumped (%s)", key, error)


def bump_on_commit(key: str):
    """A signal receiver bumping `key` after the transaction that sent the signal commits."""
    from django.db import transaction

    def receiver(sender, **kwargs) -> None:
        transaction.on_commit(lambda: bump_version(key), robust=True)

    return receiver


def current_versions(keys: tuple[str, ...]) -> list[str]:
    """The current value of each version key, in order (one cache round trip when all exist)."""
    return current_versions_with(keys, [])[0]


def current_versions_with(keys: tuple[str, ...], others: list[str]) -> tuple[list[str], dict]:
    """current_versions(keys), and the cache's values of the keys `others`, read in the same
    round trip (a staff page's answer reads its page beside the versions it depends on)."""
    versions = cache.get_many([*keys, *others]) if keys or others else {}
    found = {k: versions.pop(k) for k in others if k in versions}
    missing = [k for k in keys if k not in versions]
    if missing:
        # Started the way catalogue_version() starts one (at random, kept by add), so that a
        # version first read here is the one every later reader sees: else the figures would
        # be cached under a default, then computed again once the version exists.
        for k in missing:
            cache.add(k, secrets.randbelow(2**40) + 1, timeout=None)
        versions.update(cache.get_many(missing))
    return [str(versions.get(k, 1)) for k in keys], found


def cached_figures(name: str, compute, *, depends: tuple[str, ...] = (), seconds=None):
    """compute()'s value, cached under `name` and the current values of the version keys in
    `depends`, for at most `seconds` (FIGURES_SECONDS). The value must be picklable."""
    key = "figures:" + ":".join([name, *current_versions(depends)])
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, FIGURES_SECONDS if seconds is None else seconds)
    return value
