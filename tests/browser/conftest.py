import pytest
from django.contrib.auth.models import Group

from accounts.models import OWNER, SUPPORT
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def _roles(transactional_db):
    """The role groups come from a data migration; a transactional test flushes them afterwards."""
    for name in (OWNER, SUPPORT):
        Group.objects.get_or_create(name=name)


@pytest.fixture
def sign_in(live_server):
    """Sign `user` in through the real sign-in page of `page`."""

    def _sign_in(page, user):
        page.goto(f"{live_server.url}/account/sign-in/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/")
        assert page.get_by_role("button", name="Sign out").is_visible()

    return _sign_in
