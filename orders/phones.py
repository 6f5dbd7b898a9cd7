"""Phone numbers as the courier and the SMS channel need them (phonenumbers).

A mainland mobile is stored in E.164 (+8613800138000); staff see it in the national format
(138 0013 8000), a page others could see shows it masked (138****8000, as on a Chinese waybill).
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Typed separators: spaces (also the ideographic one, after NFKC), dashes, dots, brackets.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212.()]")
_MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def _compact(raw: str) -> str:
    """Full-width digits and plus made ASCII (NFKC), separators gone, 0086 read as +86."""
    value = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or ""))
    if value.startswith("00"):
        value = "+" + value[2:]
    return value


def cn_mobile(raw: str) -> str:
    """The E.164 form of a mainland Chinese mobile number typed any usual way.

    Accepts spaces, dashes, brackets, a +86 or 0086 prefix and full-width digits.
    Raises ValidationError (a message for the buyer) for anything that is not a real mainland
    mobile: a landline, a service number, a wrong length, another country's number.
    """
    value = _compact(raw)
    if not re.fullmatch(r"\+?\d{5,17}", value):
        raise ValidationError(
            _("Enter your mobile number in digits, e.g. 138 0013 8000."), code="phone_format"
        )
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("Enter your mobile number in digits, e.g. 138 0013 8000."), code="phone_format"
        ) from None
    if number.country_code != 86:
        raise ValidationError(
            _(
                "For a delivery in mainland China give a mainland mobile number (+86), "
                "e.g. 138 0013 8000."
            ),
            code="phone_not_cn",
        )
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("A mainland mobile number has 11 digits and starts with 1, e.g. 138 0013 8000."),
            code="phone_length",
        )
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise ValidationError(
            _(
                "This is a landline or service number: give a mobile number, so that the "
                "courier can call you and we can send you an SMS."
            ),
            code="phone_landline",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _parsed(stored: str):
    try:
        number = phonenumbers.parse(stored, None)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def national(stored: str) -> str:
    """138 0013 8000 for a stored Chinese number; other numbers as stored."""
    number = _parsed(stored or "") if (stored or "").startswith("+86") else None
    if number is None:
        return stored or ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def masked(stored: str) -> str:
    """138****8000: a number recognisable to its owner and useless to anyone else."""
    digits = re.sub(r"\D", "", national(stored))
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def search_forms(query: str) -> list[str]:
    """The stored forms a staff search for a phone may match: "138 0013 8000" finds +8613800138000.

    Empty when the query does not look like (part of) a phone number.
    """
    value = _compact(query)
    if not re.fullmatch(r"\+?\d{4,17}", value):
        return []
    forms = {value}
    digits = value.lstrip("+")
    if value.startswith("+86") or (len(digits) == 13 and digits.startswith("86")):
        forms.add("+" + digits)
    elif len(digits) == 11 and digits.startswith("1"):
        forms.add("+86" + digits)
    return sorted(forms)
