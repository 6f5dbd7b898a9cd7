"""The Simplified Chinese catalogue is complete, sound and compiled.

The catalogue is regenerated with ``makemessages`` into a copy of the project, so a string
added to a template or a .py file since the catalogue was last written fails here until it is
translated. Placeholders and HTML tags are checked entry by entry, and the committed .mo must
say what the committed .po says. Needs GNU gettext (xgettext, msgmerge, msgfmt):
``apt-get install gettext`` (scripts/test installs it where it can).
"""

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCALE = "zh_Hans"
PO = ROOT / "locale" / LOCALE / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

# Folders that hold no text of ours (the README's makemessages command ignores the same).
IGNORED = ("locale", ".venv", ".git", "var", "bench", "tests", "node_modules", "static", "media")
MAKEMESSAGES = ["makemessages", "-l", LOCALE, "--no-obsolete", "--add-location", "file"]
MAKEMESSAGES += [f"--ignore={name}" for name in IGNORED if name != "locale"]


# -- a small .po reader (polib is not a dependency) ------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def read_po(path: Path) -> list[dict]:
    """Entries of a .po file: msgid, msgid_plural, msgstr (a list), flags, locations."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry = {"msgid": None, "msgid_plural": None, "msgstr": [], "flags": set(), "loc": ""}
        field = None
        for line in block.splitlines():
            if line.startswith("#~"):  # obsolete entry
                entry["msgid"] = None
                break
            if line.startswith("#,"):
                entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#:"):
                entry["loc"] += line[2:].strip() + " "
            elif line.startswith("#"):
                continue
            elif line.startswith("msgctxt "):
                field, entry["msgctxt"] = "msgctxt", _unquote(line[8:])
            elif line.startswith("msgid_plural "):
                field, entry["msgid_plural"] = "msgid_plural", _unquote(line[13:])
            elif line.startswith("msgid "):
                field, entry["msgid"] = "msgid", _unquote(line[6:])
            elif line.startswith("msgstr"):
                field = "msgstr"
                entry["msgstr"].append(_unquote(line.split(" ", 1)[1]))
            elif line.startswith('"') and field == "msgstr":
                entry["msgstr"][-1] += _unquote(line)
            elif line.startswith('"') and field:
                entry[field] += _unquote(line)
        if entry["msgid"] is not None:
            entries.append(entry)
    return entries


def _name(entry: dict) -> str:
    return f"{entry['msgid']!r} ({entry['loc'].strip() or 'no location'})"


# -- what must match between a msgid and its msgstr -----------------------------------------

_PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifreEgGxXoc%]")
_BRACE = re.compile(r"(?<!\{)\{[A-Za-z_][A-Za-z0-9_.\[\]]*(?:![rsa])?(?::[^{}]*)?\}(?!\})")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*\b[^<>]*>")
_ENTITY = re.compile(r"&(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);")


def markup(text: str, flags: set) -> Counter:
    """The placeholders, tags and entities a translation must carry over unchanged."""
    found = Counter()
    if "python-format" in flags:
        found.update(p for p in _PERCENT.findall(text))
    if "python-brace-format" in flags:
        found.update(_BRACE.findall(text))
    found.update(_TAG.findall(text))
    found.update(_ENTITY.findall(text))
    return found


def markup_problems(entries: list[dict]) -> list[str]:
    problems = []
    for entry in entries:
        if not entry["msgid"]:
            continue
        # Chinese has one plural form, used for every count: it says what the plural says.
        source = entry["msgid_plural"] if entry["msgid_plural"] is not None else entry["msgid"]
        want = markup(source, entry["flags"])
        for msgstr in entry["msgstr"]:
            if not msgstr:
                continue
            got = markup(msgstr, entry["flags"])
            if got != want:
                missing = sorted((want - got).elements())
                extra = sorted((got - want).elements())
                problems.append(f"{_name(entry)}: missing {missing}, extra {extra}")
    return problems


def gap_problems(entries: list[dict]) -> list[str]:
    problems = []
    for entry in entries:
        if not entry["msgid"]:
            continue
        if "fuzzy" in entry["flags"]:
            problems.append(f"fuzzy: {_name(entry)}")
        elif not entry["msgstr"] or not all(entry["msgstr"]):
            problems.append(f"untranslated: {_name(entry)}")
    return problems


def _need(tool: str) -> str:
    path = shutil.which(tool)
    assert path, f"{tool} is missing: install GNU gettext (apt-get install -y gettext)"
    return path


# -- the checks ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> list[dict]:
    """makemessages run over a copy of the project, merged into a copy of our catalogue."""
    for tool in ("xgettext", "msgmerge", "msguniq"):
        _need(tool)
    copy = tmp_path_factory.mktemp("project") / "project"
    shutil.copytree(
        ROOT, copy, ignore=shutil.ignore_patterns(*IGNORED, "__pycache__", "*.pyc", "*.mo")
    )
    shutil.copytree(ROOT / "locale", copy / "locale", ignore=shutil.ignore_patterns("*.mo"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run(  # noqa: S603 - this Python and our own arguments
        [sys.executable, "manage.py", *MAKEMESSAGES],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return read_po(copy / "locale" / LOCALE / "LC_MESSAGES" / "django.po")


def test_catalogue_header_is_chinese_with_one_plural_form():
    header = read_po(PO)[0]
    assert header["msgid"] == ""
    assert "fuzzy" not in header["flags"]
    assert "Language: zh_Hans\n" in header["msgstr"][0]
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header["msgstr"][0]


def test_every_string_in_the_code_is_translated(regenerated):
    assert len(regenerated) > 500, "makemessages found too few strings: check its folders"
    problems = gap_problems(regenerated)
    assert not problems, (
        f"{len(problems)} zh_Hans entries need a translation (run the README's makemessages, "
        "translate, compilemessages):\n" + "\n".join(problems)
    )


def test_the_catalogue_sees_templates_python_and_allauth_overrides(regenerated):
    where = " ".join(entry["loc"] for entry in regenerated)
    for place in ("templates/account/", "templates/shop/", "orders/", "reviews/models.py"):
        assert place in where, place


def test_translations_keep_placeholders_and_tags(regenerated):
    problems = markup_problems(read_po(PO)) + markup_problems(regenerated)
    assert not problems, "Placeholders or tags differ:\n" + "\n".join(sorted(set(problems)))


def test_placeholder_check_catches_a_broken_translation():
    broken = [
        {"msgid": "Hi %(name)s", "msgid_plural": None, "msgstr": ["你好 %(nom)s"], "loc": "x"},
        {"msgid": "<strong>%(n)s</strong>", "msgid_plural": None, "msgstr": ["%(n)s"], "loc": "y"},
        {"msgid": "{order_number}", "msgid_plural": None, "msgstr": ["{订单号}"], "loc": "z"},
    ]
    broken[0]["flags"] = broken[1]["flags"] = {"python-format"}
    broken[2]["flags"] = {"python-brace-format"}
    assert len(markup_problems(broken)) == 3
    assert (
        len(gap_problems([{**broken[0], "msgstr": [""]}, {**broken[1], "flags": {"fuzzy"}}])) == 2
    )


# The names xgettext looks for when makemessages runs it on Python files: gettext's own
# defaults plus the ones Django adds. A string wrapped in any other name (say an alias
# `gettext_lazy as _lazy`) is translated at run time only if someone put it in the catalogue
# by hand, and makemessages --no-obsolete drops it again.
KEYWORDS = {
    "_", "gettext", "ngettext", "gettext_lazy", "ngettext_lazy", "gettext_noop",
    "pgettext", "npgettext", "pgettext_lazy", "npgettext_lazy",
}  # fmt: skip


def unseen_aliases() -> list[str]:
    """Translation functions imported under a name makemessages does not extract."""
    found = []
    paths = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in (*IGNORED, "migrations")]
        paths += [Path(folder, name) for name in files if name.endswith(".py")]
    for path in sorted(paths):
        relative = path.relative_to(ROOT)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                found += [
                    f"{relative}: {alias.name} as {alias.asname}"
                    for alias in node.names
                    if alias.asname and alias.asname not in KEYWORDS
                ]
    return found


def test_makemessages_sees_every_translation_function():
    aliases = unseen_aliases()
    assert not aliases, "makemessages cannot see strings marked with:\n" + "\n".join(aliases)


def test_committed_mo_is_compiled_from_the_committed_po(tmp_path):
    fresh = tmp_path / "django.mo"
    result = subprocess.run(  # noqa: S603 - msgfmt from PATH and our own arguments
        [_need("msgfmt"), "--check-format", "-o", fresh, PO], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert MO.exists(), f"{MO} is missing: run compilemessages"
    with MO.open("rb") as committed, fresh.open("rb") as compiled:
        committed_catalog = gettext.GNUTranslations(committed)._catalog
        compiled_catalog = gettext.GNUTranslations(compiled)._catalog
    stale = {
        key
        for key in committed_catalog.keys() | compiled_catalog.keys()
        if committed_catalog.get(key) != compiled_catalog.get(key)
    }
    assert not stale, (
        f"django.mo is out of date with django.po for {len(stale)} entries "
        f"(run compilemessages), e.g. {sorted(map(str, stale))[:5]}"
    )
