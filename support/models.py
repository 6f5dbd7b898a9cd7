import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import Order
from shop.i18n import shop_language
from shop.models import SavedInShopLanguage
from shop.storage import private_storage


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Ticket(models.Model):
    class Topic(models.TextChoices):
        SIZE = "size", _("Size or exchange")
        DEFECT = "defect", _("Defect")
        DELIVERY = "delivery", _("Delivery")
        PAYMENT = "payment", _("Payment")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WAITING = "waiting", _("Waiting on customer")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    class Source(models.TextChoices):
        WEB = "web", _("Web")
        CARE_CHECK = "care_check", _("Care check")
        STAFF = "staff", _("Staff")

    number = models.CharField(max_length=20, unique=True, null=True)
    token = models.CharField(max_length=64, unique=True, default=new_token)
    email = models.EmailField(db_index=True)
    name = models.CharField(max_length=120)
    # The language the customer wrote in: their emails about the ticket are written in it.
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=shop_language
    )
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    # Whether the person who opened the ticket proved they hold `order` (its tracking link, the
    # care check's signed link, or a signed-in account whose verified address is the order's).
    # A number typed into the contact form with the order's email proves nothing: anyone who
    # knows the buyer's address can type it. Unproven, the order is shown to staff only, with a
    # warning, and never to the ticket's holder.
    order_proven = models.BooleanField(default=False)
    # The order number typed into the contact form, as typed, whether or not it matched.
    order_number_given = models.CharField(max_length=20, blank=True)
    topic = models.CharField(max_length=10, choices=Topic.choices)
    subject = models.CharField(max_length=160)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.WEB)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    first_response_due = models.DateTimeField()
    resolution_due = models.DateTimeField()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-updated_at"]),
            # The inbox's order for the views that span statuses ("all", "resolved").
            models.Index(fields=["-updated_at", "-id"], name="ticket_inbox_order"),
            models.Index(fields=["assignee", "status"]),
        ]

    def __str__(self) -> str:
        return self.number or f"ticket {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("support:thread", args=[self.token])

    def get_manage_url(self) -> str:
        return reverse("support_manage:ticket_detail", args=[self.pk])

    # Labels through the choices enums: get_FOO_display() rebuilds and hashes the whole
    # choices list on every call, a third of the inbox's rendering time for 50 rows.
    @property
    def status_label(self) -> str:
        return self.Status(self.status).label

    @property
    def priority_label(self) -> str:
        return self.Priority(self.priority).label

    @property
    def topic_label(self) -> str:
        return self.Topic(self.topic).label

    @property
    def source_label(self) -> str:
        return self.Source(self.source).label

    @property
    def is_done(self) -> bool:
        return self.status in (self.Status.RESOLVED, self.Status.CLOSED)

    def is_overdue(self, now=None) -> bool:
        """Past its first-response target unanswered, or past its resolution target unresolved."""
        now = now or timezone.now()
        if self.is_done:
            return False
        if self.first_response_at is None and now > self.first_response_due:
            return True
        return now > self.resolution_due


class TicketMessage(models.Model):
    class Author(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        STAFF = "staff", _("Staff")
        SYSTEM = "system", _("System")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author_kind = models.CharField(max_length=10, choices=Author.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=10000)
    internal = models.BooleanField(default=False)
    # The form's one-time key: the same post twice makes one message.
    nonce = models.CharField(max_length=64, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "nonce"], name="ticket_message_once_per_nonce"
            ),
            models.CheckConstraint(
                condition=models.Q(internal=False) | models.Q(author_kind="staff"),
                name="only_staff_write_internal_notes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket} {self.author_kind}"


class TicketAttachment(models.Model):
    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments")
    # A ticket's photos are as private as its thread (a parcel label shows a name and address):
    # no public URL, served only to the ticket's holder and to staff (support.views.attachment).
    original = models.ImageField(upload_to="tickets/%Y/%m/", storage=private_storage)
    small = models.ImageField(upload_to="tickets/%Y/%m/", storage=private_storage)
    large = models.ImageField(upload_to="tickets/%Y/%m/", storage=private_storage)

    SIZES = ("small", "large")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.original.name


class CannedReply(SavedInShopLanguage):
    """A reply staff insert on a ticket, in both languages (support/translation.py); the
    plain columns hold the shop's language (unique titles as the shop shows them)."""

    title = models.CharField(_("title"), max_length=100, unique=True)
    body = models.TextField(
        _("reply"), help_text=_("Variables: {customer_name}, {order_number}, {ticket_number}.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class SatisfactionAnswer(models.Model):
    """The answer to "was this solved?" for a resolved ticket.

    Created (unanswered) when the ticket is resolved; the follow-up engine sends the question.
    """

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="satisfaction")
    solved = models.BooleanField(null=True)
    comment = models.TextField(blank=True, max_length=2000)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"satisfaction of {self.ticket_id}"
