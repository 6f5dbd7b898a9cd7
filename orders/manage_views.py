"""The owner's order pages under /manage/orders/."""

import csv
import io

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import owner_required
from config.logs import concerns

from . import services
from .manage_forms import CancelForm, OrderFilterForm, ShipForm
from .models import Order
from .phones import national
from .sections import manage_order_page
from .selectors import orders_for_staff


def _filters(request) -> tuple[OrderFilterForm, dict | None]:
    """The list's filters, or None when they do not parse: then nothing is listed or exported,
    rather than every order as if no filter had been given."""
    form = OrderFilterForm(request.GET or None)
    if not form.is_bound:
        return form, {}
    return form, (form.cleaned_data if form.is_valid() else None)


@owner_required
def order_list(request):
    form, filters = _filters(request)
    orders = orders_for_staff(filters) if filters is not None else Order.objects.none()
    page = Paginator(orders, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "orders/manage/order_list.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#order-table"
    to_ship = (
        Order.objects.filter(status=Order.Status.PAID).count()
        + Order.objects.filter(status=Order.Status.PLACED, payment_method="cod").count()
    )
    return render(
        request,
        template,
        {"form": form, "page": page, "query": query.urlencode(), "to_ship": to_ship},
        # htmx swaps only 2xx answers: its table shows the form's complaint instead.
        status=400 if filters is None and not request.htmx else 200,
    )


@owner_required
def order_export(request):
    form, filters = _filters(request)
    if filters is None:
        problems = "; ".join(
            f"{form[name].label}: {' '.join(errors)}" for name, errors in form.errors.items()
        )
        return HttpResponse(
            _("These filters are not valid, so nothing was exported. %(problems)s")
            % {"problems": problems},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    out = io.StringIO()
    # A UTF-8 byte order mark first: without it Excel on a Chinese Windows PC reads the file as
    # GBK and every Chinese name comes out garbled.
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(
        [
            "number",
            "placed_at",
            "status",
            "payment_method",
            "payment_state",
            "email",
            "phone",
            "notify_by",
            "name",
            "region",
            "city",
            "district",
            "country",
            "currency",
            "subtotal",
            "shipping",
            "total",
            "carrier",
            "tracking_number",
        ]
    )
    for order in orders_for_staff(filters).iterator():
        row = [
            order.number,
            order.placed_at.isoformat(),
            order.status,
            order.payment_method,
            order.payment_state,
            order.email,
            # National form for a Chinese mobile (138 0013 8000): Excel keeps it as text.
            national(order.phone),
            order.notify_by,
            order.name,
            order.region,
            order.city,
            order.district,
            order.country,
            order.currency,
            order.subtotal,
            order.shipping_cost,
            order.total,
            order.carrier,
            order.tracking_number,
        ]
        writer.writerow(
            # A cell Excel would read as a formula is kept as text.
            [
                "'" + c if isinstance(c, str) and c[:1] in ("=", "+", "-", "@", "\t", "\r") else c
                for c in row
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="orders-{timezone.localdate().isoformat()}.csv"'
    )
    return response


def _order_page(request, order: Order, *, status: int = 200, **forms):
    """The owner's order page, with the parts higher apps register (manage_order_page: the
    follow-ups). The same full page answers a refused action."""
    concerns(order=order.number)
    context = {
        "order": order,
        "lines": list(order.lines.all()),
        "events": list(order.events.select_related("actor")),
        "ship_form": forms.get("ship_form") or ShipForm(),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        **manage_order_page.render_context(request, order),
    }
    return render(request, "orders/manage/order_detail.html", context, status=status)


@owner_required
def order_detail(request, pk: int):
    return _order_page(request, get_object_or_404(Order, pk=pk))


@owner_required
@require_POST
def order_action(request, pk: int, action: str):
    """One of mark_paid, ship, deliver, cancel. Refusals come back as a message, nothing changed."""
    order = get_object_or_404(Order, pk=pk)
    concerns(order=order.number)
    forms_in_error = {}
    try:
        if action == "paid":
            services.mark_paid(order, acting_user=request.user)
            done = _("Marked paid.")
        elif action == "ship":
            form = ShipForm(request.POST)
            if not form.is_valid():
                forms_in_error["ship_form"] = form
                raise services.OrderError(_("Give the carrier and the tracking number."))
            services.mark_shipped(order, acting_user=request.user, **form.shipment())
            done = (
                _("Marked shipped; the buyer gets an SMS.")
                if order.notify_by == Order.NotifyBy.SMS
                else _("Marked shipped; the buyer is emailed.")
            )
        elif action == "deliver":
            services.mark_delivered(order, acting_user=request.user)
            done = _("Marked delivered.")
        elif action == "cancel":
            form = CancelForm(request.POST)
            if not form.is_valid():
                forms_in_error["cancel_form"] = form
                raise services.OrderError(_("Give a reason for the cancellation."))
            services.cancel_order(
                order, reason=form.cleaned_data["reason"], acting_user=request.user
            )
            done = _("Cancelled; the stock is back on sale.")
        else:
            raise services.OrderError(_("Unknown action."))
    except services.OrderError as error:
        order.refresh_from_db()
        messages.error(request, str(error))
        return _order_page(request, order, status=409, **forms_in_error)
    messages.success(request, done)
    return redirect("orders_manage:order_detail", pk=order.pk)


@owner_required
def packing_slip(request, pk: int):
    order = get_object_or_404(Order, pk=pk)
    return render(
        request,
        "orders/manage/packing_slip.html",
        {"order": order, "lines": list(order.lines.all())},
    )
