"""Due follow-ups in bulk, for the benchmarks and the fault tests: delivered orders made with
bulk_create (no order emails), each with its care check, review request and reminder, all due.
One address per order, so the cap of 3 never skips one."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import DurationField, ExpressionWrapper, F, Value
from django.utils import timezone

from followups.models import FollowUp
from orders.models import Order

KINDS = [FollowUp.Kind.CARE_CHECK, FollowUp.Kind.REVIEW_REQUEST, FollowUp.Kind.REMINDER]


def due_backlog(total: int, *, tag: str = "bench", due=None, chunk: int = 5000) -> int:
    """`total` follow-ups due at `due` (a minute ago), on orders numbered `<tag>-<n>` to
    `buyer<n>@<tag>.example`; returns how many orders were made."""
    now = timezone.now()
    due = due or now - timedelta(minutes=1)
    orders_needed = -(-total // len(KINDS))
    made = 0
    with transaction.atomic():
        for start in range(0, orders_needed, chunk):
            orders = Order.objects.bulk_create(
                Order(
                    number=f"{tag}-{n:06d}",
                    checkout_key=f"{tag}-{n}",
                    email=f"buyer{n}@{tag}.example",
                    name=f"Buyer {n}",
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
                for n in range(start, min(start + chunk, orders_needed))
            )
            rows = []
            for order in orders:
                for kind in KINDS[: total - made]:
                    rows.append(FollowUp(order=order, kind=kind, email=order.email, due_at=due))
                    made += 1
            FollowUp.objects.bulk_create(rows, batch_size=chunk)
    return orders_needed


def questions_to(email: str, n: int = 6) -> list[int]:
    """`n` "was this solved?" questions to one address, through support's services (they never
    merge: `n` emails, against a cap of 3); the rows' ids."""
    from support import services

    for i in range(n):
        ticket = services.open_ticket(email=email, name="Mei", topic="other", body=f"Question {i}")
        services.resolve_ticket(ticket)
    return list(FollowUp.objects.filter(email=email).values_list("pk", flat=True))


def spread_due(email: str, *, every: int = 300) -> None:
    """Every due row a millisecond apart in id order, and `email`'s at every `every`-th place,
    so that two dispatchers' batches of 500 each hold some of them."""
    start = timezone.now() - timedelta(hours=1)
    step = Value(timedelta(milliseconds=1), output_field=DurationField())
    others = FollowUp.objects.exclude(email=email)
    others.update(due_at=ExpressionWrapper(start + F("id") * step, output_field=DurationField()))
    first = others.order_by("id").values_list("id", flat=True)[0]
    hers = FollowUp.objects.filter(email=email).order_by("id").values_list("pk", flat=True)
    for place, pk in enumerate(hers):
        FollowUp.objects.filter(pk=pk).update(
            due_at=start + timedelta(milliseconds=first + every * place, microseconds=500)
        )
