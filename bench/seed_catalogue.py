"""Seed a catalogue at benchmark scale: 10,000 active products x 6 variants, with photos.

Usage (from the project root, settings and DATABASE_URL from the environment):

    .venv/bin/python bench/seed_catalogue.py [--products 10000] [--image-sets 20] [--reset]

Drawing 10,000 distinct photos would take longer than the benchmark itself, so ~20 image sets
(master + WebP renditions) go through the real pipeline (shop.images.clean_image) once, are saved
through default_storage once, and every ProductImage row points at one of those file names.
Rows are written with bulk_create in batches, so signals do not fire: the catalogue version is
bumped once at the end.
"""

import argparse
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

import django  # noqa: E402

django.setup()

from django.core.files.storage import default_storage  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from shop.cache import bump_catalogue_version  # noqa: E402
from shop.demo_images import garment_jpeg  # noqa: E402
from shop.images import clean_image  # noqa: E402
from shop.models import Category, Product, ProductImage, ShopProfile, Variant  # noqa: E402

# name, slug, shape for the photos, sizes (3 per product), base price, words for names
CATEGORIES = [
    ("Shirts", "shirts", "shirt", ["S", "M", "L"], 189, ["shirt", "overshirt", "tunic"]),
    ("Trousers", "trousers", "trousers", ["M", "L", "XL"], 259, ["trousers", "chinos", "jeans"]),
    ("Dresses", "dresses", "dress", ["XS", "S", "M"], 329, ["dress", "smock", "pinafore"]),
    ("Jackets", "jackets", "jacket", ["M", "L", "XL"], 499, ["jacket", "coat", "liner"]),
    ("Knitwear", "knitwear", "knit", ["S", "M", "L"], 289, ["jumper", "cardigan", "vest"]),
]
ADJECTIVES = [
    "Linen",
    "Band-collar",
    "Oxford",
    "Seersucker",
    "Flannel",
    "Poplin",
    "Chambray",
    "Wide-leg",
    "Pleated",
    "Selvedge",
    "Drawstring",
    "Carpenter",
    "Cropped",
    "Corduroy",
    "Tiered",
    "Quilted",
    "Waxed",
    "Merino",
    "Ribbed",
    "Cable-knit",
]
COLOURS = ["Navy", "Oat white", "Charcoal", "Indigo", "Rust", "Sage", "Black", "Sand"]
STOCKS = [0, 0, 1, 2, 4, 8, 12, 20]  # a quarter of the variants sold out
BATCH = 2000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--image-sets", type=int, default=20)
    parser.add_argument("--images-per-product", type=int, default=2)
    parser.add_argument(
        "--reset",
        action="store_true",
        help="Delete every category, product, variant and image row first (bench databases only).",
    )
    parser.add_argument(
        "--allow-any-database",
        action="store_true",
        help="Allow --reset on a database whose name does not contain 'bench'.",
    )
    return parser.parse_args()


def reset(allow_any: bool) -> None:
    name = str(connection.settings_dict["NAME"])
    if "bench" not in name and not allow_any:
        sys.exit(f"Refusing to wipe products in database {name!r}: its name lacks 'bench'.")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # CASCADE also empties rows that point at products (order lines, reviews): bench only.
            cursor.execute(
                "TRUNCATE shop_productimage, shop_variant, shop_product, shop_category "
                "RESTART IDENTITY CASCADE"
            )
    else:
        ProductImage.objects.all().delete()
        Variant.objects.all().delete()
        Product.objects.all().delete()
        Category.objects.all().delete()


def make_image_sets(count: int) -> list[dict]:
    """Run `count` drawn photos through the real pipeline; store each file once."""
    sets = []
    for n in range(count):
        _, _, shape, *_ = CATEGORIES[n % len(CATEGORIES)]
        colour = COLOURS[(n // len(CATEGORIES)) % len(COLOURS)]
        data = garment_jpeg(shape, colour, seed=1000 + n)
        cleaned = clean_image(SimpleUploadedFile(f"bench-{n}.jpg", data, "image/jpeg"))
        small, large = sorted(cleaned.renditions)
        folder = "products/bench/"
        sets.append(
            {
                "shape": shape,
                "colour": colour,
                "original": default_storage.save(folder + cleaned.master.name, cleaned.master),
                "small": default_storage.save(
                    folder + cleaned.renditions[small].name, cleaned.renditions[small]
                ),
                "large": default_storage.save(
                    folder + cleaned.renditions[large].name, cleaned.renditions[large]
                ),
                "width": cleaned.width,
                "height": cleaned.height,
            }
        )
    return sets


def ensure_profile() -> None:
    profile = ShopProfile.load()
    profile.name = "Jinghe Garment Works"
    profile.tagline = "Honest clothes from a small factory in the hills of Hubei."
    profile.location = "Yichang, Hubei, China"
    profile.story = "A workshop of 23 people sewing since 2004, now under its own name."
    profile.shipping_policy = "Ships in 2 working days; delivery in 3-6 days."
    profile.returns_policy = "Free size exchanges within 30 days."
    profile.contact_email = "hello@jinghe.example"
    profile.currency = "CNY"
    profile.save()


@transaction.atomic
def seed(products: int, image_sets: list[dict], images_per_product: int) -> dict:
    rng = random.Random(2026)
    categories = Category.objects.bulk_create(
        Category(name=name, slug=slug, position=i)
        for i, (name, slug, *_rest) in enumerate(CATEGORIES)
    )
    sets_by_shape: dict[str, list[dict]] = {}
    for image_set in image_sets:
        sets_by_shape.setdefault(image_set["shape"], []).append(image_set)

    counts = {"products": 0, "variants": 0, "images": 0}
    for start in range(0, products, BATCH):
        rows, meta = [], []
        for n in range(start, min(start + BATCH, products)):
            cat_index = n % len(CATEGORIES)
            name_, _slug, shape, sizes, base, nouns = CATEGORIES[cat_index]
            adjective = ADJECTIVES[rng.randrange(len(ADJECTIVES))]
            name = f"{adjective} {nouns[rng.randrange(len(nouns))]} no. {n + 1}"
            rated = rng.random() < 0.6
            count = rng.randint(1, 120) if rated else 0
            mean = Decimal(str(round(rng.uniform(3.2, 5.0), 2))) if rated else Decimal("0")
            rows.append(
                Product(
                    name=name,
                    slug=f"bench-{n + 1:05d}",
                    category=categories[cat_index],
                    status=Product.Status.ACTIVE,
                    featured=n % 500 == 0,
                    price=Decimal(base + rng.choice([0, 10, 20, 30, 40, 60, 80, 120])),
                    description=(
                        f"{name}, cut for everyday work and made to last. Cut and sewn in our "
                        "Yichang workshop from cloth woven within 300 km; every seam is "
                        "double-stitched and checked by hand before it ships."
                    ),
                    material="Cotton-linen blend, pre-shrunk",
                    care="Wash cold, inside out. Dry flat in the shade.",
                    size_chart="Size | Chest cm | Length cm\n"
                    + "\n".join(f"{s} | {100 + 6 * i} | {68 + 2 * i}" for i, s in enumerate(sizes)),
                    rating_count=count,
                    rating_mean=mean,
                    rating_rank=float(mean * count + Decimal(4) * 10) / (count + 10),
                )
            )
            meta.append((sizes, shape, rng.sample(COLOURS, 2)))
        Product.objects.bulk_create(rows, batch_size=BATCH)
        variants, images = [], []
        for product, (sizes, shape, colours) in zip(rows, meta, strict=True):
            for size in sizes:
                for colour in colours:
                    variants.append(
                        Variant(
                            product=product,
                            size=size,
                            colour=colour,
                            sku=f"{product.slug}-{size}-{colour.replace(' ', '')}".upper(),
                            stock=rng.choice(STOCKS),
                        )
                    )
            choices = sets_by_shape[shape]
            for position in range(1, images_per_product + 1):
                image_set = choices[(product.pk + position) % len(choices)]
                images.append(
                    ProductImage(
                        product=product,
                        original=image_set["original"],
                        small=image_set["small"],
                        large=image_set["large"],
                        width=image_set["width"],
                        height=image_set["height"],
                        alt=f"{product.name} in {colours[(position - 1) % 2].lower()}",
                        position=position,
                    )
                )
        Variant.objects.bulk_create(variants, batch_size=BATCH)
        ProductImage.objects.bulk_create(images, batch_size=BATCH)
        counts["products"] += len(rows)
        counts["variants"] += len(variants)
        counts["images"] += len(images)
    # bulk_create stamps one time on every row: spread creation over the past ~14 months so
    # "newest" is a real order, as in a shop that has listed garments for a while.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE shop_product SET created_at = "
                "now() - ((SELECT max(id) FROM shop_product) - id) * interval '1 hour'"
            )
    return counts


def main() -> None:
    args = parse_args()
    if args.reset:
        reset(args.allow_any_database)
    elif Product.objects.exists():
        sys.exit("Products exist already; run with --reset to replace them (bench databases only).")
    started = time.monotonic()
    ensure_profile()
    image_sets = make_image_sets(args.image_sets)
    images_done = time.monotonic()
    counts = seed(args.products, image_sets, args.images_per_product)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE shop_product, shop_variant, shop_productimage, shop_category")
    bump_catalogue_version()
    print(
        f"Seeded {counts['products']} products, {counts['variants']} variants, "
        f"{counts['images']} image rows from {len(image_sets)} image sets "
        f"(images {images_done - started:.1f}s, rows {time.monotonic() - images_done:.1f}s)."
    )


if __name__ == "__main__":
    main()
