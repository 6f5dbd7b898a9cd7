from django import template

from orders.couriers import carrier_label

register = template.Library()


@register.filter
def carrier_name(stored: str) -> str:
    """Order.carrier in the reader's language: {{ order.carrier|carrier_name }}."""
    return carrier_label(stored)
