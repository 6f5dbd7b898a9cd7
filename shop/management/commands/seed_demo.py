"""A believable small factory: profile, categories, 30+ garments with variants and photos,
every text in Chinese and English; the higher apps add theirs on `shop.signals.demo_seeded`."""

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
from shop.signals import demo_seeded

DEMO_USERS = [
    ("owner@demo.shop", "demo-owner-pass", OWNER, "Lin", "Wei"),
    ("support@demo.shop", "demo-support-pass", SUPPORT, "Chen", "Jing"),
    ("customer@demo.shop", "demo-customer-pass", None, "Alex", "Morgan"),
]

# (English name, Chinese name, slug, drawing, sizes, base price). Every text of the demo is in
# both languages, written as the factory would write it for its own buyers.
CATEGORIES = [
    ("Shirts", "衬衫", "shirts", "shirt", ["S", "M", "L", "XL"], Decimal("189")),
    ("Trousers", "裤装", "trousers", "trousers", ["S", "M", "L", "XL", "XXL"], Decimal("259")),
    ("Dresses", "连衣裙", "dresses", "dress", ["XS", "S", "M", "L"], Decimal("329")),
    ("Jackets", "外套", "jackets", "jacket", ["S", "M", "L", "XL"], Decimal("499")),
    ("Knitwear", "针织衫", "knitwear", "knit", ["S", "M", "L"], Decimal("289")),
]

# (English, Chinese) per garment.
NAMES = {
    "Shirts": [
        ("Linen work shirt", "亚麻工装衬衫"),
        ("Band-collar shirt", "立领衬衫"),
        ("Oxford cotton shirt", "牛津纺纯棉衬衫"),
        ("Seersucker camp shirt", "泡泡纱古巴领衬衫"),
        ("Flannel overshirt", "法兰绒衬衫外套"),
        ("Poplin tunic shirt", "府绸套头长衬衫"),
        ("Chambray shirt", "青年布衬衫"),
    ],
    "Trousers": [
        ("Wide-leg linen trousers", "亚麻阔腿裤"),
        ("Pleated wool trousers", "羊毛打褶西裤"),
        ("Selvedge denim jeans", "赤耳丹宁牛仔裤"),
        ("Drawstring cotton trousers", "纯棉抽绳裤"),
        ("Carpenter trousers", "木匠工装裤"),
        ("Cropped chinos", "九分卡其裤"),
        ("Corduroy trousers", "灯芯绒长裤"),
    ],
    "Dresses": [
        ("Smock dress", "罩衫式连衣裙"),
        ("Wrap dress", "裹身连衣裙"),
        ("Linen shirt dress", "亚麻衬衫裙"),
        ("Pinafore dress", "背带裙"),
        ("Tiered cotton dress", "纯棉拼层连衣裙"),
        ("Slip dress", "吊带连衣裙"),
    ],
    "Jackets": [
        ("Chore jacket", "工装夹克"),
        ("Quilted liner jacket", "绗缝内胆夹克"),
        ("Waxed cotton jacket", "油蜡棉夹克"),
        ("Denim trucker jacket", "牛仔夹克"),
        ("Wool overcoat", "羊毛大衣"),
        ("Field jacket", "户外野战夹克"),
    ],
    "Knitwear": [
        ("Fisherman jumper", "渔夫毛衣"),
        ("Merino crew neck", "美利奴圆领毛衣"),
        ("Cotton cardigan", "纯棉开衫"),
        ("Mohair vest", "马海毛背心"),
        ("Ribbed turtleneck", "罗纹高领毛衣"),
        ("Cable-knit cardigan", "麻花针织开衫"),
    ],
}

MATERIALS = {
    "Shirts": (
        "100% linen from Hubei mills, 160 gsm",
        "100% 亚麻，湖北本地纺织厂织造，160 克/平方米",
    ),
    "Trousers": ("Cotton twill, 12 oz, garment washed", "纯棉斜纹布，12 盎司，成衣水洗"),
    "Dresses": ("Cotton-linen blend, pre-shrunk", "棉麻混纺面料，已做预缩处理"),
    "Jackets": ("Cotton canvas, corozo buttons", "纯棉帆布，果实扣"),
    "Knitwear": ("Merino wool, 12 gauge", "美利奴羊毛，12 针"),
}

# How each kind fits, said the way the factory says it to buyers (偏大 / 偏小).
FIT = {
    "Shirts": ("True to size.", "尺码标准，按平时的尺码选即可。"),
    "Trousers": (
        "The waist runs a little small; between two sizes, take the larger.",
        "腰围略偏小，介于两个尺码之间时建议选大一码。",
    ),
    "Dresses": ("True to size.", "尺码标准，按平时的尺码选即可。"),
    "Jackets": (
        "Cut roomy to go over a jumper; size down for a closer fit.",
        "版型偏大，里面可以穿毛衣；喜欢合身的可以选小一码。",
    ),
    "Knitwear": ("Runs large: most people take one size down.", "版型偏大，一般建议选小一码。"),
}

CARE = (
    "Wash cold, inside out. Dry flat in the shade. Iron on medium.",
    "洗涤说明：翻面冷水洗涤，阴凉处平铺晾干，中温熨烫。",
)

SIZE_CHART = {
    "Shirts": (
        "Size | Chest cm | Length cm | Sleeve cm\nS | 100 | 70 | 60\nM | 106 | 72 | 62\nL | 112 | 74 | 63\nXL | 118 | 76 | 64",
        "尺码 | 胸围 cm | 衣长 cm | 袖长 cm\nS | 100 | 70 | 60\nM | 106 | 72 | 62\nL | 112 | 74 | 63\nXL | 118 | 76 | 64",
    ),
    "Trousers": (
        "Size | Waist cm | Hip cm | Inseam cm\nS | 72 | 98 | 76\nM | 78 | 104 | 78\nL | 84 | 110 | 80\nXL | 90 | 116 | 81\nXXL | 96 | 122 | 82",
        "尺码 | 腰围 cm | 臀围 cm | 内长 cm\nS | 72 | 98 | 76\nM | 78 | 104 | 78\nL | 84 | 110 | 80\nXL | 90 | 116 | 81\nXXL | 96 | 122 | 82",
    ),
    "Dresses": (
        "Size | Bust cm | Waist cm | Length cm\nXS | 84 | 68 | 110\nS | 88 | 72 | 112\nM | 94 | 78 | 114\nL | 100 | 84 | 116",
        "尺码 | 胸围 cm | 腰围 cm | 裙长 cm\nXS | 84 | 68 | 110\nS | 88 | 72 | 112\nM | 94 | 78 | 114\nL | 100 | 84 | 116",
    ),
    "Jackets": (
        "Size | Chest cm | Length cm | Sleeve cm\nS | 108 | 70 | 62\nM | 114 | 72 | 63\nL | 120 | 74 | 64\nXL | 126 | 76 | 65",
        "尺码 | 胸围 cm | 衣长 cm | 袖长 cm\nS | 108 | 70 | 62\nM | 114 | 72 | 63\nL | 120 | 74 | 64\nXL | 126 | 76 | 65",
    ),
    "Knitwear": (
        "Size | Chest cm | Length cm\nS | 104 | 64\nM | 110 | 66\nL | 116 | 68",
        "尺码 | 胸围 cm | 衣长 cm\nS | 104 | 64\nM | 110 | 66\nL | 116 | 68",
    ),
}

# The profile in both languages: (field, English, Chinese).
PROFILE_TEXTS = [
    ("name", "Jinghe Garment Works", "景和制衣"),
    (
        "tagline",
        "Honest clothes from a small factory in the hills of Hubei.",
        "湖北山里的一家小厂，做实实在在的衣服。",
    ),
    (
        "story",
        "We are a workshop of 23 people in Yichang, Hubei, sewing for other brands since 2004.\n\n"
        "Now we sell under our own name: the same seams, the same cloth, without the markup. "
        "Every order is cut, sewn and checked by the people you can write to.",
        "我们是湖北宜昌一家 23 人的制衣工坊，从 2004 年起一直为别的品牌代工。\n\n"
        "现在我们用自己的名字卖衣服：一样的做工，一样的面料，省掉了中间的层层加价。"
        "每一单都由你可以直接写信联系的师傅们裁剪、缝制、检验。",
    ),
    ("location", "Yichang, Hubei, China", "中国湖北宜昌"),
    (
        "difference",
        "Cloth from mills within 300 km; we visit each one.\n"
        "Every seam double-stitched and checked by hand before it ships.\n"
        "Write to us and the person who answers works on the factory floor.",
        "面料都来自 300 公里以内的纺织厂，每一家我们都亲自去看过。\n"
        "每道缝线都双针加固，发货前逐件手工检验。\n"
        "给我们写信，回复你的就是车间里做衣服的人。",
    ),
    (
        "shipping_policy",
        "Ships in 2 working days; delivery in 3–6 days.",
        "2 个工作日内发货，一般 3–6 天送达。",
    ),
    (
        "returns_policy",
        "Free size exchanges within 30 days.",
        "收货 30 天内可免费换尺码。",
    ),
    (
        "bank_transfer_instructions",
        "Transfer to Jinghe Garment Works, Bank of China Yichang branch, account "
        "6217 0000 0000 0000. Put your order number in the transfer note.",
        "请转账至：宜昌景和制衣有限公司，中国银行宜昌分行，账号 6217 0000 0000 0000。"
        "转账附言请填写订单号。",
    ),
]
# A licence and ICP number of the right shape, so the demo's footer shows where they go.
DEMO_LICENCE = {
    "licence_company": "宜昌景和制衣有限公司",
    "licence_number": "91420500MA4F2K3J7X",
    "icp_number": "鄂ICP备2026000001号-1",
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
        else:
            created = self.create_garments(options["images"])
            self.stdout.write(self.style.SUCCESS(f"Demo shop ready: {created} garments."))
        # After the garments: the higher apps add their demo rows (support: canned replies in
        # both languages; followups: the first weeks of orders, reviews and tickets). Each
        # receiver adds only what is missing, so a second run adds nothing.
        for _receiver, told in demo_seeded.send(sender=self.__class__):
            if isinstance(told, dict):
                figures = ", ".join(f"{n} {what}" for what, n in told.items())
                self.stdout.write(self.style.SUCCESS(f"Demo history: {figures}."))

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
        """The profile in both languages; a demo profile from before the shop had two
        languages gets its Chinese texts (and the legal details) added, nothing overwritten."""
        profile = ShopProfile.load()
        written = False
        for field, english, chinese in PROFILE_TEXTS:
            # A new profile holds the field's default ("Our workshop") in every language.
            default = ShopProfile._meta.get_field(field).get_default()
            for column, text in ((f"{field}_en", english), (f"{field}_zh_hans", chinese)):
                if getattr(profile, column) in (None, "", default):
                    setattr(profile, column, text)
                    written = True
        if not profile.contact_email:
            profile.contact_email = "hello@jinghe.example"
            profile.contact_phone = "+86 717 555 0142"
            profile.currency = "CNY"
            written = True
        for field, value in DEMO_LICENCE.items():
            if not getattr(profile, field):
                setattr(profile, field, value)
                written = True
        if written:
            profile.save()

    @transaction.atomic
    def create_garments(self, images_per_product: int) -> int:
        rng = random.Random(2026)
        count = 0
        for position, (name_en, name_zh, cat_slug, shape, sizes, base_price) in enumerate(
            CATEGORIES
        ):
            category, _ = Category.objects.get_or_create(
                slug=cat_slug,
                defaults={"name_en": name_en, "name_zh_hans": name_zh, "position": position},
            )
            if not category.name_zh_hans:
                category.name_zh_hans = name_zh
                category.save()
            material, fit, chart = MATERIALS[name_en], FIT[name_en], SIZE_CHART[name_en]
            for index, (english, chinese) in enumerate(NAMES[name_en]):
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
                slug = english.lower().replace(" ", "-")
                price = base_price + Decimal(rng.choice([0, 10, 20, 30, 40, 60]))
                product = Product(
                    name_en=english,
                    name_zh_hans=chinese,
                    slug=slug,
                    category=category,
                    status=Product.Status.ACTIVE,
                    featured=index == 0,
                    price=price,
                    description_en=(
                        f"{english}, cut for everyday work and made to last. Cut and sewn in "
                        f"our Yichang workshop. {fit[0]}"
                    ),
                    description_zh_hans=(
                        f"{chinese}，为日常干活穿而设计，结实耐穿。在我们宜昌的工坊里裁剪、"
                        f"缝制。{fit[1]}"
                    ),
                    material_en=material[0],
                    material_zh_hans=material[1],
                    care_en=CARE[0],
                    care_zh_hans=CARE[1],
                    size_chart_en=chart[0],
                    size_chart_zh_hans=chart[1],
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
                # No alt text of its own: a photo's alt is then the product's name, in the
                # visitor's language.
                save_product(product, variants=cells, new_images=photos)
                count += 1
        return count
