"""Order totals, computed in this one place for the cart, checkout and the order itself."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Quote:
    subtotal: Decimal
    shipping: Decimal
    total: Decimal
    currency: str
    free_shipping_over: Decimal | None

    @property
    def to_free_shipping(self) -> Decimal | None:
        """How much more buys free delivery; None when there is no threshold or it is met."""
        if self.free_shipping_over is None or self.shipping == 0:
            return None
        return (self.free_shipping_over - self.subtotal).quantize(CENT)


def quote(lines: Iterable[tuple[Decimal, int]], shop) -> Quote:
    """Price (unit_price, quantity) pairs with the shop's delivery rule."""
    subtotal = sum((Decimal(price) * qty for price, qty in lines), Decimal("0")).quantize(
        CENT, ROUND_HALF_UP
    )
    threshold = shop.free_shipping_over
    if subtotal == 0 or (threshold is not None and subtotal >= threshold):
        shipping = Decimal("0.00")
    else:
        shipping = Decimal(shop.shipping_flat_rate).quantize(CENT)
    return Quote(subtotal, shipping, subtotal + shipping, shop.currency, threshold)
