"""The page cache serves shoppers with a session too, each with their own parts only.

A cached page holds markers where the CSRF token, the cart link, the signed-in menu and flash
messages go (shop.personal); each answer fills them from its own request. These tests alternate
visitors on one cached page and check that each sees only what is theirs.
"""

import pickle
import re

import pytest
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.test.signals import template_rendered
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import OWNER, SUPPORT
from shop.page_cache import cache_public_page

from ..conftest import PASSWORD
from ..factories import ProductFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')
HX_TOKEN = re.compile(r'"x-csrftoken": "([A-Za-z0-9]{64})"')


@pytest.fixture
def product(shop_profile):
    product = ProductFactory(slug="shirt", name="Linen shirt")
    VariantFactory(product=product, stock=30)
    return product


def page_keys() -> list[str]:
    return [key for key in cache._cache if ":page:" in key]


def shopper_with(product, quantity: int) -> Client:
    client = Client(enforce_csrf_checks=True)
    page = client.get(product.get_absolute_url()).content.decode()
    response = client.post(
        "/cart/add/",
        {
            "variant": product.variants.get().pk,
            "quantity": quantity,
            "csrfmiddlewaretoken": TOKEN.search(page).group(1),
        },
    )
    assert response.status_code == 302
    client.get("/cart/")  # shows (and so drops) the "Added ..." message
    return client


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def cart_count(html: str) -> str | None:
    found = re.search(r'<span class="cart-count">(\d+)</span>', html)
    return found.group(1) if found else None


def cart_link_text(html: str) -> str:
    link = re.search(r'<a [^>]*id="cart-link"[^>]*>(.*?)</a>', html, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", link).split())


def flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash flash-[a-z ]+">(.*?)</p>', html)


class Renders:
    """Counts templates rendered (Django's test signal) while in the block."""

    def __enter__(self):
        self.names = []
        template_rendered.connect(self._seen)
        return self

    def _seen(self, sender, template, **kwargs):
        self.names.append(template.name)

    def __exit__(self, *exc):
        template_rendered.disconnect(self._seen)


@pytest.mark.parametrize("url", ["/products/", "/products/shirt/", "/products/?size=M"])
def test_two_shoppers_alternating_each_see_their_own_cart_and_token(product, url):
    one, three = shopper_with(product, 1), shopper_with(product, 3)
    assert cart_count(one.get(url).content.decode()) == "1"  # the first visit stores the page
    for _ in range(3):
        for client, count in ((one, "1"), (three, "3"), (one, "1")):
            response = client.get(url)
            html = response.content.decode()
            assert response["X-Page-Cache"] == "hit"
            assert cart_count(html) == count
            assert "\x00" not in html
    # Each one's token (in the page and in htmx's headers) is theirs: a POST with it works.
    for client, total in ((one, 2), (three, 4)):
        html = client.get(url).content.decode()
        assert HX_TOKEN.search(html)
        response = client.post(
            "/cart/add/",
            {
                "variant": product.variants.get().pk,
                "quantity": 1,
                "csrfmiddlewaretoken": TOKEN.search(html).group(1),
            },
        )
        assert response.status_code == 302
        assert client.session["cart"] == {str(product.variants.get().pk): total}
    # A token from the other shopper's page does not work in this one's session.
    other = TOKEN.search(three.get(url).content.decode()).group(1)
    refused = one.post(
        "/cart/add/",
        {"variant": product.variants.get().pk, "quantity": 1, "csrfmiddlewaretoken": other},
    )
    assert refused.status_code == 403


def test_a_shopper_with_a_cart_gets_the_cached_page_without_rendering(product):
    shopper = shopper_with(product, 2)
    shopper.get(product.get_absolute_url())  # whoever came first, the page is stored now
    for url in (product.get_absolute_url(), "/products/"):
        shopper.get(url)
        with Renders() as renders, CaptureQueriesContext(connection) as queries:
            response = shopper.get(url)
        assert response["X-Page-Cache"] == "hit"
        assert renders.names == []
        # No query: the count lives in the session, which is read from the cache (cached_db).
        assert len(queries) == 0, [q["sql"] for q in queries]
        assert cart_count(response.content.decode()) == "2"


def test_a_first_time_visitor_costs_no_query_and_sees_no_ones_parts(product, customer):
    shopper_with(product, 5).get("/products/")
    signed_in(customer).get("/products/")
    with CaptureQueriesContext(connection) as queries:
        html = Client().get("/products/").content.decode()
    assert len(queries) == 0
    assert cart_count(html) is None
    assert "Sign in" in html and "Sign out" not in html and "My orders" not in html


def test_the_page_stored_holds_markers_and_no_visitors_data(product, owner):
    owner_client = signed_in(owner)
    owner_client.get("/products/shirt/")  # the owner's visit stores the page
    (_version, body, _type) = pickle.loads(cache._cache[page_keys()[0]])  # noqa: S301 (locmem, the test's own)
    text = body.decode()
    assert "\x00part:cart\x00" in text and "\x00part:messages\x00" in text
    assert "\x00if:staff\x00" in text and "\x00csrf\x00" in text
    assert owner.email not in text
    assert not TOKEN.search(text) and not HX_TOKEN.search(text)


def test_signed_in_menus_are_each_visitors_own(product):
    owner = UserFactory(email="lin.owner@example.com", roles=[OWNER])
    helper = UserFactory(email="wu.support@example.com", roles=[SUPPORT])
    buyer = UserFactory(email="zhao.buyer@example.com")
    clients = {"owner": signed_in(owner), "support": signed_in(helper), "buyer": signed_in(buyer)}
    anonymous = Client()
    for _ in range(2):
        for who, client in clients.items():
            html = client.get("/products/shirt/").content.decode()
            assert "Sign out" in html and "My orders" in html and "Sign in" not in html
            assert ("/manage/" in html) == (who in ("owner", "support"))
        html = anonymous.get("/products/shirt/").content.decode()
        assert "Sign in" in html
        assert "Sign out" not in html and "My orders" not in html and "/manage/" not in html
        assert cart_count(html) is None


def test_the_sign_out_button_of_a_cached_page_signs_out(product, customer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)
    client.get("/products/")
    html = client.get("/products/").content.decode()
    form = re.search(r'action="/account/sign-out/".*?value="([A-Za-z0-9]{64})"', html, re.S)
    response = client.post("/account/sign-out/", {"csrfmiddlewaretoken": form.group(1)})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    after = client.get("/products/").content.decode()
    assert "Sign in" in after and "Sign out" not in after


def test_sign_in_messages_and_names_stay_with_their_visitor(product):
    """Signing in shows "Successfully signed in as <email>" on the (cached) home page, once."""
    UserFactory(email="mei@example.com")
    UserFactory(email="jun@example.com")
    Client().get("/")  # the home page is cached before either signs in
    mei, jun = Client(), Client()
    for client, email in ((mei, "mei@example.com"), (jun, "jun@example.com")):
        response = client.post("/account/sign-in/", {"login": email, "password": PASSWORD})
        assert response.status_code == 302
    mei_home, jun_home = mei.get("/"), jun.get("/")
    assert mei_home["X-Page-Cache"] == jun_home["X-Page-Cache"] == "hit"
    mei_html, jun_html = mei_home.content.decode(), jun_home.content.decode()
    assert any("mei@example.com" in m for m in flashes(mei_html))
    assert any("jun@example.com" in m for m in flashes(jun_html))
    assert "jun@example.com" not in mei_html and "mei@example.com" not in jun_html
    # Shown once: the next page has no message left.
    assert flashes(mei.get("/").content.decode()) == []
    assert flashes(jun.get("/products/").content.decode()) == []
    assert flashes(Client().get("/").content.decode()) == []


def test_a_flash_message_on_a_cached_product_page_shows_once_then_is_gone(product):
    shopper, other = shopper_with(product, 1), shopper_with(product, 2)
    shopper.get("/products/shirt/")
    # Too many: the cart refuses with a message and sends the shopper back to the page.
    token = TOKEN.search(shopper.get("/products/shirt/").content.decode()).group(1)
    response = shopper.post(
        "/cart/add/",
        {
            "variant": product.variants.get().pk,
            "quantity": 99,
            "next": "/products/shirt/",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302 and response["Location"] == "/products/shirt/"
    assert flashes(other.get("/products/shirt/").content.decode()) == []
    first = shopper.get("/products/shirt/")
    assert first["X-Page-Cache"] == "hit"
    shown = flashes(first.content.decode())
    assert len(shown) == 1
    assert flashes(shopper.get("/products/shirt/").content.decode()) == []
    assert flashes(other.get("/products/shirt/").content.decode()) == []


def test_messages_are_escaped_as_the_template_escapes_them(rf):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    from shop.personal import messages_html

    request = rf.get("/")
    request.COOKIES["messages"] = "x"
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    from django.contrib import messages

    messages.info(request, "<b>Lin & co</b>")
    html = messages_html(request)
    assert html == '<p class="flash flash-info">&lt;b&gt;Lin &amp; co&lt;/b&gt;</p>'
    expected = Template(
        '{% for message in messages %}<p class="flash flash-{{ message.tags }}">{{ message }}'
        "</p>{% endfor %}"
    ).render(Context({"messages": [m for m in get_messages(request)]}))
    assert html == expected


@pytest.mark.parametrize(
    ("language", "label"), [("en", "Cart 2 items"), ("zh-hans", "购物车 2 件商品")]
)
def test_the_cart_link_is_in_the_visitors_language(product, language, label):
    from django.conf import settings

    shopper = shopper_with(product, 2)
    shopper.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    shopper.get("/products/")
    html = shopper.get("/products/").content.decode()
    assert f'<html lang="{language}">' in html
    assert cart_count(html) == "2"
    assert cart_link_text(html) == label  # what a screen reader says: the visible words first


# ---------------------------------------------------------------- what is never stored
def cached_views() -> set[str]:
    names = set()

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(
                    pattern.url_patterns,
                    f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace,
                )
            elif isinstance(pattern, URLPattern) and getattr(
                pattern.callback, "page_cached", False
            ):
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns)
    return names


def test_only_the_public_catalogue_pages_are_page_cached():
    # Never the cart, checkout, tracking, account or /manage/ pages: they show a visitor's data.
    assert cached_views() == {"shop:home", "shop:product_list", "shop:product_detail"}


def test_pages_with_a_visitors_data_are_never_stored(product, owner):
    from orders.models import Order  # noqa: F401  (the app's pages below)

    shopper = shopper_with(product, 1)
    owner_client = signed_in(owner)
    cache.clear()  # the shopper's visit of the product page stored that one
    for client, url in (
        (shopper, "/cart/"),
        (shopper, "/checkout/"),
        (owner_client, "/account/orders/"),
        (owner_client, "/manage/"),
        (owner_client, "/manage/orders/"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "X-Page-Cache" not in response
    assert page_keys() == []


def _request(rf, with_session=True):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    request = rf.get("/anything/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


@pytest.mark.parametrize("what", ["cookie", "session", "messages", "user"])
def test_an_answer_that_depends_on_the_visitor_is_not_stored(shop_profile, what):
    seen = {}

    @cache_public_page()
    def view(request):
        response = HttpResponse("<p>page</p>")
        if what == "cookie":
            response.set_cookie("seen", "1")
        elif what == "session":
            request.session.get("cart")
        elif what == "messages":
            list(get_messages(request))
        else:
            seen["user"] = request.user
        return response

    request = _request(RequestFactory())
    request.user = UserFactory()
    response = view(request)
    assert response.status_code == 200
    if what == "user":
        # The view renders as a signed-out visitor; the real user is back afterwards.
        assert not seen["user"].is_authenticated and request.user.is_authenticated
        assert len(page_keys()) == 1
    else:
        assert page_keys() == []


def test_a_personal_part_nobody_registered_is_refused_in_a_cached_render(rf):
    request = rf.get("/")
    request._page_cache_render = True
    template = Template('{% load personal %}{% personal "wallet" %}x{% endpersonal %}')
    with pytest.raises(Exception, match="wallet"):
        template.render(Context({"request": request}))
