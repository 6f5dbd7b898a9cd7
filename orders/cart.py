"""The cart lives in the session: variant id -> quantity. Prices and stock are read fresh."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from shop.models import Product, Variant

SESSION_KEY = "cart"
MAX_QUANTITY = 20


class CartError(Exception):
    """A cart change that cannot be made; the message is for the buyer."""


@dataclass
class CartLine:
    variant: Variant
    quantity: int

    @property
    def unit_price(self) -> Decimal:
        return self.variant.unit_price

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def available(self) -> bool:
        return self.variant.is_active and self.variant.product.status == Product.Status.ACTIVE

    @property
    def short_by(self) -> int:
        """How many units more than we have; 0 when the line can be bought."""
        if not self.available:
            return self.quantity
        return max(0, self.quantity - self.variant.stock)


class Cart:
    def __init__(self, session):
        self.session = session
        raw = session.get(SESSION_KEY) or {}
        self.items: dict[str, int] = {
            str(k): int(v) for k, v in raw.items() if str(k).isdigit() and int(v) > 0
        }

    def __len__(self) -> int:
        return sum(self.items.values())

    def save(self) -> None:
        self.session[SESSION_KEY] = self.items
        self.session.modified = True

    def clear(self) -> None:
        self.items = {}
        self.session.pop(SESSION_KEY, None)

    def add(self, variant_id: int, quantity: int) -> Variant:
        """Add `quantity` of a variant on sale; raises CartError with a message otherwise."""
        variant = self._variant_on_sale(variant_id)
        if quantity < 1:
            raise CartError(_("Choose a quantity of at least 1."))
        wanted = self.items.get(str(variant.pk), 0) + quantity
        if wanted > MAX_QUANTITY:
            raise CartError(_("At most %(n)s of one item per order.") % {"n": MAX_QUANTITY})
        if wanted > variant.stock:
            raise CartError(self._stock_message(variant))
        self.items[str(variant.pk)] = wanted
        self.save()
        return variant

    def set_quantity(self, variant_id: int, quantity: int) -> None:
        """Set a line's quantity (0 removes it); more than in stock is refused."""
        key = str(variant_id)
        if key not in self.items:
            raise CartError(_("This item is not in your cart."))
        if quantity <= 0:
            self.items.pop(key)
            self.save()
            return
        if quantity > MAX_QUANTITY:
            raise CartError(_("At most %(n)s of one item per order.") % {"n": MAX_QUANTITY})
        variant = Variant.objects.filter(pk=variant_id).first()
        if variant is not None and quantity > variant.stock:
            raise CartError(self._stock_message(variant))
        self.items[key] = quantity
        self.save()

    def lines(self) -> list[CartLine]:
        variants = Variant.objects.filter(pk__in=[int(k) for k in self.items]).select_related(
            "product"
        )
        by_id = {str(v.pk): v for v in variants}
        # A variant deleted since it was added simply drops out of the cart.
        return [CartLine(by_id[k], q) for k, q in self.items.items() if k in by_id]

    @staticmethod
    def _variant_on_sale(variant_id) -> Variant:
        try:
            variant = Variant.objects.select_related("product").get(pk=int(variant_id))
        except (Variant.DoesNotExist, TypeError, ValueError):
            raise CartError(_("Choose a colour and size that is on sale."))
        if not variant.is_active or variant.product.status != Product.Status.ACTIVE:
            raise CartError(_("This size and colour is no longer on sale."))
        return variant

    @staticmethod
    def _stock_message(variant: Variant) -> str:
        if variant.stock == 0:
            return _("%(size)s / %(colour)s is sold out.") % {
                "size": variant.size,
                "colour": variant.colour,
            }
        return _("Only %(n)s of %(size)s / %(colour)s left.") % {
            "n": variant.stock,
            "size": variant.size,
            "colour": variant.colour,
        }
