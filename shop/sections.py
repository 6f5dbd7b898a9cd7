"""Page sections: a lower app's page shows a higher app's part without knowing that app.

Dependencies point one way (shop <- orders <- support <- reviews <- followups), yet the product
page shows reviews and the owner's order page shows follow-ups. So the lower app owns the page
and a `Sections` registry for it; the higher app registers its part in its AppConfig.ready():

    # reviews/apps.py
    from shop.sections import product_page
    product_page.register(
        "reviews",
        template="reviews/_product_reviews.html",
        context=product_reviews_context,        # (request, product) -> dict
        params=("stars", "sort", "page"),       # query parameters the part reads
        fragments={"review-list": review_list_context},
    )

The lower app's one view calls `product_page.render_context(request, product)` and its template
shows every part of a slot with `{% load sections %}{% sections "main" %}`. A part's template
sees the page's context plus its own. `template` may name one template per slot
(`{"head": ..., "main": ...}`); the context is computed once for all of them.

A fragment is what an htmx request with that HX-Target gets: the partial of the same name in
the part's main template (`{% partialdef review-list %}`), with the fragment's own context. The
lower view answers it with `product_page.fragment(request, product)` before building the page.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

MAIN = "main"

ContextFn = Callable[[HttpRequest, Any], dict]


@dataclass(frozen=True)
class Section:
    name: str
    templates: dict[str, str]
    context: ContextFn | None = None
    params: tuple[str, ...] = ()
    fragments: dict[str, ContextFn] = field(default_factory=dict)
    depends: tuple[str, ...] = ()


@dataclass(frozen=True)
class Part:
    """One section as one page shows it: a slot's template and the section's context."""

    name: str
    template: str
    context: dict


class Sections:
    """The parts higher apps add to one page, in the order they were registered."""

    def __init__(self, page: str) -> None:
        self.page = page
        self._sections: dict[str, Section] = {}

    def __repr__(self) -> str:
        return f"<Sections {self.page}: {', '.join(self._sections) or 'none'}>"

    def __iter__(self):
        return iter(self._sections.values())

    def register(
        self,
        name: str,
        *,
        template: str | dict[str, str],
        context: ContextFn | None = None,
        params: Iterable[str] = (),
        fragments: dict[str, ContextFn] | None = None,
        depends: Iterable[str] = (),
    ) -> Section:
        """Add (or, under the same name, replace) a part of this page.

        Registering again under one name replaces the part, so a ready() that runs twice (tests
        that reload apps) or an app that takes a part over from another leaves one part.
        `depends`: the version keys (shop.cache) bumped when what the part shows changes, for
        the lower page's cache key (shop.staff_cache) when the page is cached.
        """
        templates = {MAIN: template} if isinstance(template, str) else dict(template)
        if fragments and MAIN not in templates:
            raise ValueError("A section with fragments needs a main template to hold them.")
        section = Section(
            name, templates, context, tuple(params), dict(fragments or {}), tuple(depends)
        )
        self._sections[name] = section
        return section

    def unregister(self, name: str) -> None:
        self._sections.pop(name, None)

    def params(self) -> tuple[str, ...]:
        """Every query parameter the parts read, each once (for the page cache's key)."""
        return tuple(dict.fromkeys(p for s in self._sections.values() for p in s.params))

    def depends(self) -> tuple[str, ...]:
        """Every version key the parts follow, each once (for a cached page's key)."""
        return tuple(dict.fromkeys(k for s in self._sections.values() for k in s.depends))

    def htmx_targets(self) -> tuple[str, ...]:
        return tuple(t for s in self._sections.values() for t in s.fragments)

    def render_context(self, request: HttpRequest, obj: Any) -> dict:
        """`{"sections": {slot: [Part, ...]}}` for the page's template."""
        slots: dict[str, list[Part]] = {}
        for section in self._sections.values():
            context = section.context(request, obj) if section.context else {}
            for slot, template in section.templates.items():
                slots.setdefault(slot, []).append(Part(section.name, template, context))
        return {"sections": slots}

    def _fragment_of(self, request: HttpRequest) -> tuple[Section, ContextFn] | None:
        htmx = getattr(request, "htmx", None)
        if not htmx or htmx.history_restore_request:
            return None
        for section in self._sections.values():
            build = section.fragments.get(htmx.target or "")
            if build is not None:
                return section, build
        return None

    def wants_fragment(self, request: HttpRequest) -> bool:
        """Whether this is an htmx request for one part's fragment rather than for the page."""
        return self._fragment_of(request) is not None

    def fragment(self, request: HttpRequest, obj: Any) -> HttpResponse | None:
        """The htmx answer for a part's fragment, or None when the request asks for the page."""
        found = self._fragment_of(request)
        if found is None:
            return None
        section, build = found
        template = f"{section.templates[MAIN]}#{request.htmx.target}"
        return render(request, template, build(request, obj))


# The shop's own pages. The product page, /products/<slug>/ (obj: the product): slots "head"
# (inside <head>), "purchase" (beside the photos: the orders app's size picker and cart button)
# and "main" (below the garment).
product_page = Sections("shop:product_detail")
# The menu of every page under /manage/ (templates/manage/base.html; obj: None): each app adds
# the links to its own pages, "staff" for every staff member, "owner" for the owner only.
manage_menu = Sections("manage menu")
# The owner's and staff's home, /manage/ (obj: None): slot "today", the work waiting today. Each
# app adds its own items (orders to ship, tickets, reviews, follow-ups) with one query each, so
# the page's cost stays fixed; a part for the owner only returns {} for other staff.
manage_today = Sections("shop_manage:dashboard")
