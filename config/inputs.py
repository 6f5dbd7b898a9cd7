"""The bounds every input is held to before it reaches a query.

A field takes no more than its column holds, an integer stays within its column's range, text
meant for one line stays on one line, and an address to go back to stays on this site.
PostgreSQL refuses what a column cannot hold (a 500 when the form let it through) while SQLite
stores it past its limit, so both are held here to the narrower rule. Forms declare their fields
with these; views and the CSV import use the parse helpers for the values they read by hand.
(A NUL byte is refused by every CharField, and site-wide by config.middleware as well.)
"""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.shortcuts import resolve_url
from django.utils.deconstruct import deconstructible
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

# The longest text taken into a column with no length of its own (a TextField such as a
# description or a policy): pages of text, but not the megabytes a script can post.
LONG_TEXT_MAX = 20_000

# The longest `next` address followed; ours are a path and a short query string.
NEXT_MAX = 2_000

# CR, LF, everything else str.splitlines() breaks a line on, and the other control characters
# but tab. NUL is left to Django's own validator, so that it is reported once. In a name these
# reach an email header (BadHeaderError), a CSV cell or a one-line label.
_NOT_ONE_LINE = re.compile(r"[\x01-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")

# The largest id a BigAutoField holds (DEFAULT_AUTO_FIELD).
ID_MAX = 2**63 - 1

# Plain ASCII digits: int() also takes "1_000", "١٢" and surrounding spaces.
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,30}")


def is_one_line(value: str) -> bool:
    """Whether `value` holds no NUL, line break or other control character (tab is allowed)."""
    return "\x00" not in value and not _NOT_ONE_LINE.search(value)


@deconstructible
class SingleLineValidator:
    message = _("Keep this on one line: line breaks and control characters are not accepted.")
    code = "single_line"

    def __call__(self, value) -> None:
        if value and _NOT_ONE_LINE.search(str(value)):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other) -> bool:
        return isinstance(other, SingleLineValidator)


class SingleLineCharField(forms.CharField):
    """Text for one line (a name, city, title, SKU, tracking number): line breaks and control
    characters are refused, so the value can go into an email header or a label as it is.
    Give it the column's max_length."""

    default_validators = [SingleLineValidator()]


def int_range(model_field) -> tuple[int, int]:
    """The values an integer column holds on every database the shop runs on.

    PostgreSQL's ranges (SQLite would take any 64-bit value), narrowed by the model field's own
    MinValueValidator and MaxValueValidator.
    """
    low, high = BaseDatabaseOperations.integer_field_ranges[model_field.get_internal_type()]
    for validator in model_field.validators:
        limit = validator.limit_value
        limit = limit() if callable(limit) else limit
        if isinstance(validator, MinValueValidator):
            low = max(low, limit)
        elif isinstance(validator, MaxValueValidator):
            high = min(high, limit)
    return low, high


def int_field_for(model_field, *, min_value=None, max_value=None, **kwargs) -> forms.IntegerField:
    """A form IntegerField for a value stored in `model_field`, never outside its range.

    `min_value` and `max_value` may narrow the range further (e.g. a primary key from 1).
    """
    low, high = int_range(model_field)
    return forms.IntegerField(
        min_value=low if min_value is None else max(low, min_value),
        max_value=high if max_value is None else min(high, max_value),
        **kwargs,
    )


def bounded_formfield(model_field, **kwargs):
    """A ModelForm's `formfield_callback`: every field held to its column.

    Text columns get their length (LONG_TEXT_MAX for a TextField without one), plain CharFields
    become one-line fields, integers get their column's range. Email, URL and slug fields keep
    their own validation, which already refuses line breaks.
    """
    if not model_field.choices:
        if isinstance(model_field, models.TextField):
            kwargs.setdefault("max_length", model_field.max_length or LONG_TEXT_MAX)
        elif type(model_field) is models.CharField:
            kwargs.setdefault("form_class", SingleLineCharField)
        elif isinstance(model_field, models.IntegerField) and not model_field.primary_key:
            low, high = int_range(model_field)
            kwargs.setdefault("min_value", low)
            kwargs.setdefault("max_value", high)
    return model_field.formfield(**kwargs)


def parse_int(text: str, *, min_value: int, max_value: int) -> int:
    """A whole number in plain digits from `min_value` to `max_value`; raises ValueError."""
    text = str(text).strip()
    if not _WHOLE_NUMBER.fullmatch(text):
        raise ValueError(text)
    value = int(text)
    if not min_value <= value <= max_value:
        raise ValueError(text)
    return value


def parse_id(text) -> int | None:
    """A row's id read by hand (a query parameter, a select's value): None unless it is one.

    str.isdigit() is true for "²", which int() refuses, and a foreign-key lookup has no guard
    against a number past the column.
    """
    try:
        return parse_int(str(text or ""), min_value=1, max_value=ID_MAX)
    except ValueError:
        return None


def parse_amount(
    text: str, *, max_digits: int, decimal_places: int, min_value: Decimal = Decimal("0")
) -> Decimal:
    """A finite amount a DecimalField(max_digits, decimal_places) holds, at least `min_value`.

    Raises ValueError for anything else ("NaN", "1e9" in a column of 8 digits, "1.001").
    """
    try:
        amount = Decimal(str(text).strip())
    except InvalidOperation:
        raise ValueError(text)
    if not amount.is_finite() or amount.as_tuple().exponent < -decimal_places:
        raise ValueError(text)
    if amount < min_value or abs(amount) >= 10 ** (max_digits - decimal_places):
        raise ValueError(text)
    return amount


def amount_bounds(model_field) -> dict:
    """parse_amount()'s keywords for a model DecimalField (its digits and its minimum)."""
    low = Decimal("-Infinity")
    for validator in model_field.validators:
        if isinstance(validator, MinValueValidator):
            low = max(low, Decimal(validator.limit_value))
    return {
        "max_digits": model_field.max_digits,
        "decimal_places": model_field.decimal_places,
        "min_value": low,
    }


def page_number(value, *, last: int = 10_000) -> int:
    """A page number read from a query string: 1 for anything that is not a positive number.

    Paginator.get_page() is safe with any value; this is for values that go into a cache key.
    """
    try:
        return min(parse_int(value or "1", min_value=1, max_value=10**9), last)
    except ValueError:
        return 1


def safe_next(request, fallback, *args, **kwargs) -> str:
    """Where to send the person back to: the request's `next` when it is a path on this site.

    Anything else (another site, `//host`, a bare word, a line break that would split the
    Location header) gives `fallback`, a URL name or path resolved like redirect() does.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and len(target) <= NEXT_MAX
        and is_one_line(target)
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return resolve_url(fallback, *args, **kwargs)
