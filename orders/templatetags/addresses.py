from django import template

from orders import phones, regions

register = template.Library()


@register.filter
def phone_national(stored: str) -> str:
    """{{ order.phone|phone_national }}: 138 0013 8000 for a Chinese mobile, others as stored."""
    return phones.national(stored)


@register.filter
def phone_masked(stored: str) -> str:
    """{{ order.phone|phone_masked }}: 138****8000, for a page someone else may see."""
    return phones.masked(stored)


@register.filter
def cn_area(order) -> str:
    """{{ order|cn_area }}: 湖北省宜昌市西陵区 (北京市东城区: a municipality named once)."""
    return regions.one_line(order.region, order.city, order.district)
