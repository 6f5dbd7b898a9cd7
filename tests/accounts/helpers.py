"""Reading what the account pages did: the code in a message, who is signed in, mail sent."""

import re

from django.core import mail

CODE = re.compile(r"^\s*([A-Z0-9]{3,}-[A-Z0-9]{3,})\s*$", re.MULTILINE)


def code_in(message) -> str:
    """The one-time code in an account message."""
    return CODE.search(message.body).group(1)


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def mails_to(address: str):
    return [m for m in mail.outbox if address.lower() in [to.lower() for to in m.to]]
