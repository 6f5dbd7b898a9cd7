"""Chinese couriers: the owner picks one, the buyer's tracking page links to its page."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from orders import couriers
from orders.manage_forms import ShipForm
from orders.models import Order

from ..factories import VariantFactory
from .helpers import place

NUMBERS = {
    "sf": ("SF1234567890123", "https://www.sf-express.com/chn/sc/waybill/waybill-detail/SF1234567890123"),
    "jd": ("JDVA12345678901", "https://www.jdl.com/orderSearch/?waybillCodes=JDVA12345678901"),
    "zto": ("73123456789012", "https://www.zto.com/express/expressCheck.html?txtBill=73123456789012"),
    "yto": ("YT1234567890123", "https://www.kuaidi100.com/chaxun?com=yuantong&nu=YT1234567890123"),
    "sto": ("773123456789012", "https://www.kuaidi100.com/chaxun?com=shentong&nu=773123456789012"),
    "yunda": ("4312345678901", "https://www.kuaidi100.com/chaxun?com=yunda&nu=4312345678901"),
    "ems": ("EA123456789CN", "https://www.ems.com.cn/queryList?mailNum=EA123456789CN"),
    "jt": ("JT1234567890123", "https://www.kuaidi100.com/chaxun?com=jtexpress&nu=JT1234567890123"),
}  # fmt: skip


def ship_form(**data) -> ShipForm:
    return ShipForm(data)


def action(client, order, data):
    url = reverse("orders_manage:order_action", args=[order.pk, "ship"])
    return client.post(url, data)


# ---------------------------------------------------------------- the list
def test_every_listed_courier_has_a_url_and_the_list_ends_with_other():
    assert [c.code for c in couriers.COURIERS] == list(NUMBERS)
    codes = [code for code, _ in couriers.choices()]
    assert codes == [*NUMBERS, "other"]


@pytest.mark.parametrize("code", list(NUMBERS))
def test_each_courier_links_the_number_to_its_tracking_page(code):
    number, url = NUMBERS[code]
    form = ship_form(carrier=code, tracking_number=number)
    assert form.is_valid(), form.errors
    shipment = form.shipment()
    assert shipment == {
        "carrier": couriers.BY_CODE[code].name,
        "tracking_number": number,
        "tracking_url": url,
    }


def test_a_number_is_folded_from_full_width_and_spaces_and_quoted_in_the_link():
    form = ship_form(carrier="sf", tracking_number=" ｓｆ 1234 5678 90123 ")
    assert form.is_valid(), form.errors
    assert form.shipment()["tracking_number"] == "SF1234567890123"
    # A hyphen is allowed where the courier has no pattern; nothing reaches the URL unquoted.
    assert couriers.BY_CODE["sto"].tracking_url("A&B=C").endswith("nu=A%26B%3DC")


def test_names_are_in_the_readers_language():
    with translation.override("en"):
        assert couriers.carrier_label("SF Express") == "SF Express"
        assert dict(couriers.choices())["sf"] == "SF Express · 顺丰速运"
        assert dict(couriers.choices())["other"] == "Other"
    with translation.override("zh-hans"):
        assert couriers.carrier_label("SF Express") == "顺丰速运"
        assert couriers.carrier_label("china post / ems") == "中国邮政/EMS"
        assert dict(couriers.choices())["jt"] == "极兔速递"
    assert couriers.carrier_label("Deppon 德邦") == "Deppon 德邦"  # another carrier as typed


# ---------------------------------------------------------------- "Other"
def test_other_takes_a_name_and_an_optional_link():
    form = ship_form(
        carrier="other",
        other_carrier="Deppon 德邦快递",
        tracking_number="DPK1234567890",
        tracking_url="https://www.deppon.example/t/DPK1234567890",
    )
    assert form.is_valid(), form.errors
    assert form.shipment() == {
        "carrier": "Deppon 德邦快递",
        "tracking_number": "DPK1234567890",
        "tracking_url": "https://www.deppon.example/t/DPK1234567890",
    }
    form = ship_form(carrier="other", other_carrier="Local van", tracking_number="VAN-0042")
    assert form.is_valid(), form.errors
    assert form.shipment()["tracking_url"] == ""


def test_other_without_a_name_is_refused():
    form = ship_form(carrier="other", tracking_number="VAN-0042")
    assert not form.is_valid()
    assert form.errors["other_carrier"] == ["Give the carrier's name."]


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "code, number, message",
    [
        ("sf", "1234567890123", "not a SF Express tracking number: they look like SF1234567890123"),
        ("sf", "SF12345", "not a SF Express tracking number: they look like SF1234567890123"),
        (
            "sf",
            "SF1234567890123456",
            "not a SF Express tracking number: they look like SF1234567890123",
        ),
        ("jd", "SF1234567890123", "not a JD Logistics tracking number"),
        ("ems", "EA12345678CN", "China Post / EMS"),
        ("sto", "abc", "4 to 40 letters"),
        ("yunda", "43123<script>", "4 to 40 letters"),
        ("zto", "7" * 41, "4 to 40 letters"),
        ("other", "ab\x00cd", "Null characters are not allowed"),
        ("jt", "JT123\n4567890123", "one line"),
    ],
)
def test_a_bad_tracking_number_gets_a_clear_message(code, number, message):
    form = ship_form(carrier=code, other_carrier="X", tracking_number=number)
    assert not form.is_valid()
    assert message in " ".join(form.errors["tracking_number"])


def test_an_unknown_courier_or_a_link_for_a_listed_one_is_refused():
    form = ship_form(carrier="dhl", tracking_number="SF1234567890123")
    assert "carrier" in form.errors
    form = ship_form(
        carrier="sf", tracking_number="SF1234567890123", tracking_url="https://x.example"
    )
    assert form.errors["tracking_url"] == [
        "SF Express has its own tracking page: leave the link empty."
    ]
    with pytest.raises(ValidationError):
        couriers.check_number(None, "x" * 100_000)


# ---------------------------------------------------------------- through the pages
@pytest.mark.django_db
def test_the_buyer_follows_the_couriers_page_in_their_language(owner_client, client):
    order = place({VariantFactory(stock=2): 1})
    page = owner_client.get(reverse("orders_manage:order_detail", args=[order.pk])).content.decode()
    assert '<option value="sf">SF Express · 顺丰速运</option>' in page
    assert '<option value="other">Other</option>' in page
    response = action(owner_client, order, {"carrier": "zto", "tracking_number": "73123456789012"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.carrier) == (Order.Status.SHIPPED, "ZTO Express")
    link = "https://www.zto.com/express/expressCheck.html?txtBill=73123456789012"
    assert order.tracking_url == link
    english = client.get(order.get_absolute_url()).content.decode()
    assert "ZTO Express · <strong>73123456789012</strong>" in english
    assert f'href="{link}"' in english
    chinese = client.get(order.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans")
    chinese = chinese.content.decode()
    assert "中通快递 · <strong>73123456789012</strong>" in chinese and f'href="{link}"' in chinese


@pytest.mark.django_db
def test_a_bad_ship_post_changes_nothing_and_says_why(owner_client):
    order = place({VariantFactory(stock=2): 1})
    response = action(owner_client, order, {"carrier": "sf", "tracking_number": "12345"})
    assert response.status_code == 409
    assert (
        "not a SF Express tracking number: they look like SF1234567890123"
        in response.content.decode()
    )
    response = action(owner_client, order, {"carrier": "other", "tracking_number": "VAN-1"})
    assert (
        response.status_code == 409 and "Give the carrier&#x27;s name." in response.content.decode()
    )
    order.refresh_from_db()
    assert (order.status, order.carrier, order.tracking_url) == (Order.Status.PLACED, "", "")
