"""A believable small factory: profile, categories, 30+ garments with variants and photos."""

import random
import zlib
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import OWNER, SUPPORT
from shop.demo_images import garment_jpeg
from shop.images import clean_image
from shop.models import Category, Product, ShopProfile
from shop.services import VariantCell, save_product

DEMO_USERS = [
    ("owner@demo.shop", "demo-owner-pass", OWNER, "Lin", "Wei"),
    ("support@demo.shop", "demo-support-pass", SUPPORT, "Chen", "Jing"),
    ("customer@demo.shop", "demo-customer-pass", None, "Alex", "Morgan"),
]

CATEGORIES = [
    ("Shirts", "shirt", ["S", "M", "L", "XL"], Decimal("189")),
    ("Trousers", "trousers", ["S", "M", "L", "XL", "XXL"], Decimal("259")),
    ("Dresses", "dress", ["XS", "S", "M", "L"], Decimal("329")),
    ("Jackets", "jacket", ["S", "M", "L", "XL"], Decimal("499")),
    ("Knitwear", "knit", ["S", "M", "L"], Decimal("289")),
]

NAMES = {
    "Shirts": [
        "Linen work shirt",
        "Band-collar shirt",
        "Oxford cotton shirt",
        "Seersucker camp shirt",
        "Flannel overshirt",
        "Poplin tunic shirt",
        "Chambray shirt",
    ],
    "Trousers": [
        "Wide-leg linen trousers",
        "Pleated wool trousers",
        "Selvedge denim jeans",
        "Drawstring cotton trousers",
        "Carpenter trousers",
        "Cropped chinos",
        "Corduroy trousers",
    ],
    "Dresses": [
        "Smock dress",
        "Wrap dress",
        "Linen shirt dress",
        "Pinafore dress",
        "Tiered cotton dress",
        "Slip dress",
    ],
    "Jackets": [
        "Chore jacket",
        "Quilted liner jacket",
        "Waxed cotton jacket",
        "Denim trucker jacket",
        "Wool overcoat",
        "Field jacket",
    ],
    "Knitwear": [
        "Fisherman jumper",
        "Merino crew neck",
        "Cotton cardigan",
        "Mohair vest",
        "Ribbed turtleneck",
        "Cable-knit cardigan",
    ],
}

MATERIALS = {
    "Shirts": "100% linen from Hubei mills, 160 gsm",
    "Trousers": "Cotton twill, 12 oz, garment washed",
    "Dresses": "Cotton-linen blend, pre-shrunk",
    "Jackets": "Cotton canvas, corozo buttons",
    "Knitwear": "Merino wool, 12 gauge",
}

CARE = "Wash cold, inside out. Dry flat in the shade. Iron on medium."

SIZE_CHART = {
    "Shirts": "Size | Chest cm | Length cm | Sleeve cm\nS | 100 | 70 | 60\nM | 106 | 72 | 62\nL | 112 | 74 | 63\nXL | 118 | 76 | 64",
    "Trousers": "Size | Waist cm | Hip cm | Inseam cm\nS | 72 | 98 | 76\nM | 78 | 104 | 78\nL | 84 | 110 | 80\nXL | 90 | 116 | 81\nXXL | 96 | 122 | 82",
    "Dresses": "Size | Bust cm | Waist cm | Length cm\nXS | 84 | 68 | 110\nS | 88 | 72 | 112\nM | 94 | 78 | 114\nL | 100 | 84 | 116",
    "Jackets": "Size | Chest cm | Length cm | Sleeve cm\nS | 108 | 70 | 62\nM | 114 | 72 | 63\nL | 120 | 74 | 64\nXL | 126 | 76 | 65",
    "Knitwear": "Size | Chest cm | Length cm\nS | 104 | 64\nM | 110 | 66\nL | 116 | 68",
}


class Command(BaseCommand):
    help = "Fill an empty shop with demo data (profile, users, garments with photos)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Add garments even if some exist.")
        parser.add_argument(
            "--images", type=int, default=2, help="Photos per garment (0 for none)."
        )

    def handle(self, *args, **options):
        self.create_users()
        self.create_profile()
        if Product.objects.exists() and not options["force"]:
            self.stdout.write("The shop already has products; demo garments not added.")
            return
        created = self.create_garments(options["images"])
        self.stdout.write(self.style.SUCCESS(f"Demo shop ready: {created} garments."))

    def create_users(self):
        User = get_user_model()
        for email, password, role, first, last in DEMO_USERS:
            user, made = User.objects.get_or_create(
                email=email, defaults={"first_name": first, "last_name": last}
            )
            if made:
                user.set_password(password)
                user.save()
            # Proved, as if its code had been entered: the demo sign-ins work at once, and the
            # customer sees the guest orders placed with this address.
            EmailAddress.objects.update_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            if role:
                user.groups.add(Group.objects.get(name=role))

    def create_profile(self):
        profile = ShopProfile.load()
        if profile.story:
            return
        profile.name = "Jinghe Garment Works"
        profile.tagline = "Honest clothes from a small factory in the hills of Hubei."
        profile.story = (
            "We are a workshop of 23 people in Yichang, Hubei, sewing for other brands since 2004.\n\n"
            "Now we sell under our own name: the same seams, the same cloth, without the markup. "
            "Every order is cut, sewn and checked by the people you can write to."
        )
        profile.location = "Yichang, Hubei, China"
        profile.difference = (
            "Cloth from mills within 300 km; we visit each one.\n"
            "Every seam double-stitched and checked by hand before it ships.\n"
            "Write to us and the person who answers works on the factory floor."
        )
        profile.shipping_policy = "Ships in 2 working days; delivery in 3–6 days."
        profile.returns_policy = "Free size exchanges within 30 days."
        profile.contact_email = "hello@jinghe.example"
        profile.contact_phone = "+86 717 555 0142"
        profile.currency = "CNY"
        profile.save()

    @transaction.atomic
    def create_garments(self, images_per_product: int) -> int:
        rng = random.Random(2026)
        count = 0
        for position, (category_name, shape, sizes, base_price) in enumerate(CATEGORIES):
            category, _ = Category.objects.get_or_create(
                name=category_name, defaults={"slug": category_name.lower(), "position": position}
            )
            for index, name in enumerate(NAMES[category_name]):
                colours = rng.sample(
                    [
                        "Navy",
                        "Oat white",
                        "Charcoal",
                        "Indigo",
                        "Rust",
                        "Sage",
                        "Black",
                        "Sand",
                        "Olive",
                    ],
                    2 + index % 2,
                )
                slug = name.lower().replace(" ", "-")
                price = base_price + Decimal(rng.choice([0, 10, 20, 30, 40, 60]))
                product = Product(
                    name=name,
                    slug=slug,
                    category=category,
                    status=Product.Status.ACTIVE,
                    featured=index == 0,
                    price=price,
                    description=f"{name}, cut for everyday work and made to last. Cut and sewn in our Yichang workshop.",
                    material=MATERIALS[category_name],
                    care=CARE,
                    size_chart=SIZE_CHART[category_name],
                )
                cells = []
                for size in sizes:
                    for colour in colours:
                        stock = rng.choice([0, 1, 2, 4, 8, 12, 20])
                        sku = f"{slug[:20]}-{size}-{colour.replace(' ', '')}".upper()
                        cells.append(
                            VariantCell(size=size, colour=colour, stock=stock, sku=sku, price=None)
                        )
                photos = []
                for n in range(images_per_product):
                    colour = colours[n % len(colours)]
                    data = garment_jpeg(shape, colour, seed=zlib.crc32(f"{slug}-{n}".encode()))
                    photos.append(
                        clean_image(SimpleUploadedFile(f"{slug}-{n}.jpg", data, "image/jpeg"))
                    )
                save_product(product, variants=cells, new_images=photos)
                for image in product.images.all():
                    image.alt = f"{name} in {colours[(image.position - 1) % len(colours)].lower()}"
                    image.save(update_fields=["alt"])
                count += 1
        return count
