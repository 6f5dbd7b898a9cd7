from django.core.management.base import BaseCommand
from django.db import transaction

from reviews.summary import recompute_all


class Command(BaseCommand):
    help = (
        "Rebuild every product's review figures (count, mean, rank, stars, fit) from the reviews."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            touched = recompute_all()
        self.stdout.write(
            self.style.SUCCESS(f"Recomputed the review figures of {touched} products.")
        )
