"""The per-visitor parts of a page the page cache stores once for everybody.

A cached page (shop.page_cache) holds fixed markers where a visitor's own things go; each answer
fills them in by string replacement, without rendering a template:

- `\\x00csrf\\x00`: the visitor's CSRF token (every form, the htmx headers);
- `\\x00part:NAME\\x00`: a part registered here by name, filled by its function from the
  request: the cart link (the orders app registers it: the count lives in the session), the
  flash messages (below);
- `\\x00if:ROLE\\x00...\\x00fi\\x00`: markup kept only for a visitor in ROLE (signed_in,
  signed_out, staff, owner), dropped for everybody else: the signed-in menu and its sign-out
  form, the Sign in link, the owner's "Add the first one". The markup itself is the same for
  every visitor of the role (no name, no email in it), so it is rendered once, with the page.

Templates mark those places with `{% personal "NAME" %}...{% endpersonal %}` and
`{% shown_to "ROLE" %}...{% endshown_to %}` (shop.templatetags.personal): rendered for the
page cache they give the markers, rendered for one visitor (pages the cache never stores) they
give that visitor's markup, so a template reads the same either way.

What a fill costs: nothing for a visitor without a session cookie; with one, the session is
read (one query, or none with a cached session engine), the user only for a session that
holds a signed-in user, their roles only where the page has a staff or owner block.
"""

import os
import re
from collections.abc import Callable
from functools import cached_property

from django.conf import settings
from django.contrib import auth
from django.contrib.messages import get_messages
from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.utils.html import conditional_escape

CSRF = b"\x00csrf\x00"
ROLES = ("signed_in", "signed_out", "staff", "owner")
# One pass over the page finds every marker: a part, a role's block (never nested) or a token.
MARKER = re.compile(rb"\x00(?:part:([a-z_]+)|if:([a-z_]+)\x00(.*?)\x00fi|csrf)\x00", re.DOTALL)
# Set on the request while a view renders for the page cache: templates then write markers.
RENDERING_FOR_CACHE = "_page_cache_render"

Fill = Callable[[HttpRequest], str]
_parts: dict[str, Fill] = {}


def register(name: str, fill: Fill) -> None:
    """Make `{% personal name %}` a marker in cached pages, filled per answer by `fill(request)`
    (markup, already escaped; it may hold the CSRF marker). Registering again replaces it."""
    if not re.fullmatch(r"[a-z_]+", name):
        raise ValueError(f"A part's name is lower-case letters and underscores: {name!r}")
    _parts[name] = fill


def is_registered(name: str) -> bool:
    return name in _parts


def part_marker(name: str) -> str:
    return f"\x00part:{name}\x00"


def role_markers(role: str) -> tuple[str, str]:
    return f"\x00if:{role}\x00", "\x00fi\x00"


def rendering_for_cache(request) -> bool:
    return bool(getattr(request, RENDERING_FOR_CACHE, False))


def has_session(request) -> bool:
    return bool(request.COOKIES.get(settings.SESSION_COOKIE_NAME))


class Visitor:
    """Who the request comes from, read only as far as a page asks.

    from_cookies (the page cache's fill): a request without a session cookie, or whose session
    holds no signed-in user, is signed out without loading a user. Otherwise (a page rendered
    for this request) request.user as the view left it: signed in during this very request, a
    visitor has no session cookie yet.
    """

    def __init__(self, request: HttpRequest, *, from_cookies: bool = True):
        self.request, self.from_cookies = request, from_cookies

    @cached_property
    def user(self):
        if self.from_cookies and (
            not has_session(self.request) or not self.request.session.get(auth.SESSION_KEY)
        ):
            return None
        user = getattr(self.request, "user", None)
        if user is None:
            return None
        # Django checks the session's auth hash when it loads the user.
        return user if user.is_authenticated else None

    def has(self, role: str) -> bool:
        user = self.user
        if role == "signed_in":
            return user is not None
        if role == "signed_out":
            return user is None
        if role == "staff":
            return user is not None and (user.is_owner or user.is_support)
        if role == "owner":
            return user is not None and user.is_owner
        raise ValueError(f"Unknown role {role!r}: one of {', '.join(ROLES)}")


# ---------------------------------------------------------------- the CSRF token
# Django's get_token draws each of a token's 32 mask characters (and, for a visitor without the
# cookie, the secret's 32) with its own secrets.choice call: 64 calls, a sixth of a cached
# page's answer. These draw the same characters from one os.urandom call, by rejection (62
# letters and digits: byte values below 248 map evenly onto them), and mask the secret as
# Django's _mask_cipher_secret does, so Django's CsrfViewMiddleware checks the tokens as its
# own (tests/shop/test_csrf_tokens.py unmasks them with Django's function).
_CHARS = CSRF_ALLOWED_CHARS
_EVEN = len(_CHARS) * (256 // len(_CHARS))  # 248
_TO_CHAR = bytes((_CHARS * 5)[:256], "ascii")  # byte b -> _CHARS[b % 62], for b < 248
_UNEVEN = bytes(range(_EVEN, 256))
_INDEX = {char: n for n, char in enumerate(_CHARS)}


def random_csrf_string(length: int = CSRF_SECRET_LENGTH) -> str:
    """`length` characters drawn uniformly from the CSRF token's alphabet (os.urandom)."""
    drawn = b""
    while len(drawn) < length:
        drawn += os.urandom(length + 16).translate(_TO_CHAR, _UNEVEN)
    return drawn[:length].decode("ascii")


def csrf_token(request: HttpRequest) -> str:
    """What django.middleware.csrf.get_token gives (a new mask over the visitor's secret, the
    secret made and the cookie flagged for sending when there is none), drawn faster."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:
        secret = random_csrf_string()
        request.META["CSRF_COOKIE"] = secret
    # Sent in the answer even if the visitor has it, which renews its expiry (as Django does).
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = random_csrf_string()
    n = len(_CHARS)
    cipher = "".join(_CHARS[(_INDEX[x] + _INDEX[y]) % n] for x, y in zip(secret, mask, strict=True))
    return mask + cipher


def fill(body: bytes, request: HttpRequest) -> bytes:
    """The page for this visitor: every marker of `body` replaced (see the module's doc)."""
    visitor = Visitor(request)
    token = None

    def csrf() -> bytes:
        nonlocal token
        if token is None:
            token = csrf_token(request).encode()
        return token

    def replace(match: re.Match) -> bytes:
        part, role, block = match.groups()
        if part is not None:
            return _parts[part.decode()](request).encode().replace(CSRF, csrf())
        if role is not None:
            if not visitor.has(role.decode()):
                return b""
            return block.replace(CSRF, csrf()) if CSRF in block else block
        return csrf()

    return MARKER.sub(replace, body)


# ---------------------------------------------------------------- flash messages
def messages_html(request: HttpRequest) -> str:
    """The visitor's flash messages, as base.html shows them; reading them marks them shown,
    so Django's message middleware drops them after this answer (they show once)."""
    if not has_session(request) and not request.COOKIES.get("messages"):
        return ""  # nowhere to keep a message: the storage is not read
    return "".join(
        f'<p class="flash flash-{conditional_escape(message.tags)}">'
        f"{conditional_escape(str(message))}</p>"
        for message in get_messages(request)
    )


register("messages", messages_html)
