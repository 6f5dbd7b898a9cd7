from django.db.models.signals import post_delete, post_save

from shop.cache import bump_on_commit

from .models import Order

# The staff figures about orders (the owner's home) are cached until an order changes.
ORDERS_VERSION = "orders:version"


def connect() -> None:
    bump = bump_on_commit(ORDERS_VERSION)
    post_save.connect(bump, sender=Order, weak=False, dispatch_uid="orders-figures-save")
    post_delete.connect(bump, sender=Order, weak=False, dispatch_uid="orders-figures-delete")
