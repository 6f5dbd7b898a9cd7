"""`{% sections "slot" %}`: the parts higher apps registered for this page (shop.sections)."""

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def sections(context, slot: str = "main") -> str:
    """Render each part of `slot` with the page's context plus the part's own."""
    parts = (context.get("sections") or {}).get(slot, ())
    engine = context.template.engine
    html = []
    for part in parts:
        with context.push(part.context):
            html.append(engine.get_template(part.template).render(context))
    # Each part is a template rendered with autoescaping: its output is markup already.
    return mark_safe("".join(html))  # noqa: S308
