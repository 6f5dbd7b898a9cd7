"""The demo's pretend Alipay, inside the demo site (DEBUG and PAYMENT_SANDBOX only; 404
otherwise, and production forces PAYMENT_SANDBOX off): the shop's SDK calls it at
ALIPAY_GATEWAY_URL like the real gateway, it checks their signatures, shows "Pay in the sandbox"
and, when pressed, posts a correctly signed notification to the shop's notify URL."""

import logging
from functools import cache
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .gateways.keys import pem_text
from .sandbox import AlipaySandbox, public_pem_of

logger = logging.getLogger(__name__)


def _open() -> None:
    if not (settings.DEBUG and settings.PAYMENT_SANDBOX):
        raise Http404("The payment sandbox exists in the demo only.")


@cache
def _alipay(app_id: str, app_key: str, sandbox_key: str) -> AlipaySandbox:
    return AlipaySandbox(
        app_id=app_id,
        app_public_key_pem=public_pem_of(pem_text(app_key)),
        alipay_private_key_pem=pem_text(sandbox_key),
        seller_id=settings.ALIPAY_SELLER_ID or "2088000000000001",
    )


def _sandbox() -> AlipaySandbox:
    return _alipay(
        settings.ALIPAY_APP_ID,
        settings.ALIPAY_APP_PRIVATE_KEY,
        settings.PAYMENT_SANDBOX_ALIPAY_PRIVATE_KEY,
    )


def alipay_gateway(request):
    """Alipay's gateway.do: a payment page for page/WAP payments, signed JSON for API calls."""
    _open()
    kind, answer = _sandbox().handle(request.GET.dict())
    if kind == "json":
        return HttpResponse(answer, content_type="application/json; charset=utf-8")
    return render(request, "payments/sandbox_alipay.html", {"trade": answer})


def _same_site(url: str) -> bool:
    """The sandbox posts only to this demo site (never to an address a request named)."""
    site = urlsplit(settings.SITE_URL)
    target = urlsplit(url)
    return (target.scheme, target.netloc) == (site.scheme, site.netloc)


@require_POST
def alipay_pay(request):
    """The buyer pressed "Pay in the sandbox": the trade is paid, the signed notification is
    posted to the shop (as Alipay would, from outside), and the buyer goes back to the shop."""
    _open()
    sandbox = _sandbox()
    trade = sandbox.trades.get(request.POST.get("out_trade_no", ""))
    if trade is None:
        return HttpResponseBadRequest("No such sandbox trade (the demo's web process restarted?).")
    form = sandbox.pay(trade.out_trade_no)
    if _same_site(trade.notify_url):
        post = Request(  # noqa: S310 - this site only, checked above
            trade.notify_url,
            data=urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        try:
            with urlopen(post, timeout=10) as answer:  # noqa: S310 - this site, checked above
                logger.info("sandbox notification answered %s", answer.read()[:20])
        except OSError as exc:
            # Alipay retries later; in the demo, reconciliation will find the payment.
            logger.warning("sandbox notification failed: %s", exc)
    return redirect(trade.return_url if _same_site(trade.return_url) else "/")


def sandbox_key_paths(var_dir) -> dict:
    """Where the demo keeps its generated keys (scripts/demo makes them)."""
    folder = Path(var_dir) / "payment-sandbox"
    return {
        "app": folder / "alipay_app_private.pem",
        "alipay": folder / "alipay_sandbox_private.pem",
        "alipay_public": folder / "alipay_sandbox_public.pem",
    }


def sandbox_serves(code: str) -> bool:
    """Whether the demo's sandbox stands in for provider `code` here (DEBUG, PAYMENT_SANDBOX and
    the provider's API address inside this site): its pages then offer "Pay in the sandbox"."""
    if not (settings.DEBUG and settings.PAYMENT_SANDBOX):
        return False
    if code == "wechat":
        base = settings.SITE_URL.rstrip("/") + "/payments/sandbox/wechat"
        return (settings.WECHATPAY_API_URL or "").startswith(base)
    return False
