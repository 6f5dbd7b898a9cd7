"""A channel's error as the owner may read it: what went wrong, without links or tokens.

A mail server's or provider's error may quote the message it refused (the buyer's review,
answer and unsubscribe links) or a request's URL with its key; the owner reads the error, never
those. Messaging records every error through `describe`, so each page that shows one shows it
clean; `without_links` cleans a text recorded before.
"""

import re

_LINK_OR_TOKEN = re.compile(r"https?://\S+|[\w\-:.]{32,}")
# A provider's error code is a dotted run of words (Tencent's
# LimitExceeded.PhoneNumberOneHourLimit is 37 characters): kept, as it names the failure. A
# token has digits, dashes or colons (signing's "payload:timestamp:signature"), so it never
# looks like one.
_PROVIDER_CODE = re.compile(r"[A-Za-z]+(?:\.[A-Za-z]+)+")

# What an error that never reached the mail server starts with (the class name describe() puts
# first): the server refused, dropped or ignored the connection, or its name did not resolve.
CONNECTION_ERRORS = (
    "ConnectionRefusedError",
    "ConnectionResetError",
    "ConnectionAbortedError",
    "ConnectionError",
    "TimeoutError",
    "timeout",
    "gaierror",
    "SMTPConnectError",
    "SMTPServerDisconnected",
    "MailServerUnreachable",
    "SmsUnreachable",
)


def _hidden(match: re.Match) -> str:
    found = match.group(0)
    return found if _PROVIDER_CODE.fullmatch(found) else "[…]"


def without_links(text: str) -> str:
    return _LINK_OR_TOKEN.sub(_hidden, text or "")


def describe(error: BaseException, limit: int = 2000) -> str:
    """`ClassName: message`, links and tokens left out, at most `limit` characters."""
    return without_links(f"{error.__class__.__name__}: {error}")[:limit]


def is_connection_error(described: str) -> bool:
    """Whether a recorded error (describe's text) says the server could not be reached."""
    return described.split(":", 1)[0] in CONNECTION_ERRORS
