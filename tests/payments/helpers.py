from urllib.parse import urlencode
from urllib.request import urlopen

from orders.models import Order
from tests.factories import VariantFactory
from tests.orders.helpers import place

PHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"


def online_order(*, stock=5, quantity=1, method="alipay") -> tuple[Order, object]:
    variant = VariantFactory(stock=stock)
    return place({variant: quantity}, payment_method=method), variant


def start_paying(client, order, **headers):
    """The buyer presses Pay: the shop's redirect to the provider, followed like a browser."""
    response = client.post(f"/orders/{order.tracking_token}/pay/", headers=headers)
    assert response.status_code == 302, response.content[:300]
    url = response["Location"]
    assert url.startswith("http://127.0.0.1:")  # the local stand-in
    # The stand-in checks the signature and opens the trade.
    with urlopen(url, timeout=5) as page:  # noqa: S310
        assert page.status == 200
    return order.payment_attempts.latest("created_at")


def notify(client, form):
    """Post a notification as Alipay does: a urlencoded form."""
    return client.post(
        "/payments/notify/alipay/",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded; charset=utf-8",
    )
