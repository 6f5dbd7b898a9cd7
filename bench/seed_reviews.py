"""Seed N verified reviews on one product of the catalogue bench database (*bench* names only).

Usage (from the project root, settings and DATABASE_URL from the environment, after
bench/seed_catalogue.py):

    .venv/bin/python bench/seed_reviews.py [--slug bench-05000] [--reviews 5000] [--seed 2026]
                                           [--recompute-all]

Every review belongs, one to one, to the line of a delivered order bought in one of the
product's real variants, as the shop's own flow requires. The script writes those orders and
lines too, with bulk_create in batches, so no signal fires (no follow-up email is planned, no
order email queued). About 1% of the reviews are hidden for a policy reason (with their
moderation log row), about 5% carry the owner's reply and about 10% one or two photos; the
photos all point at ONE picture drawn by shop.demo_images and cleaned once by the real pipeline
(shop.images.clean_image, stored by shop.images.store_image_files).

Running it again first deletes what it made before on that product (its orders carry the
checkout key prefix "bench-reviews-<product id>-"), so the product ends with exactly N
reviews. At the end the product's review figures are rebuilt by reviews.summary.recompute_all
(the function of the recompute_review_summaries command), limited to this product unless
--recompute-all is given: over every product it would also zero the made-up ratings that
seed_catalogue.py gives the other products, which have no review rows.
"""

import argparse
import os
import random
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import OWNER  # noqa: E402
from orders.models import Order, OrderLine  # noqa: E402
from orders.pricing import quote  # noqa: E402
from reviews import summary  # noqa: E402
from reviews.models import (  # noqa: E402
    Fit,
    HelpfulVote,
    HideReason,
    ModerationLog,
    Review,
    ReviewPhoto,
    ReviewReply,
    ReviewSummary,
)
from reviews.services import default_display_name  # noqa: E402
from shop.cache import bump_catalogue_version  # noqa: E402
from shop.demo_images import garment_jpeg  # noqa: E402
from shop.images import clean_image, store_image_files  # noqa: E402
from shop.models import SIZE_ORDER, Product, ShopProfile  # noqa: E402

BATCH = 2000
PREFIX = "bench-reviews-"  # + "<product id>-<n>": the checkout key of every order made here
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)

RATINGS = [5, 4, 3, 2, 1]
RATING_WEIGHTS = [55, 25, 10, 5, 5]
FITS = [Fit.TRUE, Fit.SMALL, Fit.LARGE]
FIT_WEIGHTS = [64, 23, 13]
HIDE_REASONS = [HideReason.SPAM, HideReason.PERSONAL_DATA, HideReason.OFF_TOPIC, HideReason.ABUSE]
HIDE_WEIGHTS = [40, 30, 20, 10]
SIZE_WEIGHTS = {"XS": 0.6, "S": 1.0, "M": 1.4, "L": 1.2, "XL": 0.8, "XXL": 0.4}
CATEGORY_SHAPES = {
    "shirts": "shirt",
    "trousers": "trousers",
    "dresses": "dress",
    "jackets": "jacket",
    "knitwear": "knit",
}

FIRST_NAMES = (
    "Mei Wei Lin Jun Xiaoyu Hui Yan Ling Hao Jing Fang Lei Ying Tao Min Qing Rui Yue Zhen Bo "
    "Anna James Sarah Tom Priya Kenji Yuki Minh Siti Ahmad Emma Lucas Sofia Noah Olivia Daniel "
    "Grace Ethan Chloe Ravi Aisha Marco Lea Hannah Jonas Camille"
).split()
LAST_NAMES = (
    "Chen Wang Li Zhang Liu Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo Lin He Gao Luo Tan Lim "
    "Ng Wong Lee Smith Brown Martin Nguyen Tanaka Kim Patel Garcia Rossi Dubois Schmidt Taylor "
    "Walker Muller Sato"
).split()
# country, weight, calling code, [(city, region, postcode)]
PLACES = [
    (
        "CN",
        70,
        "+86",
        [
            ("Beijing", "Beijing", "100010"),
            ("Shanghai", "Shanghai", "200001"),
            ("Guangzhou", "Guangdong", "510030"),
            ("Shenzhen", "Guangdong", "518000"),
            ("Chengdu", "Sichuan", "610041"),
            ("Wuhan", "Hubei", "430014"),
            ("Hangzhou", "Zhejiang", "310002"),
            ("Yichang", "Hubei", "443000"),
            ("Nanjing", "Jiangsu", "210005"),
            ("Xi'an", "Shaanxi", "710003"),
        ],
    ),
    ("HK", 6, "+852", [("Hong Kong", "Kowloon", "999077")]),
    ("TW", 5, "+886", [("Taipei", "", "100"), ("Taichung", "", "400")]),
    ("SG", 5, "+65", [("Singapore", "", "018956")]),
    ("MY", 3, "+60", [("Kuala Lumpur", "", "50450")]),
    ("US", 4, "+1", [("New York", "NY", "10001"), ("Seattle", "WA", "98101")]),
    ("GB", 2, "+44", [("London", "", "EC1A 1BB")]),
    ("DE", 2, "+49", [("Berlin", "", "10115")]),
    ("FR", 1, "+33", [("Paris", "", "75001")]),
    ("AU", 2, "+61", [("Sydney", "NSW", "2000")]),
]
STREETS = ["Jiefang Road", "Zhongshan Road", "Renmin Road", "Station Street", "Harbour Road"]
# carrier, tracking number prefix
CARRIERS_CN = [
    ("SF Express", "SF"),
    ("ZTO Express", "ZT"),
    ("YTO Express", "YT"),
    ("China Post EMS", "EM"),
]
CARRIERS_ABROAD = [("EMS International", "EE"), ("DHL Express", "JD"), ("SF International", "SF")]

TITLES = {
    5: [
        "Exactly what I hoped for",
        "Best {noun} I own",
        "Beautifully made",
        "Worth every yuan",
        "Bought a second one",
        "Soft, sturdy and well cut",
        "Perfect for everyday wear",
        "Lovely cloth, lovely stitching",
        "Better than the photos",
        "My new favourite",
        "Great quality, quick delivery",
        "Five stars from a picky buyer",
    ],
    4: [
        "Very good, one small thing",
        "Nice {noun}, good value",
        "Good quality for the price",
        "Comfortable, colour a touch different",
        "Solid and well stitched",
        "Happy with it",
        "Almost perfect",
        "Would buy again",
    ],
    3: [
        "Okay but not great",
        "Nice cloth, odd fit",
        "Decent, took a while to arrive",
        "Mixed feelings",
        "Fine for the price",
        "Good idea, average result",
    ],
    2: [
        "Not quite what I expected",
        "The fit was off for me",
        "Colour faded after a few washes",
        "Too stiff to wear much",
        "Disappointing for the price",
    ],
    1: [
        "Disappointed",
        "A seam came apart",
        "Did not fit at all",
        "Not as described",
        "Would not buy again",
    ],
}
OPENINGS = {
    5: [
        "I love this {noun}.",
        "Really happy with this {noun} in {colour}.",
        "Third thing I have bought from this workshop and the best so far.",
        "Bought it for work and now I wear it at the weekend too.",
        "The {colour} is deep and even, exactly like the photos.",
    ],
    4: [
        "A very good {noun} overall.",
        "Nice {noun}, well made, just one small niggle.",
        "I like it a lot and wear it most weeks.",
        "Good value: the cloth feels better than the price suggests.",
    ],
    3: [
        "It is fine, nothing more.",
        "Mixed feelings about this {noun}.",
        "The cloth is nice but the cut does not quite work for me.",
        "Average: some things good, some not.",
    ],
    2: [
        "Not what I hoped for.",
        "I wanted to like this {noun} more.",
        "The photos made it look better than it is.",
    ],
    1: [
        "Sadly I am sending this back.",
        "Very disappointed with this {noun}.",
        "This did not work for me at all.",
    ],
}
FIT_LINES = {
    Fit.TRUE: [
        "Size {size} fits exactly like my other {size}s.",
        "True to size: I took my usual {size} and it is right.",
        "The size chart was accurate for me.",
    ],
    Fit.SMALL: [
        "It runs small: size up if you are between sizes.",
        "The {size} is tight across the shoulders, one size up would be better.",
        "Shorter and narrower than I expected from the size chart.",
    ],
    Fit.LARGE: [
        "It comes up large; I could have taken a size down.",
        "Roomy, the {size} feels more like a size bigger.",
        "Generous cut, fine for layering but big on its own.",
    ],
}
MOOD = {
    "high": [
        "The stitching is neat and even, inside as well as outside, which you rarely see at this price.",
        "After several washes it still looks new and has not shrunk at all.",
        "It softened nicely after the first wash and now feels like something I have had for years.",
        "The buttons are sewn on properly and the seams are finished cleanly.",
        "I get asked where it is from every time I wear it.",
        "The colour is rich and has not faded, even after drying outside.",
        "It keeps its shape through a long day and does not crease badly.",
        "You can tell it was checked by hand: not a loose thread anywhere.",
        "Heavier cloth than I expected, in a good way.",
        "I will definitely order from this shop again.",
    ],
    "mid": [
        "The cloth is good but the cut is a bit boxy for my taste.",
        "It creased more than I expected after one wear.",
        "The colour is slightly duller than on my screen.",
        "Stitching is fine, though one button was loose when it arrived.",
        "Delivery took almost a week longer than the estimate.",
        "For the price it is acceptable, but I expected a little more.",
        "The sleeves are a touch long for me.",
    ],
    "low": [
        "A side seam started to open after the second wash.",
        "The colour ran in the wash and stained a white shirt.",
        "It shrank noticeably even though I washed it cold.",
        "The cloth feels rough and scratchy against the skin.",
        "It arrived with a mark on the front that would not wash out.",
        "I wrote to the shop and they replied quickly, which I appreciated.",
        "The shape is unflattering and it hangs oddly at the back.",
        "For this price I expected much better finishing.",
    ],
}
DETAILS = [
    "I wear it with jeans and plain trainers most days.",
    "Washed it cold, inside out, as the label says, and dried it flat.",
    "The parcel came well packed, folded in paper with a handwritten note.",
    "Delivery took five days to my city.",
    "I compared it with the size chart before ordering and measured an old one at home.",
    "The pockets are deep enough for a phone, which matters to me.",
    "It is warm enough for spring evenings without a jacket.",
    "My partner borrowed it twice already.",
    "The label inside is soft and does not itch.",
    "Ordered {colour}; I might get the other colour too.",
    "It took a day or two to relax after being folded in the parcel.",
]
HIDDEN_BODIES = {
    HideReason.SPAM: (
        "Great {noun}! Also, I sell designer copies much cheaper, add me on WeChat for the link. "
        "Discount codes every week, fast shipping, message me.",
        "Promotion for a different shop.",
    ),
    HideReason.PERSONAL_DATA: (
        "The {noun} is fine but the courier, Mr Zhao, phone 138 0000 0000, left it at the wrong "
        "door at 12 Example Road, flat 3. Call him and complain.",
        "Names a courier and his phone number.",
    ),
    HideReason.OFF_TOPIC: (
        "This is about the courier company, not the {noun}: they never call before coming and "
        "the depot is closed at weekends. Someone should do something about it.",
        "About the carrier, not the product.",
    ),
    HideReason.ABUSE: (
        "[Insulting remarks about the workshop staff, left out of this bench sample.]",
        "Insults aimed at staff.",
    ),
}
REPLIES = {
    "high": [
        "Thank you, {first}! We are glad it fits well. The cloth softens more with every wash.",
        "Thank you for the kind words, {first}. We passed them on to the sewing room.",
        "So glad you like it, {first}. Wash it cold and it will last you years.",
    ],
    "low": [
        "We are sorry, {first}. Please write to us with your order number and we will exchange "
        "or refund it, and we have shown your review to the cutting room.",
        "Thank you for telling us, {first}. This is not our standard: we have checked the batch "
        "and will send you a replacement if you would like one.",
        "Sorry about the fit, {first}. Size exchanges are free within 30 days; just reply to your "
        "delivery email.",
    ],
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slug", default="bench-05000", help="The product to review.")
    parser.add_argument(
        "--reviews", type=int, default=5000, help="How many reviews the product ends with."
    )
    parser.add_argument("--seed", type=int, default=2026, help="Random seed (same data per seed).")
    parser.add_argument(
        "--recompute-all",
        action="store_true",
        help="Recompute every product's figures, as the command does (zeroes the made-up "
        "ratings of products without reviews).",
    )
    args = parser.parse_args()
    if not 1 <= args.reviews <= 999_999:
        parser.error("--reviews must be between 1 and 999999.")
    return args


def check_database() -> None:
    name = str(connection.settings_dict["NAME"])
    # As seed_catalogue.py's --reset: a bench database has "bench" in its name (shop_bench,
    # shop_bench_h7, a helper's shop_ff_bench), a real shop's does not.
    if "bench" not in name:
        sys.exit(f"Refusing to seed reviews in database {name!r}: its name lacks 'bench'.")


@contextmanager
def given_times(*fields):
    """Let bulk_create keep the times set on the rows: auto_now(_add) would stamp 'now' on all."""
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f, *_ in saved:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def field(model, name):
    return model._meta.get_field(name)


def delete_previous(product: Product) -> int:
    """Delete the reviews (photos, replies, votes, logs), lines and orders made by an earlier
    run for this product, and bench orders left without lines by a catalogue reset. Photo files
    no longer used are deleted once the transaction commits. Returns the reviews deleted."""
    orders = Order.objects.filter(checkout_key__startswith=f"{PREFIX}{product.pk}-")
    reviews = Review.objects.filter(order_line__order__in=orders)
    photos = ReviewPhoto.objects.filter(review__in=reviews)
    files = set()
    for row in photos.values_list("original", "small", "large"):
        files.update(row)
    photos.delete()
    HelpfulVote.objects.filter(review__in=reviews).delete()
    ReviewReply.objects.filter(review__in=reviews).delete()
    ModerationLog.objects.filter(review__in=reviews).delete()
    deleted = reviews.count()
    reviews.delete()
    OrderLine.objects.filter(order__in=orders).delete()
    orders.delete()
    Order.objects.filter(checkout_key__startswith=PREFIX, lines__isnull=True).delete()
    used = set()
    for name in files:
        if ReviewPhoto.objects.filter(Q(original=name) | Q(small=name) | Q(large=name)).exists():
            used.add(name)
    unused = sorted(files - used)
    transaction.on_commit(lambda: [default_storage.delete(name) for name in unused])
    return deleted


def clean_photo(product: Product, colour: str) -> dict:
    """One buyer's photo through the real pipeline, stored once; the rows all point at it."""
    shape = CATEGORY_SHAPES.get(product.category.slug, "shirt")
    data = garment_jpeg(shape, colour, seed=product.pk)
    cleaned = clean_image(SimpleUploadedFile("buyer-photo.jpg", data, "image/jpeg"))
    row = ReviewPhoto()
    store_image_files(row, cleaned)
    return {
        "original": row.original.name,
        "small": row.small.name,
        "large": row.large.name,
        "width": row.width,
        "height": row.height,
    }


def find_owner():
    users = get_user_model().objects.filter(is_active=True).order_by("pk")
    return users.filter(groups__name=OWNER).first() or users.filter(is_superuser=True).first()


def between(rng: random.Random, start, end):
    return start + (end - start) * rng.random()


def neighbour_size(rng: random.Random, size: str) -> str:
    if size.upper() not in SIZE_ORDER[:8]:
        return size
    i = SIZE_ORDER.index(size.upper())
    return SIZE_ORDER[max(0, min(7, i + rng.choice([-1, 1])))]


def compose_body(rng: random.Random, rating: int, fit: str, words: dict, personal: list) -> str:
    """Short (35%), medium (40%) or long (25%, 300-800 characters) text from sentence pools."""
    roll = rng.random()
    if roll < 0.35:
        low, high = 40, 140
    elif roll < 0.75:
        low, high = 140, 300
    else:
        low, high = 300, 800
    target = rng.randint(low, high)
    band = "high" if rating >= 4 else "mid" if rating == 3 else "low"
    pool = MOOD[band] + DETAILS + personal + (MOOD["mid"] if rating == 4 else [])
    candidates = [rng.choice(FIT_LINES[fit]), *rng.sample(pool, len(pool))]
    sentences = [rng.choice(OPENINGS[rating]).format(**words)]
    for sentence in candidates:
        if len(" ".join(sentences)) >= target:
            break
        sentences.append(sentence.format(**words))
    while len(" ".join(sentences)) > high - 1 and len(sentences) > 1:
        sentences.pop()  # (- 1: room for the paragraph break below)
    if len(sentences) >= 5 and rng.random() < 0.6:
        middle = len(sentences) // 2
        return " ".join(sentences[:middle]) + "\n\n" + " ".join(sentences[middle:])
    return " ".join(sentences)


def plan_rows(rng, product, variants, count, shop, now):
    """Unsaved orders, lines and reviews (with their extras) for `count` buyers."""
    noun = product.name.split(" no. ")[0].split()[-1].lower() if product.name else "garment"
    weights = [SIZE_WEIGHTS.get(v.size.upper(), 1.0) for v in variants]
    country_weights = [p[1] for p in PLACES]
    plans = []
    for n in range(count):
        variant = rng.choices(variants, weights)[0]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        country, _w, calling, cities = rng.choices(PLACES, country_weights)[0]
        city, region, postcode = rng.choice(cities)
        # Delivered at any time in the last 12 months; shipped, paid and placed before that.
        delivered = now - between(rng, DAY, 365 * DAY)
        shipped = delivered - between(rng, 2 * DAY, 6 * DAY)
        cod = rng.random() < 0.6
        if cod:  # handing over the parcel is the payment
            placed = shipped - between(rng, 5 * HOUR, 3 * DAY)
            paid = delivered
        else:  # a bank transfer is recorded before the order may ship
            paid = shipped - between(rng, 5 * HOUR, 2 * DAY)
            placed = paid - between(rng, 20 * MINUTE, 2 * DAY)
        carrier, code = rng.choice(CARRIERS_CN if country == "CN" else CARRIERS_ABROAD)
        quantity = 2 if rng.random() < 0.08 else 1
        prices = quote([(variant.unit_price, quantity)], shop)
        # Written unprompted, after the review request (7 days) or after the reminder.
        roll = rng.random()
        delay = (
            between(rng, 3 * HOUR, 6 * DAY)
            if roll < 0.4
            else between(rng, 7 * DAY, 12 * DAY)
            if roll < 0.85
            else between(rng, 12 * DAY, 60 * DAY)
        )
        latest = now - 10 * MINUTE
        if delivered + delay > latest:
            delay = between(rng, HOUR, latest - delivered)
        created = delivered + delay
        order = Order(
            checkout_key=f"{PREFIX}{product.pk}-{n:06d}",
            email=f"{first}.{last}.{n}@bench.example".lower(),
            name=f"{first} {last}",
            phone=f"{calling} {rng.randint(130, 199)} {rng.randint(1000, 9999)} "
            f"{rng.randint(1000, 9999)}",
            address_line1=f"{rng.randint(1, 480)} {rng.choice(STREETS)}",
            address_line2=f"Flat {rng.randint(1, 30)}0{rng.randint(1, 8)}"
            if rng.random() < 0.5
            else "",
            city=city,
            region=region,
            postcode=postcode,
            country=country,
            status=Order.Status.DELIVERED,
            payment_method="cod" if cod else "bank_transfer",
            payment_state=Order.PaymentState.PAID,
            currency=shop.currency,
            subtotal=prices.subtotal,
            shipping_cost=prices.shipping,
            total=prices.total,
            carrier=carrier,
            tracking_number=f"{code}{rng.randint(10**11, 10**12 - 1)}",
            placed_at=placed,
            paid_at=paid,
            shipped_at=shipped,
            delivered_at=delivered,
        )
        line = OrderLine(
            order=order,
            variant=variant,
            product=product,
            product_name=product.name,
            size=variant.size,
            colour=variant.colour,
            sku=variant.sku,
            unit_price=variant.unit_price,
            quantity=quantity,
            line_total=prices.subtotal,
        )
        rating = rng.choices(RATINGS, RATING_WEIGHTS)[0]
        fit = rng.choices(FITS, FIT_WEIGHTS)[0]
        # Height and usual size on about half the reviews, sometimes only one of them.
        about = rng.random()
        height = max(145, min(200, round(rng.gauss(168, 9)))) if about < 0.5 else None
        usual = ""
        if about < 0.45 or about >= 0.95:
            usual = variant.size if rng.random() < 0.75 else neighbour_size(rng, variant.size)
        words = {"noun": noun, "colour": variant.colour.lower(), "size": variant.size}
        hidden = rng.random() < 0.01
        reason = rng.choices(HIDE_REASONS, HIDE_WEIGHTS)[0] if hidden else ""
        if hidden:
            body = HIDDEN_BODIES[reason][0].format(**words)
        else:
            personal = [f"I am {height} cm and usually wear {usual}."] if height and usual else []
            body = compose_body(rng, rating, fit, words, personal)
        helpful_roll = rng.random()
        helpful = (
            0
            if helpful_roll < 0.6
            else rng.randint(1, 3)
            if helpful_roll < 0.85
            else rng.randint(4, 15)
            if helpful_roll < 0.97
            else rng.randint(16, 80)
        )
        photos = 0 if rng.random() >= 0.10 else (1 if rng.random() < 0.7 else 2)
        review = Review(
            order_line=line,
            product=product,
            rating=rating,
            fit=fit,
            title=rng.choice(TITLES[rating]).format(**words),
            body=body,
            display_name=default_display_name(order.name),
            height_cm=height,
            usual_size=usual,
            size_bought=variant.size,
            colour_bought=variant.colour,
            status=Review.Status.HIDDEN if hidden else Review.Status.PUBLISHED,
            hidden_reason=reason,
            helpful_count=helpful,
            photo_count=photos,
            created_at=created,
            edited_at=min(now, created + between(rng, HOUR, 20 * DAY))
            if rng.random() < 0.03
            else None,
        )
        # The owner answers low ratings more often: about 5% overall.
        replied = not hidden and rng.random() < (0.2 if rating <= 2 else 0.035)
        plans.append(
            SimpleNamespace(
                order=order,
                line=line,
                review=review,
                first=first,
                replied=replied,
                reply_at=min(created + between(rng, 2 * HOUR, 5 * DAY), now),
                hidden_at=min(created + between(rng, HOUR, 2 * DAY), now),
                note=HIDDEN_BODIES[reason][1] if hidden else "",
                vote_times=[between(rng, created, now) for _ in range(helpful)],
                voters=[f"s:{rng.getrandbits(128):032x}" for _ in range(helpful)],
            )
        )
    return plans


def write_rows(plans, product, photo, owner, rng) -> dict:
    plans.sort(key=lambda p: p.order.placed_at)
    for n, plan in enumerate(plans, start=1):
        # Like the shop's "2026-000123", with a letter so no real number can collide.
        plan.order.number = f"{plan.order.placed_at.year}-B{product.pk}-{n:06d}"
        if len(plan.order.number) > Order._meta.get_field("number").max_length:
            sys.exit(f"Order number {plan.order.number!r} is too long for Order.number.")
    with given_times(field(Order, "placed_at")):
        Order.objects.bulk_create([p.order for p in plans], batch_size=BATCH)
    for plan in plans:
        plan.line.order = plan.order  # sets order_id now that the order has its pk
    OrderLine.objects.bulk_create([p.line for p in plans], batch_size=BATCH)

    plans.sort(key=lambda p: p.review.created_at)  # review ids follow the writing order
    for plan in plans:
        plan.review.order_line = plan.line
    with given_times(field(Review, "created_at")):
        Review.objects.bulk_create([p.review for p in plans], batch_size=BATCH)

    photos, replies, logs, votes = [], [], [], []
    for plan in plans:
        review = plan.review
        for position in range(review.photo_count):
            photos.append(ReviewPhoto(review=review, position=position, **photo))
        if plan.replied:
            band = "high" if review.rating >= 4 else "low"
            replies.append(
                ReviewReply(
                    review=review,
                    body=rng.choice(REPLIES[band]).format(first=plan.first),
                    author=owner,
                    created_at=plan.reply_at,
                    updated_at=plan.reply_at,
                )
            )
        if review.status == Review.Status.HIDDEN:
            logs.append(
                ModerationLog(
                    review=review,
                    action=ModerationLog.Action.HIDE,
                    reason=review.hidden_reason,
                    note=plan.note,
                    actor=owner,
                    created_at=plan.hidden_at,
                )
            )
        votes.extend(
            HelpfulVote(review=review, voter=voter, created_at=at)
            for voter, at in zip(plan.voters, plan.vote_times, strict=True)
        )
    ReviewPhoto.objects.bulk_create(photos, batch_size=BATCH)
    with given_times(field(ReviewReply, "created_at"), field(ReviewReply, "updated_at")):
        ReviewReply.objects.bulk_create(replies, batch_size=BATCH)
    with given_times(field(ModerationLog, "created_at")):
        ModerationLog.objects.bulk_create(logs, batch_size=BATCH)
    with given_times(field(HelpfulVote, "created_at")):
        HelpfulVote.objects.bulk_create(votes, batch_size=BATCH)
    return {
        "photos": len(photos),
        "with_photos": sum(1 for p in plans if p.review.photo_count),
        "replies": len(replies),
        "hidden": len(logs),
        "votes": len(votes),
    }


def recompute(product: Product, everything: bool) -> int:
    """The recompute_review_summaries command's own function; by default over this product."""
    return summary.recompute_all(None if everything else [product.pk])


def analyze() -> None:
    if connection.vendor != "postgresql":
        return
    models = [Order, OrderLine, Review, ReviewPhoto, ReviewReply, ModerationLog, HelpfulVote]
    tables = [m._meta.db_table for m in [*models, ReviewSummary, Product]]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))


def main() -> None:
    args = parse_args()
    check_database()
    product = Product.objects.select_related("category").filter(slug=args.slug).first()
    if product is None:
        sys.exit(f"No product {args.slug!r}: run bench/seed_catalogue.py first.")
    variants = list(product.variants.filter(is_active=True).order_by("pk"))
    if not variants:
        sys.exit(f"Product {args.slug!r} has no offered variants to buy.")
    rng = random.Random(args.seed)
    started = time.monotonic()
    shop = ShopProfile.load()
    owner = find_owner()
    photo = clean_photo(product, variants[0].colour)
    photo_done = time.monotonic()
    with transaction.atomic():
        deleted = delete_previous(product)
        plans = plan_rows(rng, product, variants, args.reviews, shop, timezone.now())
        counts = write_rows(plans, product, photo, owner, rng)
        rows_done = time.monotonic()
        touched = recompute(product, args.recompute_all)
        transaction.on_commit(bump_catalogue_version)  # cached product pages show the figures
    recompute_done = time.monotonic()
    analyze()
    figures = ReviewSummary.objects.get(product=product)
    total = Review.objects.filter(product=product).count()
    others = total - args.reviews
    print(
        f"Seeded {args.reviews} reviews on {product.slug} (id {product.pk}), each on its own "
        f"delivered order; deleted {deleted} rows of an earlier run first. "
        f"{counts['hidden']} hidden with a log row, {counts['replies']} owner replies "
        f"(author {owner or 'none'}), {counts['with_photos']} with photos "
        f"({counts['photos']} photo rows), {counts['votes']} helpful votes."
    )
    print(
        f"Summary (recomputed over {touched} product{'s' if touched != 1 else ''}): "
        f"count {figures.count}, mean {figures.mean:.2f}, hidden {figures.hidden}, "
        f"stars 5-1 {[getattr(figures, f'stars_{n}') for n in (5, 4, 3, 2, 1)]}, "
        f"fit small/true/large {figures.fit_small}/{figures.fit_true}/{figures.fit_large}."
        + (f" Note: {others} other reviews on this product." if others else "")
    )
    print(
        f"Took {time.monotonic() - started:.1f}s (photo {photo_done - started:.1f}s, rows "
        f"{rows_done - photo_done:.1f}s, recompute {recompute_done - rows_done:.1f}s, "
        f"analyze {time.monotonic() - recompute_done:.1f}s)."
    )


if __name__ == "__main__":
    main()
