import pytest
from django.db import IntegrityError, transaction

from shop.models import Variant

from ..factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


def test_database_refuses_negative_stock():
    variant = VariantFactory(stock=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Variant.objects.filter(pk=variant.pk).update(stock=-1)
    variant.refresh_from_db()
    assert variant.stock == 1


def test_database_refuses_duplicate_sku():
    VariantFactory(sku="LINEN-M-NAVY")
    with pytest.raises(IntegrityError), transaction.atomic():
        VariantFactory(sku="LINEN-M-NAVY", size="L")
    assert Variant.objects.filter(sku="LINEN-M-NAVY").count() == 1


def test_database_refuses_same_size_and_colour_twice_per_product():
    product = ProductFactory()
    VariantFactory(product=product, size="M", colour="Navy")
    with pytest.raises(IntegrityError), transaction.atomic():
        VariantFactory(product=product, size="M", colour="Navy")
    # The same combination on another product is fine.
    VariantFactory(size="M", colour="Navy")
    assert Variant.objects.filter(size="M", colour="Navy").count() == 2


def test_database_refuses_negative_price():
    product = ProductFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(product).objects.filter(pk=product.pk).update(price=-1)
