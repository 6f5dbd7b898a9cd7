"""A ticket opened from the contact form shows an order only to someone who proved they hold it.

Proof is the order's tracking link (?order=<token>), or being signed in with a verified address
that is the order's email. A typed number, even with the right email, proves nothing (anyone
who knows a buyer's address can type it), and a wrong number must answer exactly as a right one.
"""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client, TestCase
from django.urls import reverse

from support import services
from support.models import CannedReply, Ticket

from ..factories import UserFactory, VariantFactory
from ..orders.helpers import place

pytestmark = pytest.mark.django_db

BUYER_EMAIL = "buyer@example.com"  # tests/orders/helpers.BUYER, stored lower-case


@pytest.fixture
def order():
    return place({VariantFactory(stock=5): 1})


def _post(client, number: str, email: str = BUYER_EMAIL, **extra):
    data = {
        "email": email,
        "name": "Curious Stranger",
        "topic": "delivery",
        "body": "Please cancel it and tell me the address.",
        "order_number": number,
        **extra,
    }
    # Emails are queued on commit: run them, as the real request's commit would.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("support:new"), data)


def _normalised(text: str, ticket: Ticket) -> str:
    """The page or email with what differs between any two tickets taken out."""
    text = text.replace(ticket.token, "TOKEN").replace(ticket.number, "NUMBER")
    text = re.sub(r'name="(nonce|csrfmiddlewaretoken)" value="[^"]+"', r'name="\1"', text)
    text = re.sub(r'id="message-\d+"', 'id="message"', text)
    return re.sub(r'"x-csrftoken": "[^"]+"', '"x-csrftoken"', text)


def _what_the_opener_sees(client, number: str, email: str = BUYER_EMAIL) -> dict:
    mail.outbox.clear()
    response = _post(client, number, email)
    ticket = Ticket.objects.order_by("-pk").first()
    page = client.get(response["Location"])
    to_opener = [m for m in mail.outbox if m.to == [email]]
    return {
        "status": response.status_code,
        "location": response["Location"].replace(ticket.token, "TOKEN"),
        "page_status": page.status_code,
        "page": _normalised(page.content.decode(), ticket),
        "emails": [
            (_normalised(m.subject, ticket), _normalised(m.body, ticket)) for m in to_opener
        ],
        "ticket": ticket,
    }


@pytest.mark.parametrize(
    "number",
    [
        "RIGHT",  # the real number, with the buyer's email: attached for staff, not proven
        "2026-999999",  # no such order
        "' OR 1=1 --",
        "%",
        "2026-00000_",
        '"><b>1</b>',
        "2026-1 OR 1",
    ],
)
def test_a_typed_number_answers_exactly_as_any_other(client, order, number):
    typed = order.number if number == "RIGHT" else number
    baseline = _what_the_opener_sees(Client(), "2026-888888")
    seen = _what_the_opener_sees(client, typed)
    ticket = seen.pop("ticket")
    baseline.pop("ticket")
    assert seen == baseline  # status, redirect, the thread page and the email: all the same
    assert seen["status"] == 302 and seen["page_status"] == 200 and len(seen["emails"]) == 1
    assert order.tracking_token not in seen["page"] and order.number not in seen["page"]
    assert ticket.order_proven is False
    assert ticket.order == (order if number == "RIGHT" else None)


def test_the_right_number_with_another_email_attaches_nothing(client, order):
    seen = _what_the_opener_sees(client, order.number, email="someone@else.com")
    assert seen["ticket"].order is None and seen["ticket"].order_number_given == order.number


def test_the_tracking_link_proves_the_order_and_the_thread_shows_it(client, order):
    url = reverse("support:new") + f"?order={order.tracking_token}"
    response = client.post(
        url,
        {
            "email": BUYER_EMAIL,
            "name": "Mei Chen",
            "topic": "delivery",
            "body": "Where is it?",
            "order_token": order.tracking_token,
        },
    )
    ticket = Ticket.objects.get()
    assert ticket.order == order and ticket.order_proven is True
    page = client.get(response["Location"]).content.decode()
    assert order.number in page and order.get_absolute_url() in page


def test_a_wrong_tracking_token_proves_nothing(client, order):
    client.post(
        reverse("support:new") + "?order=not-a-token",
        {
            "email": BUYER_EMAIL,
            "name": "X",
            "topic": "delivery",
            "body": "Hi",
            "order_token": "not-a-token",
        },
    )
    assert Ticket.objects.get().order is None


@pytest.mark.parametrize(
    "address, verified, typed_email, proven, attached",
    [
        (BUYER_EMAIL, True, BUYER_EMAIL, True, True),
        ("BUYER@example.com", True, "another@example.com", True, True),  # the account proves it
        (BUYER_EMAIL, False, BUYER_EMAIL, False, True),  # unverified: a typed number only
        ("someone@else.com", True, BUYER_EMAIL, False, True),
        ("someone@else.com", True, "someone@else.com", False, False),
    ],
)
def test_a_signed_in_verified_owner_of_the_address_proves_a_typed_number(
    client, order, address, verified, typed_email, proven, attached
):
    user = UserFactory(email=address.lower(), verified=verified)
    EmailAddress.objects.filter(user=user).update(email=address)  # as the person typed it
    client.force_login(user)
    _post(client, order.number, email=typed_email)
    ticket = Ticket.objects.get()
    assert ticket.order_proven is proven
    assert ticket.order == (order if attached else None)
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert (order.get_absolute_url() in page) is proven


def test_the_proof_check_is_one_function(order, customer):
    assert services.user_holds_order(None, order) is False
    assert services.user_holds_order(customer, order) is False  # another verified address
    second = EmailAddress.objects.create(user=customer, email="Buyer@Example.com")
    assert services.user_holds_order(customer, order) is False  # added, not verified yet
    EmailAddress.objects.filter(pk=second.pk).update(verified=True)
    assert services.user_holds_order(customer, order) is True


def test_staff_see_an_unproven_order_with_a_warning_before_the_cancel_action(
    client, order, support_user
):
    _post(Client(), order.number)
    ticket = Ticket.objects.get()
    client.force_login(support_user)
    page = client.get(ticket.get_manage_url()).content.decode()
    card = page[page.index('id="ticket-order"') :]
    warning = card.index("did not prove they hold this order")
    assert order.number in card and warning < card.index("cancel-order")
    staff_mail = [m for m in mail.outbox if support_user.email in m.to]
    assert staff_mail and "did not prove" in staff_mail[0].body


def test_staff_see_no_warning_for_a_proven_order(client, order, support_user):
    ticket = services.open_ticket(
        email=order.email,
        name="Mei",
        topic="other",
        body="Hi",
        order=order,
        order_proven=True,
    )
    client.force_login(support_user)
    page = client.get(ticket.get_manage_url()).content.decode()
    assert order.number in page and "did not prove" not in page


def test_a_wrong_typed_number_is_shown_to_staff_as_typed(client, support_user, order):
    _post(Client(), "2026-999999")
    client.force_login(support_user)
    page = client.get(Ticket.objects.get().get_manage_url()).content.decode()
    assert "2026-999999" in page and "names no order" in page


@pytest.mark.parametrize(
    "body",
    [
        "Hi {customer_name.nope}",
        "Hi {customer_name:>999999999}",
        "Hi {customer_name!r}",
        "Hi {customer_name[0]}",
        "Hi {0} {} {",
        "Hi {ticket_number.__class__.__init__.__globals__}",
        "Hi {{customer_name}} }",
    ],
)
def test_a_hostile_canned_reply_breaks_no_ticket_page(client, support_user, order, body):
    reply = CannedReply.objects.create(title="Bad", body=body)
    ticket = services.open_ticket(
        email=order.email, name="Mei Chen", topic="other", body="Hi", order=order
    )
    client.force_login(support_user)
    assert client.get(ticket.get_manage_url()).status_code == 200
    response = client.get(ticket.get_manage_url(), {"canned": reply.pk})
    assert response.status_code == 200
    text = services.render_canned(body, ticket)
    assert text == body.replace("{{customer_name}}", "{Mei}")  # nothing else is filled in
