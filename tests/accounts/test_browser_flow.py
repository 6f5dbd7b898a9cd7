import pytest
from django.core import mail
from playwright.sync_api import expect

from ..factories import VariantFactory
from ..orders.helpers import BUYER, place
from .helpers import code_in, mails_to

pytestmark = pytest.mark.browser


def test_sign_up_enter_the_code_and_see_guest_orders(live_server, page):
    email = BUYER.email.lower()
    order = place({VariantFactory(stock=3): 1})  # placed as a guest with this address
    errors = []
    # No refused page or script on the way, and nothing the Content-Security-Policy blocks.
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)
    page.on("console", lambda m: errors.append(m.text) if "Security Policy" in m.text else None)

    page.goto(f"{live_server.url}/account/sign-up/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("First name").fill("Mei")
    page.get_by_label("Password").fill("linen-and-wool-42")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{live_server.url}/account/confirm-email/")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    page.get_by_label("Code").fill(code_in(mails_to(email)[-1]))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.get_by_role("link", name="My orders").click()
    expect(page.get_by_role("link", name=order.number)).to_be_visible()
    assert not errors, errors


def test_forgotten_password_by_code(live_server, page, customer):
    page.goto(f"{live_server.url}/account/sign-in/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(customer.email)
    mail.outbox.clear()
    page.get_by_role("button", name="Send me a code").click()
    page.wait_for_url(f"{live_server.url}/account/password/reset/confirm/")
    page.get_by_label("Code").fill(code_in(mails_to(customer.email)[-1]))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{live_server.url}/account/password/reset/complete/")
    page.get_by_label("New password", exact=True).fill("a-brand-new-pass-31")
    page.get_by_label("New password (again)").fill("a-brand-new-pass-31")
    page.get_by_role("button", name="Save my new password").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    customer.refresh_from_db()
    assert customer.check_password("a-brand-new-pass-31")
