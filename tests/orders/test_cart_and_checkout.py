import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from orders.models import Order

from ..factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db

CHECKOUT = {
    "email": "mei@example.com",
    "name": "Mei Chen",
    "phone": "+86 138 0000 0000",
    "address_line1": "12 Riverside Road",
    # The checkout's choices for 湖北省 / 宜昌市 / 西陵区 (orders.regions codes).
    "cn_province": "42",
    "cn_city": "4205",
    "cn_district": "420502",
    "postcode": "443000",
    "country": "CN",
    "notify_by": "email",
    "payment_method": "cod",
}


@pytest.fixture
def variant(shop_profile):
    return VariantFactory(
        product=ProductFactory(name="Linen shirt", price=Decimal("120.00")), stock=3
    )


def add(client, variant_id, quantity=1, **headers):
    return client.post(
        reverse("orders:cart_add"), {"variant": variant_id, "quantity": quantity}, **headers
    )


def checkout_key(client) -> str:
    html = client.get(reverse("orders:checkout")).content.decode()
    return re.search(r'name="checkout_key" value="([^"]+)"', html).group(1)


def test_add_to_cart_with_htmx_updates_the_count_in_place(client, variant):
    response = add(client, variant.pk, 2, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="cart-link" hx-swap-oob="true"' in html
    assert '<span class="cart-count">2</span>' in html
    page = client.get(reverse("orders:cart")).content.decode()
    assert "Linen shirt" in page and "CN¥240.00" in page


def test_add_to_cart_without_javascript_redirects_to_the_cart(client, variant):
    response = add(client, variant.pk)
    assert response.status_code == 302 and response["Location"] == reverse("orders:cart")


@pytest.mark.parametrize(
    "variant_id, quantity, message",
    [
        ("999999", 1, "Choose a colour and size that is on sale"),
        ("abc", 1, "Enter a whole number"),
        (None, 0, "Ensure this value is greater than or equal to 1"),
        (None, 4, "Only 3 of M / Navy left"),
    ],
)
def test_bad_add_to_cart_gets_a_message_and_changes_nothing(
    client, variant, variant_id, quantity, message
):
    response = add(client, variant_id or variant.pk, quantity, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert message in response.content.decode()
    assert client.session.get("cart") in (None, {})


def test_inactive_variant_cannot_be_added(client, variant):
    variant.is_active = False
    variant.save()
    response = add(client, variant.pk, HTTP_HX_REQUEST="true")
    assert "no longer on sale" in response.content.decode()


def test_cart_quantity_change_and_remove(client, variant):
    add(client, variant.pk)
    url = reverse("orders:cart_update", args=[variant.pk])
    response = client.post(url, {"quantity": 3}, HTTP_HX_REQUEST="true")
    assert 'value="3"' in response.content.decode()
    response = client.post(url, {"quantity": 9}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and "Only 3" in response.content.decode()
    assert client.session["cart"] == {str(variant.pk): 3}
    client.post(url, {"remove": "1"})
    assert client.session["cart"] == {}


def test_cart_says_when_stock_fell_below_the_quantity(client, variant):
    add(client, variant.pk, 3)
    variant.stock = 1
    variant.save()
    html = client.get(reverse("orders:cart")).content.decode()
    assert "Only 1 left: lower the quantity." in html
    assert reverse("orders:checkout") not in html.split('id="cart-body"')[1]


def test_checkout_places_one_order_and_shows_confirmation(
    client, variant, django_capture_on_commit_callbacks
):
    add(client, variant.pk, 2)
    data = {**CHECKOUT, "checkout_key": checkout_key(client)}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("orders:checkout"), data)
    order = Order.objects.get()
    assert response["Location"] == reverse("orders:thanks", args=[order.tracking_token])
    page = client.get(response["Location"]).content.decode()
    assert order.number in page and order.get_absolute_url() in page
    assert (order.subtotal, order.shipping_cost, order.total) == (
        Decimal("240.00"),
        Decimal("15.00"),
        Decimal("255.00"),
    )
    assert client.session.get("cart") is None
    # Pressing the button again (or resubmitting after back, with something in the cart again)
    # makes no second order: the same checkout key opens the first one.
    session = client.session
    session["cart"] = {str(variant.pk): 1}
    session.save()
    again = client.post(reverse("orders:checkout"), data)
    assert Order.objects.count() == 1
    assert again.status_code == 302
    assert again["Location"] == reverse("orders:thanks", args=[order.tracking_token])
    variant.refresh_from_db()
    assert variant.stock == 1
    [email] = mail.outbox
    assert email.to == ["mei@example.com"]
    assert order.number in email.subject
    assert "Linen shirt" in email.body and "CN¥255.00" in email.body
    assert order.get_absolute_url() in email.body
    html = email.alternatives[0][0]
    assert order.get_absolute_url() in html and "Linen shirt" in html


def test_double_submit_with_the_cart_still_there_makes_one_order(
    client, variant, django_capture_on_commit_callbacks
):
    add(client, variant.pk, 1)
    data = {**CHECKOUT, "checkout_key": checkout_key(client)}
    session = client.session
    cart = dict(session["cart"])
    client.post(reverse("orders:checkout"), data)
    # A second tab posts the same form while its cart still holds the item.
    session = client.session
    session["cart"] = cart
    session.save()
    response = client.post(reverse("orders:checkout"), data)
    assert Order.objects.count() == 1
    assert response["Location"].endswith(Order.objects.get().tracking_token + "/")


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("email", "not-an-email", "Enter a valid email address"),
        ("postcode", "12AB", "not a postcode for that country"),
        ("phone", "call me", "Enter your mobile number in digits"),
        ("payment_method", "bitcoin", "Select a valid choice"),
        ("name", "", "This field is required"),
    ],
)
def test_bad_checkout_input_gets_a_message_and_writes_nothing(
    client, variant, field, value, message
):
    add(client, variant.pk)
    data = {**CHECKOUT, "checkout_key": checkout_key(client), field: value}
    response = client.post(reverse("orders:checkout"), data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert Order.objects.count() == 0
    variant.refresh_from_db()
    assert variant.stock == 3


def test_tampered_price_field_is_ignored(client, variant):
    add(client, variant.pk)
    data = {**CHECKOUT, "checkout_key": checkout_key(client), "total": "1.00", "unit_price": "0.01"}
    client.post(reverse("orders:checkout"), data)
    assert Order.objects.get().subtotal == Decimal("120.00")


def test_sold_out_at_checkout_keeps_the_cart(client, variant):
    add(client, variant.pk, 2)
    key = checkout_key(client)
    variant.stock = 1
    variant.save()
    response = client.post(reverse("orders:checkout"), {**CHECKOUT, "checkout_key": key})
    assert response.status_code == 422
    assert "only 1 of Linen shirt (M, Navy) left" in response.content.decode()
    assert client.session["cart"] == {str(variant.pk): 2}
    assert Order.objects.count() == 0


def test_empty_cart_checkout_is_sent_back_with_a_message(client):
    response = client.get(reverse("orders:checkout"), follow=True)
    assert "Your cart is empty" in response.content.decode()
    response = client.post(reverse("orders:checkout"), {**CHECKOUT, "checkout_key": "x"})
    assert response.status_code == 302 and Order.objects.count() == 0


def test_tracking_page_by_token_and_404_for_a_wrong_one(client, variant):
    add(client, variant.pk)
    client.post(reverse("orders:checkout"), {**CHECKOUT, "checkout_key": checkout_key(client)})
    order = Order.objects.get()
    page = client.get(order.get_absolute_url()).content.decode()
    assert order.number in page and "12 Riverside Road" in page and "Order placed" in page
    # One character off (never the same character: that would be the real token).
    last = "y" if order.tracking_token.endswith("x") else "x"
    wrong = client.get(reverse("orders:tracking", args=[order.tracking_token[:-1] + last]))
    missing = client.get(reverse("orders:tracking", args=["nothing"]))
    assert wrong.status_code == missing.status_code == 404
    for response in (wrong, missing):
        assert "Page not found" in response.content.decode()
        assert order.number not in response.content.decode()


def test_tracking_page_shows_carrier_after_shipping(client, variant):
    from orders import services

    add(client, variant.pk)
    client.post(reverse("orders:checkout"), {**CHECKOUT, "checkout_key": checkout_key(client)})
    order = services.mark_shipped(
        Order.objects.get(), carrier="SF Express", tracking_number="SF1234567"
    )
    page = client.get(order.get_absolute_url()).content.decode()
    assert "SF Express" in page and "SF1234567" in page


def test_signed_in_customer_checkout_links_the_order(client, customer, variant):
    client.force_login(customer)
    add(client, variant.pk)
    html = client.get(reverse("orders:checkout")).content.decode()
    assert 'value="customer@example.com"' in html
    client.post(
        reverse("orders:checkout"),
        {**CHECKOUT, "email": customer.email, "checkout_key": checkout_key(client)},
    )
    assert Order.objects.get().customer == customer


def test_the_summary_and_total_come_before_the_place_order_button(client, variant):
    add(client, variant.pk, 2)
    html = client.get(reverse("orders:checkout")).content.decode()
    form = html[html.index('<form method="post" novalidate id="checkout-form"') :]
    form = form[: form.index("</form>")]  # the summary is inside the form, before its button
    button = form.index('<button type="submit">Place order')
    summary = form.index('id="summary-title"')
    total = form.index("<th>Total</th>", summary)
    assert summary < total < button
    assert form.count('<button type="submit">') == 1
