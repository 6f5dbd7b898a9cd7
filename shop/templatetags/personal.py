"""Template tags that mark a page's per-visitor parts (shop.personal).

`{% personal "cart" %}...{% endpersonal %}`: a registered part. Rendered for the page cache,
the marker its fill replaces per answer; otherwise the markup inside, for this visitor.
`{% shown_to "signed_in" %}...{% endshown_to %}`: markup for one role's visitors only. Rendered
for the page cache, the markup between markers (kept or dropped per answer); otherwise the
markup when this visitor holds the role. Blocks do not nest.
"""

from django import template
from django.utils.safestring import mark_safe

from .. import personal as parts

register = template.Library()


def _request(context):
    return getattr(context, "request", None) or context.get("request")


class PersonalNode(template.Node):
    def __init__(self, name, nodelist):
        self.name, self.nodelist = name, nodelist

    def render(self, context):
        name = self.name.resolve(context)
        if parts.rendering_for_cache(_request(context)):
            if not parts.is_registered(name):
                raise template.TemplateSyntaxError(f"No personal part is registered as {name!r}")
            return mark_safe(parts.part_marker(name))  # noqa: S308 (a fixed marker)
        return self.nodelist.render(context)


class ShownToNode(template.Node):
    def __init__(self, role, nodelist):
        self.role, self.nodelist = role, nodelist

    def render(self, context):
        role = self.role.resolve(context)
        if role not in parts.ROLES:
            raise template.TemplateSyntaxError(f"Unknown role {role!r}")
        request = _request(context)
        if parts.rendering_for_cache(request):
            if context.render_context.get("shown_to"):
                raise template.TemplateSyntaxError("{% shown_to %} blocks do not nest")
            context.render_context["shown_to"] = True
            try:
                inner = self.nodelist.render(context)
            finally:
                context.render_context["shown_to"] = False
            start, end = parts.role_markers(role)
            return mark_safe(f"{start}{inner}{end}")  # noqa: S308 (rendered markup)
        if request is None or not parts.Visitor(request, from_cookies=False).has(role):
            return ""
        return self.nodelist.render(context)


def _block(parser, token, node_class, end):
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"{bits[0]} takes one argument")
    nodelist = parser.parse((end,))
    parser.delete_first_token()
    return node_class(parser.compile_filter(bits[1]), nodelist)


@register.tag
def personal(parser, token):
    return _block(parser, token, PersonalNode, "endpersonal")


@register.tag
def shown_to(parser, token):
    return _block(parser, token, ShownToNode, "endshown_to")
