"""The catalogue version is read once per request (shop.cache): later reads in the same request
take that value, this process's own bump drops it, and the next request reads Redis again."""

import pytest
from django.core.cache import cache

from shop import cache as catalogue_cache
from shop.cache import VERSION_KEY, bump_catalogue_version, catalogue_version

pytestmark = pytest.mark.django_db


def test_the_version_is_read_once_per_request_and_follows_bumps():
    # The receivers of request_started / request_finished (sending the signals would also
    # close the test's database connection).
    catalogue_cache._request_started()
    try:
        version = catalogue_version()
        cache.set(VERSION_KEY, version + 10, timeout=None)  # another process bumps meanwhile
        assert catalogue_version() == version  # this request keeps the version it began with
        bump_catalogue_version()  # this process's own change: seen at once
        assert catalogue_version() == version + 11
    finally:
        catalogue_cache._request_finished()
    cache.set(VERSION_KEY, version + 20, timeout=None)
    assert catalogue_version() == version + 20  # outside a request: read every time
    catalogue_cache._request_started()
    try:
        assert catalogue_version() == version + 20  # the next request reads Redis again
    finally:
        catalogue_cache._request_finished()


def test_each_request_reads_the_version_of_its_own_time(client, shop_profile):
    first = client.get("/products/")
    cache.incr(VERSION_KEY)  # a change made by another process between two requests
    second = client.get("/products/")
    assert first["X-Page-Cache"] == "miss" and second["X-Page-Cache"] == "miss"
