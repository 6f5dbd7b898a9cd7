"""Payment methods behind one small interface, so a card gateway can be added as a class."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class PaymentProvider:
    code: str
    label: str
    description: str
    # Whether the owner must record the payment before the order may ship.
    pay_before_shipping: bool
    # Whether handing the parcel over is the payment (cash on delivery).
    paid_on_delivery: bool

    # Paid online through a provider (a higher app, payments, registers these): the order waits
    # for the provider's confirmation and holds its stock meanwhile.
    online = False

    def instructions(self, order, shop) -> str:
        """What the buyer is told to do after placing the order."""
        return ""

    def available(self) -> bool:
        """Whether checkout offers it now (an online provider only once the shop set it up)."""
        return True

    def next_url(self, order) -> str:
        """Where the buyer goes right after placing the order ("" for the thanks page)."""
        return ""


@dataclass(frozen=True)
class CashOnDelivery(PaymentProvider):
    def instructions(self, order, shop) -> str:
        return str(_("Pay the courier in cash when your parcel arrives."))


@dataclass(frozen=True)
class BankTransfer(PaymentProvider):
    def instructions(self, order, shop) -> str:
        text = shop.bank_transfer_instructions or str(
            _("The shop will email you its bank details.")
        )
        return str(
            _(
                "%(text)s Put your order number %(number)s in the transfer note. We ship once it arrives."
            )
        ) % {
            "text": text,
            "number": order.number,
        }


PROVIDERS: dict[str, PaymentProvider] = {
    provider.code: provider
    for provider in (
        CashOnDelivery(
            "cod", _("Cash on delivery"), _("Pay the courier when it arrives."), False, True
        ),
        BankTransfer(
            "bank_transfer",
            _("Bank transfer"),
            _("We ship when the transfer arrives."),
            True,
            False,
        ),
    )
}


def get_provider(code: str) -> PaymentProvider:
    return PROVIDERS[code]


def register_provider(provider: PaymentProvider) -> None:
    """Add (or replace, same code) a payment method; higher apps call it in their ready()."""
    PROVIDERS[provider.code] = provider


def available_providers() -> dict[str, PaymentProvider]:
    """The methods checkout offers now, in the order they were registered."""
    return {code: provider for code, provider in PROVIDERS.items() if provider.available()}
