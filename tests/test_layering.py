"""Dependencies point one way (DESIGN, Layout): accounts, messaging <- shop <- orders <- payments
<- support <- reviews <- followups. Each app may use those to its left, never those to its right.

The edges are read from the code, not declared:
- Python: imports (also inside functions), "app.Model" strings, template names, URL names;
- templates: {% url %} names, {% extends %} / {% include %} targets, attributes that follow a
  higher app's reverse relation (`line.review`);
- ORM lookups: a `__` path, keyword or string, through a higher app's related name
  (`review__isnull` on order lines), and attributes naming one (`order.tickets`).
A template belongs to the app of its folder (templates/<folder>/); the templates at the top
(base.html, 404.html, ...) are the project's frame, like config/: every app may extend them.

A lower app's page shows a higher app's part through a registry (shop.sections) the higher app
registers into in its ready(): that edge points the right way.
"""

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"

RANK = {
    "accounts": 0,
    "messaging": 0,
    "outbox": 0,  # the demo's outbox page, part of messaging
    "shop": 1,
    "orders": 2,
    "payments": 3,
    "support": 4,
    "reviews": 5,
    "followups": 6,
}
# Template folders of apps whose folder is not their name.
FOLDERS = {"account": "accounts", "allauth": "accounts", "manage": "shop"}
# Third-party URL names routed by an app's urls.py keep that app's rank (allauth's by accounts).
PACKAGES = {"allauth": "accounts"}

QUERYSET_METHODS = {
    "filter",
    "exclude",
    "get",
    "order_by",
    "select_related",
    "prefetch_related",
    "values",
    "values_list",
    "only",
    "defer",
    "annotate",
    "aggregate",
    "Prefetch",
    "F",
    "Count",
    "Sum",
    "Max",
    "Min",
    "Avg",
    "Exists",
    "OuterRef",
}
TEMPLATE_NAME = re.compile(r"^(\w+)/[\w./-]*\.(?:html|txt)(?:#[\w-]+)?$")
MODEL_LABEL = re.compile(r"^([a-z_]+)\.[A-Z]\w*$")
TAG = re.compile(r"{%\s*(url|extends|include)\s+(['\"])([^'\"]+)\2")
VARIABLE = re.compile(r"({{.*?}}|{%.*?%})", re.S)


@dataclass(frozen=True)
class Edge:
    source: str  # file
    frm: str
    to: str
    what: str

    def __str__(self) -> str:
        return f"{self.source}: {self.frm} -> {self.to} ({self.what})"


def app_of_module(name: str) -> str | None:
    top = name.split(".")[0]
    return top if top in RANK else PACKAGES.get(top)


def app_of_template(name: str) -> str | None:
    """The app a template name belongs to; None for the project's frame at the top."""
    if "/" not in name:
        return None
    folder = name.split("/")[0]
    app = FOLDERS.get(folder, folder)
    assert app in RANK, f"templates/{folder}/ belongs to no app: add it to FOLDERS"
    return app


def url_names() -> dict[str, str]:
    """Every URL name (with its namespace) and the app that serves it."""
    names: dict[str, str] = {}

    def walk(patterns, namespace: str, owner: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                module = getattr(pattern.urlconf_module, "__name__", "")
                inner = ":".join(filter(None, [namespace, pattern.namespace]))
                walk(pattern.url_patterns, inner, app_of_module(module) or owner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                app = owner or app_of_module(getattr(pattern.callback, "__module__", ""))
                if app:
                    names[":".join(filter(None, [namespace, pattern.name]))] = app

    walk(get_resolver().url_patterns, "", None)
    return names


@dataclass(frozen=True)
class Relation:
    owner: str  # the app whose model defines the relation (the higher one)
    names: frozenset[str]  # query name and accessor


def reverse_relations() -> dict[str, Relation]:
    """A higher app's relations onto a lower app's models, by the names that follow them."""
    found: dict[str, Relation] = {}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not (field.is_relation and field.auto_created and not field.concrete):
                continue
            target = model._meta.app_label
            owner = field.related_model._meta.app_label
            if target not in RANK or owner not in RANK or RANK[owner] <= RANK[target]:
                continue
            for name in {field.name, field.get_accessor_name()}:
                found[name] = Relation(owner, frozenset({field.name, field.get_accessor_name()}))
    return found


class PythonEdges(ast.NodeVisitor):
    def __init__(self, source: str, app: str, urls: dict, relations: dict) -> None:
        self.source, self.app, self.urls, self.relations = source, app, urls, relations
        self.edges: list[Edge] = []

    def add(self, to: str | None, what: str) -> None:
        if to and to != self.app:
            self.edges.append(Edge(self.source, self.app, to, what))

    def visit_Import(self, node):
        for alias in node.names:
            self.add(app_of_module(alias.name), f"import {alias.name}")

    def visit_ImportFrom(self, node):
        if node.level == 0 and node.module:
            self.add(app_of_module(node.module), f"from {node.module} import")

    def _docstring(self, node) -> bool:
        return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)

    def generic_visit(self, node):
        # Docstrings name other apps in words; they are not edges.
        for _field, value in ast.iter_fields(node):
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST) and not self._docstring(item):
                        self.visit(item)
            elif isinstance(value, ast.AST):
                self.visit(value)

    def visit_Constant(self, node):
        if isinstance(node.value, str):
            self.string(node.value)

    def visit_JoinedStr(self, node):
        # f"orders/email/{kind}": the folder is in the first part.
        first = node.values[0] if node.values else None
        if isinstance(first, ast.Constant) and "/" in str(first.value):
            folder = str(first.value).split("/")[0]
            if folder in RANK or folder in FOLDERS:
                self.add(app_of_template(f"{folder}/x.html"), f"template {first.value}...")
        self.generic_visit(node)

    def string(self, value: str) -> None:
        if value in self.urls and ":" in value:
            self.add(self.urls[value], f"URL name {value!r}")
        if match := TEMPLATE_NAME.match(value):
            if match.group(1) in RANK or match.group(1) in FOLDERS:
                self.add(app_of_template(value), f"template {value!r}")
        if match := MODEL_LABEL.match(value):
            self.add(match.group(1) if match.group(1) in RANK else None, f"model {value!r}")
        if "__" in value:
            self.lookup(value)

    def lookup(self, path: str) -> None:
        for segment in path.lstrip("-").split("__"):
            relation = self.relations.get(segment)
            if relation and RANK[relation.owner] > RANK[self.app]:
                self.add(relation.owner, f"lookup {path!r}")

    def visit_Call(self, node):
        for keyword in node.keywords:
            if keyword.arg and "__" in keyword.arg:
                self.lookup(keyword.arg)
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in QUERYSET_METHODS:
            for arg in node.args:
                # A path with "__" is read as any string is (visit_Constant).
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    if "__" not in arg.value:
                        self.lookup(arg.value)
        self.generic_visit(node)

    def visit_Attribute(self, node):
        relation = self.relations.get(node.attr)
        if relation and RANK[relation.owner] > RANK[self.app]:
            self.add(relation.owner, f"attribute .{node.attr}")
        self.generic_visit(node)


def python_edges(source: str, app: str, code: str, urls: dict, relations: dict) -> list[Edge]:
    visitor = PythonEdges(source, app, urls, relations)
    visitor.visit(ast.parse(code))
    return visitor.edges


def template_edges(source: str, app: str, text: str, urls: dict, relations: dict) -> list[Edge]:
    edges = []
    for kind, _, target in TAG.findall(text):
        to = urls.get(target) if kind == "url" else app_of_template(target.split("#")[0])
        if kind == "url" and target not in urls:
            raise AssertionError(f"{source}: {{% url {target!r} %}} names no URL")
        if to and to != app:
            edges.append(Edge(source, app, to, f"{kind} {target!r}"))
    for expression in VARIABLE.findall(text):
        for segment in re.findall(r"\.(\w+)", expression):
            relation = relations.get(segment)
            if relation and RANK[relation.owner] > RANK[app]:
                edges.append(Edge(source, app, relation.owner, f"attribute .{segment}"))
    return edges


def right_to_left(edges: list[Edge]) -> list[str]:
    return sorted(str(e) for e in edges if RANK[e.to] > RANK[e.frm])


@pytest.fixture(scope="module")
def names():
    return url_names(), reverse_relations()


def all_edges(urls: dict, relations: dict) -> list[Edge]:
    edges = []
    for app in RANK:
        folder = ROOT / app
        for path in sorted(folder.rglob("*.py")) if folder.is_dir() else ():
            source = str(path.relative_to(ROOT))
            edges += python_edges(source, app, path.read_text(), urls, relations)
    for path in sorted(TEMPLATES.rglob("*")):
        if path.suffix not in (".html", ".txt"):
            continue
        name = str(path.relative_to(TEMPLATES))
        app = app_of_template(name)
        if app:
            edges += template_edges(f"templates/{name}", app, path.read_text(), urls, relations)
    return edges


def test_no_edge_runs_right_to_left(names):
    urls, relations = names
    edges = all_edges(urls, relations)
    assert len(edges) > 100  # the reader reads: apps do use each other, left to right
    assert right_to_left(edges) == []


# ----------------------------------------------------------------- the reader finds each kind
@pytest.mark.parametrize(
    "code, what",
    [
        ("from reviews.models import Review", "from reviews.models import"),
        ("def f():\n    import reviews.selectors", "import reviews.selectors"),
        ("x = models.ForeignKey('reviews.Review', on_delete=CASCADE)", "model 'reviews.Review'"),
        ("render(request, 'reviews/_review.html')", "template 'reviews/_review.html'"),
        ("redirect('reviews:write', token=t)", "URL name 'reviews:write'"),
        (
            "OrderLine.objects.filter(order__email=e, review__isnull=False)",
            "lookup 'review__isnull'",
        ),
        ("qs.order_by('-review__created_at')", "lookup '-review__created_at'"),
        ("qs.select_related('review')", "lookup 'review'"),
        ("order.tickets.first()", "attribute .tickets"),
    ],
)
def test_the_reader_finds_a_python_edge(names, code, what):
    urls, relations = names
    edges = python_edges("x.py", "orders", code, urls, relations)
    assert [e.what for e in edges] == [what]
    assert right_to_left(edges)


def test_docstrings_and_left_edges_are_not_flagged(names):
    urls, relations = names
    code = '"""Uses reviews/_review.html and reviews:write."""\nfrom shop.models import Product\n'
    edges = python_edges("x.py", "orders", code, urls, relations)
    assert [e.to for e in edges] == ["shop"]
    assert right_to_left(edges) == []


@pytest.mark.parametrize(
    "text, what",
    [
        ("{% url 'reviews_manage:review_list' %}", "url 'reviews_manage:review_list'"),
        ("{% url 'reputation' %}", "url 'reputation'"),
        (
            '{% extends "reviews/manage/review_list.html" %}',
            "extends 'reviews/manage/review_list.html'",
        ),
        ("{% include 'support/_message.html' %}", "include 'support/_message.html'"),
        ("<a href='#r{{ line.review.pk }}'>", "attribute .review"),
    ],
)
def test_the_reader_finds_a_template_edge(names, text, what):
    urls, relations = names
    edges = template_edges("t.html", "shop", text, urls, relations)
    assert [e.what for e in edges] == [what]
    assert right_to_left(edges)


def test_a_template_that_names_no_url_fails(names):
    urls, relations = names
    with pytest.raises(AssertionError):
        template_edges("t.html", "shop", "{% url 'reviews:gone' %}", urls, relations)


def test_services_and_selectors_never_read_forms():
    """Forms turn a request into clean values (views); services and selectors take values."""
    found = []
    for app in RANK:
        for name in ("services", "selectors"):
            for path in [ROOT / app / f"{name}.py", *(ROOT / app / name).glob("*.py")]:
                if not path.is_file():
                    continue
                for node in ast.walk(ast.parse(path.read_text())):
                    if isinstance(node, ast.ImportFrom) and "forms" in (node.module or ""):
                        found.append(f"{path.relative_to(ROOT)}: from {node.module} import")
    assert found == []
