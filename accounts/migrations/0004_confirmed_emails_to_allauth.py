"""Users who confirmed their address under the old confirm link get a verified allauth address.

Every user gets a primary EmailAddress row for their email, verified exactly when the old
User.email_confirmed_at was set; so confirmed customers keep seeing their guest orders, and
the others prove their address by a code the next time they sign in. Backwards, a verified
primary address sets email_confirmed_at again (to the time of the reversal: the original time
is not kept); allauth's rows stay, for allauth's own migrations to remove.
"""

from django.db import migrations
from django.db.models.functions import Lower
from django.utils import timezone

BATCH = 1000


def confirmed_to_verified(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    rows = (
        User.objects.exclude(email="")
        .values_list("pk", "email", "email_confirmed_at")
        .order_by("pk")
        .iterator(chunk_size=BATCH)
    )
    batch = []
    for pk, email, confirmed_at in rows:
        batch.append(
            EmailAddress(
                user_id=pk, email=email.lower(), verified=confirmed_at is not None, primary=True
            )
        )
        if len(batch) >= BATCH:
            EmailAddress.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    EmailAddress.objects.bulk_create(batch, ignore_conflicts=True)
    # A row that existed already (a second run after a reversal) is verified if it should be.
    EmailAddress.objects.filter(
        verified=False, user__email_confirmed_at__isnull=False, email=Lower("user__email")
    ).update(verified=True)


def verified_to_confirmed(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    verified = EmailAddress.objects.filter(verified=True, primary=True).values("user_id")
    User.objects.filter(pk__in=verified, email_confirmed_at__isnull=True).update(
        email_confirmed_at=timezone.now()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_shipping_and_confirmation"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(confirmed_to_verified, verified_to_confirmed)]
