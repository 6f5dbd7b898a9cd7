"""django-csp's middleware with the policy built once per process instead of on every answer.

The shop's policy is the same for every answer: no view sets its own (no csp_update, csp_replace
or csp_exempt decorator) and no template asks for a nonce. django-csp builds it from the
settings twice per answer anyway (the policy and the report-only one): about 40 us, a
fifteenth of a cached page's answer. This middleware builds both with django-csp's own
build_policy once, keeps them until a setting changes, and sets them where django-csp would;
an answer that has a nonce or a policy of its own goes through django-csp unchanged.
"""

from functools import cache

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed

# What a view's decorator (csp_update, csp_replace, csp_exempt...) leaves on its response.
_OWN_POLICY = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)


@cache
def fixed_headers() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(header, policy, excluded path prefixes) for the policy and the report-only one, as
    django-csp builds them from the settings; empty policies left out."""
    headers = []
    for header, setting, report_only in (
        (HEADER, "CONTENT_SECURITY_POLICY", False),
        (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", True),
    ):
        policy = build_policy(report_only=report_only)
        if policy:
            config = getattr(settings, setting, None) or {}
            headers.append((header, policy, tuple(config.get("EXCLUDE_URL_PREFIXES") or ())))
    return tuple(headers)


def _forget(*, setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY") or setting == "DEBUG":
        fixed_headers.cache_clear()


setting_changed.connect(_forget, dispatch_uid="csp_fixed_headers")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def process_response(self, request, response):
        nonce_asked = getattr(request, "_csp_nonce", None) is not None
        if nonce_asked or any(hasattr(response, name) for name in _OWN_POLICY):
            return super().process_response(request, response)
        if response.status_code in (404, 500) and settings.DEBUG:
            return response  # Django's debug pages, as django-csp leaves them
        for header, policy, excluded in fixed_headers():
            if header not in response and not request.path_info.startswith(excluded):
                response[header] = policy
        # As django-csp does: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
