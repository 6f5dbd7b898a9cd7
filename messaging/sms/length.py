"""How long an SMS is, the way Chinese providers bill it.

Aliyun and Tencent count the sign name with its brackets (【签名】) and the text together, every
character as one, Chinese or not: up to 70 is one message; longer is a long SMS billed, and
split, at 67 per part (3 go to the header that joins the parts on the phone). Both cap a
message at 500 characters. Characters outside the Basic Multilingual Plane (emoji) take two
units in the UCS-2 the carriers use, so they count two here.
"""

import math
from dataclasses import dataclass

SINGLE = 70
PART = 67
MAX_CHARS = 500


def signed(text: str, sign_name: str) -> str:
    """The text as the phone shows it: 【sign name】 first, as both providers add it."""
    return f"【{sign_name}】{text}" if sign_name else text


def units(text: str) -> int:
    return sum(2 if ord(char) > 0xFFFF else 1 for char in text)


@dataclass(frozen=True)
class SmsLength:
    chars: int
    parts: int

    @property
    def fits_one(self) -> bool:
        return self.parts <= 1

    @property
    def allowed(self) -> bool:
        return self.chars <= MAX_CHARS


def sms_length(text: str, sign_name: str = "") -> SmsLength:
    """Characters and billed parts of `text` sent under `sign_name`."""
    chars = units(signed(text, sign_name))
    if chars == 0:
        return SmsLength(0, 0)
    return SmsLength(chars, 1 if chars <= SINGLE else math.ceil(chars / PART))
