"""What a checkout costs, pinned, and the shortcuts that made it cheaper kept honest.

Issue 18 (the checkout bench): a guest's blank form is rendered once per language and
process; place_order reads each variant once, after taking its stock, and writes the
confirmation with one INSERT from the order, lines and shop profile it already holds.
"""

import re

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from messaging.models import Message
from orders import services, views
from orders.emails import build_order_email
from orders.models import Order
from shop.models import Product

from ..factories import ProductFactory, VariantFactory
from .helpers import place
from .test_cart_and_checkout import CHECKOUT, checkout_key

pytestmark = pytest.mark.django_db

PER_REQUEST = re.compile(
    r'(name="(?:csrfmiddlewaretoken|checkout_key)" value=")[^"]+"|"x-csrftoken": "[^"]+"'
)


@pytest.fixture
def in_cart(client, shop_profile):
    variant = VariantFactory(stock=5)
    client.post(reverse("orders:cart_add"), {"variant": variant.pk, "quantity": 1})
    return variant


def form_html(client) -> str:
    html = client.get(reverse("orders:checkout")).content.decode()
    form = html[html.index('<form method="post" novalidate id="checkout-form"') :]
    return PER_REQUEST.sub(r"\1…", form[: form.index("</form>")])


def test_a_guests_blank_form_is_the_form_rendered_in_full(client, in_cart, monkeypatch):
    views.blank_checkout_fields.cache_clear()
    remembered = form_html(client)
    assert 'name="cn_province"' in remembered and "湖北省" in remembered
    monkeypatch.setattr(views, "blank_checkout_fields", lambda language: None)
    assert form_html(client) == remembered  # the template renders the fields itself


def test_a_customers_own_details_never_reach_a_guests_form(client, customer, in_cart):
    views.blank_checkout_fields.cache_clear()
    client.force_login(customer)
    client.post(reverse("orders:cart_add"), {"variant": in_cart.pk, "quantity": 1})
    assert 'value="customer@example.com"' in form_html(client)
    client.logout()
    client.post(reverse("orders:cart_add"), {"variant": in_cart.pk, "quantity": 1})
    assert "customer@example.com" not in form_html(client)
    client.force_login(customer)
    client.post(reverse("orders:cart_add"), {"variant": in_cart.pk, "quantity": 1})
    assert 'value="customer@example.com"' in form_html(client)  # after a guest's, still theirs


def test_each_language_has_its_own_blank_form(client, in_cart):
    views.blank_checkout_fields.cache_clear()
    english = form_html(client)
    client.cookies["django_language"] = "zh-hans"
    chinese = form_html(client)
    assert "Mobile number" in english and "Mobile number" not in chinese
    assert "手机号" in chinese or "手机" in chinese


def test_the_checkout_form_costs_the_same_queries_for_a_guest(client, in_cart, pin_queries):
    # The session, the cart's variants; the shop profile from the cache (a cold one: it too).
    views.blank_checkout_fields.cache_clear()
    pin_queries(client, 3, lambda n: reverse("orders:checkout"))


@pytest.mark.parametrize("lines, queries", [(1, 12), (3, 14)])
def test_place_order_queries(shop_profile, django_assert_num_queries, lines, queries):
    """place_order's savepoint (the test's transaction holds it) and its release; the shop,
    the lines' savepoint; per line: take the stock; the variants, read at once; the order, its
    number, its lines, its event, the lines' savepoint's release, the message. A new checkout
    key is not looked up first: the order's unique key refuses one placed before."""
    variants = {VariantFactory(stock=9): 1 for _ in range(lines)}
    with django_assert_num_queries(queries):
        place(variants)


def test_a_placed_checkout_reads_the_carts_variants_only_under_their_lock(client, in_cart):
    data = {**CHECKOUT, "checkout_key": checkout_key(client)}
    with CaptureQueriesContext(connection) as captured:
        response = client.post(reverse("orders:checkout"), data)
    assert response.status_code == 302
    reads = [
        q["sql"] for q in captured if q["sql"].startswith("SELECT") and "shop_variant" in q["sql"]
    ]
    assert len(reads) == 1, reads  # place_order's, after taking the stock; not the cart's first


def test_a_cart_whose_garments_were_all_deleted_is_sent_back_as_empty(client, in_cart):
    data = {**CHECKOUT, "checkout_key": checkout_key(client)}
    in_cart.delete()
    response = client.post(reverse("orders:checkout"), data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("orders:cart")
    assert "Your cart is empty" in response.content.decode()
    assert not Order.objects.exists()


def test_a_line_off_sale_gives_back_the_units_taken_before_it(shop_profile):
    on_sale = VariantFactory(stock=5)
    archived = VariantFactory(stock=5, product=ProductFactory(status=Product.Status.ARCHIVED))
    items = {on_sale: 1, archived: 1} if on_sale.pk < archived.pk else {archived: 1, on_sale: 1}
    with pytest.raises(services.OutOfStock) as raised:
        place(items)
    assert raised.value.variant_id == archived.pk and raised.value.available == 0
    on_sale.refresh_from_db()
    archived.refresh_from_db()
    assert (on_sale.stock, archived.stock) == (5, 5)


def test_short_stock_says_how_many_are_left(shop_profile):
    variant = VariantFactory(stock=2)
    with pytest.raises(services.OutOfStock) as raised:
        place({variant: 3})
    assert raised.value.available == 2 and "only 2" in str(raised.value)


def test_the_confirmation_from_what_place_order_holds_is_the_one_read_back(shop_profile):
    order = place({VariantFactory(stock=5): 2, VariantFactory(stock=5): 1})
    message = Message.objects.get(key=f"order:{order.pk}:placed")
    again = build_order_email(order, "placed")  # lines and shop read from the database
    assert (message.subject, message.text, message.html) == (again.subject, again.text, again.html)
    assert order.lines.count() == 2 and order.number in message.text


def test_the_first_add_to_a_cart_writes_its_session_with_one_insert(
    client, shop_profile, django_assert_num_queries
):
    variant = VariantFactory(stock=5)
    # The variant, then the new session's insert in its atomic block (a savepoint and its
    # release here, in the test's transaction); no lookup of the new key first (it was 5).
    with django_assert_num_queries(4):
        client.post(reverse("orders:cart_add"), {"variant": variant.pk, "quantity": 1})
    assert Session.objects.count() == 1


def test_a_new_session_key_that_is_taken_is_drawn_again(shop_profile, monkeypatch):
    from config import sessions

    first = sessions.SessionStore()
    first["cart"] = {"1": 1}
    first.save()
    drawn = iter([first.session_key, "b" * 32])
    monkeypatch.setattr(sessions, "get_random_string", lambda *args: next(drawn))
    second = sessions.SessionStore()
    second["cart"] = {"2": 1}
    second.save()
    assert second.session_key == "b" * 32
    assert sessions.SessionStore(first.session_key).load() == {"cart": {"1": 1}}
    assert SessionStore_db(first.session_key) == {"cart": {"1": 1}}


def SessionStore_db(key: str) -> dict:  # noqa: N802 - reads the row, not the cache
    return Session.objects.get(session_key=key).get_decoded()


def test_the_thanks_page_reads_the_order_with_its_lines_and_404s_a_wrong_token(
    client, shop_profile
):
    order = place({VariantFactory(stock=5): 2, VariantFactory(stock=5): 1})
    page = client.get(reverse("orders:thanks", args=[order.tracking_token])).content.decode()
    assert order.number in page and page.count('<div class="small muted">') == 2
    assert client.get(reverse("orders:thanks", args=["x" * 32])).status_code == 404
    order.lines.all().delete()  # an order without lines (none is placed so) is still shown
    response = client.get(reverse("orders:thanks", args=[order.tracking_token]))
    assert response.status_code == 200 and order.number in response.content.decode()
