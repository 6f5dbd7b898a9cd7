"""Template tags of the page-section registries (shop.sections).

`{% sections "slot" %}`: the parts higher apps registered for this page.
`{% manage_menu "slot" %}`: the links each app adds to the owner's and staff's menu.
`{% current "/manage/orders/" %}`: ` aria-current="page"` on the menu link of the page's section.
"""

from django import template
from django.utils.safestring import mark_safe

from ..sections import manage_menu as menu

register = template.Library()


def _render(context, parts) -> str:
    engine = context.template.engine
    html = []
    for part in parts:
        with context.push(part.context):
            html.append(engine.get_template(part.template).render(context))
    # Each part is a template rendered with autoescaping: its output is markup already.
    return mark_safe("".join(html))  # noqa: S308


@register.simple_tag(takes_context=True)
def sections(context, slot: str = "main") -> str:
    """Render each part of `slot` with the page's context plus the part's own."""
    return _render(context, (context.get("sections") or {}).get(slot, ()))


@register.simple_tag(takes_context=True)
def manage_menu(context, slot: str) -> str:
    parts = menu.render_context(context.get("request"), None)["sections"]
    return _render(context, parts.get(slot, ()))


@register.simple_tag(takes_context=True)
def current(context, href: str, exact: bool = False) -> str:
    """` aria-current="page"` when this page is `href` (exact) or lies under it (a section).

    Matching on the path, not on url names: the follow-ups page is also named "dashboard", so
    "Dashboard" and "Follow-ups" were both lit there.
    """
    request = context.get("request")
    path = getattr(request, "path", "")
    here = path == href if exact else path.startswith(href)
    return mark_safe(' aria-current="page"') if here else ""
