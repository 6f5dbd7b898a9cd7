from orders import services as order_services
from reviews import services
from reviews.services import ReviewInput

from ..factories import ProductFactory, VariantFactory
from ..orders.helpers import place


def delivered_order(*variants, product=None):
    """An order placed, shipped and delivered through the real services."""
    if not variants:
        product = product or ProductFactory()
        variants = (
            VariantFactory(product=product, size="M", stock=10),
            VariantFactory(product=product, size="L", stock=10),
        )
    order = place({v: 1 for v in variants})
    order_services.mark_shipped(order, carrier="SF", tracking_number="SF1")
    return order_services.mark_delivered(order)


def review(line, rating=5, fit="true", **kw):
    data = ReviewInput(
        rating=rating,
        fit=fit,
        title=kw.pop("title", "Good shirt"),
        body=kw.pop("body", "Well sewn."),
        display_name=kw.pop("display_name", "Mei C."),
        **kw,
    )
    return services.publish_review(line, data)
