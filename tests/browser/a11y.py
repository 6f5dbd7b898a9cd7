"""Accessibility helpers for the browser tests: axe-core (vendored, read from disk), signing in
without the sign-in form (its labels change with the language), and measuring the focus ring."""

from pathlib import Path

from django.conf import settings
from django.test import Client

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")

# Every WCAG A and AA rule up to 2.2. label-content-name-mismatch (2.5.3, label in name) is
# "experimental" in axe and off by default, but it is the rule the audit tripped on.
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"],
    },
    "rules": {"label-content-name-mismatch": {"enabled": True}},
    "resultTypes": ["violations"],
}


def inject_axe(page) -> None:
    """Load axe into the page once.

    The shop's CSP is `script-src 'self'`: page.add_script_tag (path= or content=) inserts an
    inline <script>, which Chromium refuses (tested: window.axe stays undefined). page.evaluate
    runs through the DevTools protocol, which the page's CSP does not govern, so the shop's own
    policy stays on for everything else the test sees.
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    assert page.evaluate("typeof window.axe === 'object'"), "axe-core did not load"


def serious_violations(page) -> list[str]:
    """axe's serious and critical WCAG A/AA violations on the page as it stands, one line per
    node: rule id, target, and axe's summary of what to fix."""
    inject_axe(page)
    result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    found = []
    for violation in result["violations"]:
        if violation["impact"] not in ("serious", "critical"):
            continue
        for node in violation["nodes"]:
            summary = " ".join(node.get("failureSummary", "").split())
            found.append(f"{violation['id']} {node['target']}: {summary}")
    return found


def sign_in_context(context, live_server, user) -> None:
    """Give the browser context a signed-in session for `user` (the form's labels are
    translated, and signing in is not what these tests are about)."""
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def set_language(context, live_server, language: str) -> None:
    """What the header's language switch leaves behind: the language cookie."""
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )


# The focused element's ring: its style, and its contrast with what lies around it (the first
# opaque background among its ancestors, white at the root), per WCAG 1.4.11 / 2.4.11.
FOCUS_RING_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const parse = c => { const m = c.match(/[\\d.]+/g); if (!m) return null;
    return {r: +m[0], g: +m[1], b: +m[2], a: m.length > 3 ? +m[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const backgroundOf = node => { for (let n = node; n && n.nodeType === 1; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor); if (c && c.a > 0.5) return c; }
    return {r: 255, g: 255, b: 255, a: 1}; };
  // A radio hidden inside a size button draws its ring on the button beside it.
  let ringEl = el;
  const own = getComputedStyle(el);
  if (own.opacity === "0" || el.getBoundingClientRect().width <= 1) ringEl = el.nextElementSibling || el.parentElement;
  const s = getComputedStyle(ringEl);
  const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0;
  const shadow = s.boxShadow !== "none";
  let colour = null;
  if (outline) colour = parse(s.outlineColor);
  else if (shadow) colour = parse(s.boxShadow);
  // An outline drawn outside the element sits on the parent's background.
  const around = backgroundOf(ringEl.parentElement || ringEl);
  return {
    tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute("name"), text: (el.innerText || el.value || "").trim().slice(0, 40),
    outline, shadow, width: outline ? parseFloat(s.outlineWidth) : 0,
    contrast: colour ? Math.round(ratio(colour, around) * 100) / 100 : 0,
  };
}
"""


def focus_ring(page) -> dict | None:
    """The focused element's ring (see FOCUS_RING_JS), or None when nothing is focused."""
    return page.evaluate(FOCUS_RING_JS)


def assert_focus_visible(page) -> dict:
    """The focused element shows a ring of at least 2 px with 3:1 contrast around it."""
    ring = focus_ring(page)
    assert ring is not None, "nothing has the focus"
    assert ring["outline"] or ring["shadow"], f"no visible focus on {ring}"
    assert ring["contrast"] >= 3, f"focus ring below 3:1 on {ring}"
    if ring["outline"]:
        assert ring["width"] >= 2, f"focus ring thinner than 2px on {ring}"
    return ring
