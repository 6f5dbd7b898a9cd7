import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import User
from orders.models import Order

from ..factories import UserFactory, VariantFactory
from ..orders.helpers import BUYER, place
from .helpers import code_in, mails_to, signed_in_user_id

pytestmark = pytest.mark.django_db

EMAIL = BUYER.email.lower()


def other_buyer(email):
    return BUYER.__class__(**{**BUYER.__dict__, "email": email})


def test_sign_up_sends_a_code_and_does_not_sign_in(client, sign_up):
    response = sign_up(client, EMAIL)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email=EMAIL)
    assert user.first_name == "Mei"
    assert signed_in_user_id(client) is None
    assert not EmailAddress.objects.filter(user=user, verified=True).exists()
    [message] = mails_to(EMAIL)
    assert len(mail.outbox) == 1
    assert code_in(message)
    # Plain text only: no HTML part that could carry unescaped text.
    assert not getattr(message, "alternatives", [])
    # Not signed in: "my orders" asks to sign in.
    page = client.get(reverse("orders:my_orders"))
    assert page.status_code == 302 and page["Location"].startswith(reverse("account_login"))


def test_the_code_signs_in_and_shows_guest_orders_of_that_address(client, sign_up, enter_code):
    guest_order = place({VariantFactory(stock=3): 1})  # a guest order under BUYER's address
    stranger_order = place({VariantFactory(stock=3): 1}, buyer=other_buyer("x@example.com"))
    sign_up(client, EMAIL)
    page = client.get(reverse("account_email_verification_sent"))
    assert page.status_code == 200 and 'name="code"' in page.content.decode()
    response = enter_code(client, code_in(mail.outbox[0]))
    assert response.status_code == 302
    user = User.objects.get(email=EMAIL)
    assert signed_in_user_id(client) == str(user.pk)
    assert EmailAddress.objects.get(user=user).verified
    assert user.verified_email() == EMAIL
    page = client.get(reverse("orders:my_orders")).content.decode()
    assert guest_order.number in page and stranger_order.number not in page


@pytest.mark.parametrize("wrong", ["AAAA-AAAA", "' OR 1=1 --", "x" * 5000, "%00", ""])
def test_a_wrong_code_proves_nothing(client, sign_up, enter_code, wrong):
    sign_up(client, EMAIL)
    real = code_in(mail.outbox[0])
    assert wrong != real
    response = enter_code(client, wrong)
    assert response.status_code in (200, 302)
    assert signed_in_user_id(client) is None
    assert not EmailAddress.objects.filter(email=EMAIL, verified=True).exists()


def test_three_wrong_codes_end_the_attempt(client, sign_up, enter_code):
    sign_up(client, EMAIL)
    real = code_in(mail.outbox[0])
    for _ in range(3):
        enter_code(client, "AAAA-AAAA")
    # The right code no longer works: the attempt is over, the code with it.
    enter_code(client, real)
    assert signed_in_user_id(client) is None
    assert not EmailAddress.objects.filter(email=EMAIL, verified=True).exists()


def test_unverified_account_cannot_sign_in_and_sees_no_guest_order(client, sign_in):
    user = UserFactory(email="mei@example.com", verified=False)
    guest_order = place({VariantFactory(stock=3): 1}, buyer=other_buyer("mei@example.com"))
    response = sign_in(client, "mei@example.com", "pass-word-123")
    # The right password leads only to the code page; the code goes to the address.
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert signed_in_user_id(client) is None
    assert client.get(reverse("orders:my_orders")).status_code == 302
    # A session that predates the change (signed in, never proved): no guest order either.
    client.force_login(user)
    page = client.get(reverse("orders:my_orders")).content.decode()
    assert guest_order.number not in page
    assert "Send me a code" in page


def test_a_session_from_before_can_still_prove_its_address(client, send, enter_code):
    user = UserFactory(email="mei@example.com", verified=False)
    guest_order = place({VariantFactory(stock=3): 1}, buyer=other_buyer("mei@example.com"))
    client.force_login(user)
    response = send(client, reverse("account_email"), {"email": user.email, "action_send": ""})
    assert response["Location"] == reverse("account_email_verification_sent")
    enter_code(client, code_in(mails_to(user.email)[-1]))
    assert user.verified_email() == "mei@example.com"
    assert guest_order.number in client.get(reverse("orders:my_orders")).content.decode()


def test_guest_orders_follow_the_address_not_other_accounts_orders(client):
    user = UserFactory(email="mei@example.com")
    someone = UserFactory(email="someone@example.com")
    guest = place({VariantFactory(stock=3): 1}, buyer=other_buyer("MEI@example.com"))
    # Placed by another account, giving this address: it stays that account's order.
    theirs = place(
        {VariantFactory(stock=3): 1}, buyer=other_buyer("mei@example.com"), customer=someone
    )
    mine = place(
        {VariantFactory(stock=3): 1}, buyer=other_buyer("other@example.com"), customer=user
    )
    client.force_login(user)
    page = client.get(reverse("orders:my_orders")).content.decode()
    assert guest.number in page and mine.number in page and theirs.number not in page


@pytest.mark.parametrize(
    "field, value, error",
    [
        ("password1", "123", "too short"),
        ("first_name", "Bob\r\nBcc: victim@example.com", "letters, spaces and punctuation"),
        ("last_name", "Lee\nX-Spam: yes", "letters, spaces and punctuation"),
        ("first_name", "B\u2028ob", "letters, spaces and punctuation"),
        ("first_name", "M" * 151, "at most 150"),
        ("email", ("a" * 300) + "@example.com", "at most 254"),
        ("email", "not-an-address", "valid email"),
    ],
)
def test_sign_up_refuses_bad_input_and_creates_nothing(client, send, field, value, error):
    data = {"email": "mei@example.com", "first_name": "Mei", "password1": "linen-and-wool-42"}
    data[field] = value
    response = send(client, reverse("account_signup"), data)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert User.objects.count() == 0 and not mail.outbox


def test_nul_byte_in_sign_up_is_refused_not_a_server_error(client, send):
    data = {"email": "mei@example.com", "first_name": "M\x00ei", "password1": "linen-and-wool-42"}
    response = send(client, reverse("account_signup"), data)
    assert response.status_code in (200, 400)
    assert User.objects.count() == 0


def test_my_orders_needs_sign_in(client):
    response = client.get(reverse("orders:my_orders"))
    assert response.status_code == 302 and "/account/sign-in/" in response["Location"]
    assert Order.objects.count() == 0
