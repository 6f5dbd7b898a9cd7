"""How allauth fits the shop: the real client address, and mail queued through messaging."""

import dataclasses
import uuid

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.utils import translation

from config.client_ip import client_ip
from messaging.render import Templates, render
from messaging.services import queue_message


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        # One definition of "the client" for every limit on the site: the address the trusted
        # proxies saw (settings.TRUSTED_PROXY_COUNT), never a header the client wrote itself.
        return client_ip(request)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render the message now (it needs the request), record it, send it after commit.

        No answer then waits on the mail server (its time says nothing about the address), a
        mail server that is down does not turn a sign-up into an error page, and messaging
        retries it. Every message is plain text: no HTML part to escape.
        """
        request = self.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        # Links in mail start from the shop's public address, never from the Host header of
        # the request that caused the mail (which anyone may set).
        ctx["site_url"] = settings.SITE_URL.rstrip("/")
        rendered = render(
            Templates(f"{template_prefix}_subject.txt", f"{template_prefix}_message.txt"),
            ctx,
            # The visitor's language: the page they asked from.
            language=translation.get_language() or settings.LANGUAGE_CODE,
            request=request,
        )
        rendered = dataclasses.replace(
            rendered, subject=self.format_email_subject(rendered.subject)
        )
        # Each message is new (a code lives only in the session that asked), so its key is too.
        queue_message(
            rendered,
            to=email,
            kind="account." + template_prefix.rsplit("/", 1)[-1],
            key=f"account:{uuid.uuid4().hex}",
            about="account",
        )
