"""How allauth fits the shop: the real client address, and mail sent after commit by a task."""

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction

from config.client_ip import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        # One definition of "the client" for every limit on the site: the address the trusted
        # proxies saw (settings.TRUSTED_PROXY_COUNT), never a header the client wrote itself.
        return client_ip(request)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render the message now (it needs the request), send it from a task after commit.

        No answer then waits on the mail server (its time says nothing about the address), a
        mail server that is down does not turn a sign-up into an error page, and the task
        retries. Every message is plain text: no HTML part to escape.
        """
        from .tasks import send_account_email

        request = self.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        # Links in mail start from the shop's public address, never from the Host header of
        # the request that caused the mail (which anyone may set).
        ctx["site_url"] = settings.SITE_URL.rstrip("/")
        message = self.render_mail(template_prefix, email, ctx)
        payload = {
            "subject": message.subject,
            "body": message.body,
            "from_email": message.from_email,
            "to": list(message.to),
            "headers": dict(message.extra_headers),
        }
        # robust: a broker that is down must not turn a saved change into an error page.
        transaction.on_commit(lambda: send_account_email.delay(payload), robust=True)
