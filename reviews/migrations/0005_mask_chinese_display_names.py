"""Reviews shown under a Chinese buyer's full name get the masked name ("李伟" -> "李**").

Before, the "Shown as" field was filled with "first name and last initial", which for a Chinese
name written without spaces is the whole name: most such reviews carry it only because the
buyer left the field as filled. Only those rows change (the name shown is exactly what the old
rule made of the order's name); a name a buyer typed themselves is theirs and stays.
"""

import re

from django.db import migrations

HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def old_default(full_name: str) -> str:
    parts = full_name.split()
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1][0]}."


def mask(apps, schema_editor):
    Review = apps.get_model("reviews", "Review")
    rows = Review.objects.select_related("order_line__order").only(
        "display_name", "order_line__order__name"
    )
    changed = []
    for review in rows.iterator(chunk_size=2000):
        name = review.order_line.order.name
        han = HAN.search(name or "")
        if han and review.display_name == old_default(name):
            review.display_name = f"{han.group()}**"
            changed.append(review)
    Review.objects.bulk_update(changed, ["display_name"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0004_follow_ups_move_to_followups"),
    ]

    # Backwards keeps the masked names: the full names were never meant to be public.
    operations = [migrations.RunPython(mask, migrations.RunPython.noop)]
