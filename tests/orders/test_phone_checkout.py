"""Checkout for a buyer in China: a mobile number, a Chinese address chosen from the lists.

Also the other destinations' form, and the address shown in Chinese order everywhere.
"""

import csv
import io
import re
from dataclasses import replace
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from orders import phones
from orders.forms import CheckoutForm
from orders.models import Order

from ..factories import ProductFactory, VariantFactory
from .helpers import BUYER, place

pytestmark = pytest.mark.django_db

CN = {
    "country": "CN",
    "name": "王芳",
    "phone": "138 0013 8000",
    "cn_province": "42",
    "cn_city": "4205",
    "cn_district": "420502",
    "address_line1": "夷陵大道 12 号 3 栋 501 室",
    "postcode": "",
    "email": "",
    "notify_by": "sms",
    "payment_method": "cod",
    "note": "",
}

ABROAD = {
    "country": "SG",
    "email": "mei@example.com",
    "name": "Mei Chen",
    "phone": "+65 6123 4567",
    "address_line1": "12 Orchard Road",
    "address_line2": "#05-01",
    "city": "Singapore",
    "region": "",
    "postcode": "238801",
    "payment_method": "cod",
    "note": "",
}

CN_BUYER = replace(
    BUYER,
    email="",
    name="王芳",
    phone="+8613800138000",
    address_line1="夷陵大道12号",
    region="湖北省",
    city="宜昌市",
    district="西陵区",
    postcode="",
    notify_by="sms",
)


@pytest.fixture
def variant(shop_profile):
    return VariantFactory(
        product=ProductFactory(name="Linen shirt", price=Decimal("120.00")), stock=3
    )


def start(client, variant) -> str:
    client.post(reverse("orders:cart_add"), {"variant": variant.pk, "quantity": 1})
    html = client.get(reverse("orders:checkout")).content.decode()
    return re.search(r'name="checkout_key" value="([^"]+)"', html).group(1)


def submit(client, variant, **changes):
    key = start(client, variant)
    return client.post(reverse("orders:checkout"), {**CN, "checkout_key": key, **changes})


def nothing_written(variant):
    variant.refresh_from_db()
    return Order.objects.count() == 0 and variant.stock == 3


# ------------------------------------------------------------------------------ the phone
@pytest.mark.parametrize(
    "typed",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "+86-138-0013-8000",
        "0086 138 0013 8000",
        "(+86) 138.0013.8000",
        "１３８００１３８０００",  # full-width digits, as a Chinese input method types them
        "＋８６ １３８　００１３　８０００",  # full-width plus, ideographic spaces
    ],
)
def test_a_mainland_mobile_typed_any_usual_way_is_stored_in_e164(typed):
    assert phones.cn_mobile(typed) == "+8613800138000"


@pytest.mark.parametrize(
    "typed, code",
    [
        ("010 6552 9988", "phone_landline"),  # a Beijing landline
        ("+86 10 6552 9988", "phone_landline"),
        ("400 810 8888", "phone_landline"),  # a service number
        ("1380013800", "phone_length"),  # 10 digits
        ("138001380001", "phone_length"),  # 12 digits
        ("+44 7911 123456", "phone_not_cn"),  # a British mobile
        ("+852 6123 4567", "phone_not_cn"),  # Hong Kong is not the mainland
        ("call me", "phone_format"),
        ("138 0013 8000 ext 5", "phone_format"),
    ],
)
def test_what_is_not_a_mainland_mobile_is_refused(typed, code):
    with pytest.raises(ValidationError) as refused:
        phones.cn_mobile(typed)
    assert refused.value.code == code


def test_phone_formats_for_staff_and_for_strangers():
    assert phones.national("+8613800138000") == "138 0013 8000"
    assert phones.masked("+8613800138000") == "138****8000"
    assert phones.national("+65 6123 4567") == "+65 6123 4567"  # not Chinese: as typed
    assert phones.search_forms("138 0013 8000") == ["+8613800138000", "13800138000"]
    assert phones.search_forms("Wang") == []


# ------------------------------------------------------------------------ phone-only checkout
def test_phone_only_order_with_a_chinese_address(
    client, variant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, variant)
    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.email, order.phone, order.notify_by) == ("", "+8613800138000", "sms")
    assert (order.region, order.city, order.district) == ("湖北省", "宜昌市", "西陵区")
    assert (order.address_line1, order.postcode, order.country) == (
        "夷陵大道 12 号 3 栋 501 室",
        "",
        "CN",
    )
    assert mail.outbox == []  # no email address: nothing goes by email
    page = client.get(response["Location"]).content.decode()
    # Chinese order: province, city, district, street; then the recipient and the phone.
    area = page.index("湖北省宜昌市西陵区夷陵大道 12 号 3 栋 501 室")
    assert area < page.index("王芳 138 0013 8000")
    assert "confirm your order by SMS to 138 0013 8000" in page


def test_the_cn_form_asks_only_what_a_chinese_delivery_needs(client, variant):
    start(client, variant)
    html = client.get(reverse("orders:checkout")).content.decode()
    for asked in ('name="cn_province"', 'name="cn_city"', 'name="cn_district"', 'name="notify_by"'):
        assert asked in html
    for not_asked in ('name="city"', 'name="region"', 'name="address_line2"'):
        assert not_asked not in html
    assert '<option value="42">湖北省</option>' in html
    assert 'value="sms" id="id_notify_by_0" required checked' in html  # SMS by default


def test_email_and_postcode_may_be_given_and_messages_may_go_by_email(client, variant):
    response = submit(
        client, variant, email="Wang@Example.com", notify_by="email", postcode="443000"
    )
    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.email, order.notify_by, order.postcode) == ("wang@example.com", "email", "443000")


def test_messages_by_email_need_an_email(client, variant):
    response = submit(client, variant, notify_by="email")
    assert response.status_code == 422
    assert "Give an email address to get messages by email, or choose SMS." in (
        response.content.decode()
    )
    assert nothing_written(variant)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"phone": "010 6552 9988"}, "This is a landline or service number"),
        ({"phone": "1380013800"}, "A mainland mobile number has 11 digits"),
        ({"phone": "+44 7911 123456"}, "give a mainland mobile number (+86)"),
        ({"phone": "1" * 41}, "at most 40 characters"),
        # 江岸区 is in 武汉市, not in 宜昌市.
        ({"cn_district": "420102"}, "That district is not in 宜昌市"),
        # 广州市 is in 广东省, not in 湖北省.
        ({"cn_city": "4401", "cn_district": "440103"}, "That city is not in 湖北省"),
        ({"cn_province": "99"}, "Choose your province from the list."),
        ({"cn_province": "", "cn_city": "", "cn_district": ""}, "Choose your province."),
        ({"cn_district": ""}, "Choose your district or county."),
        ({"cn_district": "4205020" * 3}, "at most 8 characters"),
        ({"address_line1": "x" * 201}, "at most 200 characters"),
        ({"name": "王芳\r\nBcc: x@example.com"}, "Keep this on one line"),
        ({"postcode": "4430"}, "not a postcode for that country"),
    ],
)
def test_bad_chinese_checkout_input_gets_a_clear_message_and_writes_nothing(
    client, variant, changes, message
):
    response = submit(client, variant, **changes)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert nothing_written(variant)


@pytest.mark.parametrize("field", ["phone", "address_line1", "name", "cn_district", "email"])
def test_a_nul_byte_is_refused_by_the_form_and_the_site(client, variant, field):
    form = CheckoutForm({**CN, "checkout_key": "k" * 20, field: CN[field] + "1\x002"})
    assert not form.is_valid() and field in form.errors
    response = submit(client, variant, **{field: "1\x002"})
    assert response.status_code == 400  # config.middleware refuses NUL site-wide
    assert nothing_written(variant)


def test_a_municipality_is_one_city_and_named_once(client, variant):
    url = reverse("orders:checkout_address", args=["cities"])
    html = client.get(url, {"cn_province": "11"}).content.decode()
    # Not the data's "市辖区": the city list holds the one city, 北京市.
    assert re.findall(r'<option value="(\d+)">', html) == ["1101"]
    assert "北京市" in html and "市辖区" not in html
    html = client.get(url, {"cn_province": "50"}).content.decode()
    assert re.findall(r'<option value="(\d+)">', html) == ["5001"]  # 重庆市's 区 and 县 in one
    response = submit(client, variant, cn_province="11", cn_city="1101", cn_district="110101")
    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.region, order.city, order.district) == ("北京市", "北京市", "东城区")
    page = client.get(response["Location"]).content.decode()
    assert "北京市东城区夷陵大道" in page and "北京市北京市" not in page


def test_a_county_level_city_of_no_city_is_a_city_of_its_own(client, variant):
    # 仙桃市 sits under 湖北省's "省直辖县级行政区划" in the data: the buyer finds 仙桃市.
    response = submit(client, variant, cn_city="429004", cn_district="42900400")
    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.region, order.city, order.district) == ("湖北省", "仙桃市", "仙桃市")
    page = client.get(response["Location"]).content.decode()
    assert "湖北省仙桃市夷陵大道" in page


# --------------------------------------------------------------- choosing without JavaScript
def test_without_javascript_the_choose_buttons_fill_the_next_list_and_keep_what_was_typed(
    client, variant
):
    key = start(client, variant)
    typed = {**CN, "checkout_key": key, "cn_city": "", "cn_district": "", "note": "放门口"}
    response = client.post(reverse("orders:checkout"), {**typed, "refresh": "province"})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<option value="4205">宜昌市</option>' in html
    assert "西陵区" not in html  # the districts come with the city
    assert 'value="王芳"' in html and 'value="138 0013 8000"' in html and "放门口" in html
    assert f'value="{key}"' in html
    assert "errorlist" not in html  # a re-render, not a refusal
    response = client.post(
        reverse("orders:checkout"), {**typed, "cn_city": "4205", "refresh": "city"}
    )
    html = response.content.decode()
    assert '<option value="420502">西陵区</option>' in html
    assert '<option value="4205" selected>宜昌市</option>' in html
    assert Order.objects.count() == 0
    # With the lists filled, the order goes through.
    response = client.post(
        reverse("orders:checkout"), {**typed, "cn_city": "4205", "cn_district": "420502"}
    )
    assert response.status_code == 302


def test_a_city_left_from_another_province_is_not_offered_after_a_change(client, variant):
    key = start(client, variant)
    response = client.post(
        reverse("orders:checkout"),
        {**CN, "checkout_key": key, "cn_province": "44", "refresh": "province"},
    )
    html = response.content.decode()
    assert '<option value="4401">广州市</option>' in html
    assert "宜昌市" not in html and "西陵区" not in html


def test_choosing_another_country_shows_the_international_form(client, variant):
    key = start(client, variant)
    response = client.post(
        reverse("orders:checkout"),
        {**CN, "checkout_key": key, "country": "SG", "refresh": "country"},
    )
    html = response.content.decode()
    assert 'name="city"' in html and 'name="address_line2"' in html
    assert 'name="cn_province"' not in html and 'name="notify_by"' not in html
    assert 'value="王芳"' in html  # the name typed is kept


# ------------------------------------------------------------------------- htmx's parts
def test_htmx_gets_the_cities_of_a_province_and_the_districts_of_a_city(client):
    url = reverse("orders:checkout_address", args=["cities"])
    html = client.get(url, {"cn_province": "42"}, headers={"HX-Request": "true"}).content.decode()
    assert html.lstrip().startswith('<div id="cn-city"')
    assert '<option value="4205">宜昌市</option>' in html and 'name="cn_district"' in html
    assert "<html" not in html
    url = reverse("orders:checkout_address", args=["districts"])
    html = client.get(url, {"cn_province": "42", "cn_city": "4205"}).content.decode()
    assert html.lstrip().startswith('<div id="cn-district"')
    assert '<option value="420502">西陵区</option>' in html
    # A city from another province gives no districts.
    html = client.get(url, {"cn_province": "42", "cn_city": "4401"}).content.decode()
    assert "天河区" not in html


def test_htmx_gets_the_address_form_of_a_country(client):
    url = reverse("orders:checkout_address", args=["address"])
    html = client.get(url, {"country": "GB", "name": "Li"}).content.decode()
    assert 'name="postcode"' in html and 'name="city"' in html and 'value="Li"' in html
    assert 'name="cn_province"' not in html
    html = client.get(url, {"country": "CN"}).content.decode()
    assert 'name="cn_province"' in html and 'name="notify_by"' in html


@pytest.mark.parametrize(
    "params",
    [
        {"cn_province": "4" * 100_000},
        {"cn_province": "4\x002"},
        {"country": "ZZ"},
        {"cn_city": "宜昌"},
    ],
)
def test_htmx_parts_take_bad_values_without_a_server_error(client, params):
    response = client.get(reverse("orders:checkout_address", args=["cities"]), params)
    assert response.status_code in (200, 400)


def test_an_unknown_part_is_a_404(client):
    assert client.get(reverse("orders:checkout_address", args=["streets"])).status_code == 404


def test_the_selects_say_what_htmx_swaps():
    form = CheckoutForm(initial={"country": "CN"})
    attrs = form.fields["cn_province"].widget.attrs
    assert attrs["hx-get"] == reverse("orders:checkout_address", args=["cities"])
    assert attrs["hx-target"] == "#cn-city"
    assert form.fields["cn_city"].widget.attrs["hx-target"] == "#cn-district"


# ------------------------------------------------------------------- other destinations
def test_an_order_abroad_uses_the_international_form(client, variant):
    key = start(client, variant)
    response = client.post(reverse("orders:checkout"), {**ABROAD, "checkout_key": key})
    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.notify_by, order.city, order.district, order.postcode) == (
        "email",
        "Singapore",
        "",
        "238801",
    )
    page = client.get(response["Location"]).content.decode()
    assert 'data-address="international"' in page and "238801 Singapore" in page


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"email": ""}, "This field is required"),
        ({"postcode": ""}, "This field is required"),
        ({"postcode": "12"}, "not a postcode for that country"),
        ({"city": "x" * 101}, "at most 100 characters"),
        ({"phone": "call me"}, "phone number the courier can call"),
    ],
)
def test_bad_international_input_gets_a_message_and_writes_nothing(
    client, variant, changes, message
):
    key = start(client, variant)
    response = client.post(reverse("orders:checkout"), {**ABROAD, "checkout_key": key, **changes})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert nothing_written(variant)


def test_hong_kong_has_no_postcode_to_give(client, variant):
    key = start(client, variant)
    response = client.post(
        reverse("orders:checkout"),
        {**ABROAD, "country": "HK", "city": "Kowloon", "postcode": "", "checkout_key": key},
    )
    assert response.status_code == 302


# -------------------------------------------------------------------- where it is shown
def test_tracking_page_shows_the_whole_phone_only_to_the_buyers_own_browser(client, variant):
    response = submit(client, variant)
    order = Order.objects.get()
    own = client.get(order.get_absolute_url()).content.decode()
    assert "湖北省宜昌市西陵区" in own and "138 0013 8000" in own
    forwarded = Client().get(order.get_absolute_url()).content.decode()
    assert "湖北省宜昌市西陵区" in forwarded and "138****8000" in forwarded
    assert "0013" not in forwarded
    assert response.status_code == 302


def test_owner_sees_and_prints_the_chinese_address_and_finds_the_order_by_phone(
    owner_client, variant
):
    order = place({variant: 1}, buyer=CN_BUYER)
    detail = owner_client.get(reverse("orders_manage:order_detail", args=[order.pk]))
    html = detail.content.decode()
    assert "湖北省宜昌市西陵区夷陵大道12号" in html and "138 0013 8000" in html
    assert "mailto:" not in html  # no email to write to
    slip = owner_client.get(reverse("orders_manage:packing_slip", args=[order.pk])).content.decode()
    assert slip.index("湖北省宜昌市西陵区夷陵大道12号") < slip.index("王芳 138 0013 8000")
    for typed in ("13800138000", "+86 138 0013 8000", "138-0013-8000", "8000"):
        listing = owner_client.get(reverse("orders_manage:order_list"), {"q": typed})
        assert order.number in listing.content.decode(), typed
    listing = owner_client.get(reverse("orders_manage:order_list"), {"q": "13900000000"})
    assert order.number not in listing.content.decode()
    listing = owner_client.get(reverse("orders_manage:order_list")).content.decode()
    assert "138 0013 8000" in listing  # shown where the email would be


def test_csv_export_carries_phone_and_district_and_takes_an_empty_email(owner_client, variant):
    place({variant: 1}, buyer=CN_BUYER)
    export = owner_client.get(reverse("orders_manage:order_export"))
    [row] = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert row["email"] == "" and row["phone"] == "138 0013 8000"
    assert (row["region"], row["city"], row["district"], row["notify_by"]) == (
        "湖北省",
        "宜昌市",
        "西陵区",
        "sms",
    )


def test_the_placed_email_has_the_address_in_chinese_order(variant, on_commit):
    with on_commit():
        order = place(
            {variant: 1}, buyer=replace(CN_BUYER, email="wang@example.com", notify_by="email")
        )
    [email] = mail.outbox
    assert email.to == ["wang@example.com"]
    assert "湖北省宜昌市西陵区夷陵大道12号\n王芳 138****8000" in email.body
    assert "湖北省宜昌市西陵区夷陵大道12号" in email.alternatives[0][0]
    assert order.number in email.subject


def test_place_order_refuses_a_buyer_it_cannot_reach(variant):
    from orders import services

    with pytest.raises(services.OrderError):
        place({variant: 1}, buyer=replace(CN_BUYER, phone=""))
    with pytest.raises(services.OrderError):
        place({variant: 1}, buyer=replace(CN_BUYER, notify_by="email"))
    with pytest.raises(services.OrderError):
        place({variant: 1}, buyer=replace(CN_BUYER, notify_by="pigeon"))
    variant.refresh_from_db()
    assert variant.stock == 3 and Order.objects.count() == 0
