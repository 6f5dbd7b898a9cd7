from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Order


class OrderFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
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
    carrier = forms.CharField(label=_("Carrier"), max_length=80)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=80)
    tracking_url = forms.URLField(
        label=_("Tracking URL (optional)"), required=False, assume_scheme="https"
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason (the buyer sees it)"), max_length=300)
