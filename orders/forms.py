import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.inputs import SingleLineCharField, int_field_for
from shop.models import Variant

from .models import COUNTRIES, Order
from .payments import PROVIDERS


def _max(name: str) -> int:
    return Order._meta.get_field(name).max_length


POSTCODE_RULES = {
    "CN": (r"\d{6}", "6 digits, e.g. 443000"),
    "US": (r"\d{5}(-\d{4})?", "5 digits, e.g. 94103"),
    "DE": (r"\d{5}", "5 digits"),
    "FR": (r"\d{5}", "5 digits"),
    "AU": (r"\d{4}", "4 digits"),
    "SG": (r"\d{6}", "6 digits"),
    "MY": (r"\d{5}", "5 digits"),
    "GB": (r"[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}", "e.g. SW1A 1AA"),
}


class AddToCartForm(forms.Form):
    variant = int_field_for(
        Variant._meta.pk,
        min_value=1,
        error_messages={"required": gettext_lazy("Choose a colour and size first.")},
    )
    quantity = forms.IntegerField(min_value=1, max_value=20, initial=1)


class QuantityForm(forms.Form):
    quantity = forms.IntegerField(min_value=0, max_value=20)


class CheckoutForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Email"),
        max_length=_max("email"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    name = SingleLineCharField(
        label=gettext_lazy("Full name"),
        max_length=_max("name"),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = SingleLineCharField(
        label=gettext_lazy("Phone"),
        max_length=_max("phone"),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    address_line1 = SingleLineCharField(
        label=gettext_lazy("Address"),
        max_length=_max("address_line1"),
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    address_line2 = SingleLineCharField(
        label=gettext_lazy("Address line 2 (optional)"),
        max_length=_max("address_line2"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    city = SingleLineCharField(
        label=gettext_lazy("City"),
        max_length=_max("city"),
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    region = SingleLineCharField(
        label=gettext_lazy("Province or region"),
        max_length=_max("region"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level1"}),
    )
    postcode = SingleLineCharField(
        label=gettext_lazy("Postcode"),
        max_length=_max("postcode"),
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    country = forms.ChoiceField(label=gettext_lazy("Country"), choices=COUNTRIES, initial="CN")
    payment_method = forms.ChoiceField(
        label=gettext_lazy("Payment"),
        choices=[(code, provider.label) for code, provider in PROVIDERS.items()],
        initial="cod",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("Note for the workshop (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    checkout_key = SingleLineCharField(widget=forms.HiddenInput, max_length=_max("checkout_key"))

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        digits = re.sub(r"\D", "", phone)
        if not 6 <= len(digits) <= 15 or not re.fullmatch(r"[+\d][\d\s().-]*", phone):
            raise ValidationError(
                _("Enter a phone number the courier can call, e.g. +86 138 0000 0000.")
            )
        return phone

    def clean(self):
        cleaned = super().clean()
        postcode = (cleaned.get("postcode") or "").strip().upper()
        country = cleaned.get("country")
        if postcode and country:
            pattern, example = POSTCODE_RULES.get(country, (r"[A-Z0-9][A-Z0-9 -]{1,9}", ""))
            if not re.fullmatch(pattern, postcode, flags=re.IGNORECASE):
                self.add_error(
                    "postcode",
                    _("This is not a postcode for that country%(hint)s.")
                    % {"hint": f" ({example})" if example else ""},
                )
            else:
                cleaned["postcode"] = postcode
        return cleaned
