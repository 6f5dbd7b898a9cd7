import secrets

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.inputs import SingleLineCharField
from orders.models import Order
from shop.forms import BilingualForm, ImagesField, bilingual_formfield, columns, translated_columns

from . import services
from .models import CannedReply, Ticket
from .selectors import VIEWS

MAX_PHOTOS = 4


class PhotosField(ImagesField):
    """At most MAX_PHOTOS photos, counted before any is decoded."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_files", MAX_PHOTOS)
        kwargs.setdefault("error_messages", {"too_many": gettext_lazy("At most %(n)s photos.")})
        super().__init__(**kwargs)


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class MessageBodyField(forms.CharField):
    """A message's text: up to its column's 10,000 characters, and not only spaces (the
    field strips them, so a blank message is refused as missing)."""

    def __init__(self, *, rows: int, **kwargs):
        kwargs.setdefault("max_length", 10000)
        kwargs.setdefault("error_messages", {"required": gettext_lazy("Write a message first.")})
        super().__init__(widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


class ContactForm(forms.Form):
    # Held to the columns they are stored in (Ticket.email, Ticket.name, Order.number).
    email = forms.EmailField(label=gettext_lazy("Email"), max_length=254)
    name = SingleLineCharField(label=gettext_lazy("Name"), max_length=120)
    topic = forms.ChoiceField(label=gettext_lazy("Topic"), choices=Ticket.Topic.choices)
    order_number = SingleLineCharField(
        label=gettext_lazy("Order number (optional)"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("For example 2026-000123. It must match your email."),
    )
    body = MessageBodyField(label=gettext_lazy("Your message"), rows=5)
    photos = PhotosField(label=gettext_lazy("Photos (up to 4, optional)"), required=False)

    def __init__(self, *args, order: Order | None = None, user=None, **kwargs):
        # `order` comes from the private tracking link, which proves the person holds it.
        super().__init__(*args, **kwargs)
        self.order = order
        self.order_proven = order is not None
        self.user = user
        if order is not None:
            self.fields.pop("order_number")

    def clean(self):
        """A typed order number never gives an error: whether an order has that number (and
        that email) must not show in the answer, or numbers could be tried one by one.

        The order is attached for staff when its email is the one given, but a typed number
        proves nothing (anyone who knows the buyer's address can type it): it is proven only
        when the signed-in person's verified address is the order's.
        """
        cleaned = super().clean()
        if self.order is not None:
            return cleaned
        number = (cleaned.get("order_number") or "").strip().upper()
        email = (cleaned.get("email") or "").strip()
        if not number:
            return cleaned
        order = Order.objects.filter(number=number).first()
        if order is not None and services.user_holds_order(self.user, order):
            self.order, self.order_proven = order, True
        elif order is not None and email and order.email.lower() == email.lower():
            self.order, self.order_proven = order, False
        return cleaned


class CustomerReplyForm(forms.Form):
    body = MessageBodyField(label=gettext_lazy("Your reply"), rows=4)
    photos = PhotosField(label=gettext_lazy("Photos (optional)"), required=False)
    nonce = SingleLineCharField(widget=forms.HiddenInput, max_length=64)


class StaffReplyForm(forms.Form):
    body = MessageBodyField(label=gettext_lazy("Message"), rows=6)
    internal = forms.BooleanField(
        label=gettext_lazy("Internal note (never shown to the customer)"), required=False
    )
    resolve = forms.BooleanField(label=gettext_lazy("Resolve after sending"), required=False)
    nonce = SingleLineCharField(widget=forms.HiddenInput, max_length=64)


class SatisfactionForm(forms.Form):
    solved = forms.TypedChoiceField(
        choices=[("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))],
        coerce=lambda v: v == "yes",
    )
    comment = forms.CharField(
        label=gettext_lazy("Anything to add? (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CannedReplyForm(BilingualForm):
    """A canned reply in both languages; a ticket gets the one in its own language (or the
    other when that is empty). A title and a body in at least one language."""

    bilingual = ("title", "body")

    class Meta:
        model = CannedReply
        formfield_callback = bilingual_formfield
        fields = translated_columns(["title", "body"])
        widgets = {column: forms.Textarea(attrs={"rows": 6}) for column in columns("body")}

    def clean(self):
        cleaned = super().clean()
        self.require_one_language("title", _("Give the reply a title in at least one language."))
        self.require_one_language("body", _("Write the reply in at least one language."))
        return cleaned


class InboxFilterForm(forms.Form):
    """The staff inbox: one of its views (unassigned by default) and a search."""

    view = forms.ChoiceField(required=False, choices=[(v, v) for v in VIEWS])
    q = SingleLineCharField(label=gettext_lazy("Search"), required=False, max_length=200)
    # Keyset pagination (support.selectors.inbox_page): a cursor from the page's own links,
    # or a date to jump to. A cursor that is not one is ignored: the first page.
    after = forms.CharField(required=False, max_length=40)
    before = forms.CharField(required=False, max_length=40)
    until = forms.DateField(label=gettext_lazy("Updated on or before"), required=False)
