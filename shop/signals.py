from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from .cache import bump_catalogue_version
from .models import Category, Product, ProductImage, ShopProfile, Variant


@receiver([post_save, post_delete], sender=Product)
@receiver([post_save, post_delete], sender=Variant)
@receiver([post_save, post_delete], sender=ProductImage)
@receiver([post_save, post_delete], sender=Category)
@receiver([post_save, post_delete], sender=ShopProfile)
def catalogue_changed(sender, **kwargs) -> None:
    # After commit, so a reader never caches the old rows under the new version.
    transaction.on_commit(bump_catalogue_version, robust=True)


# Sent by `manage.py seed_demo` once the shop's own demo rows exist, so that a higher app adds
# its own (support: canned replies) without the shop knowing it. Receivers must be idempotent.
demo_seeded = Signal()
