"""The demo's canned replies, in Chinese and English (added on shop.signals.demo_seeded)."""

from django.dispatch import receiver

from shop.signals import demo_seeded

from .models import CannedReply

# (English title, Chinese title, English body, Chinese body)
CANNED_REPLIES = [
    (
        "Size exchange",
        "换尺码",
        "Hi {customer_name},\n\nThanks for writing. We are happy to exchange the size: send the "
        "garment back unworn with a note of the size you want, and we post the new one the day "
        "it arrives. The exchange is free within 30 days.\n\nJinghe Garment Works",
        "{customer_name}您好：\n\n感谢您的来信。换尺码没问题：请把未穿过的衣服寄回，并附上纸条写明"
        "想换的尺码，我们收到当天就把新的寄出。30 天内换尺码免费。\n\n景和制衣",
    ),
    (
        "Where is my parcel?",
        "包裹到哪里了？",
        "Hi {customer_name},\n\nYour order {order_number} left our workshop and is on its way. "
        "Parcels usually arrive within 3–6 days of shipping; the tracking number is in your "
        "shipping email. If it has not arrived by then, reply here and we will chase it with "
        "the courier.\n\nJinghe Garment Works",
        "{customer_name}您好：\n\n您的订单 {order_number} 已经从工坊发出，正在路上。包裹一般在发货后 "
        "3–6 天送达，快递单号在发货邮件里。如果到时还没收到，请直接回复这里，我们去找快递公司"
        "催。\n\n景和制衣",
    ),
    (
        "Which size should I take?",
        "该选哪个尺码？",
        "Hi {customer_name},\n\nEach product page has a size chart measured on the finished "
        "garment. Lay a garment you like flat, measure it across the chest, and pick the size "
        "closest to it. Our knitwear and jackets run large, our trousers a little small at the "
        "waist.\n\nJinghe Garment Works",
        "{customer_name}您好：\n\n每件商品的页面上都有尺码表，量的是成衣尺寸。您可以把一件穿着合身的"
        "衣服平铺，量一下胸围，再选最接近的尺码。我们的针织衫和外套版型偏大，裤子腰围略偏小。"
        "\n\n景和制衣",
    ),
]


@receiver(demo_seeded)
def add_demo_canned_replies(sender, **kwargs) -> None:
    """Add the demo's canned replies that are not there yet (by English title)."""
    for title_en, title_zh, body_en, body_zh in CANNED_REPLIES:
        if CannedReply.objects.filter(title_en=title_en).exists():
            continue
        CannedReply.objects.create(
            title_en=title_en, title_zh_hans=title_zh, body_en=body_en, body_zh_hans=body_zh
        )
