"""A channel's error as the owner may read it: what went wrong, without links or tokens.

A mail server's or provider's error may quote the message it refused (the buyer's review,
answer and unsubscribe links) or a request's URL with its key; the owner reads the error, never
those. Messaging records every error through `describe`, so each page that shows one shows it
clean; `without_links` cleans a text recorded before.
"""

import re

_LINK_OR_TOKEN = re.compile(r"https?://\S+|[\w\-:.]{32,}")

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
)


def without_links(text: str) -> str:
    return _LINK_OR_TOKEN.sub("[…]", text or "")


def describe(error: BaseException, limit: int = 2000) -> str:
    """`ClassName: message`, links and tokens left out, at most `limit` characters."""
    return without_links(f"{error.__class__.__name__}: {error}")[:limit]


def is_connection_error(described: str) -> bool:
    """Whether a recorded error (describe's text) says the server could not be reached."""
    return described.split(":", 1)[0] in CONNECTION_ERRORS
