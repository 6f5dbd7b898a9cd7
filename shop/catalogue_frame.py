"""The catalogue page around its grid, rendered once per catalogue version and language.

A filter combination nobody asked before misses the page cache and the grid cache; before
this, its answer rendered the whole of shop/product_list.html (header, footer, the filter
form with every category, size and colour) around the grid: about half of its CPU. Only the
grid and a few spots of the form depend on the filters, so the page without them (the frame)
is rendered once for everybody and kept in the cache beside the page cache's entries; each
new combination renders its grid and fills the frame's spots by string replacement:

- the grid;
- the text inputs' values (search, min and max price), as the visitor typed them;
- `selected` on the chosen option of each select (category, size, colour, sort) and `checked`
  on "in stock only";
- the language switch's `next` address (the page's own address).

The frame is rendered from the page's own template with a stand-in form whose values are
markers and nothing chosen, so there is one template for both ways; tests render random
combinations both ways and compare (tests/shop/test_catalogue_frame.py). Only pages rendered
for the page cache use it (personal parts are markers there, the user is anonymous); a form
with errors, and pages rendered for one visitor, are rendered whole as before.

The key carries the catalogue version (the categories, sizes and colours listed, the profile
in the header and footer), so a change shows at once, as everywhere in the page cache.
"""

import logging
import re
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.html import conditional_escape, escape
from django.utils.translation import get_language

from .cache import KeptPerVersion, catalogue_version
from .forms import CatalogueFilterForm
from .page_cache import without_tokens

log = logging.getLogger(__name__)

TEXT_FIELDS = ("q", "min_price", "max_price")
SELECTS = ("category", "size", "colour", "sort")
TEMPLATE = "shop/product_list.html"
# The frame of the current version, per language, in this process too (shop.cache).
_kept = KeptPerVersion()
_SPOT = re.compile("\x00frame:([a-z_:]+)\x00")


def _spot(name: str) -> str:
    return f"\x00frame:{name}\x00"


class _BlankForm:
    """The filter form as the frame is rendered: each text field's value is its spot, no
    errors (a form with errors never uses the frame)."""

    errors: dict = {}
    fields = CatalogueFilterForm.base_fields

    def __getitem__(self, name: str):
        # Only the text fields: the template looks `errors` and `fields` up as keys first.
        if name not in TEXT_FIELDS:
            raise KeyError(name)
        return SimpleNamespace(value=_spot(name))


def _key() -> str:
    return f"catalogue:frame:{catalogue_version()}:{get_language()}"


def _cut(page: str, start: str, end: str, name: str) -> tuple[str, str] | None:
    """`page` with what lies between `start` and the next `end` replaced by the spot `name`,
    and what was there; None when `start` is not in the page exactly once."""
    if page.count(start) != 1:
        return None
    head, tail = page.split(start, 1)
    inner, sep, rest = tail.partition(end)
    if not sep:
        return None
    return f"{head}{start}{_spot(name)}{end}{rest}", inner


def build(request, facets: dict) -> tuple[str, dict[str, str]] | None:
    """The frame (the page with spots) and each select's options, chosen none; None when the
    template does not have the shape this module fills (then the page is rendered whole)."""
    page = render_to_string(
        TEMPLATE,
        {"form": _BlankForm(), "grid_html": _spot("grid"), "facets": facets, "filters": {}},
        request=request,
    )
    # Nobody's token is kept: the page cache fills each visitor's own in its place.
    page = without_tokens(page.encode()).decode()
    # The language switch returns to this very address: a spot, filled per answer.
    address = f'name="next" value="{escape(request.get_full_path())}"'
    if page.count(address) != 1:
        return _unexpected("the language switch's address")
    page = page.replace(address, f'name="next" value="{_spot("next")}"')
    box = 'id="id_in_stock" value="on"'
    if page.count(box + ">") != 1:
        return _unexpected("the in-stock box")
    page = page.replace(box + ">", f"{box}{_spot('in_stock')}>")
    selects = {}
    for name in SELECTS:
        cut = _cut(page, f'<select name="{name}" id="id_{name}">', "</select>", f"select:{name}")
        if cut is None:
            return _unexpected(f"the {name} select")
        page, selects[name] = cut
    for name in ("grid", *TEXT_FIELDS):
        if page.count(_spot(name)) != 1:
            return _unexpected(name)
    return page, selects


def _unexpected(what: str) -> None:
    log.warning("catalogue frame: %s is not where it was; rendering pages whole", what)
    return None


def frame(request, facets: dict) -> tuple[str, dict[str, str]] | None:
    """The frame of this catalogue version and language, from the cache or built now."""
    language = get_language()
    stored = _kept.get(language)
    if stored is not None:
        return stored
    key = _key()
    stored = cache.get(key)
    if stored is None:
        stored = build(request, facets)
        if stored is None:
            return None
        cache.set(key, stored, settings.CATALOGUE_CACHE_SECONDS)
    _kept.put(language, stored)
    return stored


def fill(stored: tuple[str, dict[str, str]], request, form, filters: dict, grid_html: str) -> str:
    """The page for these filters: the frame's spots filled (see the module's doc)."""
    page, selects = stored
    values = {
        "grid": grid_html,
        "next": escape(request.get_full_path()),
        "in_stock": " checked" if filters.get("in_stock") else "",
    }
    for name in TEXT_FIELDS:
        # As the template writes {{ form.q.value|default:'' }}: what the visitor typed.
        values[name] = conditional_escape(form[name].value() or "")
    for name in SELECTS:
        options, chosen = selects[name], filters.get(name)
        if chosen:
            option = f'<option value="{escape(chosen)}">'
            options = options.replace(option, option[:-1] + " selected>", 1)
        values[f"select:{name}"] = options
    return _SPOT.sub(lambda match: values[match[1]], page)
