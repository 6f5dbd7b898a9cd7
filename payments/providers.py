"""The online methods at checkout (orders' provider registry) and the payment parts of the
orders app's pages (its Sections registries): registered in PaymentsConfig.ready()."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from orders.payments import PaymentProvider, register_provider
from orders.sections import manage_order_page, tracking_page

from .gateways import is_configured


@dataclass(frozen=True)
class OnlinePayment(PaymentProvider):
    online = True

    def available(self) -> bool:
        return is_configured(self.code)

    def next_url(self, order) -> str:
        return reverse("payments:pay", args=[order.tracking_token])

    def instructions(self, order, shop) -> str:
        return gettext("Pay online with %(method)s; the order waits for the payment.") % {
            "method": self.label
        }


def tracking_context(request, order) -> dict:
    from .selectors import buyer_payment

    return buyer_payment(order)


def manage_context(request, order) -> dict:
    from .forms import RefundForm
    from .selectors import owner_payments

    context = owner_payments(request, order)
    refundable = context.get("refundable_attempt")
    if refundable is not None:
        context["refund_form"] = RefundForm(initial={"amount": refundable.refundable})
    return context


def register() -> None:
    for code, label, description in (
        ("alipay", _("Alipay"), _("Pay with Alipay (支付宝) on its page or app.")),
        (
            "wechat",
            _("WeChat Pay"),
            _("Pay with WeChat Pay (微信支付): scan a code or pay in WeChat."),
        ),
    ):
        register_provider(OnlinePayment(code, label, description, True, False))
    tracking_page.register(
        "payments", template={"after_timeline": "payments/_tracking.html"}, context=tracking_context
    )
    manage_order_page.register(
        "payments", template="payments/manage/_order_payments.html", context=manage_context
    )
