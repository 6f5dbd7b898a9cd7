from decimal import Decimal

import pytest

from orders import services
from orders.models import Order, OrderEvent
from shop.models import Product

from ..factories import ProductFactory, VariantFactory
from .helpers import place

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(shop_profile):
    profile = shop_profile
    profile.shipping_flat_rate = Decimal("15.00")
    profile.free_shipping_over = Decimal("299.00")
    profile.currency = "CNY"
    profile.save()
    return profile


def test_place_order_snapshots_lines_takes_stock_and_prices_from_database(shop):
    product = ProductFactory(name="Linen shirt", price=Decimal("100.00"))
    m = VariantFactory(product=product, size="M", colour="Navy", stock=5, sku="LS-M")
    l_ = VariantFactory(
        product=product, size="L", colour="Navy", stock=1, sku="LS-L", price=Decimal("120.00")
    )
    order = place({m: 1, l_: 1})
    assert order.number.endswith(f"-{order.pk:06d}")
    assert order.email == "buyer@example.com"
    assert (order.subtotal, order.shipping_cost, order.total) == (
        Decimal("220.00"),
        Decimal("15.00"),
        Decimal("235.00"),
    )
    assert order.currency == "CNY" and order.status == Order.Status.PLACED
    lines = {line.sku: line for line in order.lines.all()}
    assert (
        lines["LS-L"].unit_price == Decimal("120.00")
        and lines["LS-L"].product_name == "Linen shirt"
    )
    m.refresh_from_db()
    l_.refresh_from_db()
    assert (m.stock, l_.stock) == (4, 0)
    assert list(order.events.values_list("kind", flat=True)) == [OrderEvent.Kind.PLACED]
    # The snapshot survives a later change to the product.
    product.name = "Renamed"
    product.save()
    assert order.lines.get(sku="LS-M").product_name == "Linen shirt"


def test_free_delivery_from_the_threshold(shop):
    variant = VariantFactory(product=ProductFactory(price=Decimal("299.00")), stock=3)
    order = place({variant: 1})
    assert order.shipping_cost == Decimal("0.00") and order.total == Decimal("299.00")


def test_the_same_checkout_key_makes_one_order(shop):
    variant = VariantFactory(stock=5)
    first = place({variant: 2}, key="same-key")
    second = place({variant: 2}, key="same-key")
    assert first.pk == second.pk
    assert Order.objects.count() == 1
    variant.refresh_from_db()
    assert variant.stock == 3


def test_the_same_checkout_key_after_its_order_took_the_last_unit_is_that_order(shop):
    variant = VariantFactory(stock=1)
    first = place({variant: 1}, key="same-key")
    assert place({variant: 1}, key="same-key").pk == first.pk  # not "sold out"
    assert place({variant: 1}, key="same-key", payment_method="bitcoin").pk == first.pk
    with pytest.raises(services.OutOfStock):
        place({variant: 1}, key="another-key")
    variant.refresh_from_db()
    assert variant.stock == 0 and Order.objects.count() == 1


def test_not_enough_stock_takes_nothing(shop):
    plenty = VariantFactory(stock=10)
    scarce = VariantFactory(stock=1)
    with pytest.raises(services.OutOfStock) as error:
        place({plenty: 2, scarce: 2})
    assert "only 1" in str(error.value)
    plenty.refresh_from_db()
    scarce.refresh_from_db()
    assert (plenty.stock, scarce.stock) == (10, 1)
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    "make",
    [
        lambda: VariantFactory(stock=5, is_active=False),
        lambda: VariantFactory(stock=5, product=ProductFactory(status=Product.Status.ARCHIVED)),
        lambda: VariantFactory(stock=0),
    ],
    ids=["inactive-variant", "archived-product", "sold-out"],
)
def test_variants_not_on_sale_cannot_be_ordered(shop, make):
    variant = make()
    with pytest.raises(services.OutOfStock, match="sold out"):
        place({variant: 1})
    assert Order.objects.count() == 0


def test_unknown_variant_and_empty_cart_and_unknown_payment(shop):
    with pytest.raises(services.OutOfStock):
        place({999999: 1})
    with pytest.raises(services.EmptyCart):
        place({})
    with pytest.raises(services.OrderError):
        place({VariantFactory(stock=1): 1}, payment_method="bitcoin")
    assert Order.objects.count() == 0


def test_tracking_tokens_are_long_and_distinct(shop):
    variant = VariantFactory(stock=5)
    a, b = place({variant: 1}), place({variant: 1})
    assert a.tracking_token != b.tracking_token
    assert len(a.tracking_token) >= 32


@pytest.mark.parametrize(
    "stock, bought, page_changes", [(20, 1, False), (7, 1, False), (6, 1, True), (1, 1, True)]
)
def test_an_order_empties_the_page_cache_only_when_a_page_would_change(
    shop, stock, bought, page_changes, django_capture_on_commit_callbacks
):
    from shop.cache import catalogue_version

    variant = VariantFactory(stock=stock)
    before = catalogue_version()
    with django_capture_on_commit_callbacks(execute=True):
        place({variant: bought})
    # 6 left still reads "In stock"; 5 reads "Only 5 left"; 0 reads "Sold out".
    assert (catalogue_version() != before) is page_changes


@pytest.mark.parametrize("stock, page_changes", [(1, True), (50, False)])
def test_a_cancellation_empties_the_page_cache_only_when_a_page_would_change(
    shop, stock, page_changes, django_capture_on_commit_callbacks
):
    from shop.cache import catalogue_version

    variant = VariantFactory(stock=stock)
    order = place({variant: 1})
    before = catalogue_version()
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_order(order, reason="Buyer asked")
    assert (catalogue_version() != before) is page_changes


def test_the_cached_product_page_shows_few_left_after_an_order(
    client, django_capture_on_commit_callbacks
):
    product = ProductFactory(status=Product.Status.ACTIVE)
    variant = VariantFactory(product=product, stock=6)
    url = f"/products/{product.slug}/"
    assert "In stock" in client.get(url).content.decode()  # now in the page cache
    with django_capture_on_commit_callbacks(execute=True):
        place({variant: 1})
    client.cookies.clear()
    assert "Only 5 left" in client.get(url).content.decode()
