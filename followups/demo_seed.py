"""The demo's first weeks of trade, made through the real services (on shop.signals.demo_seeded).

Buyers, mostly Chinese, a few English, place orders that are shipped and delivered; they answer
their care checks, write verified reviews through their review links (some with photos, fit and
height), the owner replies to a few and hides one for a policy reason; tickets are opened,
answered, resolved and their "was this solved?" answered. So a fresh demo opens with product
pages that show reviews and fit, JSON-LD ratings, and dashboard figures that mean something.

It lives here, in the top app, because the story crosses every app below (orders, support,
reviews, and the follow-ups themselves); shop only sends the signal.

The services stamp "now"; each step's rows are then dated over the last weeks with
queryset.update (auto_now_add fields take no value). The emails of the story are recorded as
already sent when they happened (the demo's outbox shows them; nothing is sent again), and
the follow-ups of the story are sent, answered or skipped as they would have been, so the worker
does not send a storm of old care checks and review requests on first start.
"""

import io
import random
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Max
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw

from messaging.models import Message
from orders import services as orders
from orders.couriers import COURIERS
from orders.models import Order, OrderEvent
from reviews import services as reviews
from reviews.models import HideReason, ModerationLog, Review, ReviewReply
from shop.images import clean_image
from shop.models import Product, Variant
from shop.signals import demo_seeded
from support import services as support
from support.models import CannedReply, SatisfactionAnswer, Ticket, TicketMessage

from .models import FollowUp
from .services import answer_care_check

KEY = "demo-history-"  # every story order's checkout key starts so: the story is told once
ZH, EN = "zh-hans", "en"

# (name, email, phone, city, address, postcode, language)
BUYERS = {
    "wang": (
        "王芳",
        "wang.fang@example.com",
        "+8613800138001",
        "武汉",
        "洪山区珞喻路 152 号 3 栋 601",
        "430070",
        ZH,
    ),
    "li": (
        "李娜",
        "lina.88@example.com",
        "+8613800138002",
        "宜昌",
        "西陵区东山大道 96 号 2 单元 402",
        "443000",
        ZH,
    ),
    "zhang": (
        "张伟",
        "zhangwei.sh@example.com",
        "+8613800138003",
        "上海",
        "徐汇区漕溪北路 398 号 1104 室",
        "200030",
        ZH,
    ),
    "liu": (
        "刘洋",
        "liuyang@example.com",
        "+8613800138004",
        "成都",
        "武侯区科华北路 65 号 5 楼",
        "610041",
        ZH,
    ),
    "chen": (
        "陈静",
        "chen.jing.hz@example.com",
        "+8613800138005",
        "杭州",
        "西湖区文三路 259 号 8 幢 302",
        "310012",
        ZH,
    ),
    "yang": (
        "杨帆",
        "yangfan@example.com",
        "+8613800138006",
        "北京",
        "海淀区中关村南大街 27 号 1 号楼 903",
        "100081",
        ZH,
    ),
    "zhao": (
        "赵磊",
        "zhaolei@example.com",
        "+8613800138007",
        "南京",
        "鼓楼区汉口路 22 号 11 舍 205",
        "210093",
        ZH,
    ),
    "huang": (
        "黄丽",
        "huangli.gz@example.com",
        "+8613800138008",
        "广州",
        "天河区天河北路 233 号 1807",
        "510620",
        ZH,
    ),
    "zhou": (
        "周杰",
        "zhoujie@example.com",
        "+8613800138009",
        "长沙",
        "岳麓区麓山南路 932 号 6 栋 101",
        "410083",
        ZH,
    ),
    "wu": (
        "吴敏",
        "wumin@example.com",
        "+8613800138010",
        "苏州",
        "姑苏区人民路 1168 号 4 幢 502",
        "215002",
        ZH,
    ),
    "xu": (
        "徐婷",
        "xuting@example.com",
        "+8613800138011",
        "重庆",
        "渝中区解放碑民族路 188 号 22 楼",
        "400010",
        ZH,
    ),
    "sun": (
        "孙浩",
        "sunhao@example.com",
        "+8613800138012",
        "西安",
        "雁塔区小寨东路 126 号 3 单元 701",
        "710061",
        ZH,
    ),
    "ouyang": (
        "欧阳娜娜",
        "ouyang.nn@example.com",
        "+8613800138013",
        "深圳",
        "南山区科技园南区 R2-B 栋 9 楼",
        "518057",
        ZH,
    ),
    "guo": (
        "郭晓",
        "guoxiao@example.com",
        "+8613800138017",
        "郑州",
        "金水区花园路 39 号 2 号楼 1203",
        "450003",
        ZH,
    ),
    "he": (
        "何静怡",
        "he.jingyi@example.com",
        "+8613800138018",
        "厦门",
        "思明区湖滨南路 57 号 606",
        "361004",
        ZH,
    ),
    "luo": (
        "罗斌",
        "luobin@example.com",
        "+8613800138019",
        "昆明",
        "五华区翠湖南路 8 号 4 栋 302",
        "650031",
        ZH,
    ),
    "sophie": (
        "Sophie Turner",
        "sophie.t@example.com",
        "+8613800138020",
        "Suzhou",
        "Flat 8, 21 Xinghai Street, SIP",
        "215021",
        EN,
    ),
    "emma": (
        "Emma Clarke",
        "emma.clarke@example.com",
        "+8613800138014",
        "Shanghai",
        "Apt 1202, 88 Julu Road, Jing'an",
        "200040",
        EN,
    ),
    "daniel": (
        "Daniel Brooks",
        "d.brooks@example.com",
        "+8613800138015",
        "Beijing",
        "Unit 5, 12 Sanlitun Road, Chaoyang",
        "100027",
        EN,
    ),
    "alex": (
        "Alex Morgan",
        "customer@demo.shop",
        "+8613800138016",
        "Hangzhou",
        "Room 301, 18 Nanshan Road",
        "310002",
        EN,
    ),
}

# Review texts as buyers write them, by language and fit: (rating, title, body).
TEXTS = {
    ZH: {
        "true": [
            (
                5,
                "尺码很准，做工扎实",
                "平时穿 M，买了 M 刚刚好。面料厚实不透，线头处理得很干净，洗了两次没有缩水。",
            ),
            (5, "比商场买的还好", "收到有点意外，针脚很密，扣子也缝得牢。按尺码表选的，完全合身。"),
            (4, "不错，会回购", "版型正，穿着舒服。颜色比图片稍微深一点，不过也好看。"),
            (5, "第二次买了", "上次买了一件很满意，这次又给家里人买。尺码和平时一样选就行。"),
            (4, "面料舒服", "亚麻的手感很好，刚开始有点硬，洗一次就软了。尺码标准。"),
            (5, "细节用心", "领口和袖口的走线很整齐，看得出是认真做的。大小正好。"),
        ],
        "small": [
            (
                4,
                "腰围偏小，建议拍大一码",
                "平时穿 M，这条 M 腰有点紧，换了 L 就刚好。面料和做工都没话说。",
            ),
            (4, "偏小一点", "裤长合适，就是腰围比尺码表写的略小，坐下来有点勒。下次买大一码。"),
            (3, "尺码偏小", "质量挺好，但是偏小，已经联系客服换了大一码，换货很快。"),
            (5, "换大一码后完美", "第一次买小了，客服很耐心，换了大一码后非常合身，布料很耐磨。"),
        ],
        "large": [
            (5, "宽松好看", "版型偏大，里面穿一件毛衣也不紧。我一米七平时穿 L，这件 M 就够了。"),
            (
                4,
                "偏大，可以拍小一码",
                "衣服很厚实，做工好，就是比平时的尺码大一些，喜欢合身的建议选小一码。",
            ),
            (5, "很暖和", "冬天穿刚好，偏大一点，正好可以叠穿。颜色很正。"),
            (4, "质量很好，略大", "领口做得很好，不扎人。尺码偏大，我换了小一码。"),
        ],
    },
    EN: {
        "true": [
            (
                5,
                "True to size, solid seams",
                "I took my usual M and it fits well. The cloth is heavier than I expected and it has not shrunk after three washes.",
            ),
            (
                4,
                "Good everyday piece",
                "Well made and comfortable. The colour is a little darker than the photo, which I like.",
            ),
            (
                5,
                "Better than the big brands",
                "Neat stitching, buttons sewn on properly. Ordered by the size chart and it fits.",
            ),
        ],
        "small": [
            (
                4,
                "Take one size up",
                "The waist runs small: I usually wear M and swapped it for an L, which fits. The exchange was quick.",
            ),
        ],
        "large": [
            (
                5,
                "Roomy, warm",
                "Cut generously, so a jumper fits underneath. I usually wear L and the M is plenty.",
            ),
            (4, "Runs large", "Lovely weight and finish, but size down if you like a closer fit."),
        ],
    },
}
# How each kind fits the buyers, as the factory's own size notes say (seed_demo's FIT).
FIT_OF = {
    "shirts": ["true", "true", "true", "small", "true"],
    "dresses": ["true", "true", "large", "true", "true"],
    "trousers": ["small", "small", "true", "small", "small"],
    "jackets": ["large", "large", "true", "large", "large"],
    "knitwear": ["large", "true", "large", "large", "large"],
}
SIZES_WORN = ["S", "M", "M", "L", "M", "XL", "L", "M"]

# The story's orders: (buyer, days ago placed, [(product slug, size), ...], what happened).
# "review" = delivered, care check answered, reviewed; "review_photo" = the same with a photo;
# "delivered" = delivered, asked for a review, none yet; "hidden" = reviewed with someone's
# phone number in it, hidden by the owner; "problem" = its care check reported
# a problem (a ticket); "shipped" = on its way; "paid", "placed" = to ship; "transfer" = waits
# for its bank transfer.
ORDERS = [
    ("wang", 48, [("linen-work-shirt", "M"), ("wide-leg-linen-trousers", "M")], "review_photo"),
    ("li", 46, [("smock-dress", "S")], "review"),
    ("zhang", 45, [("chore-jacket", "L")], "review"),
    ("emma", 44, [("linen-work-shirt", "S")], "review"),
    ("liu", 42, [("fisherman-jumper", "M")], "review_photo"),
    ("chen", 41, [("wide-leg-linen-trousers", "S"), ("smock-dress", "M")], "review"),
    ("yang", 39, [("chore-jacket", "M")], "review"),
    ("zhao", 38, [("linen-work-shirt", "L")], "review"),
    ("huang", 37, [("smock-dress", "M")], "review_photo"),
    ("zhou", 36, [("wide-leg-linen-trousers", "L")], "problem"),
    ("daniel", 35, [("chore-jacket", "XL"), ("fisherman-jumper", "L")], "review"),
    ("wu", 33, [("fisherman-jumper", "S")], "review"),
    ("xu", 32, [("linen-work-shirt", "M"), ("smock-dress", "S")], "review"),
    ("sun", 31, [("wide-leg-linen-trousers", "M")], "review"),
    ("ouyang", 30, [("chore-jacket", "M")], "review_photo"),
    ("alex", 29, [("linen-work-shirt", "M")], "review"),
    ("wang", 27, [("fisherman-jumper", "M")], "review"),
    ("li", 26, [("wide-leg-linen-trousers", "S"), ("band-collar-shirt", "S")], "review"),
    ("zhang", 25, [("smock-dress", "L")], "review"),
    ("yang", 24, [("fisherman-jumper", "L"), ("oxford-cotton-shirt", "L")], "review"),
    ("emma", 22, [("wrap-dress", "S")], "review"),
    ("huang", 21, [("chore-jacket", "S")], "review"),
    ("chen", 20, [("pleated-wool-trousers", "S")], "review"),
    ("liu", 19, [("merino-crew-neck", "M")], "hidden"),
    ("guo", 18, [("wide-leg-linen-trousers", "M"), ("chore-jacket", "L")], "review"),
    ("sophie", 18, [("wide-leg-linen-trousers", "S")], "review"),
    ("he", 17, [("smock-dress", "S"), ("fisherman-jumper", "M")], "review"),
    ("luo", 16, [("linen-work-shirt", "L")], "review_photo"),
    ("zhao", 17, [("linen-work-shirt", "XL")], "review"),
    ("sun", 15, [("quilted-liner-jacket", "L")], "delivered"),
    ("wu", 10, [("selvedge-denim-jeans", "M")], "delivered"),
    ("daniel", 8, [("flannel-overshirt", "L")], "delivered"),
    ("xu", 6, [("cotton-cardigan", "M")], "shipped"),
    ("ouyang", 3, [("linen-shirt-dress", "S")], "transfer"),
    ("alex", 2, [("chore-jacket", "M")], "shipped"),
    ("zhou", 1, [("band-collar-shirt", "L")], "paid"),
    ("wang", 0, [("smock-dress", "M")], "placed"),
]

OWNER_REPLIES = {
    ZH: "谢谢您的评价！能穿得合身我们很开心。以后有任何尺码问题，直接给我们写信就好。——景和制衣 林伟",
    EN: "Thank you for writing this. We are glad it fits; if anything ever needs changing, write to us. — Lin Wei, Jinghe Garment Works",
}
SMALL_REPLY = {
    ZH: "谢谢反馈！这款腰围确实偏小，我们已经在页面上写明建议选大一码，换尺码一直免费。——景和制衣",
    EN: "Thank you: the waist does run small; the page now says to take one size up, and exchanges stay free. — Jinghe Garment Works",
}
HIDDEN_REVIEW = (
    2,
    "快递员电话给大家",
    "衣服还行。送货的师傅是 139 0000 1234，住在我们小区 5 栋，有问题直接打他电话。",
)

# Tickets besides the care check's: (buyer, days ago, topic, language, question, staff answer
# (None: the size-exchange canned reply), solved?, satisfaction comment), answered and resolved.
TICKETS = [
    (
        "li",
        21,
        Ticket.Topic.SIZE,
        "裤子腰围有点紧，可以换大一码吗？衣服还没洗过。",
        None,
        True,
        "换货很快，谢谢！",
    ),
    (
        "emma",
        20,
        Ticket.Topic.DELIVERY,
        "Hello, my tracking page has not moved for two days. Is my parcel lost?",
        "Hi Emma, SF had a backlog at the Shanghai depot after the rain; your parcel is moving again and should reach you tomorrow. Sorry for the wait.",
        True,
        "",
    ),
    (
        "yang",
        16,
        Ticket.Topic.DEFECT,
        "毛衣袖口有一处脱线，能修吗？",
        "杨先生您好，很抱歉！请把毛衣寄回，邮费我们出，师傅修好后两天内寄还给您。",
        False,
        "修好了，但来回花了一周多。",
    ),
    (
        "huang",
        9,
        Ticket.Topic.OTHER,
        "请问这款连衣裙以后会出长袖的吗？",
        "黄女士您好，秋天会出长袖款，面料一样，上新时我们会在店里公告。",
        True,
        "",
    ),
]
# Still waiting for an answer this morning: the staff inbox has work.
OPEN_TICKETS = [
    ("ouyang", ZH, Ticket.Topic.PAYMENT, "我已经转账了，附言写了订单号，请帮忙确认一下，谢谢。"),
    (
        "daniel",
        EN,
        Ticket.Topic.SIZE,
        "The flannel overshirt is lovely but a bit roomy on me. Can I exchange the L for an M?",
    ),
]


@dataclass
class Marks:
    """The last ids of the tables a step writes, so each step's new rows can be dated."""

    message: int
    event: int
    ticket_message: int

    @classmethod
    def now(cls) -> "Marks":
        def top(model) -> int:
            return model.objects.aggregate(m=Max("pk"))["m"] or 0

        return cls(top(Message), top(OrderEvent), top(TicketMessage))


class Story:
    def __init__(self, now: datetime):
        self.now = now
        self.rng = random.Random(14)
        self.marks = Marks.now()
        self.staff = get_user_model().objects.filter(email="support@demo.shop").first()
        self.owner = get_user_model().objects.filter(email="owner@demo.shop").first()
        self.counts = {"orders": 0, "reviews": 0, "photos": 0, "tickets": 0, "replies": 0}
        self.fit_turn: dict[str, int] = {}
        self.text_turn: dict[tuple, int] = {}

    # ------------------------------------------------------------- dating
    def at(self, days_ago: float, hour: int = 10) -> datetime:
        """A moment `days_ago` days back at about `hour` o'clock, never in the future."""
        local = timezone.localtime(self.now) - timedelta(days=days_ago)
        moment = local.replace(hour=hour, minute=self.rng.randrange(60), second=0, microsecond=0)
        return min(moment, self.now - timedelta(minutes=5))

    def stamp(self, when: datetime) -> None:
        """Date the rows the last step wrote at `when`; its emails count as sent then."""
        m = self.marks
        Message.objects.filter(pk__gt=m.message).update(
            created_at=when,
            sent_at=when,
            next_attempt_at=when,
            state=Message.State.SENT,
            attempts=1,
        )
        OrderEvent.objects.filter(pk__gt=m.event).update(created_at=when)
        TicketMessage.objects.filter(pk__gt=m.ticket_message).update(created_at=when)
        self.marks = Marks.now()

    # ------------------------------------------------------------- orders
    def variant(self, slug: str, size: str) -> Variant | None:
        in_stock = Variant.objects.filter(product__slug=slug, is_active=True, stock__gt=0)
        return (
            in_stock.filter(size=size).order_by("-stock", "pk").first()
            or in_stock.order_by("-stock", "pk").first()
        )

    def place(self, number: int, who: str, days: int, items: list, paid_by: str) -> Order | None:
        name, email, phone, city, address, postcode, language = BUYERS[who]
        variants = [v for v in (self.variant(slug, size) for slug, size in items) if v]
        if not variants:
            return None
        order = orders.place_order(
            {v.pk: 1 for v in variants},
            orders.Buyer(
                email=email,
                name=name,
                phone=phone,
                address_line1=address,
                city=city,
                postcode=postcode,
            ),
            payment_method=paid_by,
            checkout_key=f"{KEY}{number:03d}",
            language=language,
        )
        placed = self.at(days, hour=self.rng.choice([9, 12, 20, 21, 22]))
        Order.objects.filter(pk=order.pk).update(placed_at=placed)
        self.stamp(placed)
        self.counts["orders"] += 1
        return order

    def ship(self, order: Order, days: float) -> None:
        courier = COURIERS[self.rng.randrange(3)]
        prefix = courier.example.rstrip("0123456789")
        digits = len(courier.example) - len(prefix)
        number = prefix + "".join(str(self.rng.randrange(10)) for _digit in range(digits))
        when = self.at(days, hour=16)
        orders.mark_shipped(
            order,
            carrier=courier.name,
            tracking_number=number,
            tracking_url=courier.url.format(number=number),
            acting_user=self.owner,
        )
        Order.objects.filter(pk=order.pk).update(shipped_at=when)
        self.stamp(when)

    def deliver(self, order: Order, days: float) -> None:
        when = self.at(days, hour=14)
        orders.mark_delivered(order, acting_user=self.owner)
        Order.objects.filter(pk=order.pk).update(delivered_at=when)
        # Cash on delivery was paid to the courier on delivery.
        Order.objects.filter(pk=order.pk, payment_method="cod", paid_at__isnull=False).update(
            paid_at=when
        )
        self.stamp(when)
        # The follow-ups were planned in the delivering transaction; they fall due as they
        # would have (care check after 2 days, review request after 7, reminder after 14).
        for kind, after in (("care_check", 2), ("review_request", 7), ("reminder", 14)):
            due = when + timedelta(days=after)
            FollowUp.objects.filter(order=order, kind=kind).update(due_at=due, created_at=when)
            if due < self.now:
                FollowUp.objects.filter(order=order, kind=kind).update(
                    state=FollowUp.State.SENT, sent_at=due, attempts=1
                )

    # ------------------------------------------------------------- reviews
    def photo(self, seed: int) -> object:
        """A buyer's phone photo of the garment: small, made with Pillow."""
        rng = random.Random(seed)
        image = Image.new("RGB", (360, 480), (rng.randrange(180, 230),) * 3)
        draw = ImageDraw.Draw(image)
        colour = (rng.randrange(40, 160), rng.randrange(40, 140), rng.randrange(40, 120))
        draw.rounded_rectangle((70, 60, 290, 430), radius=28, fill=colour)
        draw.rectangle((70, 60, 290, 110), fill=tuple(max(0, c - 30) for c in colour))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=80)
        upload = SimpleUploadedFile(f"photo-{seed}.jpg", buffer.getvalue(), "image/jpeg")
        return clean_image(upload)

    def review(self, order: Order, days: float, *, with_photo: bool) -> list[Review]:
        """The buyer opens the link of their review request and reviews every line."""
        order = reviews.order_for_token(reviews.review_token(order))
        language = order.language
        rows = []
        for index, line in enumerate(order.lines.select_related("product__category")):
            category = line.product.category.slug
            turn = self.fit_turn.get(category, 0)
            self.fit_turn[category] = turn + 1
            fit = FIT_OF[category][turn % len(FIT_OF[category])]
            pool = TEXTS[language][fit]
            pick = self.text_turn.get((language, fit), 0)
            self.text_turn[(language, fit)] = pick + 1
            rating, title, body = pool[pick % len(pool)]
            height = self.rng.randrange(155, 186) if self.rng.random() < 0.8 else None
            photos = (
                [self.photo(zlib.crc32(f"{order.pk}-{index}".encode()))]
                if (with_photo and index == 0)
                else []
            )
            data = reviews.ReviewInput(
                rating=rating,
                fit=fit,
                title=title,
                body=body,
                display_name=reviews.default_display_name(order.name),
                height_cm=height,
                usual_size=self.rng.choice(SIZES_WORN) if height else "",
            )
            rows.append((line, data, photos))
            self.counts["photos"] += len(photos)
        written = reviews.publish_reviews(rows)
        when = self.at(days, hour=self.rng.choice([8, 13, 21, 22]))
        Review.objects.filter(pk__in=[r.pk for r in written]).update(created_at=when)
        # Reviewed: the reminder is not sent (the dispatcher's own reason).
        FollowUp.objects.filter(order=order, kind="reminder", sent_at__gt=when).update(
            state=FollowUp.State.SKIPPED,
            sent_at=None,
            attempts=0,
            skip_reason=_("already reviewed"),
        )
        FollowUp.objects.filter(order=order, kind="reminder", state=FollowUp.State.PLANNED).update(
            state=FollowUp.State.SKIPPED, skip_reason=_("already reviewed")
        )
        self.stamp(when)
        self.counts["reviews"] += len(written)
        return written

    def reply(self, review: Review, body: str, when: datetime) -> None:
        reviews.reply_to_review(review, body=body, acting_user=self.owner)
        ReviewReply.objects.filter(review=review).update(created_at=when, updated_at=when)
        self.counts["replies"] += 1

    # ------------------------------------------------------------- tickets
    def care_check(self, order: Order, answer: str) -> Ticket | None:
        row = FollowUp.objects.get(order=order, kind="care_check")
        ticket = answer_care_check(row, answer)
        answered = (row.sent_at or row.due_at) + timedelta(hours=self.rng.randrange(1, 20))
        answered = min(answered, self.now - timedelta(minutes=10))
        FollowUp.objects.filter(pk=row.pk).update(answered_at=answered)
        if ticket is not None:
            self.date_ticket(ticket, opened=answered)
            self.stamp(answered)
        return ticket

    def date_ticket(self, ticket: Ticket, opened: datetime) -> None:
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=opened,
            first_response_due=opened + (ticket.first_response_due - ticket.created_at),
            resolution_due=opened + (ticket.resolution_due - ticket.created_at),
        )

    def answer_and_resolve(self, ticket: Ticket, opened, answer: str, solved, comment: str):
        replied = opened + timedelta(hours=self.rng.choice([1, 2, 3, 5]))
        support.reply_to_ticket(ticket, answer, acting_user=self.staff)
        Ticket.objects.filter(pk=ticket.pk).update(first_response_at=replied)
        self.stamp(replied)
        resolved = replied + timedelta(hours=self.rng.choice([6, 20, 26]))
        support.resolve_ticket(ticket, acting_user=self.staff)
        Ticket.objects.filter(pk=ticket.pk).update(resolved_at=resolved, updated_at=resolved)
        self.stamp(resolved)
        # The "was this solved?" question went out an hour later and was answered that day.
        asked = resolved + timedelta(hours=1)
        FollowUp.objects.filter(ticket=ticket, kind="satisfaction").update(
            due_at=asked, created_at=resolved, state=FollowUp.State.SENT, sent_at=asked, attempts=1
        )
        support.answer_satisfaction(ticket, solved=solved, comment=comment)
        answered = min(asked + timedelta(hours=4), self.now - timedelta(minutes=5))
        SatisfactionAnswer.objects.filter(ticket=ticket).update(
            answered_at=answered, created_at=resolved
        )
        self.counts["tickets"] += 1

    def ticket(self, who: str, days: int, topic: str, language: str, body: str, order=None):
        name, email, *_rest = BUYERS[who]
        opened = self.at(days, hour=self.rng.choice([9, 11, 19, 22]))
        ticket = support.open_ticket(
            email=email,
            name=name,
            topic=topic,
            body=body,
            order=order,
            order_proven=order is not None,
            language=language,
        )
        self.date_ticket(ticket, opened)
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=opened)
        self.stamp(opened)
        return ticket, opened

    # ------------------------------------------------------------- the story
    def tell(self) -> dict:
        placed: dict[str, list[Order]] = {}
        written: list[Review] = []
        problem_order = hidden_order = None
        for number, (who, days, items, outcome) in enumerate(ORDERS):
            transfer = outcome in ("paid", "transfer") or number % 5 == 2
            paid_by = "bank_transfer" if transfer else "cod"
            order = self.place(number, who, days, items, paid_by)
            if order is None:
                continue
            placed.setdefault(who, []).append(order)
            if outcome in ("placed", "transfer"):
                continue
            if paid_by == "bank_transfer":
                orders.mark_paid(order, acting_user=self.owner)
                when = self.at(days - 0.5 if days else 0, hour=10)
                Order.objects.filter(pk=order.pk).update(paid_at=when)
                self.stamp(when)
            if outcome == "paid":
                continue
            # One order of the story shipped a day late: the on-time figure is not a flat 100%.
            self.ship(order, days - (3 if number == 13 else 1))
            if outcome == "shipped":
                continue
            self.deliver(order, days - 4)
            if outcome == "problem":
                problem_order = order
                continue
            if outcome == "hidden":
                hidden_order = order
            if days - 6 > 0 and outcome.startswith("review"):
                self.care_check(order, FollowUp.Answer.ALL_GOOD)
            if outcome.startswith("review"):
                written += self.review(order, days - 12, with_photo=outcome == "review_photo")
        if problem_order is not None:
            self.problem(problem_order)
        self.moderate(written, hidden_order)
        for who, days, topic, body, answer, solved, comment in TICKETS:
            name, email, *_rest, language = BUYERS[who]
            order = placed[who][-1] if topic != Ticket.Topic.OTHER else None
            ticket, opened = self.ticket(who, days, topic, language, body, order=order)
            if answer is None:
                canned = CannedReply.objects.filter(title_en="Size exchange").first()
                answer = support.render_canned(
                    getattr(canned, "body_zh_hans" if language == ZH else "body_en", "")
                    or "您好，换尺码没问题，请把衣服寄回，我们收到当天寄出新的。",
                    ticket,
                )
            self.answer_and_resolve(ticket, opened, answer, solved, comment)
        for who, language, topic, body in OPEN_TICKETS:
            self.ticket(who, 0, topic, language, body, order=placed.get(who, [None])[-1])
            self.counts["tickets"] += 1
        return self.counts

    def problem(self, order: Order) -> None:
        """The care check says there is a problem: a ticket, answered and solved."""
        ticket = self.care_check(order, FollowUp.Answer.PROBLEM)
        opened = Ticket.objects.values_list("created_at", flat=True).get(pk=ticket.pk)
        support.reply_to_ticket(ticket, "裤子后袋的线开了一小段，照片上看得到。能换一条吗？")
        self.stamp(opened + timedelta(minutes=20))
        self.answer_and_resolve(
            ticket,
            opened,
            "周先生您好，实在抱歉，是我们检验时漏看了。新的一条今天已经用顺丰寄出，旧的不用寄回。",
            True,
            "处理得很快，新裤子没问题。",
        )

    def moderate(self, written: list[Review], order: Order | None) -> None:
        """A few owner replies, and one review hidden for a policy reason (a stranger's phone)."""
        by_language = {ZH: [], EN: []}
        for review in written:
            by_language[review.order_line.order.language].append(review)
        for review in by_language[ZH][:2] + by_language[EN][:1]:
            self.reply(
                review, OWNER_REPLIES[review.order_line.order.language], self.reply_time(review)
            )
        small = next((r for r in by_language[ZH] if r.fit == "small"), None)
        if small is not None:
            self.reply(small, SMALL_REPLY[ZH], self.reply_time(small))
        # The hidden one: a review with a stranger's phone number in it; the owner hides it
        # for personal data.
        if order is None:
            return
        order.refresh_from_db()
        line = order.lines.first()
        rating, title, body = HIDDEN_REVIEW
        review = reviews.publish_review(
            line,
            reviews.ReviewInput(
                rating=rating,
                fit="true",
                title=title,
                body=body,
                display_name=reviews.default_display_name(order.name),
            ),
        )
        # The buyer wrote before the reminder was due: it was not sent.
        FollowUp.objects.filter(order=order, kind="reminder").update(
            state=FollowUp.State.SKIPPED,
            sent_at=None,
            attempts=0,
            skip_reason=_("already reviewed"),
        )
        reviews.hide_review(
            review,
            reason=HideReason.PERSONAL_DATA,
            acting_user=self.owner,
            note="评价里有快递员的手机号",
        )
        when = order.delivered_at + timedelta(days=9)
        Review.objects.filter(pk=review.pk).update(created_at=when)
        ModerationLog.objects.filter(review=review).update(created_at=when + timedelta(hours=3))
        self.counts["reviews"] += 1

    def reply_time(self, review: Review) -> datetime:
        review.refresh_from_db(fields=["created_at"])
        return min(review.created_at + timedelta(hours=5), self.now - timedelta(minutes=5))


@receiver(demo_seeded, dispatch_uid="followups.demo_history")
def add_demo_history(sender, **kwargs) -> dict | None:
    """Tell the demo's story once: skipped if its orders exist, or the shop has no garments
    (or a shop of its own: the story needs the demo's). All of it or nothing (one
    transaction). Returns the counts told, or None when skipped."""
    if Order.objects.filter(checkout_key__startswith=KEY).exists():
        return None
    if not Product.objects.filter(slug="linen-work-shirt").exists():
        return None
    with transaction.atomic():
        return Story(timezone.now()).tell()
