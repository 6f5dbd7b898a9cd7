import secrets

from orders import services

BUYER = services.Buyer(
    email="Buyer@Example.com",
    name="Mei Chen",
    phone="+86 138 0000 0000",
    address_line1="12 Riverside Road",
    city="Yichang",
    postcode="443000",
    region="Hubei",
)


def place(items, *, payment_method="cod", key=None, buyer=BUYER, customer=None):
    return services.place_order(
        {v.pk if hasattr(v, "pk") else v: q for v, q in items.items()},
        buyer,
        payment_method=payment_method,
        checkout_key=key or secrets.token_urlsafe(16),
        customer=customer,
    )
