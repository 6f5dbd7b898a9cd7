"""Every URL is routed exactly once, no view shadows another, and no view is dead.

Once the reviews app served /products/<slug>/ by being included before the shop: the shop's
own view still existed, a newcomer who edited it saw nothing change, and its tests exercised
the other app's view.
"""

import importlib
import inspect
import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RoutePattern

ROOT = Path(__file__).resolve().parent.parent
VIEW_MODULES = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts)
    for pattern in ("*/views.py", "*/manage_views.py")
    for path in ROOT.glob(pattern)
    if path.parts[-2] not in ("bench", "tests", "scripts")
)
SAMPLES = {"int": "7", "slug": "a-slug", "str": "a-token", "path": "a/b", "uuid": "0" * 32}
CONVERTER = re.compile(r"<(?:(\w+):)?\w+>")


def routes() -> list[tuple[str, URLPattern]]:
    """(full route, pattern) for every routed view; regex routes (the demo's media) left out."""
    found = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            if not isinstance(pattern.pattern, RoutePattern):
                continue
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                found.append((route, pattern))

    walk(get_resolver().url_patterns, "")
    return found


def _key(callback) -> tuple[str, str]:
    callback = inspect.unwrap(callback)
    return callback.__module__, callback.__name__


def test_no_two_patterns_have_one_route():
    seen: dict[str, str] = {}
    for route, pattern in routes():
        shape = CONVERTER.sub("<>", route)  # <slug:slug> and <str:token> match the same paths
        assert shape not in seen, (
            f"/{route} is routed twice: {seen[shape]} and {pattern.lookup_str}"
        )
        seen[shape] = pattern.lookup_str
    assert len(seen) > 50


@pytest.mark.parametrize("route, pattern", routes(), ids=lambda v: v if isinstance(v, str) else "")
def test_each_route_reaches_its_own_view(route, pattern):
    path = "/" + CONVERTER.sub(lambda m: SAMPLES[m.group(1) or "str"], route)
    assert _key(resolve(path).func) == _key(pattern.callback), f"{path} is shadowed"


def test_every_view_is_routed():
    routed = {_key(pattern.callback) for _, pattern in routes()}
    views = []
    for name in VIEW_MODULES:
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if attr.startswith("_") or not inspect.isfunction(value):
                continue
            function = inspect.unwrap(value)
            params = list(inspect.signature(function).parameters)
            if function.__module__ == name and params[:1] == ["request"]:
                views.append(_key(function))
    assert len(views) > 40
    assert [v for v in views if v not in routed] == []


def test_the_pages_that_show_several_apps_are_served_by_the_app_below():
    assert _key(resolve("/products/a-slug/").func) == ("shop.views", "product_detail")
    assert _key(resolve("/orders/a-token/").func) == ("orders.views", "order_tracking")
    assert _key(resolve("/account/orders/").func) == ("orders.views", "my_orders")
    assert _key(resolve("/manage/orders/7/").func) == ("orders.manage_views", "order_detail")
