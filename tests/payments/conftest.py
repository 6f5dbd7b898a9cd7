import pytest

from .alipay_standin import AlipayStandIn


@pytest.fixture(scope="session")
def _alipay_server():
    # One server (and its key generation) for the session; each test gets clean trades.
    with AlipayStandIn() as standin:
        yield standin


@pytest.fixture
def alipay(_alipay_server, settings):
    """The local Alipay, with the shop configured for it."""
    for name, value in _alipay_server.settings().items():
        setattr(settings, name, value)
    _alipay_server.sandbox.trades.clear()
    _alipay_server.sandbox.requests.clear()
    _alipay_server.sandbox.refused.clear()
    _alipay_server.down = False
    yield _alipay_server
    _alipay_server.down = False


@pytest.fixture(scope="session")
def _wechat_server():
    from .wechat_standin import Keys, WechatStandin

    with WechatStandin(Keys()) as standin:
        yield standin


@pytest.fixture
def wechat(_wechat_server, settings):
    """The local WeChat Pay, with the shop configured for it (public key mode)."""
    for name, value in _wechat_server.settings().items():
        setattr(settings, name, value)
    _wechat_server.trades.clear()
    _wechat_server.refunds.clear()
    _wechat_server.requests.clear()
    return _wechat_server
