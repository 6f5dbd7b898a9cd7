"""Seed the support inbox at benchmark scale: 50,000 tickets and 300,000 ticket messages.

Usage (from the project root, settings and DATABASE_URL from the environment; PostgreSQL only,
and the database name must contain "bench"):

    .venv/bin/python bench/seed_tickets.py [--tickets 50000] [--messages 300000]
        [--customers 15000] [--password bench-password-123] [--print-sample] [--sample-only]

What it writes, every run from scratch: the support tables are emptied first (TRUNCATE; a plain
DELETE if another app's table still has rows pointing at them, after deleting its rows about
tickets), and so are the orders an earlier run created, recognised by their checkout key
"bench-tickets-" (number "TB-..."), so the counts are exact:

- 5 Support users, support-bench@example.com and support-bench-2..5@example.com, all with
  --password (get_or_create: other users and groups are left alone), and 5 canned replies
  (update_or_create by title).
- Tickets over the last 12 months: ~15% open, ~10% waiting on customer, ~60% resolved, ~15%
  closed. Open and waiting tickets are mostly recent (hours to days), some left for weeks, so
  part of them are past the targets in settings.SUPPORT_TARGETS (the inbox's "overdue" view:
  ~40% of them); a fifth of the open ones are unassigned (those nobody has answered yet), the
  others are spread over the 5 users. Ids and numbers follow creation time; numbers are
  "T-<id:06d>" as support.services.open_ticket forms them after its insert (the field has no
  default); tokens come from the model's own default (support.models.new_token).
- About 60% of the tickets are about an order: shipped or delivered orders with one line each
  (existing variants if the catalogue has some, else 6 products of a "Bench support"
  category), placed before the ticket, for 15,000 customers (--customers; every one has a
  ticket, some many: ~3 tickets and ~2 orders each on average, up to ~20).
- Messages laid out as the services write them: the customer's opening message, then
  customer and staff replies in turn, 1 to 20 messages, 6 on average (first_response_at is the
  first staff reply, the status matches who wrote last), bodies from one line to a few
  paragraphs, staff notes, the internal "Resolved by ..." note on every resolution
  (resolved_at) and the public "Closed by the customer." message. Ticket.updated_at
  (the inbox's order) is the last message's time. Resolutions also get their "was this
  solved?" record (SatisfactionAnswer), answered for ~45% of them; no follow-up rows are
  planned, so the follow-up engine has nothing to send. Internal notes are ~12% of the
  messages (--internal-share): the "Resolved by" notes alone are ~10.5%.

Rows go in with PostgreSQL COPY in one transaction, ids reserved from the tables' sequences;
bulk_create costs about 5 times as long (50,000 messages: 4.5 s against 0.9 s), and it would
overwrite the auto_now(_add) times (Ticket.updated_at, Order.placed_at) with the time of the
run. ANALYZE at the end. The full default seed takes about 30 s on 2 cores.

--print-sample ends the output with one JSON line: a ticket with ~6 messages and an order (its
staff page path, from django.urls.reverse), the support user to sign in with, and the inbox
URLs. --sample-only prints that line for the data already there, without seeding.
"""

import argparse
import json
import math
import os
import random
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import SUPPORT  # noqa: E402
from orders.models import Order, OrderLine, new_tracking_token  # noqa: E402
from shop.models import Category, Product, ShopProfile, Variant  # noqa: E402
from support.models import (  # noqa: E402
    CannedReply,
    SatisfactionAnswer,
    Ticket,
    TicketAttachment,
    TicketMessage,
    new_token,
)
from support.selectors import VIEWS, view_counts  # noqa: E402

CHECKOUT_PREFIX = "bench-tickets-"  # the orders this script creates, deleted on the next run
ORDER_NUMBER_PREFIX = "TB-"
STAFF = [
    ("support-bench@example.com", "Jing", "Chen"),
    ("support-bench-2@example.com", "Wei", "Li"),
    ("support-bench-3@example.com", "Fang", "Zhou"),
    ("support-bench-4@example.com", "Lei", "Huang"),
    ("support-bench-5@example.com", "Min", "Xu"),
]
SUPPORT_MODELS = [TicketAttachment, SatisfactionAnswer, TicketMessage, Ticket]
BATCH = 5000  # rows per COPY flush

STATUS_SHARES = [("open", 0.15), ("waiting", 0.10), ("closed", 0.15)]  # the rest: resolved
PRIORITIES = (["low", "normal", "high", "urgent"], [20, 60, 15, 5])
TOPICS = (["size", "delivery", "defect", "payment", "other"], [35, 25, 15, 10, 15])
SOURCES = (["web", "care_check", "staff"], [82, 10, 8])
ORDER_SHARE = 0.60  # of all tickets; care-check tickets always have one
MAX_MESSAGES = 20

FIRST_NAMES = (
    "Wei Fang Jun Li Min Hui Yan Jie Lei Xin Ying Hao Mei Tao Lan Qiang Rui Na Bo Ling "
    "Anna Ben Clara David Emma Felix Grace Hannah Ivan Julia Karl Lena Marco Nina Oscar "
    "Paula Sara Tom Ulla Yuki"
).split()
LAST_NAMES = (
    "Wang Li Zhang Liu Chen Yang Zhao Huang Zhou Wu Xu Sun Ma Zhu Hu Guo Lin He Gao Luo "
    "Tan Ng Lim Schmidt Muller Martin Dubois Rossi Smith Brown Jones Tanaka Sato Kim"
).split()
DOMAINS = ["example.com", "example.net", "example.org", "mail.example.com"]
CITIES = [
    ("CN", "Shanghai", "200000"),
    ("CN", "Beijing", "100000"),
    ("CN", "Shenzhen", "518000"),
    ("CN", "Wuhan", "430000"),
    ("CN", "Chengdu", "610000"),
    ("CN", "Hangzhou", "310000"),
    ("HK", "Hong Kong", "000000"),
    ("SG", "Singapore", "018956"),
    ("DE", "Berlin", "10115"),
    ("US", "Portland", "97201"),
    ("GB", "Leeds", "LS1 1AA"),
]
CARRIERS = ["SF Express", "ZTO Express", "EMS", "China Post"]

OPENING = {
    "size": [
        "I ordered the {product} in {size} and it is too tight across the shoulders.",
        "Could I exchange the {product} for one size up?",
        "The sleeves of the {product} ({size}) are about 3 cm too long for me.",
        "Your size chart says {size} but the chest measures smaller than listed.",
        "I usually wear {size} but this one fits like a size smaller.",
    ],
    "delivery": [
        "My order {order} has not arrived yet and the tracking has not moved for 4 days.",
        "The courier says the parcel was delivered but I have not received anything.",
        "Can you tell me when {order} will arrive? I need it for a trip next week.",
        "The tracking link for my order does not work.",
        "The parcel arrived with the box torn open.",
    ],
    "defect": [
        "A seam on the {product} came apart after the first wash.",
        "There is a small hole near the collar of the {product}.",
        "One of the buttons on the {product} was missing when it arrived.",
        "The colour of the {product} ran in the wash although I washed it cold.",
        "The zip of the {product} got stuck on the second day.",
    ],
    "payment": [
        "I was charged twice for order {order}.",
        "My bank transfer went through on Monday but the order still shows as not paid.",
        "Can I get an invoice with my company name for {order}?",
        "The courier asked for more cash than the order total.",
    ],
    "other": [
        "Do you make the {product} in other colours?",
        "I would like to order 30 shirts for our team. Is there a discount?",
        "Can I change the delivery address of my order?",
        "How should I wash the linen pieces so they do not shrink?",
        "Are your fabrics certified organic?",
    ],
}
CUSTOMER_MORE = [
    "I have attached a photo so you can see what I mean.",
    "I bought it as a present, so I would rather not wait too long.",
    "Everything else in the order was fine, thank you.",
    "I have been a customer for two years and this never happened before.",
    "Please let me know what you need from me.",
    "I can send it back this week if that helps.",
    "The fabric itself is lovely, it is only this problem.",
    "I measured it flat on the table to be sure.",
    "My partner has the same garment in another size and it is fine.",
    "I am away from Friday until the 20th, so please write by email.",
]
CUSTOMER_REPLY = [
    "Thank you for the quick answer.",
    "I have sent it back today; the tracking number is SF{digits}.",
    "That works for me, please go ahead.",
    "I still have not received anything, can you check again?",
    "Sorry for the late reply, I was travelling.",
    "Yes, size {size} would be perfect.",
    "The photo is attached now.",
    "I would prefer a refund if that is possible.",
    "It arrived today and fits well. Thanks a lot!",
    "Could you confirm the address you need it sent to?",
    "I do not understand which form you mean.",
    "OK, I will wait for the new one.",
]
STAFF_REPLY = [
    "Thank you for writing, and sorry about this.",
    "I have checked order {order}: the parcel left our workshop on time.",
    "We will send you a replacement in {size} at no cost; you can keep the first one.",
    "Could you send us a photo of the label and of the problem?",
    "I asked the courier to look into it and will write again as soon as they answer.",
    "Our seamstresses checked the batch and found the same problem on two more pieces.",
    "The refund is on its way; it usually shows on your account within 3 working days.",
    "You can return it with the prepaid label in the parcel.",
    "The new parcel has tracking number SF{digits}.",
    "The size chart was wrong for this garment; we have corrected it, thank you.",
    "Wash it cold, inside out, and dry it flat in the shade.",
    "I hope this helps; write again here if anything is unclear.",
]
NOTES = [
    "Checked with the workshop: the seam thread batch from March was weak.",
    "Courier claim opened, reference {digits}.",
    "Customer asked for a refund before, see their other ticket.",
    "Owner approved a free replacement.",
    "Stock of {size} is low; reserved one for this customer.",
    "Waiting for the courier's answer, will chase on Monday.",
    "Second time for this customer; be generous.",
    "Refund sent by bank transfer, 3 working days.",
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--messages", type=int, default=300_000)
    parser.add_argument("--customers", type=int, default=15_000)
    parser.add_argument("--password", default="bench-password-123")
    parser.add_argument(
        "--internal-share",
        type=float,
        default=0.12,
        help="Internal notes as a share of all messages (the 'Resolved by' notes count), "
        "as far as the tickets allow.",
    )
    parser.add_argument("--seed", type=int, default=2026, help="Random seed.")
    parser.add_argument(
        "--print-sample",
        action="store_true",
        help="End with a JSON line: sample ticket page, sign-in, inbox URLs.",
    )
    parser.add_argument(
        "--sample-only",
        action="store_true",
        help="Seed nothing; print the JSON line for the tickets already there.",
    )
    args = parser.parse_args()
    if args.tickets < 1 or args.messages < args.tickets:
        parser.error("--tickets must be at least 1 and --messages at least --tickets.")
    return args


def check_database() -> None:
    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "postgresql":
        sys.exit(f"PostgreSQL only (COPY); this database is {connection.vendor}.")
    if "bench" not in name:
        sys.exit(
            f"Refusing to seed (and empty the support tables of) database {name!r}: "
            "its name lacks 'bench'."
        )


def _sequence(cursor, model) -> str:
    cursor.execute(
        "SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, model._meta.pk.column]
    )
    return cursor.fetchone()[0]


def reserve_ids(cursor, model, count: int) -> int:
    """Take `count` ids from the table's sequence; return the first."""
    seq = _sequence(cursor, model)
    cursor.execute("SELECT setval(%s, nextval(%s) + %s - 1)", [seq, seq, count])
    return cursor.fetchone()[0] - count + 1


def copy_rows(cursor, model, fields: list[str], rows) -> int:
    """COPY rows (tuples in the order of `fields`) into the model's table."""
    given = set(fields)
    missing = [
        f.name
        for f in model._meta.concrete_fields
        if not f.null and not f.primary_key and f.name not in given
    ]
    if missing:
        raise ValueError(f"{model.__name__}: no value for NOT NULL fields {missing}")
    qn = connection.ops.quote_name
    columns = ", ".join(qn(model._meta.get_field(f).column) for f in fields)
    count = 0
    with cursor.cursor.copy(f"COPY {qn(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def reset(cursor) -> None:
    """Empty the support tables and delete the orders an earlier run made."""
    support = set(SUPPORT_MODELS)
    outside = []
    for model in SUPPORT_MODELS:
        for rel in model._meta.related_objects:
            if rel.related_model in support:
                continue
            # e.g. reviews.FollowUp rows about a resolved ticket
            related = rel.related_model._base_manager.filter(**{f"{rel.field.name}__isnull": False})
            if rel.on_delete is models.CASCADE:
                related.delete()
            else:
                related.update(**{rel.field.name: None})
            outside.append(rel.related_model)
    tables = [m._meta.db_table for m in SUPPORT_MODELS]
    qn = connection.ops.quote_name
    if any(m._base_manager.exists() for m in outside):
        # TRUNCATE would have to take those tables' other rows with it: delete instead.
        for table in tables:
            cursor.execute(f"DELETE FROM {qn(table)}")  # noqa: S608 (model table names)
    else:
        names = tables + [m._meta.db_table for m in outside]
        cursor.execute(f"TRUNCATE {', '.join(qn(t) for t in names)}")
    for model in SUPPORT_MODELS:
        cursor.execute("SELECT setval(%s, 1, false)", [_sequence(cursor, model)])
    Order.objects.filter(checkout_key__startswith=CHECKOUT_PREFIX).delete()


def ensure_staff(password: str) -> list:
    group = Group.objects.get(name=SUPPORT)
    hashed = make_password(password)  # hashed once: the same password for all five
    users = []
    User = get_user_model()
    for email, first, last in STAFF:
        user, _ = User.objects.get_or_create(
            email=email, defaults={"first_name": first, "last_name": last}
        )
        user.password = hashed
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        user.groups.add(group)
        users.append(user)
    return users


def ensure_canned_replies() -> None:
    replies = {
        "Size exchange": "Hello {customer_name}, we will gladly exchange it. Send it back with "
        "the prepaid label and tell us the size you would like. Ticket {ticket_number}.",
        "Where is my parcel": "Hello {customer_name}, your order {order_number} is on its way: "
        "{tracking_link}",
        "Defect, replacement": "Hello {customer_name}, sorry about this. We are sewing a "
        "replacement for order {order_number}; you can keep the first one.",
        "Refund sent": "Hello {customer_name}, the refund for {order_number} is on its way.",
        "Care instructions": "Wash cold, inside out, and dry flat in the shade.",
    }
    for title, body in replies.items():
        CannedReply.objects.update_or_create(title=title, defaults={"body": body})


def load_variants() -> list[tuple]:
    """(variant id, product id, product name, size, colour, sku, unit price) to put in orders."""
    rows = list(
        Variant.objects.filter(is_active=True, product__status=Product.Status.ACTIVE)
        .order_by("?")
        .values_list(
            "pk", "product_id", "product__name", "size", "colour", "sku", "price", "product__price"
        )[:3000]
    )
    if not rows:
        category, _ = Category.objects.get_or_create(
            slug="bench-support", defaults={"name": "Bench support", "position": 99}
        )
        for n, (name, price) in enumerate(
            [
                ("Linen band-collar shirt", 219),
                ("Wide-leg chinos", 279),
                ("Tiered smock dress", 349),
                ("Waxed work jacket", 529),
                ("Merino cardigan", 309),
                ("Oxford overshirt", 239),
            ],
            start=1,
        ):
            product, made = Product.objects.get_or_create(
                slug=f"bench-support-{n}",
                defaults={
                    "name": name,
                    "category": category,
                    "status": Product.Status.ACTIVE,
                    "price": Decimal(price),
                },
            )
            if made:
                Variant.objects.bulk_create(
                    Variant(
                        product=product,
                        size=size,
                        colour=colour,
                        sku=f"BENCH-SUPPORT-{n}-{size}-{colour}".upper(),
                        stock=10,
                    )
                    for size in ["S", "M", "L"]
                    for colour in ["Navy", "Sand"]
                )
        return load_variants()
    return [(*row[:6], row[6] if row[6] is not None else row[7]) for row in rows]


def make_customers(rng: random.Random, count: int) -> list[dict]:
    customers = []
    for n in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        country, city, postcode = rng.choice(CITIES)
        customers.append(
            {
                "email": f"{first}.{last}{n}@{DOMAINS[n % len(DOMAINS)]}".lower(),
                "name": f"{first} {last}",
                "country": country,
                "city": city,
                "postcode": postcode,
                "phone": f"+86 13{rng.randrange(10**9):09d}",
                "address": f"{rng.randint(1, 300)} {rng.choice(['Garden', 'River', 'Hill', 'Park'])} Road",
            }
        )
    return customers


def hours(value: float) -> timedelta:
    return timedelta(seconds=value * 3600)


def lognormal_hours(rng: random.Random, median: float, sigma: float) -> float:
    return rng.lognormvariate(math.log(median), sigma)


def plan_tickets(rng: random.Random, total: int, customers: int, now) -> list[dict]:
    statuses = []
    for status, share in STATUS_SHARES:
        statuses += [status] * round(total * share)
    statuses = (statuses + ["resolved"] * total)[:total]
    rng.shuffle(statuses)
    # every customer once, then a skewed draw: a few customers write again and again
    owners = list(range(min(customers, total)))
    owners += [int(customers * rng.random() ** 1.25) for _ in range(total - len(owners))]
    rng.shuffle(owners)
    p_order = (ORDER_SHARE - SOURCES[1][1] / 100) / (1 - SOURCES[1][1] / 100)
    tickets = []
    for status, customer in zip(statuses, owners, strict=True):
        source = rng.choices(*SOURCES)[0]
        topic = rng.choices(*TOPICS)[0]
        priority = rng.choices(*PRIORITIES)[0]
        if source == "care_check":
            topic, priority = "other", "high"
        answered = status != "open" or rng.random() < 0.6
        if status in ("open", "waiting"):
            # mostly fresh (hours to days), some left behind for weeks: the overdue backlog
            if not answered:
                fresh, backlog = rng.random() < 0.9, (24, 21 * 24)
                age = rng.expovariate(1 / 10) if fresh else rng.uniform(*backlog)
            else:
                fresh, backlog = rng.random() < 0.75, (3 * 24, 90 * 24)
                age = 2 + rng.expovariate(1 / 46) if fresh else rng.uniform(*backlog)
            age = min(age, 90 * 24)
        else:
            age = 24 * (1 + 364 * rng.random() ** 1.15)  # busier lately
        tickets.append(
            {
                "status": status,
                "answered": answered,
                "customer": customer,
                "source": source,
                "topic": topic,
                "priority": priority,
                "created_at": now - hours(age),
                "has_order": source == "care_check" or rng.random() < p_order,
                # closed by the customer after a resolution, or closed straight away
                "after_resolution": status == "closed" and rng.random() < 0.3,
            }
        )
    tickets.sort(key=lambda t: t["created_at"])  # ids follow creation time
    return tickets


def plan_orders(rng, tickets, customers, variants) -> list[dict]:
    """Give ~60% of the tickets an order placed before them; a customer may reuse one."""
    orders = []
    by_customer: dict[int, list[dict]] = {}
    for ticket in tickets:
        if not ticket["has_order"]:
            ticket["order"] = None
            continue
        mine = by_customer.setdefault(ticket["customer"], [])
        earlier = [o for o in mine if o["placed_at"] < ticket["created_at"] - timedelta(days=3)]
        if earlier and ticket["source"] != "care_check" and rng.random() < 0.2:
            ticket["order"] = rng.choice(earlier)
            continue
        created = ticket["created_at"]
        shipped_only = ticket["topic"] == "delivery" and rng.random() < 0.5
        if shipped_only:
            placed = created - hours(rng.uniform(3 * 24, 8 * 24))
            shipped = placed + hours(rng.uniform(12, 48))
            delivered = None
        else:
            delivered = created - hours(rng.uniform(6, 20 * 24))
            shipped = delivered - hours(rng.uniform(2 * 24, 6 * 24))
            placed = shipped - hours(rng.uniform(12, 60))
        variant = rng.choice(variants)
        quantity = 1 if rng.random() < 0.8 else 2
        subtotal = variant[6] * quantity
        shipping = Decimal("0.00") if subtotal >= 300 else Decimal("15.00")
        cod = rng.random() < 0.4
        paid = None if cod and delivered is None else (delivered if cod else placed)
        customer = customers[ticket["customer"]]
        order = {
            "customer": customer,
            "variant": variant,
            "quantity": quantity,
            "subtotal": subtotal,
            "shipping": shipping,
            "status": "shipped" if delivered is None else "delivered",
            "payment_method": "cod" if cod else "bank_transfer",
            "paid_at": paid,
            "placed_at": placed,
            "shipped_at": shipped,
            "delivered_at": delivered,
            "carrier": rng.choice(CARRIERS),
            "tracking_number": f"SF{rng.randrange(10**12):012d}",
        }
        orders.append(order)
        mine.append(order)
        ticket["order"] = order
    orders.sort(key=lambda o: o["placed_at"])
    for n, order in enumerate(orders, start=1):
        order["number"] = f"{ORDER_NUMBER_PREFIX}{n:06d}"
    return orders


def plan_counts(rng, tickets, total_messages) -> None:
    """Messages per ticket: 1..~20, mean total/len(tickets), exact total."""
    bounds = []
    for t in tickets:
        status = t["status"]
        if status == "open" and not t["answered"]:
            n = rng.choices([1, 2, 3], [70, 22, 8])[0]
            bounds.append((n, n))
        elif status == "open":
            bounds.append((3, MAX_MESSAGES))
        elif status == "waiting":
            bounds.append((2, MAX_MESSAGES))
        elif status == "resolved":
            bounds.append((3, MAX_MESSAGES))
        else:
            bounds.append((4 if t["after_resolution"] else 2, MAX_MESSAGES))
    low = sum(b[0] for b in bounds)
    high = sum(b[1] for b in bounds)
    if not low <= total_messages <= high:
        sys.exit(
            f"--messages must be between {low} and {high} for {len(tickets)} tickets "
            "(each ticket needs its opening message, a staff answer, resolution notes...)."
        )
    flexible = [i for i, (a, b) in enumerate(bounds) if a < b]
    extra_mean = (total_messages - low) / max(1, len(flexible))
    counts = [a for a, _ in bounds]
    for i in flexible:
        extra = round(rng.gammavariate(1.6, extra_mean / 1.6)) if extra_mean > 0 else 0
        counts[i] = min(bounds[i][1], counts[i] + extra)
    diff = total_messages - sum(counts)
    while diff:
        i = rng.choice(flexible)
        if diff > 0 and counts[i] < bounds[i][1]:
            counts[i] += 1
            diff -= 1
        elif diff < 0 and counts[i] > bounds[i][0]:
            counts[i] -= 1
            diff += 1
    for t, n in zip(tickets, counts, strict=True):
        t["count"] = n


def plan_layouts(rng, tickets, total_messages: int, internal_share: float) -> None:
    """Who writes each message: C customer, S staff, N staff note, R "Resolved by" note,
    X "Closed by the customer." (public, system)."""
    internal = 0
    for t in tickets:
        k, status = t["count"], t["status"]
        if status == "open" and not t["answered"]:
            t["tail"], t["public"], t["notes"] = [], k, 0
            continue
        if status == "resolved":
            tail = ["R"]
        elif status == "closed":
            tail = ["R", "X"] if t["after_resolution"] else ["X"]
        else:
            tail = []
        public, notes = k - len(tail), 0
        # open: the customer wrote last (odd); waiting: staff did (even)
        if (status == "open" and public % 2 == 0) or (status == "waiting" and public % 2):
            public, notes = public - 1, 1
        t["tail"], t["public"], t["notes"] = tail, public, notes
        internal += notes + tail.count("R")
    budget = round(internal_share * total_messages) - internal
    # more notes where a thread is long enough to spare a message (done tickets: any parity)
    spare = [t for t in tickets if t["status"] in ("resolved", "closed") and t["public"] >= 4]
    rng.shuffle(spare)
    for t in spare[: max(0, budget)]:
        t["public"] -= 1
        t["notes"] += 1
    for t in tickets:
        if t["status"] == "open" and not t["answered"]:
            layout = ["C"] * t["count"]
        else:
            layout = ["C" if i % 2 == 0 else "S" for i in range(t["public"])]
            for _ in range(t["notes"]):
                layout.insert(rng.randint(1, len(layout)), "N")
            layout += t["tail"]
        t["layout"] = layout


def body_text(rng: random.Random, first: str, pool: list[str], values: dict) -> str:
    """From one short line to a few paragraphs."""
    roll = rng.random()
    if roll < 0.2:
        extra = 0
    elif roll < 0.7:
        extra = rng.randint(1, 2)
    elif roll < 0.95:
        extra = rng.randint(3, 6)
    else:
        extra = rng.randint(8, 20)
    sentences = [first] + [rng.choice(pool) for _ in range(extra)]
    if extra > 6:
        cut = len(sentences) // 2
        text = " ".join(sentences[:cut]) + "\n\n" + " ".join(sentences[cut:])
    else:
        text = " ".join(sentences)
    if "{" in text:
        text = text.format(**values)
    return text


def plan_messages(rng, tickets, staff, now) -> None:
    """Times and texts; status fields of the ticket from its thread."""
    targets = settings.SUPPORT_TARGETS
    staff_emails = {u.pk: u.email for u in staff}
    staff_names = {u.pk: u.first_name for u in staff}
    staff_ids = [u.pk for u in staff]
    for t in tickets:
        layout = t["layout"]
        first_h, resolution_h = targets[t["priority"]]
        created = t["created_at"]
        t["first_response_due"] = created + hours(first_h)
        t["resolution_due"] = created + hours(resolution_h)
        # assignee: nobody for half of the unanswered open tickets (a fifth of the open ones)
        if t["status"] == "open" and not t["answered"]:
            t["assignee"] = None if rng.random() < 0.5 else rng.choice(staff_ids)
        elif "S" not in layout:  # closed by the customer before anyone answered
            t["assignee"] = None if rng.random() < 0.5 else rng.choice(staff_ids)
        else:
            t["assignee"] = rng.choice(staff_ids)
        # gaps in hours before each message
        gaps, seen_staff = [0.0], False
        for prev, kind in zip(layout, layout[1:], strict=False):
            if kind == "S" and not seen_staff:
                gap, seen_staff = first_h * lognormal_hours(rng, 0.35, 0.9), True
            elif kind == "S":
                gap = lognormal_hours(rng, 3, 1.0)
            elif kind == "C":
                gap = lognormal_hours(rng, 8 if prev == "C" else 6, 1.2)
            elif kind == "N":
                gap = lognormal_hours(rng, 0.4, 1.0)
            elif kind == "R":
                gap = (
                    rng.uniform(0.002, 0.03)
                    if prev == "S" and rng.random() < 0.7
                    else (lognormal_hours(rng, 3, 1.0))
                )
            else:  # X
                gap = lognormal_hours(rng, 20, 1.0)
            gaps.append(gap)
        # the thread ends before now (a few minutes ago at the latest): squeeze it if needed
        room = (now - created).total_seconds() / 3600
        room -= min(rng.uniform(1, 45) / 60, room / 10)
        span = sum(gaps)
        scale = min(1.0, room / span) if span > 0 else 1.0
        order = t["order"]
        values = {
            "order": order["number"] if order else "your order",
            "product": order["variant"][2] if order else "shirt",
            "size": order["variant"][3] if order else "M",
            "digits": "",
        }
        customer_name = t["customer_info"]["name"].split()[0]
        messages, at = [], created
        first_response = resolved = None
        for i, (kind, gap) in enumerate(zip(layout, gaps, strict=True)):
            at = at + hours(gap * scale) if i else created
            values["digits"] = f"{rng.randrange(10**10):010d}"
            if i == 0:
                opening = rng.choice(OPENING[t["topic"]]).format(**values)
                body = body_text(rng, opening, CUSTOMER_MORE, values)
                if t["source"] == "care_check":
                    body = f"There is a problem with order {values['order']} (from the care check)."
                    if rng.random() < 0.7:
                        body += "\n\n" + body_text(
                            rng, rng.choice(OPENING["defect"]), CUSTOMER_MORE, values
                        )
                t["subject"] = (
                    f"Care check: problem with order {values['order']}"
                    if t["source"] == "care_check"
                    else opening
                )[:160]
                messages.append(("customer", None, body, False, at))
            elif kind == "C":
                body = body_text(rng, rng.choice(CUSTOMER_REPLY), CUSTOMER_MORE, values)
                messages.append(("customer", None, body, False, at))
            elif kind == "S":
                author = t["assignee"] if t["assignee"] and rng.random() < 0.85 else None
                author = author or rng.choice(staff_ids)
                body = (
                    body_text(rng, f"Hello {customer_name},", STAFF_REPLY, values)
                    + f"\n\n{staff_names[author]}, Jinghe support"
                )
                messages.append(("staff", author, body, False, at))
                first_response = first_response or at
            elif kind == "N":
                author = t["assignee"] or rng.choice(staff_ids)
                body = rng.choice(NOTES).format(**values)
                if rng.random() < 0.3:
                    body += " " + rng.choice(NOTES).format(**values)
                messages.append(("staff", author, body, True, at))
            elif kind == "R":
                by = t["assignee"] or rng.choice(staff_ids)
                messages.append(("staff", None, f"Resolved by {staff_emails[by]}.", True, at))
                resolved = at
            else:  # X: the customer closed it
                messages.append(("system", None, "Closed by the customer.", False, at))
                resolved = resolved or at
        t["messages"] = messages
        t["first_response_at"] = first_response
        t["resolved_at"] = resolved
        t["updated_at"] = at


def write(cursor, rng, tickets, orders, now) -> dict:
    currency = ShopProfile.load().currency
    counts = {}
    first_order = reserve_ids(cursor, Order, len(orders)) if orders else 0
    for n, order in enumerate(orders):
        order["id"] = first_order + n

    def order_rows():
        for o in orders:
            c = o["customer"]
            yield (
                o["id"],
                o["number"],
                new_tracking_token(),
                f"{CHECKOUT_PREFIX}{o['number']}",
                c["email"],
                c["name"],
                c["phone"],
                c["address"],
                "",
                c["city"],
                "",
                c["postcode"],
                c["country"],
                "",
                o["status"],
                o["payment_method"],
                "paid" if o["paid_at"] else "pending",
                currency,
                o["subtotal"],
                o["shipping"],
                o["subtotal"] + o["shipping"],
                o["carrier"],
                o["tracking_number"],
                "",
                False,
                "",
                o["placed_at"],
                o["paid_at"],
                o["shipped_at"],
                o["delivered_at"],
                "email",
                "",
                "zh-hans",
            )

    counts["orders"] = copy_rows(
        cursor,
        Order,
        "id number tracking_token checkout_key email name phone address_line1 address_line2 "
        "city region postcode country note status payment_method payment_state currency "
        "subtotal shipping_cost total carrier tracking_number tracking_url delivery_assumed "
        "cancel_reason placed_at paid_at shipped_at delivered_at notify_by district language".split(),
        order_rows(),
    )

    def line_rows():
        for o in orders:
            vid, pid, name, size, colour, sku, price = o["variant"]
            yield (o["id"], vid, pid, name, size, colour, sku, price, o["quantity"], o["subtotal"])

    counts["order lines"] = copy_rows(
        cursor,
        OrderLine,
        "order variant product product_name size colour sku unit_price quantity line_total".split(),
        line_rows(),
    )

    first_ticket = reserve_ids(cursor, Ticket, len(tickets))
    for n, t in enumerate(tickets):
        t["id"] = first_ticket + n

    def ticket_rows():
        for t in tickets:
            c = t["customer_info"]
            yield (
                t["id"],
                f"T-{t['id']:06d}",
                new_token(),
                c["email"],
                c["name"],
                t["order"]["id"] if t["order"] else None,
                t["topic"],
                t["subject"],
                t["status"],
                t["priority"],
                t["source"],
                t["assignee"],
                t["created_at"],
                t["updated_at"],
                t["first_response_at"],
                t["resolved_at"],
                t["first_response_due"],
                t["resolution_due"],
                "zh-hans",
                t["order"] is not None,
                "",
            )

    counts["tickets"] = copy_rows(
        cursor,
        Ticket,
        "id number token email name order topic subject status priority source assignee "
        "created_at updated_at first_response_at resolved_at first_response_due "
        "resolution_due language order_proven order_number_given".split(),
        ticket_rows(),
    )

    def message_rows():
        for t in tickets:
            for kind, author, body, internal, at in t["messages"]:
                yield (t["id"], kind, author, body, internal, at)

    counts["messages"] = copy_rows(
        cursor,
        TicketMessage,
        ["ticket", "author_kind", "author", "body", "internal", "created_at"],
        message_rows(),
    )

    def satisfaction_rows():
        for t in tickets:
            if "R" not in t["layout"]:
                continue
            answered = solved = None
            comment = ""
            if rng.random() < 0.45:
                answered = t["resolved_at"] + hours(lognormal_hours(rng, 30, 0.8))
                if answered > now:
                    answered = None
                else:
                    solved = rng.random() < 0.82
                    if rng.random() < 0.3:
                        comment = "Quick and friendly, thank you." if solved else "Still waiting."
            yield (t["id"], solved, comment, answered, t["resolved_at"])

    counts["satisfaction answers"] = copy_rows(
        cursor,
        SatisfactionAnswer,
        ["ticket", "solved", "comment", "answered_at", "created_at"],
        satisfaction_rows(),
    )
    return counts


def find_sample() -> dict | None:
    """A ticket with ~6 messages (a note among them), an order, and a customer with history."""
    qn = connection.ops.quote_name
    t, m, o = (qn(x._meta.db_table) for x in (Ticket, TicketMessage, Order))
    sql = f"""
        WITH counts AS (
            SELECT ticket_id, count(*) AS n, count(*) FILTER (WHERE internal) AS notes
            FROM {m} GROUP BY ticket_id
        )
        SELECT t.id, t.number, t.status, t.email, o.number, c.n, c.notes,
               (SELECT count(*) FROM {t} t2 WHERE t2.email = t.email) AS tickets,
               (SELECT count(*) FROM {o} o2 WHERE o2.email = t.email) AS orders
        FROM {t} t JOIN counts c ON c.ticket_id = t.id JOIN {o} o ON o.id = t.order_id
        WHERE c.n BETWEEN 4 AND 8
        ORDER BY abs(c.n - 6), (c.notes > 0) DESC, (t.status = 'waiting') DESC,
                 ((SELECT count(*) FROM {t} t2 WHERE t2.email = t.email) BETWEEN 3 AND 10) DESC,
                 t.id DESC
        LIMIT 1
    """  # noqa: S608 (model table names)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    if row is None:
        return None
    keys = ["id", "number", "status", "email", "order", "messages", "notes", "tickets", "orders"]
    sample = dict(zip(keys, row, strict=True))
    sample["path"] = reverse("support_manage:ticket_detail", args=[sample["id"]])
    return sample


def sample_line(password: str) -> str:
    sample = find_sample()
    inbox = reverse("support_manage:ticket_list")
    searches = []
    if sample:
        name = Ticket.objects.get(pk=sample["id"]).name
        searches = [sample["number"], sample["email"], sample["order"], name]
    return json.dumps(
        {
            "sample_ticket": sample,
            "login": {"email": STAFF[0][0], "password": password},
            "inbox": [f"{inbox}?view={view}" for view in VIEWS],
            "search": [f"{inbox}?{urlencode({'view': 'all', 'q': q})}" for q in searches],
        }
    )


def main() -> None:
    args = parse_args()
    check_database()
    if args.sample_only:
        print(sample_line(args.password))
        return
    started = time.monotonic()
    rng = random.Random(args.seed)
    now = timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            reset(cursor)
        staff = ensure_staff(args.password)
        ensure_canned_replies()
        variants = load_variants()
        reset_done = time.monotonic()
        customers = make_customers(rng, min(args.customers, args.tickets))
        tickets = plan_tickets(rng, args.tickets, len(customers), now)
        for t in tickets:
            t["customer_info"] = customers[t["customer"]]
        orders = plan_orders(rng, tickets, customers, variants)
        plan_counts(rng, tickets, args.messages)
        plan_layouts(rng, tickets, args.messages, args.internal_share)
        plan_messages(rng, tickets, staff, now)
        planned = time.monotonic()
        with connection.cursor() as cursor:
            counts = write(cursor, rng, tickets, orders, now)
        written = time.monotonic()
    with connection.cursor() as cursor:
        tables = [m._meta.db_table for m in (*SUPPORT_MODELS, Order, OrderLine)]
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
    analyzed = time.monotonic()

    print(f"Support users (password {args.password!r}):")
    for user in staff:
        print(f"  {user.email}  id={user.pk}")
    internal = sum(1 for t in tickets for msg in t["messages"] if msg[3])
    statuses = {}
    for t in tickets:
        statuses[t["status"]] = statuses.get(t["status"], 0) + 1
    with_order = sum(1 for t in tickets if t["order"])
    print(
        "Seeded "
        + ", ".join(f"{n} {what}" for what, n in counts.items())
        + f" for {len({t['customer'] for t in tickets})} customers."
    )
    print(
        "Tickets: "
        + ", ".join(f"{s} {n}" for s, n in sorted(statuses.items()))
        + f"; {with_order} ({100 * with_order / len(tickets):.0f}%) with an order; "
        f"internal notes {internal} ({100 * internal / counts['messages']:.1f}% of messages)."
    )
    print(
        "Inbox counts for "
        + STAFF[0][0]
        + ": "
        + ", ".join(f"{k} {v}" for k, v in view_counts(staff[0]).items())
    )
    sample = find_sample()
    if sample:
        print(
            f"Sample ticket: id={sample['id']} {sample['number']} ({sample['status']}, "
            f"{sample['messages']} messages, order {sample['order']}, customer "
            f"{sample['email']} with {sample['tickets']} tickets and {sample['orders']} orders): "
            f"{sample['path']}"
        )
    print(
        f"Seconds: reset+users {reset_done - started:.1f}, plan {planned - reset_done:.1f}, "
        f"COPY {written - planned:.1f}, ANALYZE {analyzed - written:.1f}; "
        f"total {time.monotonic() - started:.1f}."
    )
    if args.print_sample:
        print(sample_line(args.password))


if __name__ == "__main__":
    main()
