"""Prices, numbers and dates in both languages, through the one filter library (shop.i18n)."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import translation

from reviews.services import default_display_name
from shop.i18n import format_day, format_money, format_number, supported_language


def render(source: str, language: str, **context) -> str:
    with translation.override(language):
        return Template("{% load money %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", "¥309.00"), ("en", "CN¥309.00")],
)
def test_a_price_in_each_language(language, expected):
    assert render("{{ p|money:'CNY' }}", language, p=Decimal("309")) == expected
    assert format_money(Decimal("309"), "CNY", language) == expected


def test_thousands_and_the_shops_currency():
    assert format_money(Decimal("12345.5"), "CNY", "zh-hans") == "¥12,345.50"
    assert format_money(Decimal("12345.5"), "CNY", "en") == "CN¥12,345.50"
    assert format_money(Decimal("20"), "USD", "zh-hans") == "US$20.00"
    assert format_money(Decimal("20"), "USD", "en") == "$20.00"
    assert format_money(Decimal("20"), "usd", "en") == "$20.00"


@pytest.mark.parametrize("value", [None, "", "abc", "NaN", "Infinity", True, object()])
def test_a_price_that_is_not_a_number_is_empty_not_an_error(value):
    assert format_money(value, "CNY", "en") == ""
    assert render("{{ p|money:'CNY' }}", "zh-hans", p=value) == ""


def test_numbers_have_the_separators_of_the_language():
    assert format_number(1234567, "zh-hans") == "1,234,567"
    assert format_number(Decimal("1234.5"), "en") == "1,234.5"
    assert render("{{ n|number }}", "zh-hans", n=98765) == "98,765"
    assert render("{{ n|number }}", "en", n="x") == ""


def test_dates_in_each_language():
    day = date(2026, 12, 2)
    assert render("{{ d|day }}", "zh-hans", d=day) == "2026年12月2日"
    assert render("{{ d|day }}", "en", d=day) == "2 Dec 2026"
    assert render("{{ d|day:'short' }}", "zh-hans", d=day) == "12月2日"
    assert render("{{ d|day:'short' }}", "en", d=day) == "2 Dec"
    # A date has no time: the datetime styles show the day.
    assert format_day(day, "datetime", "en") == "2 Dec 2026"


def test_times_are_in_the_shops_time_zone():
    # 23:30 UTC on 1 December is 07:30 on 2 December in Shanghai (the settings' TIME_ZONE).
    moment = datetime(2026, 12, 1, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert render("{{ t|day:'datetime' }}", "zh-hans", t=moment) == "2026年12月2日 07:30"
    assert render("{{ t|day:'datetime' }}", "en", t=moment) == "2 Dec 2026, 07:30"
    assert render("{{ t|day:'short_datetime' }}", "en", t=moment) == "2 Dec, 07:30"
    assert format_day(moment, "date", "zh-hans") == "2026年12月2日"


def test_a_date_that_is_not_a_date_is_empty():
    assert render("{{ d|day }}", "en", d="2026-12-02") == ""
    assert render("{{ d|day }}", "en", d=None) == ""


def test_timesince_speaks_chinese():
    """ "3 days ago" style texts (timesince) come from Django's own zh_Hans catalogue."""
    then = datetime(2026, 11, 29, 12, tzinfo=ZoneInfo("UTC"))
    now = datetime(2026, 12, 2, 12, tzinfo=ZoneInfo("UTC"))
    assert render("{{ a|timesince:b }}", "zh-hans", a=then, b=now) == "3\xa0日"
    assert render("{{ a|timesince:b }}", "en", a=then, b=now) == "3\xa0days"
    six_weeks = datetime(2026, 10, 21, 12, tzinfo=ZoneInfo("UTC"))
    assert render("{{ a|timesince:b }}", "zh-hans", a=six_weeks, b=now) == "1\xa0月，1\xa0周"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("zh-hans", "zh-hans"),
        ("zh-CN", "zh-hans"),
        ("zh", "zh-hans"),
        ("zh-TW", "zh-hans"),
        ("zh-hk", "zh-hans"),
        ("en-GB", "en"),
        ("en", "en"),
        ("fr", "en"),  # the shop's language (English in the test settings)
        ("", "en"),
        (None, "en"),
        ("x" * 500, "en"),
        ("../../etc", "en"),
    ],
)
def test_supported_language(code, expected):
    assert supported_language(code) == expected


# ----------------------------------------------------------------- masked reviewer names
@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("李伟", "李**"),
        ("李小龙", "李**"),  # the length does not show either
        ("欧阳娜娜", "欧**"),  # a compound surname: its first character only
        ("  王 芳 ", "王**"),
        ("Mei Chen", "Mei C."),
        ("Ana María de la Cruz", "Ana C."),
        ("Li", "Li"),
    ],
)
def test_reviewer_names(name, shown):
    assert default_display_name(name) == shown


@pytest.mark.django_db
def test_the_migration_masks_only_full_chinese_names_left_as_the_old_default_made_them():
    import importlib
    from dataclasses import replace

    from django.apps import apps

    from tests.orders.helpers import BUYER
    from tests.reviews.helpers import delivered_order, review

    migration = importlib.import_module("reviews.migrations.0005_mask_chinese_display_names")
    shown = {}
    for name, display_name in [
        ("李伟", "李伟"),  # the old default: the whole name
        ("欧阳娜娜", "欧阳娜娜"),
        ("王芳", "芳芳"),  # typed by the buyer: theirs
        ("Mei Chen", "Mei C."),
    ]:
        order = delivered_order(buyer=replace(BUYER, name=name))
        shown[name] = review(order.lines.first(), display_name=display_name)
    migration.mask(apps, None)
    for name, expected in [
        ("李伟", "李**"),
        ("欧阳娜娜", "欧**"),
        ("王芳", "芳芳"),
        ("Mei Chen", "Mei C."),
    ]:
        shown[name].refresh_from_db()
        assert shown[name].display_name == expected
