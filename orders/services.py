"""Order workflows: one function per step, each atomic, guarded and written to the timeline.

Emails and cache bumps are queued with transaction.on_commit, so nothing leaves the process
for a change that rolled back.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from shop.cache import (
    bump_catalogue_version,
    stock_after_change_is_visible,
    stock_change_is_visible,
)
from shop.i18n import supported_language
from shop.models import Product, ShopProfile, Variant

from .models import Order, OrderEvent, OrderLine
from .payments import available_providers
from .pricing import quote
from .signals import order_delivered


class OrderError(Exception):
    """Base of the errors an order workflow raises; the message is for a person."""


class InvalidTransition(OrderError):
    """The order is not in a state that allows this step."""


class OutOfStock(OrderError):
    """Not enough stock for a line; `variant` and `available` say which and how many."""

    def __init__(self, message: str, *, variant_id: int, available: int):
        super().__init__(message)
        self.variant_id = variant_id
        self.available = available


class EmptyCart(OrderError):
    pass


@dataclass(frozen=True)
class Buyer:
    email: str
    name: str
    phone: str
    address_line1: str
    city: str
    postcode: str
    country: str = "CN"
    address_line2: str = ""
    region: str = ""
    note: str = ""
    # Chinese addresses: region is the province, then city and district (names, not codes).
    district: str = ""
    # How messages about the order reach the buyer: "email" needs an email, "sms" a phone.
    notify_by: str = "email"


def _queue_email(order: Order, kind: str, **known) -> None:
    from .emails import queue_order_email

    # Recorded with the step, sent after commit (messaging sweeps it up if the broker is down).
    queue_order_email(order, kind, **known)


def _event(order: Order, kind: str, *, actor=None, note: str = "", public: bool = True) -> None:
    OrderEvent.objects.create(order=order, kind=kind, actor=actor, note=note, public=public)


@transaction.atomic
def place_order(
    items: dict[int, int],
    buyer: Buyer,
    *,
    payment_method: str,
    checkout_key: str,
    customer=None,
    language: str | None = None,
) -> Order:
    """Turn cart items (variant id -> quantity) into an order, taking the stock.

    Guarantees: prices come from the database; stock is taken with a conditional update
    (stock >= quantity), so it never goes below zero and of two buyers of the last unit exactly
    one succeeds; the same `checkout_key` twice returns the first order instead of a second.
    `language` is the one the buyer ordered in (the request's); every email about the order
    is written in it. One we do not offer, or none, is the shop's.
    Messages go by `buyer.notify_by` ("email" or "sms"), which needs that address given.
    Raises EmptyCart, OutOfStock (nothing taken), or OrderError for an unknown payment method
    or a buyer who cannot be reached by the channel chosen.
    """
    try:
        return _place_new_order(
            items,
            buyer,
            payment_method=payment_method,
            checkout_key=checkout_key,
            customer=customer,
            language=language,
        )
    except OrderError:
        # The key's order may stand already (a double submit, a second tab, a resubmit after
        # back, whose stock that order took): it is the answer, whatever this attempt ran into.
        # Looked up only when the attempt failed: a new key, the common case, costs no query;
        # a key placed before fails at the latest at the order's INSERT (its unique index).
        existing = Order.objects.filter(checkout_key=checkout_key).first()
        if existing is None:
            raise
        return existing


def _place_new_order(
    items: dict[int, int],
    buyer: Buyer,
    *,
    payment_method: str,
    checkout_key: str,
    customer,
    language: str | None,
) -> Order:
    """place_order for a key that has no order yet; a key that has one is returned at its
    INSERT (caught in the savepoint), or raises the OrderError this attempt ran into."""
    if payment_method not in available_providers():
        raise OrderError(_("Choose a payment method."))
    email = buyer.email.strip().lower()
    if buyer.notify_by not in Order.NotifyBy.values or not (
        email if buyer.notify_by == Order.NotifyBy.EMAIL else buyer.phone.strip()
    ):
        raise OrderError(_("Give an email address or a mobile number so that we can reach you."))
    items = {int(k): int(q) for k, q in items.items() if int(q) > 0}
    if not items:
        raise EmptyCart(_("Your cart is empty."))
    shop = ShopProfile.load()
    try:
        with transaction.atomic():
            # Variant order is fixed so that two orders never wait on each other's rows.
            variant_ids = sorted(items)
            for variant_id in variant_ids:
                # Taken first, then read. The condition names only this row's columns, so
                # PostgreSQL re-checks it after waiting for a concurrent buyer's lock (a join
                # would be checked on a stale snapshot and let the stock go negative).
                taken = Variant.objects.filter(
                    pk=variant_id, is_active=True, stock__gte=items[variant_id]
                ).update(stock=F("stock") - items[variant_id])
                if not taken:  # the savepoint gives back the units taken before it
                    unsold = Variant.objects.select_related("product").filter(pk=variant_id)
                    raise _out_of_stock(variant_id, next(iter(unsold), None))
            # Every row taken is locked until commit, so one read of them all is exact: the
            # stock left says whether the catalogue's pages change, with no query more.
            variants = Variant.objects.select_related("product").filter(pk__in=variant_ids)
            by_id = {variant.pk: variant for variant in variants}
            lines = []
            for variant_id in variant_ids:
                variant = by_id.get(variant_id)
                if not _on_sale(variant):  # its product is off sale: the savepoint gives back
                    raise _out_of_stock(variant_id, variant)
                lines.append((variant, items[variant_id]))
            prices = quote([(v.unit_price, q) for v, q in lines], shop)
            order = Order.objects.create(
                checkout_key=checkout_key,
                customer=customer if customer is not None and customer.is_authenticated else None,
                email=email,
                name=buyer.name,
                phone=buyer.phone,
                address_line1=buyer.address_line1,
                address_line2=buyer.address_line2,
                city=buyer.city,
                region=buyer.region,
                district=buyer.district,
                postcode=buyer.postcode,
                country=buyer.country,
                note=buyer.note,
                notify_by=buyer.notify_by,
                language=supported_language(language),
                payment_method=payment_method,
                currency=shop.currency,
                subtotal=prices.subtotal,
                shipping_cost=prices.shipping,
                total=prices.total,
            )
            order.number = f"{timezone.localdate().year}-{order.pk:06d}"
            # An update, not save(): the order's post_save already queued the one bump of the
            # staff figures this order needs (orders.receivers).
            Order.objects.filter(pk=order.pk).update(number=order.number)
            order_lines = OrderLine.objects.bulk_create(
                OrderLine(
                    order=order,
                    variant=variant,
                    product=variant.product,
                    product_name=variant.product.name,
                    size=variant.size,
                    colour=variant.colour,
                    sku=variant.sku,
                    unit_price=variant.unit_price,
                    quantity=quantity,
                    line_total=variant.unit_price * quantity,
                )
                for variant, quantity in lines
            )
            _event(order, OrderEvent.Kind.PLACED)
            # Each stock was read after it was taken, under the row's lock: exact.
            stock_shows = any(stock_after_change_is_visible(v.stock, -q) for v, q in lines)
    except IntegrityError:
        # The checkout key has an order (placed before, or by a double submit that raced us
        # to it): that order stands, and the savepoint gave back the stock taken.
        existing = Order.objects.filter(checkout_key=checkout_key).first()
        if existing is None:
            raise
        return existing
    # The order, its lines and the shop are in hand: the message needs no query but its INSERT.
    _queue_email(order, "placed", new_order=True, shop=shop, lines=order_lines)
    if stock_shows:
        transaction.on_commit(bump_catalogue_version, robust=True)
    return order


def _on_sale(variant: Variant | None) -> bool:
    return (
        variant is not None
        and variant.is_active
        and variant.product.status == Product.Status.ACTIVE
    )


def _out_of_stock(variant_id: int, variant: Variant | None) -> OutOfStock:
    """The error for a line that cannot be sold: how many are left (none when off sale)."""
    available = variant.stock if _on_sale(variant) else 0
    label = f"{variant.product.name} ({variant.size}, {variant.colour})" if variant else ""
    if available == 0:
        message = _("Sorry, %(item)s just sold out.") % {"item": label}
    else:
        message = _("Sorry, only %(n)s of %(item)s left.") % {"n": available, "item": label}
    return OutOfStock(message, variant_id=variant_id, available=available)


def _locked(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


@transaction.atomic
def mark_paid(order: Order, *, acting_user=None) -> Order:
    """Record the payment of a placed order. Raises InvalidTransition otherwise."""
    order = _locked(order)
    if order.status != Order.Status.PLACED or order.payment_state != Order.PaymentState.PENDING:
        raise InvalidTransition(_("Only a placed, unpaid order can be marked paid."))
    order.status = Order.Status.PAID
    order.payment_state = Order.PaymentState.PAID
    order.paid_at = timezone.now()
    order.save(update_fields=["status", "payment_state", "paid_at"])
    _event(order, OrderEvent.Kind.PAID, actor=acting_user)
    return order


@transaction.atomic
def mark_shipped(
    order: Order, *, carrier: str, tracking_number: str, tracking_url: str = "", acting_user=None
) -> Order:
    """Hand the order to a carrier. Needs a paid order, or a placed cash-on-delivery one.

    Raises InvalidTransition otherwise; emails the buyer after commit.
    """
    order = _locked(order)
    provider = order.payment_provider
    allowed = order.status == Order.Status.PAID or (
        order.status == Order.Status.PLACED and not provider.pay_before_shipping
    )
    if not allowed:
        if order.status == Order.Status.PLACED:
            raise InvalidTransition(
                _("This order waits for its bank transfer: mark it paid first.")
            )
        raise InvalidTransition(
            _("A %(status)s order cannot be shipped.")
            % {"status": order.get_status_display().lower()}
        )
    if not carrier.strip() or not tracking_number.strip():
        raise OrderError(_("Give the carrier and the tracking number."))
    order.status = Order.Status.SHIPPED
    order.carrier = carrier.strip()
    order.tracking_number = tracking_number.strip()
    order.tracking_url = tracking_url.strip()
    order.shipped_at = timezone.now()
    order.save(update_fields=["status", "carrier", "tracking_number", "tracking_url", "shipped_at"])
    _event(
        order,
        OrderEvent.Kind.SHIPPED,
        actor=acting_user,
        note=f"{order.carrier} {order.tracking_number}",
    )
    _queue_email(order, "shipped")
    return order


@transaction.atomic
def mark_delivered(order: Order, *, acting_user=None, assumed: bool = False) -> Order:
    """Record delivery of a shipped order and send `order_delivered` in this transaction.

    With `assumed`, the order was shipped long ago with no word (see assume_delivered).
    Cash on delivery counts as paid. Raises InvalidTransition unless the order was shipped.
    """
    order = _locked(order)
    if order.status != Order.Status.SHIPPED:
        raise InvalidTransition(_("Only a shipped order can be marked delivered."))
    order.status = Order.Status.DELIVERED
    order.delivered_at = timezone.now()
    order.delivery_assumed = assumed
    fields = ["status", "delivered_at", "delivery_assumed"]
    if (
        order.payment_provider.paid_on_delivery
        and order.payment_state == Order.PaymentState.PENDING
    ):
        order.payment_state = Order.PaymentState.PAID
        order.paid_at = order.delivered_at
        fields += ["payment_state", "paid_at"]
    order.save(update_fields=fields)
    kind = OrderEvent.Kind.ASSUMED_DELIVERED if assumed else OrderEvent.Kind.DELIVERED
    _event(order, kind, actor=acting_user)
    order_delivered.send(sender=Order, order=order, assumed=assumed)
    if not assumed:
        _queue_email(order, "delivered")
    return order


@transaction.atomic
def cancel_order(order: Order, *, reason: str, acting_user=None) -> Order:
    """Cancel an order that has not shipped and put its stock back.

    A paid order is left with a refund due. Raises InvalidTransition once shipped.
    """
    order = _locked(order)
    if order.status not in (Order.Status.PLACED, Order.Status.PAID):
        raise InvalidTransition(
            _("A %(status)s order cannot be cancelled.")
            % {"status": order.get_status_display().lower()}
        )
    if not reason.strip():
        raise OrderError(_("Give a reason for the cancellation."))
    restored: dict[int, int] = {}
    for line in order.lines.exclude(variant=None):
        Variant.objects.filter(pk=line.variant_id).update(stock=F("stock") + line.quantity)
        restored[line.variant_id] = restored.get(line.variant_id, 0) + line.quantity
    order.status = Order.Status.CANCELLED
    order.cancel_reason = reason.strip()
    order.cancelled_at = timezone.now()
    fields = ["status", "cancel_reason", "cancelled_at"]
    if order.payment_state == Order.PaymentState.PAID:
        order.payment_state = Order.PaymentState.REFUND_DUE
        fields.append("payment_state")
    order.save(update_fields=fields)
    _event(order, OrderEvent.Kind.CANCELLED, actor=acting_user, note=order.cancel_reason)
    _queue_email(order, "cancelled")
    if stock_change_is_visible(restored):
        transaction.on_commit(bump_catalogue_version, robust=True)
    return order


def assume_delivered(*, days: int, now=None) -> int:
    """Mark delivered, as assumed, each order shipped more than `days` ago with no word.

    Each order is its own transaction, so one failure does not hold back the rest; running it
    twice does nothing more. Returns how many orders it marked.
    """
    cutoff = (now or timezone.now()) - timezone.timedelta(days=days)
    marked = 0
    for order in Order.objects.filter(status=Order.Status.SHIPPED, shipped_at__lt=cutoff).only(
        "pk"
    ):
        try:
            mark_delivered(order, assumed=True)
            marked += 1
        except InvalidTransition:
            continue  # delivered by staff in the meantime
    return marked
