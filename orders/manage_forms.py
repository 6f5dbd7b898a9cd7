from django import forms
from django.utils.translation import gettext_lazy as _

from config.inputs import SingleLineCharField

from .models import Order


def _max(name: str) -> int:
    return Order._meta.get_field(name).max_length


class OrderFilterForm(forms.Form):
    q = SingleLineCharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Order.Status.choices]
    )
    placed_from = forms.DateField(
        label=_("Placed from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    placed_to = forms.DateField(
        label=_("Placed to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ShipForm(forms.Form):
    carrier = SingleLineCharField(label=_("Carrier"), max_length=_max("carrier"))
    tracking_number = SingleLineCharField(
        label=_("Tracking number"), max_length=_max("tracking_number")
    )
    tracking_url = forms.URLField(
        label=_("Tracking URL (optional)"),
        required=False,
        assume_scheme="https",
        max_length=_max("tracking_url"),
    )


class CancelForm(forms.Form):
    reason = SingleLineCharField(
        label=_("Reason (the buyer sees it)"), max_length=_max("cancel_reason")
    )
