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
