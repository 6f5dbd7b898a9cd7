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

from decimal import Decimal  # noqa: E402

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from followups.models import DispatcherRun, FollowUp  # noqa: E402
from orders.models import Order  # noqa: E402
from shop.models import ShopProfile  # noqa: E402

KINDS = [FollowUp.Kind.CARE_CHECK, FollowUp.Kind.REVIEW_REQUEST, FollowUp.Kind.REMINDER]


def main(total: int) -> None:
    started = time.monotonic()
    ShopProfile.load()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE reviews_followup, reviews_dispatcherrun, orders_orderline, orders_orderevent, orders_orderemail, orders_order RESTART IDENTITY CASCADE"
        )
    orders_needed = -(-total // len(KINDS))
    now = timezone.now()
    due = now - timezone.timedelta(minutes=1)
    batch = 5000
    made = 0
    with transaction.atomic():
        for start in range(0, orders_needed, batch):
            rows = [
                Order(
                    number=f"2026-{start + i + 1:06d}",
                    checkout_key=f"bench-{start + i}",
                    email=f"buyer{start + i}@bench.example",
                    name=f"Buyer {start + i}",
                    phone="+86 138 0000 0000",
                    address_line1="1 Bench Road",
                    city="Yichang",
                    postcode="443000",
                    status=Order.Status.DELIVERED,
                    payment_method="cod",
                    payment_state=Order.PaymentState.PAID,
                    currency="CNY",
                    subtotal=Decimal("100.00"),
                    shipping_cost=Decimal("0.00"),
                    total=Decimal("100.00"),
                    delivered_at=now,
                )
                for i in range(min(batch, orders_needed - start))
            ]
            orders = Order.objects.bulk_create(rows)
            follow_ups = []
            for order in orders:
                for kind in KINDS:
                    if made < total:
                        follow_ups.append(
                            FollowUp(order=order, kind=kind, email=order.email, due_at=due)
                        )
                        made += 1
            FollowUp.objects.bulk_create(follow_ups, batch_size=5000)
    DispatcherRun.objects.all().delete()
    print(
        f"seeded {made} due follow-ups on {orders_needed} orders in {time.monotonic() - started:.1f}s"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
