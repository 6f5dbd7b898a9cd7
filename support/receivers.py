from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from shop.cache import bump_on_commit

from .models import CannedReply, SatisfactionAnswer, Ticket, TicketAttachment, TicketMessage
from .selectors import bump_inbox_version

# The canned replies on every ticket page are cached until one changes.
CANNED_VERSION = "support:canned-version"
canned_changed = receiver([post_save, post_delete], sender=CannedReply)(
    bump_on_commit(CANNED_VERSION)
)


# Messages and photos too: the services save the ticket with each of them, but the cached
# staff pages (shop.staff_cache) show the thread, and must follow a message saved on its own.
@receiver([post_save, post_delete], sender=Ticket)
@receiver([post_save, post_delete], sender=TicketMessage)
@receiver([post_save, post_delete], sender=TicketAttachment)
@receiver([post_save, post_delete], sender=SatisfactionAnswer)
def inbox_changed(sender, **kwargs) -> None:
    # After commit, so that nobody caches the old figures under the new version.
    transaction.on_commit(bump_inbox_version, robust=True)
