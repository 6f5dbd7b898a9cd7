"""The errors fit messaging's contract: a channel that is only `send_sms` (the README's sketch)
gets a refused SMS failed at once and a throttled one retried, through the real send path."""

import pytest

from messaging.channels import Channel
from messaging.models import Message
from messaging.render import Rendered
from messaging.services import queue_message
from messaging.sms import send_sms
from messaging.sms.console import outbox

pytestmark = pytest.mark.django_db


class SketchSmsChannel(Channel):
    def send(self, message):
        params = message.headers.get("sms_params", {})
        return send_sms(
            message.kind,
            message.recipient,
            params,
            idempotency_key=message.key,
            text=message.text,
        ).provider_id


@pytest.fixture
def sms_channel(settings):
    settings.MESSAGING_CHANNELS = {
        **settings.MESSAGING_CHANNELS,
        "sms": f"{__name__}.SketchSmsChannel",
    }


def queue(key="order:1024:shipped:sms"):
    rendered = Rendered(
        subject="",
        text="订单1024已由顺丰发出。退订回TD",
        html="",
        sender="",
        language="zh-hans",
        headers={"sms_params": {"number": "1024", "courier": "顺丰"}},
    )
    return queue_message(
        rendered, to="+8613800138000", kind="order.shipped", key=key, channel="sms"
    )


def test_a_console_sms_is_sent_and_recorded(
    sms_channel, settings, templates, django_capture_on_commit_callbacks
):
    settings.SMS_PROVIDER = "console"
    with django_capture_on_commit_callbacks(execute=True):
        message = queue()
    message.refresh_from_db()
    assert message.state == Message.State.SENT
    [sms] = outbox
    assert message.provider_id == sms.provider_id
    assert sms.text == "【织里衣坊】订单1024已由顺丰发出。退订回TD"


def test_a_refused_sms_fails_the_row_at_the_first_attempt(
    sms_channel, aliyun, django_capture_on_commit_callbacks
):
    aliyun.error = "isv.SMS_TEMPLATE_ILLEGAL"
    with django_capture_on_commit_callbacks(execute=True):
        message = queue()
    message.refresh_from_db()
    assert (message.state, message.attempts) == (Message.State.FAILED, 1)
    assert message.last_error == (
        "SmsRefused: [template] isv.SMS_TEMPLATE_ILLEGAL: stand-in answers isv.SMS_TEMPLATE_ILLEGAL"
    )


def test_a_throttled_sms_is_queued_again(sms_channel, tencent, django_capture_on_commit_callbacks):
    tencent.error, tencent.error_level = "LimitExceeded.PhoneNumberOneHourLimit", "number"
    with django_capture_on_commit_callbacks(execute=True):
        message = queue()
    message.refresh_from_db()
    assert (message.state, message.attempts) == (Message.State.QUEUED, 1)
    # messaging's describe() drops this 37-character code as if it were a token; the category
    # in front of it is what survives for the owner.
    assert message.last_error.startswith("SmsRetryable: [throttled]")
