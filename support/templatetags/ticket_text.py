"""Links in ticket messages: `{{ message.body|linkify|linebreaksbr }}`.

Django's `urlize` splits words on spaces only, so in Chinese, where a link sits between two
characters with no space ("请看https://example.com/a，谢谢"), it makes a link of the whole run,
Chinese and full-width comma included, and prefixes it with http://. This filter finds only
http(s) addresses written in URL characters (RFC 3986, ASCII): the first Chinese character, space
or full-width punctuation ends the link.
"""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# After a letter or digit an "http" is part of a word ("xhttp://"), not a link's start. The
# address is unreserved, reserved and percent characters of RFC 3986, without the quote: a quote
# ends an address in running text far more often than it belongs to one.
URL_RE = re.compile(
    r"(?<![A-Za-z0-9])https?://[A-Za-z0-9\[][A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]*", re.I
)
HOST_RE = re.compile(r"https?://(?:[A-Za-z0-9]|\[[0-9A-Fa-f:.]+\])", re.I)
# Punctuation that ends a sentence rather than an address.
TRAILING = ".,:;!?"
SHOWN_CHARS = 40


def _trim(url: str) -> str:
    """`url` without the punctuation of the sentence around it: trailing stops and commas, and a
    closing bracket that has no opening one inside the address ("(see https://x.cn/a)")."""
    while url:
        last = url[-1]
        if last in TRAILING:
            url = url[:-1]
        elif last == ")" and url.count("(") < url.count(")"):
            url = url[:-1]
        elif last == "]" and url.count("[") < url.count("]"):
            url = url[:-1]
        else:
            break
    return url


def shown(url: str, limit: int = SHOWN_CHARS) -> str:
    """What a reader sees of `url`: without its scheme, cut to `limit` characters with an ellipsis
    (the host and the start of the path), since a whole tracking link would run off a phone."""
    text = re.sub(r"^https?://", "", url, flags=re.I)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _pieces(text: str):
    """`text` as (plain text, address) pairs in order; the address is "" after the last one."""
    position = 0
    for match in URL_RE.finditer(text):
        url = _trim(match.group())
        if not HOST_RE.match(url):
            continue  # "https://[" and the like: text, not an address
        yield text[position : match.start()], url
        position = match.start() + len(url)
    yield text[position:], ""


@register.filter(is_safe=True)
def linkify(value) -> SafeString:
    """`value` escaped, with each http(s) address in it made a link: `href` the whole address, the
    visible text shortened, rel nofollow (a buyer's link earns no ranking) noopener noreferrer.

    Every character of `value` goes through `escape`, the addresses' as well; no other scheme
    (javascript:, data:) is ever a link, since only addresses that begin with http(s):// match."""
    out = []
    for plain, url in _pieces(str(value)):
        out.append(escape(plain))
        if url:
            out.append(
                f'<a href="{escape(url)}" rel="nofollow noopener noreferrer"'
                f' title="{escape(url)}">{escape(shown(url))}</a>'
            )
    return mark_safe("".join(out))  # noqa: S308 (every piece above is escaped)


@register.filter(is_safe=True)
def short_links(value) -> SafeString:
    """`value` escaped with each http(s) address shortened as `linkify` shows it, but no link:
    for a ticket's subject (made from the first line of a message) in a heading or a list."""
    pieces = (
        escape(plain) + escape(shown(url) if url else "") for plain, url in _pieces(str(value))
    )
    return mark_safe("".join(pieces))  # noqa: S308 (every piece is escaped)
