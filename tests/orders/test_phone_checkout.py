"""Checkout for a buyer in China: a mobile number, a Chinese address chosen from the lists."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Order

from ..factories import ProductFactory, VariantFactory

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
}


@pytest.fixture
def variant(shop_profile):
    return VariantFactory(
        product=ProductFactory(name="Linen shirt", price=Decimal("120.00")), stock=3
    )


def start(client, variant) -> str:
    client.post(reverse("orders:cart_add"), {"variant": variant.pk, "quantity": 1})
    html = client.get(reverse("orders:checkout")).content.decode()
    return re.search(r'name="checkout_key" value="([^"]+)"', html).group(1)


def test_phone_only_order_with_a_chinese_address(client, variant):
    key = start(client, variant)
    response = client.post(reverse("orders:checkout"), {**CN, "checkout_key": key})
    assert response.status_code == 302, response.content.decode()[:3000]
    order = Order.objects.get()
    assert (order.email, order.phone, order.notify_by) == ("", "+8613800138000", "sms")
    assert (order.region, order.city, order.district) == ("湖北省", "宜昌市", "西陵区")
    assert order.address_line1 == "夷陵大道 12 号 3 栋 501 室"
