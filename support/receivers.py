from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import SatisfactionAnswer, Ticket
from .selectors import bump_inbox_version


@receiver([post_save, post_delete], sender=Ticket)
@receiver([post_save, post_delete], sender=SatisfactionAnswer)
def inbox_changed(sender, **kwargs) -> None:
    # After commit, so that nobody caches the old figures under the new version.
    transaction.on_commit(bump_inbox_version, robust=True)
