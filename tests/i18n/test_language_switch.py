"""The language comes from Accept-Language on a first visit, the header's switch changes it on
every page (keeping the page and its filters), and it sticks; a language we do not offer falls
back to the shop's with no error."""

import html
import re

import pytest
from django.conf import settings
from django.test import Client

from ..factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db

LANG = re.compile(r'<html lang="([^"]+)"')
NEXT = re.compile(r'<input type="hidden" name="next" value="([^"]*)" data-current-url>')
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')
CATALOGUE = "/products/?category=shirts&size=M&sort=price_asc"


@pytest.fixture
def catalogue(shop_profile):
    product = ProductFactory(
        name="Linen shirt", slug="linen-shirt", category=CategoryFactory(slug="shirts")
    )
    VariantFactory(product=product, size="M", stock=3)
    return product


def page_language(response) -> str:
    return page_language_of(response.content.decode())


def page_language_of(page: str) -> str:
    return LANG.search(page).group(1)


@pytest.mark.parametrize(
    ("accept", "language"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-hans"),
        ("zh", "zh-hans"),
        # Traditional Chinese readers get Simplified rather than English: they read it with
        # little effort, most could not read an English shop as easily.
        ("zh-TW,zh;q=0.9", "zh-hans"),
        ("zh-HK", "zh-hans"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR,fr;q=0.9,de;q=0.8", "en"),  # not offered: the shop's language (en in tests)
        ("de", "en"),
        ("", "en"),
        ("xx-" + "y" * 300, "en"),
        ("*", "en"),
    ],
)
def test_first_visit_follows_accept_language(client, catalogue, accept, language):
    response = client.get("/", headers={"accept-language": accept})
    assert response.status_code == 200
    assert page_language(response) == language
    assert response["Content-Language"] == language


def test_the_header_switch_names_each_language_in_itself_and_keeps_the_query(client, catalogue):
    page = client.get(CATALOGUE).content.decode()
    assert 'action="/i18n/setlang/"' in page
    assert 'lang="zh-hans"' in page and ">简体中文</button>" in page
    assert ">English</button>" in page
    assert html.unescape(NEXT.search(page).group(1)) == CATALOGUE


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_each_language_is_named_in_itself_whatever_the_page_language(client, catalogue, language):
    """Not "英语" on a Chinese page (Django's get_available_languages translates the names)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get("/").content.decode()
    assert page_language_of(page) == language
    assert 'lang="zh-hans" class="link"' in page and ">简体中文</button>" in page
    assert 'lang="en" class="link"' in page and ">English</button>" in page
    pressed = re.search(r'value="([\w-]+)" lang="[\w-]+" class="link" aria-pressed="true"', page)
    assert pressed.group(1) == language


@pytest.mark.parametrize(
    "path", ["/", "/cart/", "/support/new/", "/account/sign-in/", "/products/linen-shirt/"]
)
def test_every_page_has_the_switch(client, catalogue, path):
    response = client.get(path)
    assert response.status_code == 200
    assert 'name="language" value="zh-hans"' in response.content.decode()


def test_switching_keeps_the_page_and_its_filters_and_sticks(client, catalogue):
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": CATALOGUE})
    assert response.status_code == 302 and response["Location"] == CATALOGUE
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    # It sticks, whatever the browser asks for.
    again = client.get(CATALOGUE, headers={"accept-language": "en"})
    assert page_language(again) == "zh-hans"
    assert "¥" in again.content.decode() and "CN¥" not in again.content.decode()
    back = client.post("/i18n/setlang/", {"language": "en", "next": CATALOGUE})
    assert back["Location"] == CATALOGUE
    assert page_language(client.get(CATALOGUE)) == "en"


def test_the_switch_works_on_a_page_served_from_the_page_cache(catalogue):
    Client().get(CATALOGUE)  # fills the cache
    visitor = Client(enforce_csrf_checks=True)
    cached = visitor.get(CATALOGUE).content.decode()
    assert "\x00csrf\x00" not in cached
    token = TOKEN.search(cached).group(1)
    response = visitor.post(
        "/i18n/setlang/",
        {
            "language": "zh-hans",
            "next": html.unescape(NEXT.search(cached).group(1)),
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302 and response["Location"] == CATALOGUE
    # The cache keys on the language: the Chinese page is not the English one stored above.
    chinese = visitor.get(CATALOGUE)
    assert page_language(chinese) == "zh-hans"
    assert page_language(Client().get(CATALOGUE)) == "en"


@pytest.mark.parametrize(
    ("language", "shown"),
    [("fr", "en"), ("", "en"), ("x" * 500, "en"), ("../en", "en"), ("zh-hant", "zh-hans")],
)
def test_a_language_we_do_not_offer_falls_back_without_error(client, catalogue, language, shown):
    response = client.post("/i18n/setlang/", {"language": language, "next": "/"})
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200 and page_language(page) == shown


def test_next_to_another_site_is_not_followed(client, catalogue):
    response = client.post(
        "/i18n/setlang/", {"language": "zh-hans", "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and not response["Location"].startswith("https://evil")


def test_an_order_and_a_ticket_take_the_language_of_the_request(client, catalogue):
    from orders.models import Order
    from support.models import Ticket

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    variant = catalogue.variants.get()
    client.post("/cart/add/", {"variant": variant.pk, "quantity": 1})
    page = client.get("/checkout/").content.decode()
    key = re.search(r'name="checkout_key" value="([^"]+)"', page).group(1)
    response = client.post(
        "/checkout/",
        {
            "email": "mei@example.com",
            "name": "李伟",
            "phone": "+86 138 0000 0000",
            "address_line1": "滨江路12号",
            "cn_province": "42",
            "cn_city": "4205",
            "cn_district": "420502",
            "postcode": "443000",
            "country": "CN",
            "notify_by": "email",
            "payment_method": "cod",
            "checkout_key": key,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Order.objects.get().language == "zh-hans"

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        "/support/new/",
        {"email": "sam@example.com", "name": "Sam", "topic": "size", "body": "Too small"},
    )
    assert response.status_code == 302
    assert Ticket.objects.get().language == "en"


def test_staff_see_the_language_of_an_order_and_a_ticket(owner_client):
    from orders.models import Order
    from support.models import Ticket

    from ..conftest import make_delivered_order

    order = make_delivered_order()
    Order.objects.filter(pk=order.pk).update(language="zh-hans")
    page = owner_client.get(order.get_manage_url()).content.decode()
    assert (
        '<span title="Emails to the buyer are written in this language" lang="zh-hans">简体中文'
        in page
    )
    from support import services as support_services

    ticket = support_services.open_ticket(
        email="mei@example.com", name="李伟", topic="size", body="尺码", language="zh-hans"
    )
    assert Ticket.objects.get().language == "zh-hans"
    page = owner_client.get(ticket.get_manage_url()).content.decode()
    assert 'lang="zh-hans">简体中文</span>' in page


def test_the_orders_csv_stays_machine_readable_in_chinese(owner_client):
    from ..conftest import make_delivered_order

    order = make_delivered_order()
    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = owner_client.get("/manage/orders/export.csv")
    body = response.content.decode()
    assert response.status_code == 200
    row = body.splitlines()[1].split(",")
    assert row[1] == order.placed_at.isoformat()  # ISO, not 2026年12月2日
    assert row[-3] == f"{order.total:.2f}" and "¥" not in body and "年" not in body


def test_the_choice_is_kept_for_a_year_not_the_session(client, catalogue):
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert int(cookie["max-age"]) == 365 * 24 * 3600 and cookie["samesite"] == "Lax"


def test_the_catalogue_grid_is_cached_per_language(catalogue):
    """The grid's HTML (prices, labels) is cached apart from the page: a Chinese visitor's grid
    was served to the next English one, ¥ prices and all."""
    chinese = Client(headers={"accept-language": "zh-CN"}).get("/products/?size=M")
    assert '<div class="price">¥199.00</div>' in chinese.content.decode()
    english = Client(headers={"accept-language": "en"}).get("/products/?size=M&sort=")
    assert '<div class="price">CN¥199.00</div>' in english.content.decode()
    htmx = Client(headers={"accept-language": "en", "hx-request": "true"}).get("/products/?size=M")
    assert "CN¥199.00" in htmx.content.decode()
