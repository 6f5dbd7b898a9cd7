"""The page-section registry (shop.sections): a lower page shows parts higher apps register."""

import copy

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from shop.sections import Sections

PAGE = '{% load sections %}<head>{% sections "head" %}</head><main>{% sections %}</main>'
PART = (
    "{% load partials %}<p>{{ title }}: {{ greeting }}</p>"
    '{% partialdef items inline %}<ul id="items">{% for i in items %}<li>{{ i }}</li>{% endfor %}'
    "</ul>{% endpartialdef %}"
)


@pytest.fixture
def templates(settings, tmp_path):
    (tmp_path / "page.html").write_text(PAGE)
    (tmp_path / "part.html").write_text(PART)
    (tmp_path / "head.html").write_text("<meta name=x content='{{ greeting }}'>")
    engines = copy.deepcopy(settings.TEMPLATES)
    engines[0]["DIRS"] = [tmp_path, *engines[0]["DIRS"]]
    settings.TEMPLATES = engines


def _request(**headers):
    request = RequestFactory().get("/", headers=headers)
    request.htmx = None
    return request


def test_a_part_renders_in_its_slots_with_its_own_context_once(templates):
    page = Sections("test")
    calls = []

    def context(request, obj):
        calls.append(obj)
        return {"greeting": f"<b>{obj}</b>", "items": [1, 2]}

    page.register("p", template={"main": "part.html", "head": "head.html"}, context=context)
    ctx = {"title": "T", **page.render_context(_request(), "obj")}
    html = render_to_string("page.html", ctx)

    assert calls == ["obj"]  # one context for both slots
    assert "<head><meta name=x content='&lt;b&gt;obj&lt;/b&gt;'></head>" in html
    # The page's own context reaches the part; the part's text is escaped once, not twice.
    assert "<p>T: &lt;b&gt;obj&lt;/b&gt;</p>" in html
    assert '<ul id="items"><li>1</li><li>2</li></ul>' in html


def test_no_part_registered_renders_nothing(templates):
    html = render_to_string("page.html", Sections("empty").render_context(_request(), None))
    assert html == "<head></head><main></main>"


def test_registering_again_under_a_name_replaces_the_part():
    page = Sections("test")
    page.register("p", template="a.html", params=("stars", "page"))
    page.register("q", template="b.html", params=("page", "sort"))
    page.register("p", template="c.html", params=("size",))
    assert [s.templates["main"] for s in page] == ["c.html", "b.html"]
    assert page.params() == ("size", "page", "sort")
    page.unregister("q")
    assert page.params() == ("size",)


def test_a_fragment_answers_only_its_htmx_target(templates, db):
    from django_htmx.middleware import HtmxDetails

    page = Sections("test")
    page.register(
        "p",
        template="part.html",
        fragments={"items": lambda request, obj: {"items": [obj]}},
    )
    plain = _request()
    assert page.fragment(plain, 7) is None
    other = _request(HX_Request="true", HX_Target="elsewhere")
    other.htmx = HtmxDetails(other)
    assert page.fragment(other, 7) is None
    asked = _request(HX_Request="true", HX_Target="items")
    asked.htmx = HtmxDetails(asked)
    response = page.fragment(asked, 7)
    assert response.content.decode() == '<ul id="items"><li>7</li></ul>'
    assert page.htmx_targets() == ("items",)


def test_fragments_need_a_main_template():
    with pytest.raises(ValueError):
        Sections("t").register("p", template={"head": "h.html"}, fragments={"x": dict})


def _menu(client) -> list[str]:
    import re

    page = client.get("/manage/").content.decode()
    nav = page[page.index('class="manage-nav"') : page.index("</ul>", page.index("manage-nav"))]
    return re.findall(r'<a href="([^"]+)"', nav)


def test_the_manage_menu_is_made_of_each_apps_links(client, owner, support_user):
    client.force_login(owner)
    links = _menu(client)
    # The shop's own links frame those the other apps add, each app's in its own order.
    assert links[:2] == ["/manage/", "/manage/tickets/"]
    assert links[-4:] == [
        "/manage/products/",
        "/manage/categories/",
        "/manage/stock/",
        "/manage/shop/",
    ]
    assert sorted(links[2:-4]) == sorted(
        ["/manage/orders/", "/manage/reputation/", "/manage/follow-ups/", "/manage/reviews/"]
    )
    assert links.index("/manage/reputation/") < links.index("/manage/reviews/")
    client.force_login(support_user)
    assert _menu(client) == ["/manage/", "/manage/tickets/"]
