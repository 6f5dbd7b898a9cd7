import hmac
import logging
import re
from datetime import timedelta

from django.conf import settings
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .errors import without_links
from .models import Message, ShortLink
from .signals import sms_replied
from .sms import ReceiptInvalid, inbound, receipt_parser
from .sms.base import MAX_RECEIPT_BYTES

log = logging.getLogger(__name__)
LINK = re.compile(r"https?://[^\s<>\"']+")
SHORT_CODE = re.compile(r"[0-9A-Za-z]{10,16}")
WEBHOOK_KINDS = {"receipts", "replies"}


def outbox(request):
    """Every message the demo sent, newest first, with its links (only with DEBUG on)."""
    if not settings.DEBUG:
        raise Http404("The outbox exists in the demo only.")
    page = Paginator(Message.objects.all(), 30).get_page(request.GET.get("page"))
    site = settings.SITE_URL.rstrip("/")
    for message in page.object_list:
        # Links point at SITE_URL; show them relative so they open on whatever port the demo uses.
        message.links = [
            link.replace(site, "", 1) if link.startswith(site) else link
            for link in dict.fromkeys(LINK.findall(message.text))
        ]
    return render(request, "messaging/outbox.html", {"page": page})


def short_link(request, code: str):
    """/s/<code>/: on to the long signed link it stands for (404 for an unknown or old code).

    Only a redirect: the page it leads to shows its question and acts on a button press."""
    if not SHORT_CODE.fullmatch(code):
        raise Http404("No such link.")
    oldest = timezone.now() - timedelta(days=getattr(settings, "SMS_SHORT_LINK_DAYS", 400))
    link = ShortLink.objects.filter(code=code, created_at__gte=oldest).first()
    if link is None:
        raise Http404("No such link.")
    return HttpResponseRedirect(link.target)


def _token_ok(token: str) -> bool:
    secret = str(getattr(settings, "SMS_WEBHOOK_TOKEN", "") or "")
    return len(secret) >= 16 and hmac.compare_digest(token.encode(), secret.encode())


def _body(request) -> bytes:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_RECEIPT_BYTES:
        raise ReceiptInvalid("body too large")
    return request.body


@csrf_exempt  # the provider posts without a cookie; the URL's secret token is the check
@require_POST
def sms_webhook(request, provider: str, what: str, token: str):
    """The SMS provider's pushes: delivery receipts (`what` = "receipts") and buyers' replies
    ("replies"). The URL carries SMS_WEBHOOK_TOKEN (the pushes are not signed): any other,
    or none set, is 404. A malformed body is 400 and changes nothing.

    A receipt of a failed delivery is recorded in its Message's last_error (the row stays
    "sent": it left us, the carrier lost it); a reply is told as `sms_replied`.
    """
    if not _token_ok(token) or provider not in inbound.PARSERS or what not in WEBHOOK_KINDS:
        raise Http404("No such webhook.")
    try:
        body = _body(request)
        if what == "receipts":
            parser = receipt_parser(provider)
            record_receipts(parser.parse_receipts(body))
            ack = parser.receipt_ack
        else:
            for reply in inbound.PARSERS[provider](body):
                if reply.phone:
                    sms_replied.send(
                        sender=sms_webhook, phone=reply.phone, text=reply.text, provider=provider
                    )
            ack = inbound.ACKS[provider]
    except ReceiptInvalid as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    return HttpResponse(ack, content_type="application/json")


def record_receipts(receipts) -> int:
    """Note each receipt on the SMS it names; returns how many rows a failure was noted on."""
    noted = 0
    for receipt in receipts:
        log.info(
            "SMS receipt %s: %s %s",
            receipt.provider_id,
            "delivered" if receipt.delivered else "failed",
            receipt.error,
        )
        if receipt.delivered:
            continue
        noted += Message.objects.filter(
            channel="sms", provider_id=receipt.provider_id, state=Message.State.SENT
        ).update(last_error=without_links(f"DeliveryFailed: {receipt.error}")[:2000])
    return noted
