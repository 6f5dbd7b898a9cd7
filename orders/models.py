import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shop.i18n import shop_language
from shop.models import Product, Variant

COUNTRIES = [
    ("CN", _("China (mainland)")),
    ("HK", _("Hong Kong")),
    ("TW", _("Taiwan")),
    ("SG", _("Singapore")),
    ("MY", _("Malaysia")),
    ("US", _("United States")),
    ("GB", _("United Kingdom")),
    ("DE", _("Germany")),
    ("FR", _("France")),
    ("AU", _("Australia")),
]


def new_tracking_token() -> str:
    return secrets.token_urlsafe(24)


class Order(models.Model):
    """A buyer's order. Its status moves only through the services in orders/services.py."""

    class Status(models.TextChoices):
        PLACED = "placed", _("Placed")
        PAID = "paid", _("Paid")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")

    class PaymentState(models.TextChoices):
        PENDING = "pending", _("Not paid yet")
        PAID = "paid", _("Paid")
        REFUND_DUE = "refund_due", _("Refund due")

    number = models.CharField(_("order number"), max_length=20, unique=True, null=True)
    tracking_token = models.CharField(max_length=64, unique=True, default=new_tracking_token)
    checkout_key = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )

    class NotifyBy(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")

    # A buyer in China may give only a mobile number (E.164, +86...): email is then empty and
    # every message about the order goes by SMS (notify_by). The constraint keeps one way open.
    email = models.EmailField(_("email"), blank=True, db_index=True)
    name = models.CharField(_("full name"), max_length=120)
    phone = models.CharField(_("phone"), max_length=40)
    notify_by = models.CharField(
        _("messages by"), max_length=5, choices=NotifyBy.choices, default=NotifyBy.EMAIL
    )
    address_line1 = models.CharField(_("address"), max_length=200)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("province or region"), max_length=100, blank=True)
    # Chinese addresses: province (region), city, district, then the street and building.
    district = models.CharField(_("district"), max_length=100, blank=True)
    postcode = models.CharField(_("postcode"), max_length=16, blank=True)
    country = models.CharField(_("country"), max_length=2, choices=COUNTRIES, default="CN")
    note = models.TextField(_("note for the workshop"), blank=True)
    # The language the buyer ordered in: every message about the order is written in it,
    # whoever sends it (the owner shipping from an English page still writes to them in Chinese).
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=shop_language
    )

    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.PLACED, db_index=True
    )
    payment_method = models.CharField(max_length=20)
    payment_state = models.CharField(
        max_length=12, choices=PaymentState.choices, default=PaymentState.PENDING
    )
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    shipping_cost = models.DecimalField(max_digits=10, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)

    carrier = models.CharField(_("carrier"), max_length=80, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=80, blank=True)
    tracking_url = models.URLField(_("tracking URL"), blank=True)
    delivery_assumed = models.BooleanField(default=False)
    cancel_reason = models.CharField(max_length=300, blank=True)

    placed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(
                condition=Q(total=models.F("subtotal") + models.F("shipping_cost")),
                name="order_total_is_subtotal_plus_shipping",
            ),
            models.CheckConstraint(
                condition=(Q(notify_by="email") & ~Q(email=""))
                | (Q(notify_by="sms") & ~Q(phone="")),
                name="order_reachable_by_its_channel",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"order {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("orders:tracking", args=[self.tracking_token])

    def get_manage_url(self) -> str:
        return reverse("orders_manage:order_detail", args=[self.pk])

    @property
    def is_delivered(self) -> bool:
        return self.status == self.Status.DELIVERED

    @property
    def payment_provider(self):
        from .payments import get_provider

        return get_provider(self.payment_method)


class OrderLine(models.Model):
    """What was bought, as it was when bought: the product may change or go later."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, null=True, on_delete=models.SET_NULL, related_name="+")
    product = models.ForeignKey(Product, null=True, on_delete=models.SET_NULL, related_name="+")
    product_name = models.CharField(max_length=160)
    size = models.CharField(max_length=20)
    colour = models.CharField(max_length=40)
    sku = models.CharField(max_length=64)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    quantity = models.PositiveIntegerField()
    line_total = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="order_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="order_line_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_name} ({self.size}, {self.colour})"


class OrderEvent(models.Model):
    """One line of an order's timeline: what happened, who did it, when."""

    class Kind(models.TextChoices):
        PLACED = "placed", _("Order placed")
        PAID = "paid", _("Payment received")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        ASSUMED_DELIVERED = "assumed_delivered", _("Assumed delivered")
        CANCELLED = "cancelled", _("Cancelled")
        EMAIL_SENT = "email_sent", _("Email sent")
        NOTE = "note", _("Note")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    note = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    public = models.BooleanField(default=True, help_text="Shown on the buyer's tracking page.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order} {self.kind}"
