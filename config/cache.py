"""Django's Redis cache, made a cache and not a single point of failure.

ReusingRedisCache keeps one client per connection pool: Django 5.2's RedisCacheClient builds a
new redis.Redis object for every cache call (redis-py fills ~170 response callbacks each time);
measured in bench/, that was a visible share of a cached page's cost. redis.Redis is
thread-safe, so one per pool is enough.

ResilientRedisCache (the one settings name) degrades instead of failing: with Redis stopped or
frozen, every call answers as a cache that holds nothing (a miss, the default, a write that
did not stay), the error is logged once per outage, and config.breaker skips Redis for a few
seconds after a failure, so a frozen Redis costs one socket timeout per process now and then,
not one per call. Pages are then rendered from the database.

What that means for the callers that count in the cache (the public write limits in
config.middleware, allauth's sign-in limits, the helpful-vote limit): while the cache is down
they fail open. add() answers True (stored, then lost at once, as an evicted key), so
allauth's lock is taken and django-ratelimit's count starts at 1; incr() answers `delta` (the
count starts again); count_hit() answers None, and the public write limits then do what
RATELIMIT_FAIL_OPEN says (let in). Nobody is refused for a count that cannot be kept, and no
request is a 500; the limits hold again as soon as Redis answers. A caller that must know
whether a write happened (shop.cache's catalogue version) asks inside raise_cache_errors().
"""

import logging
import threading
from contextlib import contextmanager

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .breaker import Breaker, server_name

log = logging.getLogger(__name__)

# A connection refused, reset or timed out (BusyLoadingError, Redis loading its data after a
# restart, is a ConnectionError): the server is away, so the breaker skips it for a while.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
SKIP_SECONDS = 5

_strict = threading.local()


class CacheUnavailable(Exception):
    """Raised instead of answering a miss, inside raise_cache_errors()."""


@contextmanager
def raise_cache_errors():
    """Inside it, a cache call that cannot reach Redis raises CacheUnavailable."""
    depth = getattr(_strict, "depth", 0)
    _strict.depth = depth + 1
    try:
        yield
    finally:
        _strict.depth = depth


class ReusingRedisCacheClient(RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        clients = self.__dict__.setdefault("_clients", {})
        client = clients.get(index)
        if client is None:
            client = clients[index] = super().get_client(key, write=write)
        return client


class ReusingRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def count_hit(self, key, timeout, version=None) -> int | None:
        """Count one hit on the counter `key` and answer the count, this hit included.

        A counter that does not exist starts at 0 and lives `timeout` seconds from its first
        hit (a fixed window: later hits do not extend it). One round trip (MULTI: SET NX EX,
        INCR, EXEC), where add() then exists() and incr() were three; atomic, so the counter
        cannot expire between its creation and the hit and be left without a lifetime.
        """
        key = self.make_and_validate_key(key, version=version)
        pipeline = self._cache.get_client(key, write=True).pipeline(transaction=True)
        pipeline.set(key, 0, ex=self.get_backend_timeout(timeout), nx=True)
        pipeline.incr(key)
        return pipeline.execute()[1]


class ResilientRedisCache(ReusingRedisCache):
    """ReusingRedisCache whose calls answer a miss when Redis cannot (see the module's doc).

    OPTIONS: `skip_seconds` (after a failure, Redis is not tried for that long; 5), and
    redis-py's pool options, of which `socket_connect_timeout` and `socket_timeout` bound what
    one call may wait (settings.CACHES sets them).
    """

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        skip_seconds = float(options.pop("skip_seconds", SKIP_SECONDS))
        super().__init__(server, {**params, "OPTIONS": options})
        self.breaker = Breaker.named(f"Redis cache {server_name(server)}", skip_seconds)

    def _guarded(self, fallback, call, *args):
        if self.breaker.should_try():
            try:
                result = call(*args)
            except UNREACHABLE as error:
                self.breaker.failed(error)
            except RedisError as error:  # refused (out of memory, a wrong type): not an outage
                log.warning("Redis cache refused %s: %r", call.__name__, error)
                if getattr(_strict, "depth", 0):
                    raise CacheUnavailable(str(error)) from error
                return fallback
            else:
                self.breaker.succeeded()
                return result
        if getattr(_strict, "depth", 0):
            raise CacheUnavailable(self.breaker.last_error)
        return fallback

    def ping(self) -> None:
        """Ask Redis whatever the breaker says (for /healthz); raises when it does not answer."""
        try:
            self._cache.get_client(write=True).ping()
        except UNREACHABLE as error:
            self.breaker.failed(error)
            raise
        self.breaker.succeeded()

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(True, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._guarded(default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._guarded(False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._guarded({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._guarded(False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        return self._guarded(delta, super().incr, key, delta, version)

    def count_hit(self, key, timeout, version=None) -> int | None:
        """ReusingRedisCache.count_hit; None when Redis cannot answer (nothing was counted)."""
        return self._guarded(None, super().count_hit, key, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._guarded(None, super().delete_many, keys, version)

    def clear(self):
        return self._guarded(False, super().clear)


def count_hit(cache, key: str, timeout: int) -> int | None:
    """Count one hit on `cache`'s counter `key` (created to live `timeout` seconds) and answer
    the count, this hit included; None when it could not be counted.

    The Redis caches do it in one round trip (ReusingRedisCache.count_hit); any other cache
    (the demo's and the tests' local memory) by add() then incr(), as django-ratelimit does.
    """
    counter = getattr(cache, "count_hit", None)
    if counter is not None:
        return counter(key, timeout)
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two: this hit is not counted
        return None
