import threading

import pytest
from django.db import connection

from orders import services
from orders.models import Order
from shop.models import ShopProfile

from ..factories import VariantFactory
from .helpers import place

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_buyers_of_the_last_five_units(django_db_blocker):
    ShopProfile.load()
    variant = VariantFactory(stock=5)
    barrier = threading.Barrier(20)
    results: list[str] = []
    lock = threading.Lock()

    def buy(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            place({variant.pk: 1}, key=f"buyer-{n}")
            outcome = "ok"
        except services.OutOfStock as error:
            outcome = f"sold out: {error}"
        except Exception as error:  # noqa: BLE001 - any other failure fails the test below
            outcome = f"error: {error!r}"
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=buy, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 20
    assert results.count("ok") == 5, results
    sold_out = [r for r in results if r.startswith("sold out")]
    assert len(sold_out) == 15, results
    assert all("just sold out" in r for r in sold_out)
    variant.refresh_from_db()
    assert variant.stock == 0
    assert Order.objects.count() == 5
    assert sum(o.lines.get().quantity for o in Order.objects.all()) == 5
