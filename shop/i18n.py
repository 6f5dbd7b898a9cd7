"""Prices, numbers and dates as the reader's language writes them, and the languages we offer.

One place for these so that every page, email and text reads the same: `¥309.00` and
`2026年12月2日` in Chinese, `CN¥309.00` and `2 Dec 2026` in English.

Prices go through Babel (CLDR data), with the shop's currency: in Chinese CNY is `¥`; in English
CLDR writes it `CN¥`, because an English reader takes a bare `¥` for the Japanese yen (JPY is
`¥` in English) and this shop sells to buyers outside China too. Dates keep the pattern the
English pages always had (`2 Dec 2026`) and take the Chinese one (`2026年12月2日`, as
Django's zh_Hans formats and CLDR write it) in Chinese.
"""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, format_decimal
from django.conf import settings
from django.utils import dateformat, timezone, translation

# Babel's name of each language we offer (Django's codes are lower case with a dash).
BABEL_LOCALES = {"zh-hans": "zh_Hans_CN", "en": "en"}

# Django date patterns (the `date` filter's letters) per language and style.
DATE_PATTERNS = {
    "en": {
        "date": "j M Y",
        "datetime": "j M Y, H:i",
        "short": "j M",
        "short_datetime": "j M, H:i",
    },
    "zh-hans": {
        "date": "Y年n月j日",
        "datetime": "Y年n月j日 H:i",
        "short": "n月j日",
        "short_datetime": "n月j日 H:i",
    },
}


def supported_language(code: str | None) -> str:
    """`code` as one of settings.LANGUAGES ("zh-CN" -> "zh-hans"), else the shop's language.

    Never raises: a language we do not offer (or no language, or garbage) is the shop's.
    """
    if code:
        try:
            return translation.get_supported_language_variant(str(code)[:20].lower())
        except LookupError:
            pass
    return settings.LANGUAGE_CODE


def current_language() -> str:
    return supported_language(translation.get_language())


def _amount(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return amount if amount.is_finite() else None


def format_money(value, currency: str, language: str | None = None) -> str:
    """`value` in `currency` as `language` (default: the active one) writes a price.

    "" for a value that is not a number; an unknown currency code is written before the amount.
    """
    amount = _amount(value)
    if amount is None:
        return ""
    locale = BABEL_LOCALES[supported_language(language) if language else current_language()]
    currency = str(currency or "").strip().upper()[:3] or "CNY"
    return format_currency(amount, currency, locale=locale)


def format_number(value, language: str | None = None) -> str:
    """A count or measure with the language's separators (12,345.5); "" for a non-number."""
    amount = _amount(value)
    if amount is None:
        return ""
    locale = BABEL_LOCALES[supported_language(language) if language else current_language()]
    return format_decimal(amount, locale=locale)


def format_day(value, style: str = "date", language: str | None = None) -> str:
    """A date or time as `language` writes it; `style` is date, datetime, short (no year) or
    short_datetime. Aware datetimes are shown in the shop's time zone; "" for anything else."""
    if not isinstance(value, (date, datetime)):
        return ""
    patterns = DATE_PATTERNS[supported_language(language) if language else current_language()]
    pattern = patterns.get(style, patterns["date"])
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    elif not isinstance(value, datetime) and "H" in pattern:
        pattern = patterns["date"] if "Y" in pattern else patterns["short"]
    return dateformat.format(value, pattern)


def shop_language() -> str:
    """The shop's language, settings.LANGUAGE_CODE: the default of a row's `language` (a
    function, so that a migration does not freeze the value of the settings it was made with)."""
    return settings.LANGUAGE_CODE
