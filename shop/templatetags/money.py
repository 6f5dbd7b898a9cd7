"""Prices, numbers and dates in the active language (shop.i18n), for every page and email.

`{{ order.total|money:order.currency }}`: ¥309.00 in Chinese, CN¥309.00 in English.
`{{ count|number }}`: 12,345.
`{{ order.placed_at|day }}`, `|day:"datetime"`, `|day:"short"`, `|day:"short_datetime"`:
2026年12月2日 / 2 Dec 2026, with the time, without the year.
"""

from django import template

from shop.i18n import format_day, format_money, format_number

register = template.Library()


@register.filter
def money(value, currency="") -> str:
    """A price in the active language with `currency` (the order's or the shop's)."""
    return format_money(value, currency)


@register.filter
def number(value) -> str:
    """A number with the active language's separators."""
    return format_number(value)


# expects_localtime: the template engine hands an aware datetime over in the shop's time zone,
# as it does for Django's `date` filter.
@register.filter(expects_localtime=True)
def day(value, style="date") -> str:
    """A date (or date and time) as the active language writes it."""
    return format_day(value, str(style))
