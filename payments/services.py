"""Online payment workflows: start an attempt, apply what a provider says (notification or
query), close what expired, refund. Each change is one transaction with the attempt and the
order locked; calls to a provider happen outside any transaction (they may take seconds).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders import services as order_services
from orders.models import Order, OrderEvent

from .gateways import get_gateway
from .gateways.base import (
    CLOSED,
    PAID,
    REFUND_FAILED,
    REFUND_PENDING,
    REFUND_SUCCEEDED,
    GatewayError,
    Notification,
    TradeStatus,
)
from .models import PaymentAttempt, PaymentNotice, Refund

logger = logging.getLogger(__name__)
# States a provider's word about a refund (not a trade) carries.
REFUND_NEWS = (REFUND_PENDING, REFUND_SUCCEEDED, REFUND_FAILED)
State = PaymentAttempt.State
Outcome = PaymentNotice.Outcome


class PaymentError(Exception):
    """A payment step that cannot be done; the message is for a person."""


def hold_until(order: Order):
    """When an unpaid online order stops holding its stock."""
    return order.placed_at + timedelta(minutes=settings.PAYMENT_HOLD_MINUTES)


def _new_number(prefix: str) -> str:
    # Unique, 6-32 characters of [A-Za-z0-9] (WeChat Pay's rule, within Alipay's).
    return f"{prefix}{timezone.now():%y%m%d}{secrets.token_hex(8).upper()}"


def _note(order: Order, text: str, *, public: bool = False) -> None:
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.NOTE, note=text, public=public)


def can_pay(order: Order) -> bool:
    """Whether the buyer may (still) pay this order online."""
    return (
        order.payment_provider.online
        and order.status == Order.Status.PLACED
        and order.payment_state == Order.PaymentState.PENDING
        and timezone.now() < hold_until(order)
    )


@dataclass(frozen=True)
class Started:
    attempt: PaymentAttempt
    redirect_url: str
    qr_text: str


def start_payment(
    order: Order, *, device: str, return_url: str, notify_url: str, client_ip: str = ""
) -> Started:
    """Open a new attempt for an unpaid online order and ask the provider to start it.

    Older pending attempts of the order are closed first (here, and at the provider after
    commit), so at most one can be paid; a late payment of one is flagged and refunded (see
    apply_report). Raises PaymentError when the order cannot be paid (paid, cancelled, expired)
    and GatewayError when the provider could not start (the attempt is then marked failed).
    """
    gateway = get_gateway(order.payment_method)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if not can_pay(order):
            raise PaymentError(_("This order can no longer be paid online."))
        stale = list(
            PaymentAttempt.objects.select_for_update().filter(order=order, state=State.PENDING)
        )
        now = timezone.now()
        for old in stale:
            old.state = State.CLOSED
            old.closed_at = now
            old.save(update_fields=["state", "closed_at"])
            transaction.on_commit(lambda no=old.out_trade_no: _close_quietly(gateway, no))
        attempt = PaymentAttempt.objects.create(
            order=order,
            gateway=gateway.code,
            out_trade_no=_new_number("P"),
            amount=order.total,
            expires_at=hold_until(order),
        )
    try:
        start = gateway.start(
            out_trade_no=attempt.out_trade_no,
            amount=attempt.amount,
            subject=_("Order %(number)s") % {"number": order.number},
            device=device,
            return_url=return_url,
            notify_url=notify_url,
            expires_at=attempt.expires_at,
            client_ip=client_ip,
        )
    except GatewayError:
        PaymentAttempt.objects.filter(pk=attempt.pk, state=State.PENDING).update(
            state=State.FAILED, closed_at=timezone.now()
        )
        raise
    return Started(attempt, start.redirect_url, start.qr_text)


def _close_quietly(gateway, out_trade_no: str) -> None:
    try:
        gateway.close(out_trade_no)
    except GatewayError:
        # The expiry job closes it again; a payment meanwhile is flagged and refunded.
        logger.warning("could not close trade %s at %s", out_trade_no, gateway.code)


def record_refused(attempt: PaymentAttempt | None, payload: dict, reason: str) -> None:
    """Keep a refused notification on its attempt (when it names one we know)."""
    if attempt is not None:
        PaymentNotice.objects.create(
            attempt=attempt, payload=payload, outcome=Outcome.REFUSED, reason=reason[:300]
        )


def apply_report(
    gateway_code: str, report: Notification | TradeStatus, *, source: str = "notify"
) -> tuple[str, PaymentAttempt | None]:
    """Apply a verified notification (or a query's answer) about one trade; idempotent.

    In one transaction with the attempt and its order locked (so two notifications at once mark
    it paid once): a payment of the attempt's exact amount marks a pending attempt and its
    order paid (orders' mark_paid); the same news again is a duplicate and changes nothing; a
    payment of an attempt that was closed, or of an order cancelled or paid by another attempt,
    is flagged for the owner and refunded in full (the buyer's money must not stay with a shop
    that is not sending the goods, and nothing is accepted silently); another amount or an
    unknown trade is refused. Every outcome but an unknown trade is recorded as a notice.
    Returns (outcome, attempt). News about a refund (WeChat Pay's REFUND.* notifications) goes
    to apply_refund_report.
    """
    if report.state in REFUND_NEWS:
        return apply_refund_report(gateway_code, report, source=source)
    attempt = PaymentAttempt.objects.filter(
        out_trade_no=report.out_trade_no, gateway=gateway_code
    ).first()
    if attempt is None:
        return Outcome.REFUSED, None
    payload = report.raw or {}
    refund_to_send = None
    with transaction.atomic():
        attempt = PaymentAttempt.objects.select_for_update().get(pk=attempt.pk)
        order = Order.objects.select_for_update().get(pk=attempt.order_id)

        def notice(outcome: str, reason: str = "") -> str:
            PaymentNotice.objects.create(
                attempt=attempt, source=source, payload=payload, outcome=outcome, reason=reason
            )
            return outcome

        if report.amount is not None and report.amount != attempt.amount:
            return notice(
                Outcome.REFUSED,
                f"amount {report.amount} is not the attempt's {attempt.amount}",
            ), attempt
        if report.state == PAID:
            if attempt.state in PaymentAttempt.MONEY_IN:
                return notice(Outcome.DUPLICATE, "already paid"), attempt
            now = timezone.now()
            attempt.trade_no = report.trade_no[:64]
            attempt.paid_at = now
            other_paid = (
                PaymentAttempt.objects.filter(order=order, state=State.PAID)
                .exclude(pk=attempt.pk)
                .exists()
            )
            payable = (
                attempt.state == State.PENDING
                and order.status == Order.Status.PLACED
                and order.payment_state == Order.PaymentState.PENDING
                and not other_paid
            )
            if payable:
                attempt.state = State.PAID
                attempt.save(update_fields=["state", "trade_no", "paid_at"])
                order_services.mark_paid(order)
                return notice(Outcome.ACCEPTED), attempt
            # Paid although we had closed it (expired, superseded, order cancelled): flag it
            # and give the money back in full.
            attempt.state = State.REFUNDING
            attempt.save(update_fields=["state", "trade_no", "paid_at"])
            reason = _(
                "Paid after the payment was closed (order %(status)s): refunded in full."
            ) % {"status": order.get_status_display().lower()}
            refund_to_send = Refund.objects.create(
                attempt=attempt,
                out_refund_no=_new_number("R"),
                amount=attempt.amount,
                reason=reason[:200],
            )
            _note(order, reason)
            outcome = notice(Outcome.FLAGGED, reason)
        elif report.state == CLOSED:
            if attempt.state != State.PENDING:
                return notice(Outcome.DUPLICATE, "not pending"), attempt
            attempt.state = State.CLOSED
            attempt.closed_at = timezone.now()
            attempt.save(update_fields=["state", "closed_at"])
            return notice(Outcome.ACCEPTED, "closed"), attempt
        else:
            return notice(Outcome.DUPLICATE, f"provider says {report.state}"), attempt
    if refund_to_send is not None:
        send_refund(refund_to_send.pk)
    return outcome, attempt


def apply_refund_report(
    gateway_code: str, report: Notification, *, source: str = "notify"
) -> tuple[str, PaymentAttempt | None]:
    """Apply a verified notification about one refund (report.raw["out_refund_no"]); idempotent.

    The refund must be one we asked for on that trade, of the same amount: then it is settled
    (settle_refund, with the refund locked, so the attempt's refunded sum moves once) and the
    notice accepted; news about a refund already settled, or still processing, is a duplicate
    and changes nothing; an unknown refund or another amount is refused. Every outcome but an
    unknown trade is recorded as a notice on the attempt. Returns (outcome, attempt).
    """
    attempt = PaymentAttempt.objects.filter(
        out_trade_no=report.out_trade_no, gateway=gateway_code
    ).first()
    if attempt is None:
        return Outcome.REFUSED, None
    payload = report.raw or {}
    number = str(payload.get("out_refund_no", ""))

    def notice(outcome: str, reason: str = "") -> str:
        PaymentNotice.objects.create(
            attempt=attempt, source=source, payload=payload, outcome=outcome, reason=reason[:300]
        )
        return outcome

    with transaction.atomic():
        refund = (
            Refund.objects.select_for_update().filter(attempt=attempt, out_refund_no=number).first()
        )
        if refund is None:
            return notice(Outcome.REFUSED, f"unknown refund {number[:40]!r}"), attempt
        if report.amount != refund.amount:
            return notice(
                Outcome.REFUSED,
                f"refund amount {report.amount} is not the refund's {refund.amount}",
            ), attempt
        if refund.state != Refund.State.REQUESTED or report.state == REFUND_PENDING:
            return notice(Outcome.DUPLICATE, f"refund {refund.state}"), attempt
        resource = payload.get("resource")
        refund_id = str(resource.get("refund_id", "")) if isinstance(resource, dict) else ""
        settle_refund(refund.pk, report.state, refund_id_at_provider=refund_id)
        return notice(Outcome.ACCEPTED, f"refund {report.state}"), attempt


def _notify_url(gateway_code: str) -> str:
    from django.urls import reverse

    return settings.SITE_URL.rstrip("/") + reverse("payments:notify", args=[gateway_code])


def request_refund(
    attempt: PaymentAttempt, *, amount: Decimal, reason: str, acting_user=None
) -> Refund:
    """Record a refund of `amount` of a paid attempt and ask the provider for it.

    The amount must be more than zero and at most what was paid minus what was refunded or is
    being refunded (checked with the attempt locked). The refund is recorded first, then sent:
    a provider that cannot be reached leaves it requested, and reconciliation asks again.
    Raises PaymentError.
    """
    amount = Decimal(amount)
    with transaction.atomic():
        attempt = PaymentAttempt.objects.select_for_update().get(pk=attempt.pk)
        if attempt.state not in (State.PAID, State.PARTLY_REFUNDED, State.REFUNDING):
            raise PaymentError(_("Only a paid online payment can be refunded."))
        left = attempt.refundable
        if amount <= 0 or amount > left:
            raise PaymentError(
                _("A refund must be more than zero and at most %(left)s.") % {"left": left}
            )
        refund = Refund.objects.create(
            attempt=attempt, out_refund_no=_new_number("R"), amount=amount, reason=reason[:200]
        )
        attempt.state = State.REFUNDING
        attempt.save(update_fields=["state"])
        OrderEvent.objects.create(
            order=attempt.order,
            kind=OrderEvent.Kind.NOTE,
            note=_("Refund of %(amount)s asked for.") % {"amount": amount},
            actor=acting_user,
            public=False,
        )
    send_refund(refund.pk)
    refund.refresh_from_db()
    return refund


def send_refund(refund_id: int) -> None:
    """Ask the provider for a recorded refund (again: the out_refund_no makes it once)."""
    refund = Refund.objects.select_related("attempt").get(pk=refund_id)
    if refund.state != Refund.State.REQUESTED:
        return
    gateway = get_gateway(refund.attempt.gateway)
    try:
        status = gateway.refund(
            out_trade_no=refund.attempt.out_trade_no,
            out_refund_no=refund.out_refund_no,
            amount=refund.amount,
            total=refund.attempt.amount,
            reason=refund.reason or "refund",
            # WeChat Pay tells this address when the money is back (Alipay needs no address).
            notify_url=_notify_url(refund.attempt.gateway),
        )
    except GatewayError as exc:
        Refund.objects.filter(pk=refund.pk).update(error=str(exc)[:300])
        return
    settle_refund(refund.pk, status.state, refund_id_at_provider=status.refund_id)


def refresh_refund(refund_id: int) -> str:
    """Ask the provider where a refund in flight stands and record it. Raises GatewayError."""
    refund = Refund.objects.select_related("attempt").get(pk=refund_id)
    if refund.state != Refund.State.REQUESTED:
        return refund.state
    if not refund.refund_id and refund.error:
        # Never reached the provider: send it (same number, so at most once).
        send_refund(refund.pk)
        return Refund.objects.get(pk=refund.pk).state
    gateway = get_gateway(refund.attempt.gateway)
    status = gateway.query_refund(
        out_trade_no=refund.attempt.out_trade_no, out_refund_no=refund.out_refund_no
    )
    return settle_refund(refund.pk, status.state, refund_id_at_provider=status.refund_id)


@transaction.atomic
def settle_refund(refund_id: int, state: str, *, refund_id_at_provider: str = "") -> str:
    """Record the provider's word on a refund; the attempt's refunded sum moves once."""
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    attempt = PaymentAttempt.objects.select_for_update().get(pk=refund.attempt_id)
    if refund.state != Refund.State.REQUESTED:
        return refund.state
    if refund_id_at_provider:
        refund.refund_id = refund_id_at_provider[:64]
    refund.error = ""
    if state == REFUND_SUCCEEDED:
        refund.state = Refund.State.SUCCEEDED
        refund.settled_at = timezone.now()
        attempt.refunded_amount += refund.amount
    elif state == REFUND_FAILED:
        refund.state = Refund.State.FAILED
        refund.settled_at = timezone.now()
    refund.save()
    in_flight = attempt.refunds.filter(state=Refund.State.REQUESTED).exists()
    if not in_flight:
        if attempt.refunded_amount >= attempt.amount:
            attempt.state = State.REFUNDED
        elif attempt.refunded_amount > 0:
            attempt.state = State.PARTLY_REFUNDED
        else:
            attempt.state = State.PAID
    attempt.save(update_fields=["state", "refunded_amount"])
    if refund.state != Refund.State.REQUESTED:
        _note(
            attempt.order,
            (
                _("Refund of %(amount)s confirmed.")
                if refund.state == Refund.State.SUCCEEDED
                else _("Refund of %(amount)s failed.")
            )
            % {"amount": refund.amount},
        )
    return refund.state


def cancel_and_refund(order: Order, *, reason: str, acting_user=None) -> Refund | None:
    """Cancel a paid online order (stock back) and refund what is left of its payment."""
    order = order_services.cancel_order(order, reason=reason, acting_user=acting_user)
    attempt = PaymentAttempt.objects.filter(order=order, state__in=PaymentAttempt.MONEY_IN).first()
    if attempt is None or attempt.refundable <= 0:
        return None
    return request_refund(
        attempt, amount=attempt.refundable, reason=reason, acting_user=acting_user
    )


def expire_order(order_id: int, *, now=None) -> str:
    """Close an online order whose hold ran out unpaid: ask the provider first (a payment may
    have arrived without its notification), close its trade, cancel the order (stock back).

    Idempotent. Raises GatewayError when the provider cannot be asked (beat tries again).
    """
    now = now or timezone.now()
    order = Order.objects.get(pk=order_id)
    if order.status != Order.Status.PLACED or order.payment_state != Order.PaymentState.PENDING:
        return "not pending"
    for attempt in PaymentAttempt.objects.filter(order=order, state=State.PENDING):
        gateway = get_gateway(attempt.gateway)
        status = gateway.query(attempt.out_trade_no)
        if status.state == PAID:
            outcome, _attempt = apply_report(attempt.gateway, status, source="query")
            if outcome == Outcome.ACCEPTED:
                return "paid"
            continue
        gateway.close(attempt.out_trade_no)
        PaymentAttempt.objects.filter(pk=attempt.pk, state=State.PENDING).update(
            state=State.CLOSED, closed_at=now
        )
    try:
        order_services.cancel_order(
            order,
            reason=str(
                _("Not paid within %(minutes)s minutes.")
                % {"minutes": settings.PAYMENT_HOLD_MINUTES}
            ),
        )
    except order_services.InvalidTransition:
        return "not pending"
    return "cancelled"


def expired_orders(now=None):
    """Online orders still unpaid after their hold (ids)."""
    now = now or timezone.now()
    online = [code for code, p in _providers().items() if p.online]
    return list(
        Order.objects.filter(
            status=Order.Status.PLACED,
            payment_state=Order.PaymentState.PENDING,
            payment_method__in=online,
            placed_at__lt=now - timedelta(minutes=settings.PAYMENT_HOLD_MINUTES),
        ).values_list("pk", flat=True)
    )


def _providers():
    from orders.payments import PROVIDERS

    return PROVIDERS


def reconcile_attempt(attempt_id: int) -> str:
    """Ask the provider about one pending attempt and apply the answer (source "query").

    Raises GatewayError."""
    attempt = PaymentAttempt.objects.get(pk=attempt_id)
    if attempt.state != State.PENDING:
        return attempt.state
    gateway = get_gateway(attempt.gateway)
    status = gateway.query(attempt.out_trade_no)
    if status.state in (PAID, CLOSED):
        return apply_report(attempt.gateway, status, source="query")[0]
    order = attempt.order
    over = order.status != Order.Status.PLACED or timezone.now() >= attempt.expires_at
    if over:
        # Its order was cancelled or its time is up: close the trade so it cannot be paid.
        gateway.close(attempt.out_trade_no)
        PaymentAttempt.objects.filter(pk=attempt.pk, state=State.PENDING).update(
            state=State.CLOSED, closed_at=timezone.now()
        )
        return State.CLOSED
    return status.state


def attempts_to_reconcile(now=None) -> list[int]:
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES)
    return list(
        PaymentAttempt.objects.filter(state=State.PENDING, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
