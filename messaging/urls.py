"""The demo's outbox, SMS short links, and the mail and SMS providers' webhooks, each routed
once."""

from functools import wraps

from anymail import urls as anymail_urls
from anymail.utils import get_anymail_setting
from django.http import Http404
from django.urls import URLPattern, include, path

from . import views


def _closed_without_secret(view):
    """Anymail's webhooks are open to anyone without a secret: answer 404 until one is set
    (ANYMAIL_WEBHOOK_SECRET, "user:password" for the provider's basic auth)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not get_anymail_setting("webhook_secret", default=None):
            raise Http404("Mail webhooks are off: set ANYMAIL_WEBHOOK_SECRET.")
        return view(request, *args, **kwargs)

    return wrapper


anymail_patterns = [
    URLPattern(p.pattern, _closed_without_secret(p.callback), p.default_args, p.name)
    for p in anymail_urls.urlpatterns
]

urlpatterns = [
    path("outbox/", views.outbox, name="outbox"),
    path("s/<str:code>/", views.short_link, name="short_link"),
    path(
        "messaging/sms/<str:provider>/<str:what>/<str:token>/",
        views.sms_webhook,
        name="sms_webhook",
    ),
    path("messaging/anymail/", include((anymail_patterns, anymail_urls.app_name))),
]
