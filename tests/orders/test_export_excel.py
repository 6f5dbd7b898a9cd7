"""The owner's order CSV opens in Excel on a Chinese Windows PC: UTF-8 with a byte order mark."""

import codecs
import csv
import io
from dataclasses import replace

import pytest
from django.urls import reverse

from ..factories import VariantFactory
from .helpers import BUYER, place

pytestmark = pytest.mark.django_db


def export(client) -> bytes:
    response = client.get(reverse("orders_manage:order_export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return response.content


def test_the_export_starts_with_one_bom_and_a_chinese_name_round_trips(owner_client):
    buyer = replace(BUYER, name="李娜", city="宜昌市", region="湖北省")
    order = place({VariantFactory(stock=2): 1}, buyer=buyer)
    data = export(owner_client)
    assert data.startswith(codecs.BOM_UTF8)
    assert not data[3:].startswith(codecs.BOM_UTF8)  # one mark, not two
    assert "李娜".encode() in data  # UTF-8 bytes, not GBK
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert list(rows[0])[0] == "number"  # the mark is not part of the first header
    assert [(r["number"], r["name"], r["city"]) for r in rows] == [(order.number, "李娜", "宜昌市")]


def test_the_formula_guard_still_keeps_cells_as_text(owner_client):
    for name in ('=HYPERLINK("http://x.example","点我")', "+1", "@SUM(A1)", "\t=1+1"):
        place({VariantFactory(stock=2): 1}, buyer=replace(BUYER, name=name))
    rows = list(csv.DictReader(io.StringIO(export(owner_client).decode("utf-8-sig"))))
    names = sorted(r["name"] for r in rows)
    assert all(n.startswith("'") for n in names), names
    assert '\'=HYPERLINK("http://x.example","点我")' in names
