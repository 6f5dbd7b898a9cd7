"""The public write limits count each request once, in one round trip to Redis.

config.middleware counts a rule's hits with config.cache.count_hit (one MULTI of SET NX EX and
INCR) in django-ratelimit's fixed windows and under its keys; these tests hold it to the limit
it enforced before: the N+1th request of a window is refused, the next window starts again,
and a count that cannot be kept does what RATELIMIT_FAIL_OPEN says.
"""

import os
import secrets
import socket
from types import SimpleNamespace

import pytest
from django.core.cache import caches
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django_ratelimit.core import get_usage

from config.breaker import Breaker
from config.cache import ResilientRedisCache, count_hit

from .factories import VariantFactory

pytestmark = pytest.mark.django_db

GROUP = "write:orders:cart_add:ip"
ADDRESS = "203.0.113.9"

needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL"
)


@pytest.fixture(autouse=True)
def _fresh_breakers():
    Breaker.reset_all()
    yield
    Breaker.reset_all()


@pytest.fixture
def three_an_hour(settings):
    settings.PUBLIC_WRITE_LIMITS = {
        **settings.PUBLIC_WRITE_LIMITS,
        "orders:cart_add": [("ip", "3/h")],
    }


@pytest.fixture
def clock(monkeypatch):
    """The limits' clock, fixed (a window's end is never crossed by accident) and movable."""
    import time

    now = [float(int(time.time()))]
    fake = SimpleNamespace(time=lambda: now[0])
    monkeypatch.setattr("config.middleware.time", fake)
    monkeypatch.setattr("django_ratelimit.core.time", fake)
    return now


def add_to_cart(variant, address=ADDRESS):
    return Client(REMOTE_ADDR=address).post(
        reverse("orders:cart_add"), {"variant": variant.pk, "quantity": 1}
    )


@pytest.fixture
def redis_cache():
    """The shop's Redis cache (REDIS_URL) under a prefix of this test's own."""
    prefix = f"rate-test-{secrets.token_hex(6)}"
    config = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": prefix,
        }
    }
    with override_settings(CACHES=config):
        cache = caches["default"]
        yield cache
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)


def assert_the_fourth_is_refused_until_the_next_window(clock, variant):
    answers = [add_to_cart(variant).status_code for _ in range(4)]
    assert answers == [302, 302, 302, 429]
    refused = add_to_cart(variant)
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 3600
    assert add_to_cart(variant, "198.51.100.4").status_code == 302  # another client's own count
    clock[0] += int(refused["Retry-After"])  # the window is over: counted afresh
    assert add_to_cart(variant).status_code == 302


def test_the_request_after_the_limit_is_refused_within_the_window(
    shop_profile, three_an_hour, clock
):
    assert_the_fourth_is_refused_until_the_next_window(clock, VariantFactory(stock=50))


def test_the_count_is_the_one_django_ratelimit_reads_under_its_key(shop_profile, three_an_hour):
    variant = VariantFactory(stock=50)
    for _ in range(2):
        add_to_cart(variant)
    request = RequestFactory().post("/cart/add/")
    usage = get_usage(request, group=GROUP, key=lambda group, request: ADDRESS, rate="3/h")
    assert usage["count"] == 2 and not usage["should_limit"]


@pytest.mark.parametrize("fail_open, refused", [(True, False), (False, True)])
def test_a_count_that_cannot_be_kept_does_what_fail_open_says(
    shop_profile, three_an_hour, settings, fail_open, refused
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.RATELIMIT_FAIL_OPEN = fail_open
    down = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }
    variant = VariantFactory(stock=50)
    with override_settings(CACHES=down):
        answers = {add_to_cart(variant).status_code for _ in range(5)}
    assert answers == ({429} if refused else {302})


@needs_redis
def test_with_redis_each_hit_is_one_round_trip_and_the_window_is_fixed(redis_cache, monkeypatch):
    import redis

    sent = []
    original = redis.client.Pipeline.execute
    monkeypatch.setattr(
        redis.client.Pipeline,
        "execute",
        lambda self, *args, **kwargs: (
            sent.append(len(self.command_stack)) or original(self, *args, **kwargs)
        ),
    )
    monkeypatch.setattr(
        redis.Redis,
        "execute_command",
        lambda self, *args, **options: pytest.fail(f"a round trip of its own: {args[0]}"),
    )
    assert [count_hit(redis_cache, "counter", 60) for _ in range(3)] == [1, 2, 3]
    assert sent == [2, 2, 2]  # SET NX EX and INCR, in one MULTI each
    monkeypatch.undo()
    client = redis_cache._cache.get_client(write=True)
    key = redis_cache.make_key("counter")
    lifetime = client.ttl(key)
    assert 0 < lifetime <= 60  # set by the first hit, not extended by the others
    assert redis_cache.get("counter") == 3  # an int to Django's cache as well


@needs_redis
def test_with_redis_the_request_after_the_limit_is_refused_within_the_window(
    redis_cache, shop_profile, three_an_hour, clock
):
    assert_the_fourth_is_refused_until_the_next_window(clock, VariantFactory(stock=50))


def test_a_redis_cache_that_cannot_answer_counts_nothing():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    cache = ResilientRedisCache(f"redis://127.0.0.1:{closed_port}/0", {})
    assert cache.count_hit("k", 60) is None
