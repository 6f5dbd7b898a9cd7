"""The site's forms walked as a hostile client.

Every public and /manage/ form (as the role that may use it) gets each of its fields too long
(the column's length + 1, and 100,000 characters), with a NUL byte, with CR/LF where the text
is meant for one line, and integers and amounts out of range (-1, 2**31, 10**20, "1e9", "NaN",
...). Each answer must be a clear refusal (the form re-rendered with its error and a 4xx, or
allauth's 200; a redirect with an error message for the actions that answer that way; a 400
for a value no form sends), never a 500, and no row may be written or changed. The valid submission of each form is sent last, to show that the refusals came from
the hostile value and not from a form that refuses everything.

The walk runs twice: through the views alone, with the site-wide guards (the NUL middleware,
the rate limits) taken out, so that the forms and views hold on their own; and through the
whole site as configured. Adding a form is one entry in CASES. It runs on PostgreSQL in CI,
where a value past its column is an error rather than a silently stored string.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.messages import ERROR, get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse

from followups import links as followup_links
from followups.models import FollowUp, Suppression
from orders.models import Order, OrderEvent, OrderLine
from reviews import services as review_services
from reviews.models import HelpfulVote, ModerationLog, Review, ReviewReply
from shop import services as shop_services
from shop.images import clean_image
from shop.models import (
    Category,
    ImportJob,
    Product,
    ProductImage,
    ShopProfile,
    StockAdjustment,
    Variant,
)
from support import services as support_services
from support.models import CannedReply, SatisfactionAnswer, Ticket, TicketMessage

from .factories import CategoryFactory, ProductFactory, VariantFactory, image_upload
from .orders.helpers import place
from .reviews.helpers import delivered_order, review

pytestmark = pytest.mark.django_db

LONG = 100_000
INT32 = 2**31


# ----------------------------------------------------------------- what a field is, and its attacks
@dataclass(frozen=True)
class Text:
    max_length: int
    one_line: bool = True
    shown: bool = True  # False for hidden inputs: no error can be shown beside them


@dataclass(frozen=True)
class Email:
    max_length: int = 254
    shown: bool = True


@dataclass(frozen=True)
class Url:
    max_length: int = 200
    shown: bool = True


@dataclass(frozen=True)
class Int:
    low: int
    high: int
    shown: bool = True


@dataclass(frozen=True)
class Amount:
    max_digits: int
    decimal_places: int
    shown: bool = True


@dataclass(frozen=True)
class Choice:
    shown: bool = True


@dataclass(frozen=True)
class Date:
    shown: bool = True


def email_of(length: int) -> str:
    """A well-formed address of exactly `length` characters (labels of at most 63)."""
    local = "a" * 64
    body = length - len(local) - 1 - len(".com")
    labels = []
    while body > 64:
        labels.append("b" * 63)
        body -= 64
    labels.append("c" * body)
    address = f"{local}@{'.'.join(labels)}.com"
    assert len(address) == length
    return address


def attacks(spec) -> list[tuple[str, str]]:
    """(label, value) pairs: each a value the field must refuse."""
    if isinstance(spec, Text):
        values = [
            ("column+1", "x" * (spec.max_length + 1)),
            ("100,000 characters", "x" * LONG),
            ("NUL", "ab\x00cd"),
        ]
        if spec.one_line:
            values += [("CR/LF", "Bob\r\nBcc: victim@example.com"), ("LF", "Bob\nX")]
        return values
    if isinstance(spec, Email):
        return [
            ("column+1", email_of(spec.max_length + 1)),
            ("312 characters", email_of(312)),
            ("100,000 characters", "a" * (LONG - 12) + "@example.com"),
            ("NUL", "mei\x00@example.com"),
            ("CR/LF", "mei@example.com\r\nBcc: victim@example.com"),
        ]
    if isinstance(spec, Url):
        base = "https://example.com/"
        return [
            ("column+1", base + "a" * (spec.max_length + 1 - len(base))),
            ("100,000 characters", base + "a" * LONG),
            ("NUL", base + "a\x00b"),
            ("CR/LF", base + "a\r\nSet-Cookie: x=1"),
        ]
    if isinstance(spec, Int):
        numbers = dict.fromkeys([spec.low - 1, spec.high + 1, -1, INT32, 10**20])
        values = [(str(n), str(n)) for n in numbers if not spec.low <= n <= spec.high]
        return values + [("1e9", "1e9"), ("NaN", "NaN"), ("superscript two", "²")]
    if isinstance(spec, Amount):
        whole = 10 ** (spec.max_digits - spec.decimal_places)
        values = [
            ("a digit too many", str(whole)),
            ("a decimal place too many", "1." + "0" * spec.decimal_places + "1"),
            ("-1", "-1"),
            ("10**20", str(10**20)),
            ("NaN", "NaN"),
            ("Infinity", "Infinity"),
        ]
        if INT32 >= whole:
            values.append(("2**31", str(INT32)))
        if 10**9 >= whole:
            values.append(("1e9", "1e9"))
        return values
    if isinstance(spec, Choice):
        return [("NUL", "a\x00b"), ("100,000 characters", "x" * LONG), ("unknown", "nope")]
    if isinstance(spec, Date):
        return [
            ("NUL", "2026-01-01\x00"),
            ("100,000 characters", "2" * LONG),
            ("year 99999", "99999-01-01"),
            ("30 February", "2026-02-30"),
        ]
    raise TypeError(spec)


# ----------------------------------------------------------------- the forms
@dataclass
class Case:
    name: str
    role: str  # "anon", "owner" or "support"
    url: Callable
    valid: Callable  # the world -> a submission the form accepts
    fields: dict
    method: str = "post"
    htmx: bool = False
    prepare: Callable | None = None  # (world, client): e.g. put something in the cart
    refused: tuple = (400, 422)
    # A GET page of filters re-renders with the filters' errors (200) or refuses (400); it may
    # also ignore a value it cannot use (a page number, a sort order): never a 500.
    filters: bool = False
    writes: bool = True  # whether the valid submission writes a row
    inputs: list = field(init=False)

    def __post_init__(self):
        self.inputs = [
            (name, label, value)
            for name, spec in self.fields.items()
            for label, value in attacks(spec)
        ]

    def __str__(self):
        return self.name


def _cart(world, client):
    client.post(reverse("orders:cart_add"), {"variant": world.m.pk, "quantity": "1"})


REVIEW_FIELDS = {
    "title": Text(120),
    "body": Text(4000, one_line=False),
    "display_name": Text(60),
    "usual_size": Text(20),
    "height_cm": Int(100, 230),
    "rating": Choice(),
    "fit": Choice(),
}
REVIEW = {
    "rating": "4",
    "fit": "small",
    "title": "Lovely linen",
    "body": "Soft and well sewn.",
    "display_name": "Mei C.",
    "height_cm": "165",
    "usual_size": "M",
}
# The owner's texts are posted once per language (name_zh_hans, name_en, ...).
PRODUCT_FIELDS = {
    **{f"name_{lang}": Text(160) for lang in ("zh_hans", "en")},
    "slug": Text(180),
    **{f"material_{lang}": Text(200) for lang in ("zh_hans", "en")},
    **{
        f"{field}_{lang}": Text(20_000, one_line=False)
        for field in ("description", "care", "size_chart")
        for lang in ("zh_hans", "en")
    },
    "price": Amount(10, 2),
    "category": Choice(),
    "status": Choice(),
    "sizes": Text(500),
    "colours": Text(1000),
    "v|M|Navy|stock": Int(0, INT32 - 1),
    "v|M|Navy|sku": Text(64),
    "v|M|Navy|price": Amount(10, 2),
}


def _product(world, **extra):
    return {
        "name_zh_hans": "羊毛大衣",
        "name_en": "Wool coat",
        "slug": "",
        "category": world.category.pk,
        "status": "active",
        "price": "399.00",
        "description_zh_hans": "保暖。",
        "description_en": "Warm.",
        "material_zh_hans": "羊毛",
        "material_en": "Wool",
        "care_zh_hans": "干洗。",
        "care_en": "Dry clean.",
        "size_chart_zh_hans": "",
        "size_chart_en": "",
        "sizes": "M",
        "colours": "Navy",
        "v|M|Navy|stock": "3",
        "v|M|Navy|sku": "",
        "v|M|Navy|price": "",
        **extra,
    }


ORDER_FILTERS = {
    "q": Text(100),
    "status": Choice(),
    "placed_from": Date(),
    "placed_to": Date(),
    "page": Int(1, 10**9, shown=False),
}
ORDER_EXPORT_FILTERS = {
    name: type(spec)(**{**spec.__dict__, "shown": False}) for name, spec in ORDER_FILTERS.items()
}
ORDER_FILTERS_VALID = {"q": "Mei", "status": "placed", "placed_from": "2026-01-01", "page": "1"}

CASES = [
    # -------------------------------------------------------------- public
    Case(
        "cart add",
        "anon",
        lambda w: reverse("orders:cart_add"),
        lambda w: {"variant": w.m.pk, "quantity": "1"},
        {"variant": Int(1, 2**63 - 1), "quantity": Int(1, 20)},
        htmx=True,
    ),
    Case(
        "cart quantity",
        "anon",
        lambda w: reverse("orders:cart_update", args=[w.m.pk]),
        lambda w: {"quantity": "2"},
        {"quantity": Int(0, 20)},
        htmx=True,
        prepare=_cart,
    ),
    Case(
        "checkout (China: mobile and chosen address)",
        "anon",
        lambda w: reverse("orders:checkout"),
        lambda w: {
            "email": "",
            "name": "王芳",
            "phone": "138 0013 8000",
            "cn_province": "42",
            "cn_city": "4205",
            "cn_district": "420502",
            "address_line1": "夷陵大道12号3栋501室",
            "postcode": "443000",
            "country": "CN",
            "notify_by": "sms",
            "payment_method": "cod",
            "note": "放门口",
            "checkout_key": secrets.token_urlsafe(24),
        },
        {
            "email": Email(254),
            "name": Text(120),
            "phone": Text(40),
            "cn_province": Choice(),
            "cn_city": Choice(),
            "cn_district": Choice(),
            "address_line1": Text(200),
            "postcode": Text(16),
            "note": Text(500, one_line=False),
            "checkout_key": Text(64, shown=False),
            "country": Choice(),
            "notify_by": Choice(),
            "payment_method": Choice(),
        },
        prepare=_cart,
    ),
    Case(
        "checkout (abroad)",
        "anon",
        lambda w: reverse("orders:checkout"),
        lambda w: {
            "email": "mei@example.com",
            "name": "Mei Chen",
            "phone": "+65 6123 4567",
            "address_line1": "12 Orchard Road",
            "address_line2": "#05-01",
            "city": "Singapore",
            "region": "",
            "postcode": "238801",
            "country": "SG",
            "payment_method": "cod",
            "note": "Leave it at the door.",
            "checkout_key": secrets.token_urlsafe(24),
        },
        {
            "email": Email(254),
            "name": Text(120),
            "phone": Text(40),
            "address_line1": Text(200),
            "address_line2": Text(200),
            "city": Text(100),
            "region": Text(100),
            "postcode": Text(16),
            "note": Text(500, one_line=False),
            "checkout_key": Text(64, shown=False),
            "payment_method": Choice(),
        },
        prepare=_cart,
    ),
    Case(
        "checkout address lists (htmx)",
        "anon",
        lambda w: reverse("orders:checkout_address", args=["cities"]),
        lambda w: {"country": "CN", "cn_province": "42", "cn_city": "4205", "name": "王芳"},
        # The lists are rebuilt from what was typed so far: a value they cannot use gives no
        # choices (the form says what is wrong when it is sent), never a 500.
        {
            "country": Choice(shown=False),
            "cn_province": Choice(shown=False),
            "cn_city": Choice(shown=False),
            "name": Text(120, shown=False),
        },
        method="get",
        filters=True,
        writes=False,
    ),
    Case(
        "catalogue filters",
        "anon",
        lambda w: reverse("shop:product_list"),
        lambda w: {"q": "Garment", "min_price": "10", "sort": "price_asc", "page": "1"},
        {
            "q": Text(100),
            "category": Text(80),
            "size": Text(20),
            "colour": Text(40),
            "min_price": Amount(10, 2),
            "max_price": Amount(10, 2),
            "sort": Choice(shown=False),
            "page": Int(1, 10**9, shown=False),
        },
        method="get",
        filters=True,
    ),
    Case(
        "product page review filters",
        "anon",
        lambda w: w.product.get_absolute_url(),
        lambda w: {"stars": "5", "size": "M", "sort": "newest", "page": "1"},
        {
            "stars": Choice(shown=False),
            "size": Text(20, shown=False),
            "sort": Choice(shown=False),
            "page": Int(1, 10**9, shown=False),
        },
        method="get",
        filters=True,
    ),
    Case(
        "write a review",
        "anon",
        lambda w: review_services.review_url(w.delivered),
        lambda w: {f"line-{w.unreviewed.pk}-{k}": v for k, v in REVIEW.items()},
        {f"line-LINE-{k}": spec for k, spec in REVIEW_FIELDS.items()},
    ),
    Case(
        "edit a review",
        "anon",
        lambda w: reverse(
            "reviews:edit", args=[review_services.review_token(w.delivered), w.review.pk]
        ),
        lambda w: dict(REVIEW, title="Even better after washing"),
        REVIEW_FIELDS,
    ),
    Case(
        "care check answer",
        "anon",
        lambda w: reverse("followups:care_check", args=[followup_links.answer_token(w.care_check)]),
        lambda w: {"answer": "all_good"},
        {"answer": Choice()},
        refused=(302,),  # answered with a redirect and an error message, like the buttons
    ),
    Case(
        "one-click unsubscribe",
        "anon",
        lambda w: reverse(
            "followups:unsubscribe_one_click",
            args=[followup_links.unsubscribe_token("mei@example.com")],
        ),
        lambda w: {"List-Unsubscribe": "One-Click"},
        {"List-Unsubscribe": Choice(shown=False)},
        refused=(400,),
    ),
    Case(
        "contact form",
        "anon",
        lambda w: reverse("support:new"),
        lambda w: {
            "email": "mei@example.com",
            "name": "Mei Chen",
            "topic": "size",
            "order_number": "",
            "body": "The M is too small.",
        },
        {
            "email": Email(254),
            "name": Text(120),
            "order_number": Text(20),
            "body": Text(10_000, one_line=False),
            "topic": Choice(),
        },
    ),
    Case(
        "ticket reply",
        "anon",
        lambda w: w.ticket.get_absolute_url(),
        lambda w: {"body": "Thank you, that works.", "nonce": secrets.token_urlsafe(16)},
        {"body": Text(10_000, one_line=False), "nonce": Text(64, shown=False)},
    ),
    Case(
        "was this solved",
        "anon",
        lambda w: reverse("support:satisfaction", args=[w.resolved.token]),
        lambda w: {"solved": "yes", "comment": "Quick and kind."},
        {"solved": Choice(shown=False), "comment": Text(2000, one_line=False)},  # two buttons
    ),
    # allauth's forms re-render with their errors and a 200 (accounts/forms.py bounds them).
    Case(
        "sign up",
        "anon",
        lambda w: reverse("account_signup"),
        lambda w: {
            "email": "new@example.com",
            "first_name": "Lin",
            "last_name": "Wu",
            "password1": "a long pass phrase 93",
        },
        {"email": Email(254), "first_name": Text(150), "last_name": Text(150)},
        refused=(200,),
    ),
    Case(
        "sign in",
        "anon",
        lambda w: reverse("account_login"),
        lambda w: {"login": "customer@example.com", "password": "pass-word-123"},
        {"login": Email(254)},
        refused=(200,),
        writes=False,
    ),
    Case(
        "password reset",
        "anon",
        lambda w: reverse("account_reset_password"),
        lambda w: {"email": "customer@example.com"},
        {"email": Email(254)},
        refused=(200,),
        writes=False,
    ),
    # -------------------------------------------------------------- the owner's catalogue
    Case(
        "new product",
        "owner",
        lambda w: reverse("shop_manage:product_create"),
        _product,
        PRODUCT_FIELDS,
    ),
    Case(
        "edit product",
        "owner",
        lambda w: reverse("shop_manage:product_edit", args=[w.product.pk]),
        lambda w: _product(w, name_en="Linen shirt v2", slug=w.product.slug),
        PRODUCT_FIELDS,
    ),
    Case(
        "image alt text",
        "owner",
        lambda w: reverse("shop_manage:image_action", args=[w.product.pk, w.image.pk]),
        lambda w: {"action": "alt", "alt": "The shirt from the front"},
        {"alt": Text(200)},
        htmx=True,
    ),
    Case(
        "stock adjustment",
        "owner",
        lambda w: reverse("shop_manage:stock_adjust", args=[w.m.pk]),
        lambda w: {"delta": "5", "reason": "Stock count"},
        {"delta": Int(-100_000, 100_000), "reason": Text(200)},
        htmx=True,
    ),
    Case(
        "category",
        "owner",
        lambda w: reverse("shop_manage:category_list"),
        lambda w: {"name_zh_hans": "外套", "name_en": "Coats", "slug": "", "position": "3"},
        {
            "name_zh_hans": Text(80),
            "name_en": Text(80),
            "slug": Text(80),
            "position": Int(0, 32767),
        },
    ),
    Case(
        "shop profile",
        "owner",
        lambda w: reverse("shop_manage:shop_profile"),
        lambda w: {
            "name_zh_hans": "宜昌亚麻工坊",
            "name_en": "Yichang Linen Works",
            "tagline_en": "Shirts sewn by people you can write to",
            "story_en": "Since 1998.",
            "location_en": "Yichang, Hubei",
            "difference_en": "Linen from Hubei",
            "shipping_policy_en": "Two days.",
            "returns_policy_en": "Thirty days.",
            "contact_email": "hello@example.com",
            "contact_phone": "+86 717 000 0000",
            "currency": "CNY",
            "shipping_flat_rate": "15.00",
            "free_shipping_over": "299.00",
            "bank_transfer_instructions_en": "Bank of Yichang",
            "licence_company": "宜昌亚麻制衣有限公司",
            "licence_number": "91420500MA4F000000",
            "icp_number": "鄂ICP备2026000001号-1",
        },
        {
            **{
                f"{field}_{lang}": Text(limit)
                for field, limit in (("name", 120), ("tagline", 200), ("location", 200))
                for lang in ("zh_hans", "en")
            },
            "contact_email": Email(254),
            "contact_phone": Text(40),
            "currency": Text(3),
            "shipping_flat_rate": Amount(8, 2),
            "free_shipping_over": Amount(10, 2),
            **{
                f"{field}_{lang}": Text(20_000, one_line=False)
                for field in (
                    "story",
                    "difference",
                    "shipping_policy",
                    "returns_policy",
                    "bank_transfer_instructions",
                )
                for lang in ("zh_hans", "en")
            },
            "licence_company": Text(120),
            "licence_number": Text(18),
            "icp_number": Text(40),
        },
    ),
    Case(
        "product list search",
        "owner",
        lambda w: reverse("shop_manage:product_list"),
        lambda w: {"q": "Garment", "status": "active", "page": "1"},
        {"q": Text(100), "status": Choice(shown=False), "page": Int(1, 10**9, shown=False)},
        method="get",
        filters=True,
    ),
    Case(
        "stock list search",
        "owner",
        lambda w: reverse("shop_manage:stock_list"),
        lambda w: {"q": "SKU", "show": "all", "page": "1"},
        {"q": Text(100), "show": Choice(shown=False), "page": Int(1, 10**9, shown=False)},
        method="get",
        filters=True,
    ),
    # -------------------------------------------------------------- the owner's orders
    Case(
        "order list filters",
        "owner",
        lambda w: reverse("orders_manage:order_list"),
        lambda w: ORDER_FILTERS_VALID,
        ORDER_FILTERS,
        method="get",
        filters=True,
    ),
    Case(
        "order export filters",
        "owner",
        lambda w: reverse("orders_manage:order_export"),
        lambda w: ORDER_FILTERS_VALID,
        ORDER_EXPORT_FILTERS,  # a CSV has nowhere to show an error
        method="get",
        filters=True,
    ),
    Case(
        "ship an order",
        "owner",
        lambda w: reverse("orders_manage:order_action", args=[w.open_order.pk, "ship"]),
        lambda w: {
            "carrier": "other",
            "other_carrier": "Deppon",
            "tracking_number": "DPK1234567890",
            "tracking_url": "https://www.deppon.example/track/DPK1234567890",
        },
        {
            "carrier": Choice(),
            "other_carrier": Text(80),
            "tracking_number": Text(80),
            "tracking_url": Url(200),
        },
        refused=(409,),
    ),
    Case(
        "cancel an order",
        "owner",
        lambda w: reverse("orders_manage:order_action", args=[w.open_order.pk, "cancel"]),
        lambda w: {"reason": "The buyer asked by phone."},
        {"reason": Text(300)},
        refused=(409,),
    ),
    # -------------------------------------------------------------- the owner's reviews
    Case(
        "review reply",
        "owner",
        lambda w: reverse("reviews_manage:reply", args=[w.review.pk]),
        lambda w: {"body": "Thank you, Mei!"},
        {"body": Text(2000, one_line=False)},
        htmx=True,
    ),
    Case(
        "hide a review",
        "owner",
        lambda w: reverse("reviews_manage:hide", args=[w.review.pk]),
        lambda w: {"reason": "spam", "note": "An advert"},
        {"reason": Choice(), "note": Text(300)},
        htmx=True,
    ),
    Case(
        "review list filters",
        "owner",
        lambda w: reverse("reviews_manage:review_list"),
        lambda w: {"rating": "5", "product": w.product.pk, "status": "published", "page": "1"},
        {
            "rating": Choice(shown=False),
            "replied": Choice(shown=False),
            "photos": Choice(shown=False),
            "product": Int(1, 2**63 - 1, shown=False),
            "status": Choice(shown=False),
            "page": Int(1, 10**9, shown=False),
        },
        method="get",
        filters=True,
    ),
    # -------------------------------------------------------------- support staff
    Case(
        "inbox search",
        "support",
        lambda w: reverse("support_manage:ticket_list"),
        lambda w: {"view": "all", "q": "Mei", "page": "1"},
        {"view": Choice(shown=False), "q": Text(200), "page": Int(1, 10**9, shown=False)},
        method="get",
        filters=True,
    ),
    Case(
        "ticket page canned reply",
        "support",
        lambda w: w.ticket.get_manage_url(),
        lambda w: {"canned": w.canned.pk},
        {"canned": Int(1, 2**63 - 1, shown=False)},
        method="get",
        filters=True,
    ),
    Case(
        "staff reply",
        "support",
        lambda w: w.ticket.get_manage_url(),
        lambda w: {"body": "We are sending an L today.", "nonce": secrets.token_urlsafe(16)},
        {"body": Text(10_000, one_line=False), "nonce": Text(64, shown=False)},
    ),
    Case(
        "assign a ticket",
        "support",
        lambda w: reverse("support_manage:ticket_action", args=[w.ticket.pk, "assign"]),
        lambda w: {"assignee": w.support.pk},
        {"assignee": Int(1, 2**63 - 1, shown=False)},
        refused=(404, 409),
    ),
    Case(
        "ticket priority",
        "support",
        lambda w: reverse("support_manage:ticket_action", args=[w.ticket.pk, "priority"]),
        lambda w: {"priority": "high"},
        {"priority": Choice()},
        refused=(409,),
    ),
    Case(
        "cancel an order from a ticket",
        "support",
        lambda w: reverse("support_manage:ticket_action", args=[w.order_ticket.pk, "cancel-order"]),
        lambda w: {"reason": "Asked by phone."},
        {"reason": Text(300)},
        refused=(409,),
    ),
    Case(
        "canned reply",
        "support",
        lambda w: reverse("support_manage:canned_list"),
        lambda w: {
            "title_zh_hans": "换尺码",
            "title_en": "Size exchange",
            "body_zh_hans": "{customer_name}您好，我们给您换。",
            "body_en": "Hi {customer_name}, we will swap it.",
        },
        {
            **{f"title_{lang}": Text(100) for lang in ("zh_hans", "en")},
            **{f"body_{lang}": Text(20_000, one_line=False) for lang in ("zh_hans", "en")},
        },
    ),
]

WATCHED = [
    get_user_model(),
    EmailAddress,
    Category,
    Product,
    Variant,
    ProductImage,
    StockAdjustment,
    ShopProfile,
    ImportJob,
    Order,
    OrderLine,
    OrderEvent,
    Review,
    ReviewReply,
    ModerationLog,
    HelpfulVote,
    FollowUp,
    Suppression,
    Ticket,
    TicketMessage,
    SatisfactionAnswer,
    CannedReply,
]


def snapshot(client) -> dict:
    """Every row a form could write, and the cart."""
    rows = {model.__name__: list(model.objects.order_by("pk").values_list()) for model in WATCHED}
    rows["cart"] = dict(client.session.get("cart") or {})
    return rows


# ----------------------------------------------------------------- the world the forms act on
@pytest.fixture
def world(owner, support_user, customer):
    ShopProfile.load()
    category = CategoryFactory(name="Shirts", slug="shirts")
    product = ProductFactory(slug="linen-shirt", name="Linen shirt", category=category)
    m = VariantFactory(product=product, size="M", colour="Navy", sku="LS-M", stock=10)
    big = VariantFactory(product=product, size="L", colour="Navy", sku="LS-L", stock=10)
    (image,) = shop_services.add_images(product, [clean_image(image_upload())])
    delivered = delivered_order(m, big)
    reviewed, unreviewed = delivered.lines.order_by("pk")
    ticket = support_services.open_ticket(
        email="mei@example.com", name="Mei Chen", topic="size", body="The M is too small."
    )
    resolved = support_services.open_ticket(
        email="mei@example.com", name="Mei Chen", topic="other", body="Where is it?"
    )
    support_services.resolve_ticket(resolved, acting_user=support_user)
    open_order = place({m: 1})
    order_ticket = support_services.open_ticket(
        email=open_order.email,
        name=open_order.name,
        topic="other",
        body="Please cancel.",
        order=open_order,
    )
    return SimpleNamespace(
        owner=owner,
        support=support_user,
        category=category,
        product=product,
        m=m,
        image=image,
        delivered=delivered,
        unreviewed=unreviewed,
        review=review(reviewed),
        care_check=FollowUp.objects.get(order=delivered, kind=FollowUp.Kind.CARE_CHECK),
        ticket=ticket,
        resolved=resolved,
        open_order=open_order,
        order_ticket=order_ticket,
        canned=CannedReply.objects.create(title="Hello", body="Hi {customer_name}"),
    )


GUARDS = (
    "config.middleware.RefuseNulBytesMiddleware",
    "config.middleware.PublicWriteLimitMiddleware",
)


@pytest.fixture(params=["views alone", "whole site"])
def site(request, settings):
    """The views with the site-wide guards taken out, then the site as configured."""
    # Rate limits have their own tests; this walk is long.
    settings.RATELIMIT_ENABLE = False
    settings.ACCOUNT_RATE_LIMITS = False
    if request.param == "views alone":
        settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m not in GUARDS]
    return request.param


def _client(world, role: str) -> Client:
    client = Client()
    if role == "owner":
        client.force_login(world.owner)
    elif role == "support":
        client.force_login(world.support)
    return client


def _send(client, case: Case, url: str, data: dict):
    headers = {"HX-Request": "true"} if case.htmx else {}
    if case.method == "get":
        return client.get(url, data, headers=headers)
    return client.post(url, data, headers=headers)


# A field's error (Django's error list, or a fragment's alert) or a flash message of level error.
ERROR_MARKS = (b"errorlist", b"flash-error")


def _refusal_problem(case: Case, spec, response) -> str | None:
    """Why `response` is not a clear refusal, or None when it is one."""
    status = response.status_code
    if status == 400:
        return None  # the NUL guard, or a view refusing a value no form sends
    if case.filters:
        if status != 200:
            return f"answered {status}"
        if spec.shown and not any(mark in response.content for mark in ERROR_MARKS):
            return "the filters ignored the value without saying so"
        return None
    if status not in case.refused:
        return f"answered {status}, expected one of {case.refused}"
    if status == 302:
        errors = [m for m in get_messages(response.wsgi_request) if m.level == ERROR]
        return None if errors else "redirected without an error message"
    if spec.shown and not any(mark in response.content for mark in ERROR_MARKS):
        return "no error shown"
    return None


def _resolve(name: str, world) -> str:
    return name.replace("LINE", str(world.unreviewed.pk))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_hostile_values_are_refused_without_a_500_or_a_change(case, world, site):
    client = _client(world, case.role)
    if case.prepare:
        case.prepare(world, client)
    url = case.url(world)
    valid = case.valid(world)
    problems, sent = [], 0
    for name, label, value in case.inputs:
        name = _resolve(name, world)
        spec = next(s for n, s in case.fields.items() if _resolve(n, world) == name)
        before = snapshot(client)
        sent += 1
        try:
            with transaction.atomic():  # a database error must not end the walk
                response = _send(client, case, url, {**valid, name: value})
        except Exception as error:  # noqa: BLE001 (any exception here is a 500 for the visitor)
            problems.append(f"{name} {label}: raised {type(error).__name__}: {error}"[:300])
            continue
        problem = _refusal_problem(case, spec, response)
        if problem is None and snapshot(client) != before:
            problem = "a row was written or changed"
        if problem:
            problems.append(f"{name} {label}: {problem}")
    assert sent == len(case.inputs)
    assert not problems, "\n".join(problems)

    # The form does accept a good submission, so the refusals above came from the values.
    before = snapshot(client)
    response = _send(client, case, url, valid)
    if case.method == "get":
        assert response.status_code == 200
        if any(spec.shown for spec in case.fields.values()):
            assert b"errorlist" not in response.content
    else:
        assert response.status_code in (200, 302), response.content[:2000]
        if case.writes:
            assert snapshot(client) != before, f"{case}: the valid submission changed nothing"


def test_the_walk_sends_hundreds_of_hostile_inputs(capsys):
    per_walk = sum(len(case.inputs) for case in CASES)
    total = per_walk * 2  # the views alone, then the whole site
    with capsys.disabled():
        print(f"\nbad-input walk: {len(CASES)} forms, {per_walk} hostile inputs x 2 = {total}")
    assert len(CASES) >= 30
    assert per_walk >= 400


# ----------------------------------------------------------------- siblings read by hand
@pytest.mark.parametrize(
    "path",
    [
        "/orders/ab%00cd/",
        "/checkout/thanks/ab%00cd/",
        "/support/ab%00cd/",
        "/orders/" + "a" * 5000 + "/",
    ],
)
def test_a_nul_or_a_huge_token_in_a_link_is_a_404(client, settings, path):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m not in GUARDS]
    assert client.get(path).status_code == 404


def test_a_contact_form_with_an_unreadable_order_token_is_not_a_500(client, world, settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m not in GUARDS]
    settings.RATELIMIT_ENABLE = False
    data = {"email": "mei@example.com", "name": "Mei", "topic": "size", "body": "Too small."}
    response = client.post(reverse("support:new"), {**data, "order_token": "ab\x00cd"})
    assert response.status_code == 302
    assert Ticket.objects.order_by("-pk").first().order is None


def test_stock_cannot_be_pushed_past_its_column(client, world):
    client.force_login(world.owner)
    Variant.objects.filter(pk=world.m.pk).update(stock=INT32 - 10)
    response = client.post(
        reverse("shop_manage:stock_adjust", args=[world.m.pk]),
        {"delta": "100", "reason": "Count"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert b"cannot go above" in response.content
    world.m.refresh_from_db()
    assert world.m.stock == INT32 - 10 and not StockAdjustment.objects.exists()


# ----------------------------------------------------------------- `next` stays on this site
NEXTS = [
    ("a bare word", "cart", False),
    ("another site", "https://evil.example/phish", False),
    ("a scheme-relative address", "//evil.example/phish", False),
    ("a backslash trick", "/\\evil.example", False),
    ("javascript", "javascript:alert(1)", False),
    ("a header split", "/cart/\r\nSet-Cookie: x=1", False),
    ("100,000 characters", "/" + "a" * LONG, False),
    ("a path here", "/products/linen-shirt/?size=M", True),
]


def _cart_add_refused(world, client, target):
    # Not on sale: the refusal goes back to `next` with a message (the product page's form).
    Variant.objects.filter(pk=world.m.pk).update(is_active=False)
    return client.post(
        reverse("orders:cart_add"), {"variant": world.m.pk, "quantity": "1", "next": target}
    )


def _stock_adjusted(world, client, target):
    client.force_login(world.owner)
    return client.post(
        reverse("shop_manage:stock_adjust", args=[world.m.pk]),
        {"delta": "1", "reason": "Count", "next": target},
    )


def _review_replied(world, client, target):
    client.force_login(world.owner)
    return client.post(
        reverse("reviews_manage:reply", args=[world.review.pk]), {"body": "Thanks", "next": target}
    )


NEXT_ACTIONS = [
    ("cart", _cart_add_refused, "orders:cart"),
    ("stock", _stock_adjusted, "shop_manage:stock_list"),
    ("review reply", _review_replied, "reviews_manage:review_list"),
]


@pytest.mark.parametrize("action", NEXT_ACTIONS, ids=[a[0] for a in NEXT_ACTIONS])
@pytest.mark.parametrize("label,target,followed", NEXTS, ids=[n[0] for n in NEXTS])
def test_next_is_followed_only_to_a_path_on_this_site(
    client, world, settings, action, label, target, followed
):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m not in GUARDS]
    settings.RATELIMIT_ENABLE = False
    _, send, fallback = action
    response = send(world, client, target)
    assert response.status_code == 302
    assert response["Location"] == (target if followed else reverse(fallback))


@pytest.mark.parametrize(
    "role,method,path",
    [
        ("owner", "get", "/manage/products/{big}/"),
        ("owner", "post", "/manage/products/1/images/{big}/"),
        ("owner", "post", "/manage/stock/{big}/"),
        ("owner", "get", "/manage/orders/{big}/"),
        ("owner", "post", "/manage/reviews/{big}/reply/"),
        ("owner", "post", "/manage/follow-ups/{big}/retry/"),
        ("support", "get", "/manage/tickets/{big}/"),
        ("support", "get", "/manage/tickets/canned/{big}/"),
        ("anon", "post", "/reviews/{big}/helpful/"),
        ("anon", "post", "/cart/{big}/"),
    ],
)
def test_an_id_past_every_column_in_an_address_is_not_a_500(world, settings, role, method, path):
    settings.RATELIMIT_ENABLE = False
    client = _client(world, role)
    response = getattr(client, method)(path.format(big=10**30), {"quantity": "1"})
    assert response.status_code in (302, 404)


# A product CSV (shop/csv_io.py) whose bytes are not text in any encoding the import reads, or
# whose header says nothing: a clear refusal (the form's 422, or a failed job with its reason),
# never a 500, and no product written or changed.
GBK_ROWS = b"slug,name_zh_hans,category_zh_hans,price,size,colour,sku,stock\r\n" + (
    "linen-shirt,亚麻衬衫,衬衫,189.00,尺码M,藏青,LS-M,4\r\n".encode("gbk")
)
HOSTILE_IMPORTS = [
    ("GBK with a broken byte", GBK_ROWS.replace("亚".encode("gbk"), b"\xb1", 1)),
    ("GBK cut after a lead byte", GBK_ROWS + b"\x81"),
    ("a lone 0xFF", b"\xff"),
    ("UTF-16 without its byte order mark", GBK_ROWS.decode("gbk").encode("utf-16-le")),
    ("UTF-16 with a lone surrogate", b"\xff\xfes\x00\x00\xd8"),
    ("a byte order mark alone", b"\xef\xbb\xbf"),
    ("empty", b""),
    ("a broken byte past the first 4 KB", GBK_ROWS * 200 + b"\xff\xff"),
]


@pytest.mark.parametrize(
    "data", [d for _, d in HOSTILE_IMPORTS], ids=[n for n, _ in HOSTILE_IMPORTS]
)
def test_an_unreadable_import_file_is_refused_without_a_500_or_a_change(
    client, world, data, django_capture_on_commit_callbacks
):
    client = _client(world, "owner")
    before = (Product.objects.count(), Variant.objects.count(), list(Product.objects.values()))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("shop_manage:product_import"),
            {"file": SimpleUploadedFile("products.csv", data, "text/csv")},
        )
    assert response.status_code in (302, 422), response.status_code
    job = ImportJob.objects.first()
    if response.status_code == 302:
        assert job.status == ImportJob.Status.FAILED and job.errors
        page = client.get(response["Location"])
        assert page.status_code == 200 and b"flash-error" in page.content
    else:
        assert job is None
    assert (Product.objects.count(), Variant.objects.count(), list(Product.objects.values())) == (
        before
    )
