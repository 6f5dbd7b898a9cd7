"""The SMS channel in MESSAGING_CHANNELS: real adapters against the stand-ins (a template not
approved fails and is shown to the owner; a rate limit is retried), receipts, short links, the
settings check, and errors that keep a provider's long code."""

import json
from datetime import timedelta

import pytest
from django.core import checks
from django.test import TestCase
from django.utils import timezone

from followups.models import FollowUp
from messaging.errors import describe, is_connection_error
from messaging.models import Message, ShortLink
from messaging.services import sweep
from messaging.sms import SmsUnreachable, console

from ..followups.helpers import make_due
from ..orders.test_sms_messages import PHONE, ship_and_deliver, sms_order
from .sms.conftest import ALIYUN_ID, ALIYUN_SECRET, APP_ID, TENCENT_ID, TENCENT_KEY
from .sms.standins import AliyunStandIn, TencentStandIn

pytestmark = pytest.mark.django_db
TOKEN = "test-sms-webhook-token-3f9a1c"


@pytest.fixture
def aliyun(settings):
    with AliyunStandIn({ALIYUN_ID: ALIYUN_SECRET}) as standin:
        settings.SMS_PROVIDER = "aliyun"
        settings.SMS_ALIYUN_ACCESS_KEY_ID = ALIYUN_ID
        settings.SMS_ALIYUN_ACCESS_KEY_SECRET = ALIYUN_SECRET
        settings.SMS_ALIYUN_ENDPOINT = standin.url
        yield standin


@pytest.fixture
def tencent(settings):
    with TencentStandIn({TENCENT_ID: TENCENT_KEY}, sdk_app_id=APP_ID) as standin:
        settings.SMS_PROVIDER = "tencent"
        settings.SMS_TENCENT_SECRET_ID = TENCENT_ID
        settings.SMS_TENCENT_SECRET_KEY = TENCENT_KEY
        settings.SMS_TENCENT_SDK_APP_ID = APP_ID
        settings.SMS_TENCENT_ENDPOINT = standin.url
        yield standin


def test_an_order_sms_goes_through_the_aliyun_adapter_signed_as_the_stand_in_checks(aliyun):
    order = sms_order()
    [message] = Message.objects.filter(about_id=order.pk, kind="order.placed")
    assert (message.state, message.channel) == ("sent", "sms")
    [request] = aliyun.requests
    assert message.provider_id  # Aliyun's BizId
    assert b"SMS_ORDER_PLACED" in request["body"]


def test_a_template_not_approved_fails_the_follow_up_and_the_owner_reads_why(aliyun, owner_client):
    order = ship_and_deliver(sms_order())
    aliyun.error = "isv.SMS_TEMPLATE_ILLEGAL"
    make_due(FollowUp.objects.filter(order=order, kind="care_check"))
    from followups import dispatch

    with TestCase.captureOnCommitCallbacks(execute=True):
        dispatch.dispatch()
    message = Message.objects.get(kind="followup.care_check")
    assert (message.state, message.attempts, message.channel) == ("failed", 1, "sms")
    assert message.last_error.startswith("SmsRefused: [template] isv.SMS_TEMPLATE_ILLEGAL")
    row = FollowUp.objects.get(order=order, kind="care_check")
    assert row.state == "failed" and "isv.SMS_TEMPLATE_ILLEGAL" in row.last_error
    html = owner_client.get("/manage/follow-ups/").content.decode()
    assert "isv.SMS_TEMPLATE_ILLEGAL" in html
    # The health panel says the SMS provider is failing, beside the mail server, and the failed
    # row names the phone it was for.
    panel = html[html.index('id="sms-provider"') :].split("</li>")[0]
    assert "the last attempt failed" in panel and "isv.SMS_TEMPLATE_ILLEGAL" in panel
    assert order.phone in html


def test_a_rate_limited_sms_is_retried_and_goes_once_the_limit_lifts(tencent, settings):
    tencent.error, tencent.error_level = "LimitExceeded.PhoneNumberOneHourLimit", "number"
    order = sms_order()
    message = Message.objects.get(about_id=order.pk, kind="order.placed")
    assert (message.state, message.attempts) == ("queued", 1)
    # The long code is kept for the owner (describe() no longer takes it for a token).
    assert "LimitExceeded.PhoneNumberOneHourLimit" in message.last_error
    tencent.error = None
    assert sweep(now=timezone.now() + timedelta(hours=1)) == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("sent", 2)
    assert len(tencent.requests) == 2


def test_describe_keeps_provider_codes_and_still_hides_tokens():
    from django.core import signing

    token = signing.dumps({"f": 123456, "o": 654321}, salt="x")
    described = describe(ValueError(f"LimitExceeded.PhoneNumberSameContentDailyLimit {token}"))
    assert "LimitExceeded.PhoneNumberSameContentDailyLimit" in described
    assert token not in described and "[…]" in described
    assert "abcdefghijklmnopqrstuvwxyz0123456789" not in describe(
        ValueError("abcdefghijklmnopqrstuvwxyz0123456789")
    )


def test_an_unreachable_sms_provider_counts_as_a_connection_error():
    assert is_connection_error(describe(SmsUnreachable("TimeoutError: timed out")))


def delivery_push(client, provider, body):
    return client.post(
        f"/messaging/sms/{provider}/receipts/{TOKEN}/",
        json.dumps(body, ensure_ascii=False),
        content_type="application/json",
    )


def test_a_failed_delivery_receipt_is_noted_on_its_message(client):
    order = sms_order()
    message = Message.objects.get(about_id=order.pk)
    response = delivery_push(
        client,
        "console",
        [{"provider_id": message.provider_id, "delivered": False, "error": "MK:0001"}],
    )
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.state == "sent" and message.last_error == "DeliveryFailed: MK:0001"


@pytest.mark.parametrize(
    ("provider", "item", "ack"),
    [
        (
            "aliyun",
            {"biz_id": "{id}", "success": False, "err_code": "MN:0001", "err_msg": "空号"},
            {"code": 0, "msg": "接收成功"},
        ),
        (
            "tencent",
            {"sid": "{id}", "report_status": "FAIL", "errmsg": "MK:0020", "mobile": "13800138000"},
            {"result": 0, "errmsg": "OK"},
        ),
    ],
)
def test_provider_receipts_are_parsed_and_acknowledged(client, provider, item, ack):
    order = sms_order()
    message = Message.objects.get(about_id=order.pk)
    Message.objects.filter(pk=message.pk).update(provider_id="BIZ-42")
    pushed = {
        k: (v.replace("{id}", "BIZ-42") if isinstance(v, str) else v) for k, v in item.items()
    }
    response = delivery_push(client, provider, [pushed])
    assert response.status_code == 200 and json.loads(response.content) == ack
    message.refresh_from_db()
    assert message.last_error.startswith("DeliveryFailed: M")


def test_a_delivered_receipt_changes_nothing_and_a_foreign_token_is_404(client):
    order = sms_order()
    message = Message.objects.get(about_id=order.pk)
    pushed = [{"provider_id": message.provider_id, "delivered": True}]
    assert delivery_push(client, "console", pushed).status_code == 200
    message.refresh_from_db()
    assert message.last_error == ""
    response = client.post(
        "/messaging/sms/console/receipts/not-the-token-000000/",
        json.dumps([{"provider_id": message.provider_id, "delivered": False, "error": "x"}]),
        content_type="application/json",
    )
    assert response.status_code == 404
    assert client.get(f"/messaging/sms/console/receipts/{TOKEN}/").status_code == 405
    message.refresh_from_db()
    assert message.last_error == ""


def test_short_links_lead_on_and_unknown_or_old_ones_are_404(client):
    link = ShortLink.objects.create(code="AbCdEfGh12", target="http://127.0.0.1:8000/x/")
    response = client.get("/s/AbCdEfGh12/")
    assert (response.status_code, response["Location"]) == (302, "http://127.0.0.1:8000/x/")
    assert client.get("/s/AbCdEfGh13/").status_code == 404
    assert client.get("/s/not-a-code!/").status_code == 404
    ShortLink.objects.filter(pk=link.pk).update(created_at=timezone.now() - timedelta(days=401))
    assert client.get("/s/AbCdEfGh12/").status_code == 404


def test_short_link_codes_are_ten_random_base62_characters():
    from messaging.links import shorten

    codes = {shorten("http://127.0.0.1:8000/a/").code for _ in range(50)}
    assert len(codes) == 50
    assert all(len(code) == 10 and code.isalnum() and code.isascii() for code in codes)


def test_the_sms_settings_check_is_registered(settings):
    settings.SMS_PROVIDER = "aliyun"
    settings.SMS_ALIYUN_ACCESS_KEY_ID = ""
    errors = [e for e in checks.run_checks() if e.id == "messaging.sms.E001"]
    assert errors and "SMS_ALIYUN_ACCESS_KEY_ID" in errors[0].msg
    settings.SMS_PROVIDER = "console"
    assert not [e for e in checks.run_checks() if e.id == "messaging.sms.E001"]


def test_the_sms_channel_is_registered_and_refuses_a_bad_number(django_capture_on_commit_callbacks):
    from messaging.render import render_sms
    from messaging.services import queue_message

    assert PHONE  # the good one is tested above
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_message(
            render_sms(
                "orders/sms/placed.txt", {"number": "1"}, language="en", params={"number": "1"}
            ),
            to="+86102345678",  # a Beijing landline: no SMS
            kind="order.placed",
            key="sms-landline",
            channel="sms",
        )
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("failed", 1)
    assert "[bad_number]" in message.last_error
    assert console.outbox == []
