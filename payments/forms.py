from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from config.inputs import SingleLineCharField


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount to refund"), max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    reason = SingleLineCharField(label=_("Reason"), max_length=200)


class CancelRefundForm(forms.Form):
    reason = SingleLineCharField(label=_("Reason for the cancellation"), max_length=300)
    refund = forms.BooleanField(label=_("Refund the payment in full"), required=False, initial=True)
