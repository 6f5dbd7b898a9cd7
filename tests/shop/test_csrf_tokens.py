"""The page cache's own CSRF tokens (shop.personal.csrf_token): drawn faster than Django's
get_token, and taken by Django's CsrfViewMiddleware exactly as its own."""

import re
from collections import Counter

import pytest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, _unmask_cipher_token
from django.test import Client, RequestFactory

from shop.personal import csrf_token, random_csrf_string

from ..factories import ProductFactory, VariantFactory

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')


def test_random_strings_use_the_whole_alphabet_evenly():
    drawn = "".join(random_csrf_string() for _ in range(2000))
    assert len(drawn) == 64_000
    counts = Counter(drawn)
    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    # 1,032 expected per character (sigma about 32): an uneven mapping of the bytes 248-255
    # onto the first letters would give those about 1,160.
    assert all(900 < count < 1160 for count in counts.values()), counts.most_common(3)


def test_a_token_masks_the_visitors_secret_as_django_reads_it():
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = secret = random_csrf_string()
    first, second = csrf_token(request), csrf_token(request)
    assert len(first) == 64 and set(first) <= set(CSRF_ALLOWED_CHARS)
    assert first != second  # a new mask each time (BREACH)
    assert _unmask_cipher_token(first) == _unmask_cipher_token(second) == secret
    assert request.META["CSRF_COOKIE"] == secret and request.META["CSRF_COOKIE_NEEDS_UPDATE"]


def test_a_visitor_without_the_cookie_gets_a_new_secret_to_be_sent():
    request = RequestFactory().get("/")
    token = csrf_token(request)
    assert len(request.META["CSRF_COOKIE"]) == 32
    assert _unmask_cipher_token(token) == request.META["CSRF_COOKIE"]
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


@pytest.mark.django_db
def test_the_token_of_a_cached_page_is_accepted_and_a_forged_one_refused(shop_profile):
    product = ProductFactory(slug="shirt")
    variant = VariantFactory(product=product, stock=9)
    Client().get("/products/shirt/")  # stored
    shopper = Client(enforce_csrf_checks=True)
    page = shopper.get("/products/shirt/")
    assert page["X-Page-Cache"] == "hit"
    token = TOKEN.search(page.content.decode()).group(1)
    forged = random_csrf_string(64)
    refused = shopper.post("/cart/add/", {"variant": variant.pk, "csrfmiddlewaretoken": forged})
    assert refused.status_code == 403
    added = shopper.post("/cart/add/", {"variant": variant.pk, "csrfmiddlewaretoken": token})
    assert added.status_code == 302
