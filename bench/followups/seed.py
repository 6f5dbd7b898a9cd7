"""Seed N due follow-ups (care checks, review requests, reminders) on delivered orders.

Usage: python bench/followups/seed.py 100000
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from bench.followups.backlog import due_backlog  # noqa: E402
from followups.models import DispatcherRun  # noqa: E402
from shop.models import ShopProfile  # noqa: E402


def main(total: int) -> None:
    started = time.monotonic()
    ShopProfile.load()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE reviews_followup, reviews_dispatcherrun, orders_orderline, "
            "orders_orderevent, messaging_message, orders_order RESTART IDENTITY CASCADE"
        )
    orders = due_backlog(total)
    DispatcherRun.objects.all().delete()
    print(f"seeded {total} due follow-ups on {orders} orders in {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
