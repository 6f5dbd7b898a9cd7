import pytest

from .standins import AliyunStandIn, TencentStandIn

ALIYUN_ID, ALIYUN_SECRET = "LTAI5tStandInKeyId", "StandInAccessKeySecret0123456789"
TENCENT_ID, TENCENT_KEY = "AKIDStandInSecretId0123456789", "StandInSecretKey0123456789abcd"
APP_ID = "1400000001"


@pytest.fixture
def templates(settings):
    settings.SMS_SIGN_NAME = "织里衣坊"
    settings.SMS_TEMPLATES = {
        "order.shipped": {"code": "SMS_465950001", "params": ["number", "courier"]},
        "order.placed": "SMS_465950002",
    }
    settings.SMS_TIMEOUT_SECONDS = 1


@pytest.fixture
def aliyun(settings, templates):
    """Settings pointing at a running Aliyun stand-in that knows the key pair."""
    with AliyunStandIn({ALIYUN_ID: ALIYUN_SECRET}) as standin:
        settings.SMS_PROVIDER = "aliyun"
        settings.SMS_ALIYUN_ACCESS_KEY_ID = ALIYUN_ID
        settings.SMS_ALIYUN_ACCESS_KEY_SECRET = ALIYUN_SECRET
        settings.SMS_ALIYUN_ENDPOINT = standin.url
        yield standin


@pytest.fixture
def tencent(settings, templates):
    """Settings pointing at a running Tencent Cloud stand-in that knows the key pair."""
    with TencentStandIn({TENCENT_ID: TENCENT_KEY}, sdk_app_id=APP_ID) as standin:
        settings.SMS_PROVIDER = "tencent"
        settings.SMS_TENCENT_SECRET_ID = TENCENT_ID
        settings.SMS_TENCENT_SECRET_KEY = TENCENT_KEY
        settings.SMS_TENCENT_SDK_APP_ID = APP_ID
        settings.SMS_TENCENT_REGION = "ap-guangzhou"
        settings.SMS_TENCENT_ENDPOINT = standin.url
        yield standin
