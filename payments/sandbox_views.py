"""The demo's pretend Alipay and WeChat Pay, inside the demo site (DEBUG and PAYMENT_SANDBOX
only; 404 otherwise, and production forces PAYMENT_SANDBOX off): the shop's SDKs call them at
ALIPAY_GATEWAY_URL and WECHATPAY_API_URL like the real services, they check the signatures,
answer signed, and "Pay in the sandbox" posts a correctly signed (for WeChat Pay also AES-GCM
encrypted) notification to the shop's notify URL."""

import logging
from functools import cache
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .gateways.keys import pem_text
from .sandbox import AlipaySandbox, public_pem_of
from .sandbox_wechat import WechatSandbox

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


# ---------------------------------------------------------------- WeChat Pay


@cache
def _wechat(
    mchid: str,
    appid: str,
    apiv3_key: str,
    merchant_key: str,
    merchant_serial: str,
    sandbox_key: str,
    serial: str,
    h5_url: str,
) -> WechatSandbox:
    return WechatSandbox(
        mchid=mchid,
        appid=appid,
        apiv3_key=apiv3_key,
        merchant_public_key=public_pem_of(pem_text(merchant_key)),
        merchant_serial=merchant_serial,
        platform_key=pem_text(sandbox_key),
        serial=serial,
        h5_url=h5_url,
        # No later confirmation comes in the demo: refunds are done at once.
        refund_status="SUCCESS",
    )


def wechat_sandbox() -> WechatSandbox:
    """The demo's pretend WeChat Pay for the shop's WECHATPAY_* settings (one per process)."""
    return _wechat(
        settings.WECHATPAY_MCHID,
        settings.WECHATPAY_APPID,
        settings.WECHATPAY_APIV3_KEY,
        settings.WECHATPAY_PRIVATE_KEY,
        settings.WECHATPAY_CERT_SERIAL_NO,
        settings.PAYMENT_SANDBOX_WECHAT_PRIVATE_KEY,
        settings.WECHATPAY_PUBLIC_KEY_ID,
        settings.SITE_URL.rstrip("/") + reverse("payments:sandbox_wechat_h5"),
    )


@csrf_exempt
def wechat_api(request, api: str):
    """WeChat Pay's API v3 (pay native/h5, query, close, refund, refund query): the request's
    signature is checked with the merchant's public key, the answer signed by the sandbox."""
    _open()
    full = request.get_full_path()
    path = full[full.index("/v3/") :]  # what the SDK signed: the path below the API address
    status, body, headers = wechat_sandbox().handle(
        request.method, path, request.body.decode("utf-8", errors="replace"), request.headers
    )
    response = HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
    for name, value in headers.items():
        response[name] = value
    return response


def _back_to(request, url: str) -> str:
    """Where the sandbox sends the buyer after paying: a page of this site, else its home."""
    hosts = {request.get_host(), urlsplit(settings.SITE_URL).netloc}
    return url if url and url_has_allowed_host_and_scheme(url, allowed_hosts=hosts) else "/"


def wechat_h5(request):
    """WeChat's H5 cashier, for phone buyers: the trade and "Pay in the sandbox"."""
    _open()
    prepay_id = request.GET.get("prepay_id", "")
    trade = next((t for t in wechat_sandbox().trades.values() if t["prepay_id"] == prepay_id), None)
    if trade is None:
        return HttpResponseBadRequest("No such sandbox trade (the demo's web process restarted?).")
    return render(
        request,
        "payments/sandbox_wechat.html",
        {
            "trade": trade,
            "yuan": f"{trade['amount']['total'] / 100:.2f}",
            "next": request.GET.get("redirect_url", ""),
        },
    )


@require_POST
def wechat_pay(request):
    """The buyer scanned the QR code (or paid in the H5 cashier) and pressed "Pay in the
    sandbox": the trade is paid, a signed, encrypted notification is posted to the shop's
    notify URL (this site only), and the buyer goes back to the shop's page."""
    _open()
    sandbox = wechat_sandbox()
    trade = sandbox.trades.get(request.POST.get("out_trade_no", ""))
    if trade is None:
        return HttpResponseBadRequest("No such sandbox trade (the demo's web process restarted?).")
    if trade["trade_state"] != "NOTPAY":
        return HttpResponseBadRequest("This sandbox trade is closed or paid already.")
    sandbox.pay(trade["out_trade_no"])
    if _same_site(trade["notify_url"]):
        headers, body = sandbox.notification(trade["out_trade_no"])
        post = Request(trade["notify_url"], data=body, headers=headers)  # noqa: S310 - this site
        try:
            with urlopen(post, timeout=10) as answer:  # noqa: S310 - this site, checked above
                logger.info("sandbox notification answered %s", answer.read()[:40])
        except OSError as exc:
            # WeChat retries later; in the demo, reconciliation will find the payment.
            logger.warning("sandbox notification failed: %s", exc)
    return redirect(_back_to(request, request.POST.get("next", "")))


def sandbox_key_paths(var_dir) -> dict:
    """Where the demo keeps its generated keys (scripts/demo makes them)."""
    folder = Path(var_dir) / "payment-sandbox"
    return {
        "app": folder / "alipay_app_private.pem",
        "alipay": folder / "alipay_sandbox_private.pem",
        "alipay_public": folder / "alipay_sandbox_public.pem",
        "wechat_merchant": folder / "wechat_merchant_private.pem",
        "wechat": folder / "wechat_sandbox_private.pem",
        "wechat_public": folder / "wechat_sandbox_public.pem",
        "wechat_apiv3": folder / "wechat_apiv3_key.txt",
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
