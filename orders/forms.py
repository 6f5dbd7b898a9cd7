import re

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.inputs import SingleLineCharField, int_field_for
from shop.models import Variant

from . import phones, regions
from .models import COUNTRIES, Order
from .payments import PROVIDERS, available_providers


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


_CHOOSE = ("", gettext_lazy("Choose…"))

# The fields each destination asks for; the rest are taken out of the form.
CN_ONLY = ("cn_province", "cn_city", "cn_district", "notify_by")
INTERNATIONAL_ONLY = ("address_line2", "city", "region")


class CheckoutForm(forms.Form):
    """The buyer's address and how to reach them; what it asks depends on the country.

    Mainland China (the default): recipient, mobile number (stored E.164), province / city /
    district chosen from orders.regions (their names are what the order keeps), street and
    building, optional postcode and email, messages by SMS or email. Elsewhere: email, phone and a
    free-text international address, messages by email. The country comes from the data (or the
    initial values), so a re-rendered form always matches the country chosen.
    """

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
    cn_province = SingleLineCharField(
        label=gettext_lazy("Province"),
        max_length=8,
        error_messages={"required": gettext_lazy("Choose your province.")},
        widget=forms.Select(attrs={"autocomplete": "address-level1"}),
    )
    cn_city = SingleLineCharField(
        label=gettext_lazy("City"),
        max_length=8,
        error_messages={"required": gettext_lazy("Choose your city.")},
        widget=forms.Select(attrs={"autocomplete": "address-level2"}),
    )
    cn_district = SingleLineCharField(
        label=gettext_lazy("District or county"),
        max_length=8,
        error_messages={"required": gettext_lazy("Choose your district or county.")},
        widget=forms.Select(attrs={"autocomplete": "address-level3"}),
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
    notify_by = forms.ChoiceField(
        label=gettext_lazy("Messages about the order"),
        choices=[
            (Order.NotifyBy.SMS, gettext_lazy("By SMS to my mobile")),
            (Order.NotifyBy.EMAIL, gettext_lazy("By email")),
        ],
        initial=Order.NotifyBy.SMS,
        widget=forms.RadioSelect,
    )
    country = forms.ChoiceField(label=gettext_lazy("Country"), choices=COUNTRIES, initial="CN")
    payment_method = forms.ChoiceField(
        label=gettext_lazy("Payment"),
        choices=[(code, provider.label) for code, provider in PROVIDERS.items()],  # see __init__
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Online methods come and go with the shop's settings: the choices are read now.
        self.fields["payment_method"].choices = [
            (code, provider.label) for code, provider in available_providers().items()
        ]
        country = self._value("country")
        self.destination = country if country in dict(COUNTRIES) else "CN"
        self._swaps("country", "address", "#address-fields")
        if self.destination == "CN":
            for name in INTERNATIONAL_ONLY:
                del self.fields[name]
            self._set_region_choices()
            self._swaps("cn_province", "cities", "#cn-city")
            self._swaps("cn_city", "districts", "#cn-district")
            self.fields["name"].label = gettext_lazy("Recipient")
            self.fields["phone"].label = gettext_lazy("Mobile number")
            self.fields["phone"].widget.attrs["placeholder"] = "138 0013 8000"
            self.fields["address_line1"].label = gettext_lazy("Street, building and room")
            self.fields["email"].required = False
            self.fields["email"].label = gettext_lazy("Email (optional)")
            self.fields["postcode"].required = False
            self.fields["postcode"].label = gettext_lazy("Postcode (optional)")
        else:
            for name in CN_ONLY:
                del self.fields[name]
            # A postcode where the country has them (Hong Kong has none).
            self.fields["postcode"].required = self.destination in POSTCODE_RULES

    def _swaps(self, name: str, part: str, target: str) -> None:
        """With htmx, a change of this select swaps in the part it decides (no-JS: "refresh")."""
        self.fields[name].widget.attrs.update(
            {
                "hx-get": reverse("orders:checkout_address", args=[part]),
                "hx-target": target,
                "hx-swap": "outerHTML",
                "hx-include": "#address-fields",
            }
        )

    def _value(self, name: str) -> str:
        """A field's submitted (or initial) value, before validation: short text or ""."""
        if self.is_bound:
            value = self.data.get(self.add_prefix(name), "")
        else:
            value = self.initial.get(name, self.fields[name].initial if name in self.fields else "")
        value = value if isinstance(value, str) else ""
        return value if len(value) <= 8 and value.isascii() else ""

    def _set_region_choices(self) -> None:
        """Cities for the chosen province, districts for the chosen city (the codes nest)."""
        province = self._value("cn_province")
        city = self._value("cn_city")
        if regions.get(city) is None or regions.get(city).parent != province:
            city = ""
        self.fields["cn_province"].widget.choices = [_CHOOSE] + [
            (p.code, p.name) for p in regions.provinces()
        ]
        self.fields["cn_city"].widget.choices = [_CHOOSE] + [
            (c.code, c.name) for c in regions.cities(province)
        ]
        self.fields["cn_district"].widget.choices = [_CHOOSE] + [
            (d.code, d.name) for d in regions.districts(city)
        ]

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if self.destination == "CN":
            return phones.cn_mobile(phone)
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
        if self.destination == "CN":
            self._clean_chinese_address(cleaned)
        else:
            cleaned["notify_by"] = Order.NotifyBy.EMAIL
            cleaned["district"] = ""
        return cleaned

    def _clean_chinese_address(self, cleaned: dict) -> None:
        codes = [cleaned.get(f"cn_{level}") for level in ("province", "city", "district")]
        if all(codes):
            try:
                province, city, district = regions.validate(*codes)
            except regions.RegionError as exc:
                self.add_error(f"cn_{exc.field}", str(exc))
            else:
                # The order keeps the names: they are what the courier reads.
                cleaned.update(region=province.name, city=city.name, district=district.name)
        cleaned["address_line2"] = ""
        if not cleaned.get("email") and cleaned.get("notify_by") == Order.NotifyBy.EMAIL:
            self.add_error(
                "email", _("Give an email address to get messages by email, or choose SMS.")
            )
