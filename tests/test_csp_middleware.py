"""The Content-Security-Policy middleware builds the policy once (config.csp): every answer
must still carry exactly what django-csp would write, and follow a change of the setting."""

import pytest
from csp.constants import NONCE, SELF
from csp.decorators import csp_exempt, csp_update
from csp.utils import build_policy
from django.http import HttpResponse
from django.test import RequestFactory

from config.csp import ContentSecurityPolicyMiddleware

HEADER = "Content-Security-Policy"


def answer(view, path="/"):
    request = RequestFactory().get(path)
    middleware = ContentSecurityPolicyMiddleware(view)
    return request, middleware(request)


def plain(request):
    return HttpResponse("ok")


@pytest.mark.django_db
def test_every_page_carries_django_csps_own_policy(client):
    response = client.get("/products/")
    assert response[HEADER] == build_policy()
    assert "script-src 'self'" in response[HEADER] and "frame-ancestors 'none'" in response[HEADER]


def test_a_changed_setting_changes_the_header(settings):
    _request, before = answer(plain)
    directives = {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], "img-src": ["'self'"]}
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": directives}
    _request, after = answer(plain)
    assert after[HEADER] == build_policy() != before[HEADER]
    assert "img-src 'self';" in after[HEADER] or after[HEADER].endswith("img-src 'self'")


def test_a_view_with_its_own_policy_goes_through_django_csp():
    @csp_update({"img-src": "https://images.example"})
    def updated(request):
        return HttpResponse("ok")

    @csp_exempt()
    def exempt(request):
        return HttpResponse("ok")

    assert "https://images.example" in answer(updated)[1][HEADER]
    assert HEADER not in answer(exempt)[1]


def test_a_nonce_asked_for_is_in_the_header_and_one_asked_too_late_is_an_error(settings):
    def with_nonce(request):
        return HttpResponse(str(request.csp_nonce))

    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {**directives, "script-src": [SELF, NONCE]}}
    request, response = answer(with_nonce)
    assert f"'nonce-{response.content.decode()}'" in response[HEADER]
    request, response = answer(plain)
    with pytest.raises(Exception, match="not available after the CSP header"):
        str(request.csp_nonce)
