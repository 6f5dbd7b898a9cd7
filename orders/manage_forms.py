from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from config.inputs import SingleLineCharField

from . import couriers
from .models import Order


def _max(name: str) -> int:
    return Order._meta.get_field(name).max_length


class OrderFilterForm(forms.Form):
    q = SingleLineCharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Order.Status.choices]
    )
    work = forms.ChoiceField(
        label=_("Work"),
        required=False,
        choices=[
            ("", _("All")),
            ("to_ship", _("To ship")),
            ("cod", _("To ship, cash on delivery")),
            ("late", _("Late to ship")),
        ],
    )
    placed_from = forms.DateField(
        label=_("Placed from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    placed_to = forms.DateField(
        label=_("Placed to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ShipForm(forms.Form):
    """The courier from the list (or "Other" with its name), the tracking number checked
    loosely against the courier's numbers, and the link the buyer follows: the courier's page,
    or for "Other" the owner's link if given. `shipment()` gives mark_shipped's arguments."""

    carrier = forms.ChoiceField(label=_("Carrier"), choices=couriers.choices)
    other_carrier = SingleLineCharField(
        label=_("Carrier's name (for Other)"), required=False, max_length=_max("carrier")
    )
    tracking_number = SingleLineCharField(
        label=_("Tracking number"), max_length=_max("tracking_number")
    )
    tracking_url = forms.URLField(
        label=_("Tracking URL (optional)"),
        help_text=_("Only for Other: a listed courier's link is made from the number."),
        required=False,
        assume_scheme="https",
        max_length=_max("tracking_url"),
    )

    def clean(self):
        data = super().clean()
        code = data.get("carrier")
        courier = couriers.BY_CODE.get(code)
        if code == couriers.OTHER and not data.get("other_carrier"):
            self.add_error("other_carrier", _("Give the carrier's name."))
        if courier and data.get("tracking_url"):
            self.add_error(
                "tracking_url",
                _("%(courier)s has its own tracking page: leave the link empty.")
                % {"courier": courier.label()},
            )
        if "tracking_number" in data:
            try:
                data["tracking_number"] = couriers.check_number(courier, data["tracking_number"])
            except ValidationError as error:
                del data["tracking_number"]
                self.add_error("tracking_number", error)
        return data

    def shipment(self) -> dict[str, str]:
        """carrier, tracking_number and tracking_url for services.mark_shipped."""
        data = self.cleaned_data
        courier = couriers.BY_CODE.get(data["carrier"])
        number = data["tracking_number"]
        if courier is None:
            return {
                "carrier": data["other_carrier"],
                "tracking_number": number,
                "tracking_url": data.get("tracking_url") or "",
            }
        return {
            "carrier": courier.name,
            "tracking_number": number,
            "tracking_url": courier.tracking_url(number),
        }


class CancelForm(forms.Form):
    reason = SingleLineCharField(
        label=_("Reason (the buyer sees it)"), max_length=_max("cancel_reason")
    )
