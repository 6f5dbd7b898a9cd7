from django.db.models.signals import post_delete, post_save

from shop.cache import bump_on_commit

from .models import Review, ReviewReply

# The staff figures about reviews (the owner's home) are cached until a review or a reply
# changes.
REVIEWS_VERSION = "reviews:version"


def connect() -> None:
    bump = bump_on_commit(REVIEWS_VERSION)
    for model in (Review, ReviewReply):
        for signal in (post_save, post_delete):
            signal.connect(
                bump, sender=model, weak=False, dispatch_uid=f"reviews-figures-{model.__name__}"
            )
