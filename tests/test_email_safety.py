"""Every email the shop sends is safe whatever its users typed.

For each message kind, hostile text goes into every user-written field that reaches it (the
buyer's and the ticket's name, the address, a reply, the product's name, the shop's name and
location, the bank transfer text, a cancellation reason, the carrier's details) through the
real build functions, and out as the email channel sends it. The HTML part must show that text
escaped (no tag, no event handler, no javascript: link from it), and no header may carry a line
break: `Bob\\r\\nBcc: x` once made the staff notification raise BadHeaderError and vanish.

The rows are changed with update() after the real services built them: input cleaning may
strip line breaks on the way in, and the builders must be safe on their own (older rows, the
shop's own texts).
"""

import re
from email.header import decode_header, make_header
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.test import TestCase

from followups.emails import build_follow_up_email
from followups.models import FollowUp
from messaging.channels import EmailChannel
from messaging.models import Message
from orders import services as order_services
from orders.emails import build_order_email
from orders.models import Order, OrderLine
from shop.models import ShopProfile
from support import services as support_services
from support.emails import build_ticket_email, queue_ticket_email
from support.models import Ticket, TicketMessage

from .factories import ProductFactory, VariantFactory
from .orders.helpers import place

pytestmark = pytest.mark.django_db

IMG = '"><img src=x onerror=alert(1)>'
SCRIPT = "<script>alert(2)</script>"
LINK = "<a href='javascript:alert(3)'>click</a>"
SVG = "<svg/onload=alert(4)>"
BREAK = "\r\nBcc: victim@evil.example\r\n"
HOSTILE = f"{IMG}{BREAK}{SCRIPT}"
# What the readable text of an HTML part contains once the markup is parsed: the hostile
# text as text (Django escapes the quotes too, so the parser gives them back as typed).
SHOWN = "<img src=x onerror=alert(1)>"

HEADERS = {
    "content-type",
    "mime-version",
    "content-transfer-encoding",
    "subject",
    "from",
    "to",
    "date",
    "message-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
}
FORBIDDEN_TAGS = {"img", "script", "svg", "iframe", "object", "embed", "style", "form"}


class Markup(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)


def assert_safe(message, *, to: list[str], shows: tuple[str, ...] = (SHOWN,)) -> None:
    # Headers: building the MIME message raises BadHeaderError on a line break; the parsed
    # headers are exactly the expected ones, and nobody else receives it.
    mime = message.message()
    names = {name.lower() for name in mime.keys()}
    assert names <= HEADERS, names - HEADERS
    assert message.recipients() == to and not message.bcc and not message.cc
    raw = mime.as_bytes().split(b"\n\n", 1)[0].decode()
    assert not re.search(r"^(bcc|cc|reply-to):", raw, re.I | re.M), raw
    assert "\r" not in message.subject and "\n" not in message.subject
    for name in ("Subject", "From"):
        # Long headers are folded (a line break followed by a space); anything else is not.
        value = re.sub(r"\r?\n[ \t]", " ", mime[name])
        value = str(make_header(decode_header(value)))
        assert "\r" not in value and "\n" not in value, (name, value)
    # HTML: the hostile text is shown, escaped; it adds no tag, handler or script link.
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    markup = Markup()
    markup.feed(html)
    assert not FORBIDDEN_TAGS & set(markup.tags), set(markup.tags)
    assert not [name for name, _ in markup.attrs if name.startswith("on")], markup.attrs
    hrefs = [value or "" for name, value in markup.attrs if name == "href"]
    assert not [h for h in hrefs if h.strip().lower().startswith("javascript")], hrefs
    assert "<img" not in html.lower() and "<script" not in html.lower()
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # the escaped form
    text = " ".join(" ".join(markup.text).split())
    for shown in shows:
        assert shown in text, shown


def outgoing(rendered, to: str):
    """The email the email channel sends for a message rendered so, to `to`."""
    message = Message(
        recipient=to,
        sender=rendered.sender,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        headers=rendered.headers,
    )
    return EmailChannel().build(message)


@pytest.fixture
def shop():
    shop = ShopProfile.load()
    ShopProfile.objects.filter(pk=shop.pk).update(
        # The shop's name is in every message's sender, layout and some subjects.
        name=f"Atelier {IMG}{BREAK}"[:120],
        location=f"{SVG} Yichang",
        bank_transfer_instructions=f"Pay to {LINK}{BREAK}{SCRIPT}",
    )
    return ShopProfile.load()


@pytest.fixture
def order(shop):
    product = ProductFactory(name=f"Shirt {IMG}"[:160])
    order = place({VariantFactory(product=product, stock=5, colour="Navy"): 1})
    Order.objects.filter(pk=order.pk).update(
        name=f"{IMG} Bob{BREAK}Lee",
        address_line1=HOSTILE,
        city=SCRIPT,
        note=HOSTILE,
    )
    OrderLine.objects.filter(order=order).update(colour=SVG[:40])
    order.refresh_from_db()
    return order


def _as(order: Order, **fields) -> Order:
    Order.objects.filter(pk=order.pk).update(**fields)
    order.refresh_from_db()
    return order


@pytest.mark.parametrize("kind", ["placed", "shipped", "delivered", "cancelled"])
def test_order_emails(order, kind):
    order = _as(
        order,
        payment_method="bank_transfer",
        carrier=f"SF {IMG}",
        tracking_number=f"{SCRIPT}{BREAK}",
        cancel_reason=f"Out of stock {IMG}{BREAK}",
    )
    message = outgoing(build_order_email(order, kind), order.email)
    assert_safe(message, to=[order.email], shows=(SHOWN, f"Shirt {IMG}"))
    assert order.get_absolute_url() in message.alternatives[0][0]  # the buyer's own link


@pytest.fixture
def ticket(order):
    with TestCase.captureOnCommitCallbacks(execute=True):
        ticket = support_services.open_ticket(
            email=order.email,
            name="Bob",
            topic="defect",
            body="Hello",
            order=order,
            order_proven=True,
        )
    Ticket.objects.filter(pk=ticket.pk).update(
        name=f"{IMG} Bob{BREAK}Lee", subject=f"Seam {SCRIPT}{BREAK}open"
    )
    ticket.refresh_from_db()
    return ticket


def _message(ticket, kind: str) -> TicketMessage:
    author = "staff" if kind == "staff_reply" else "customer"
    return TicketMessage.objects.create(
        ticket=ticket, author_kind=author, body=f"Reply {HOSTILE}\n{LINK}\n{SVG}"
    )


@pytest.mark.parametrize(
    "kind, shows",
    [
        ("opened", (SHOWN,)),
        ("staff_reply", (f"Reply {IMG}", SCRIPT, "javascript:alert(3)")),
        ("resolved", (SHOWN,)),
        ("staff_new", (SHOWN, "Seam <script>alert(2)</script>")),
        ("staff_customer_reply", (f"Reply {IMG}", SVG)),
    ],
)
def test_ticket_emails(ticket, support_user, kind, shows):
    message = _message(ticket, kind) if kind in ("staff_reply", "staff_customer_reply") else None
    to = ticket.email if kind in ("opened", "staff_reply", "resolved") else None
    email = outgoing(build_ticket_email(ticket, kind, message), to or support_user.email)
    assert_safe(email, to=[to or support_user.email], shows=shows)


@pytest.mark.parametrize("kind", ["care_check", "review_request", "reminder"])
def test_follow_up_emails_about_an_order(order, shop, kind):
    order_services.mark_shipped(order, carrier="SF", tracking_number="SF1")
    order_services.mark_delivered(order)
    row = FollowUp.objects.get(order=order, kind=kind)
    email = outgoing(build_follow_up_email(row, shop), row.email)
    # The greeting is the first word of the name: the hostile part's first word, escaped.
    assert_safe(email, to=[order.email], shows=('"><img',))
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_follow_up_satisfaction_email(ticket, shop, support_user):
    support_services.resolve_ticket(ticket, acting_user=support_user)
    row = FollowUp.objects.get(ticket=ticket, kind="satisfaction")
    email = outgoing(build_follow_up_email(row, shop), row.email)
    assert_safe(email, to=[ticket.email], shows=("Seam <script>alert(2)</script>",))


def test_a_name_with_a_line_break_reaches_staff_through_the_real_send(order, support_user):
    """`Bob\\r\\nBcc: x` as a name: once the staff notification raised and was lost."""
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        ticket = support_services.open_ticket(
            email="bob@example.com",
            name="Bob\r\nBcc: victim@evil.example",
            topic="other",
            body="Hi\r\nBcc: other@evil.example",
        )
    assert ticket.name == "Bob Bcc: victim@evil.example" and "\n" not in ticket.subject
    staff = [m for m in mail.outbox if m.to == [support_user.email]]
    assert len(staff) == 1 and "victim@evil.example" not in staff[0].recipients()
    # An older row that kept its line breaks: the customer's reply still reaches staff.
    Ticket.objects.filter(pk=ticket.pk).update(name="Bob\r\nBcc: victim@evil.example")
    message = TicketMessage.objects.create(ticket=ticket, author_kind="customer", body="More")
    with TestCase.captureOnCommitCallbacks(execute=True):
        [queued] = queue_ticket_email(ticket, "staff_customer_reply", message)
    queued.refresh_from_db()
    assert queued.state == Message.State.SENT
    last = mail.outbox[-1]
    assert last.subject.endswith("Bob Bcc: victim@evil.example replied")
    assert last.recipients() == [support_user.email]
    mime = last.message()  # builds without BadHeaderError
    assert "bcc" not in {k.lower() for k in mime.keys()}
