"""The owner's payment actions on an order: refund (whole or part), cancel and refund."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import owner_required
from orders.models import Order
from orders.services import OrderError

from . import services
from .forms import CancelRefundForm, RefundForm
from .models import PaymentAttempt


@owner_required
@require_POST
def refund(request, pk: int, attempt_pk: int):
    attempt = get_object_or_404(PaymentAttempt, pk=attempt_pk, order_id=pk)
    form = RefundForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for e in form.errors.values() for m in e))
        return redirect("orders_manage:order_detail", pk=pk)
    try:
        done = services.request_refund(
            attempt,
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            acting_user=request.user,
        )
    except services.PaymentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Refund %(state)s.") % {"state": done.get_state_display().lower()}
        )
    return redirect("orders_manage:order_detail", pk=pk)


@owner_required
@require_POST
def cancel(request, pk: int):
    """Cancel a paid online order, refunding it in full when the box is ticked (else the order
    is left with a refund due, as orders' own cancel does)."""
    order = get_object_or_404(Order, pk=pk)
    form = CancelRefundForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for the cancellation."))
        return redirect("orders_manage:order_detail", pk=pk)
    reason = form.cleaned_data["reason"]
    try:
        if form.cleaned_data["refund"]:
            services.cancel_and_refund(order, reason=reason, acting_user=request.user)
            messages.success(request, _("Cancelled; the refund was asked for."))
        else:
            from orders.services import cancel_order

            cancel_order(order, reason=reason, acting_user=request.user)
            messages.success(request, _("Cancelled; the refund is due."))
    except (OrderError, services.PaymentError) as exc:
        messages.error(request, str(exc))
    return redirect("orders_manage:order_detail", pk=pk)
