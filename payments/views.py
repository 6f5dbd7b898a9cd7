"""The buyer's payment pages, the providers' notification endpoint."""

import logging

import segno
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.http.request import RawPostDataException
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.client_ip import client_ip
from config.inputs import is_one_line
from orders.models import Order

from . import services
from .gateways import GATEWAYS, gateway_class, get_gateway
from .gateways.base import DESKTOP, MOBILE, BadNotification, GatewayError

logger = logging.getLogger(__name__)
PHONES = ("iphone", "android", "mobile", "micromessenger", "harmonyos")


def _device_of(request) -> str:
    agent = request.headers.get("User-Agent", "").lower()
    return MOBILE if any(word in agent for word in PHONES) else DESKTOP


def _order(token: str) -> Order:
    if len(token) > 64 or not is_one_line(token):
        raise Http404("No such order.")
    order = get_object_or_404(Order, tracking_token=token)
    if not order.payment_provider.online:
        raise Http404("Not an online payment.")
    return order


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def pay(request, token: str):
    """GET: the order's amount and a button to pay; POST: open an attempt and go to the
    provider (its redirect), or show WeChat Pay's Native QR code here."""
    order = _order(token)
    if request.method != "POST":
        return render(
            request,
            "payments/pay.html",
            {
                "order": order,
                "can_pay": services.can_pay(order),
                "until": services.hold_until(order),
            },
        )
    try:
        started = services.start_payment(
            order,
            device=_device_of(request),
            return_url=_absolute(reverse("payments:status", args=[order.tracking_token])),
            notify_url=_absolute(reverse("payments:notify", args=[order.payment_method])),
            client_ip=client_ip(request),
        )
    except services.PaymentError as exc:
        messages.error(request, str(exc))
        return redirect("payments:status", token=order.tracking_token)
    except (GatewayError, LookupError):
        logger.exception("could not start a payment of order %s", order.pk)
        messages.error(request, _("The payment service did not answer. Please try again."))
        return redirect("payments:pay", token=order.tracking_token)
    if started.redirect_url:
        return redirect(started.redirect_url)
    qr = segno.make(started.qr_text, error="m")
    return render(
        request,
        "payments/qr.html",
        {
            "order": order,
            "attempt": started.attempt,
            "qr_svg": qr.svg_inline(scale=6, dark="#111", light="#fff"),
            "qr_text": started.qr_text,
            "sandbox": _sandbox_on(order.payment_method),
            "minutes_left": max(
                0, int((started.attempt.expires_at - timezone.now()).total_seconds() // 60)
            ),
        },
    )


def _sandbox_on(code: str) -> bool:
    """Whether the demo's pretend provider stands in for this one (its "Pay in the sandbox")."""
    from .sandbox_views import sandbox_serves

    return sandbox_serves(code)


def status(request, token: str):
    """Where the buyer lands back from the provider: "waiting for confirmation" until a verified
    notification (or reconciliation) marks the order paid. Coming here never marks it paid.
    htmx polls the fragment every 3 s while waiting; without JavaScript the page reloads itself."""
    order = _order(token)
    attempt = order.payment_attempts.order_by("-created_at", "-id").first()
    context = {
        "order": order,
        "attempt": attempt,
        "paid": order.payment_state == Order.PaymentState.PAID,
        "waiting": order.status == Order.Status.PLACED
        and order.payment_state == Order.PaymentState.PENDING,
        "can_pay": services.can_pay(order),
    }
    template = "payments/status.html"
    if request.htmx and request.htmx.target == "payment-status":
        template += "#payment-status"
    return render(request, template, context)


@csrf_exempt
@require_POST
def notify(request, gateway: str):
    """A provider's asynchronous notification: verified, checked against the attempt, applied
    once (services.apply_report), answered with the exact body the provider expects."""
    cls = gateway_class(gateway) if gateway in GATEWAYS else None
    if cls is None or not cls.configured():
        raise Http404("No such payment provider.")
    provider = get_gateway(gateway)

    def failure(reason: str) -> HttpResponse:
        logger.warning("%s notification refused: %s", gateway, reason)
        return HttpResponse(
            provider.failure_body,
            status=provider.failure_status,
            content_type=provider.success_content_type,
        )

    try:
        body = request.body
    except RawPostDataException:
        # A multipart post (read by a guard already): providers never send one.
        return failure("not a provider's notification")
    try:
        notification = provider.verify_notification(headers=dict(request.headers), body=body)
        provider.refuse_foreign(notification)
    except BadNotification as exc:
        # Unverified: nothing of it can be trusted, not even the trade it names.
        return failure(str(exc))
    outcome, _attempt = services.apply_report(gateway, notification)
    if outcome == services.Outcome.REFUSED:
        return failure("refused by the shop")
    return HttpResponse(provider.success_body, content_type=provider.success_content_type)
