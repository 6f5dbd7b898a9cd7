"""Replies buyers send to the shop's SMS (上行短信), as each provider pushes them.

- Aliyun "SmsUp" (HTTP batch push, 上行短信消息): a JSON list of
  {"phone_number", "send_time", "content", "sign_name", "dest_code", "sequence_id"}; it wants
  {"code": 0, "msg": "接收成功"} back.
- Tencent's reply callback (短信回复, "SMS Reply"): one JSON object
  {"mobile", "nationcode", "text", "sign", "time", "extend"}; it wants {"result": 0, "errmsg": "OK"}.
- The console's own (demo, tests): [{"phone": "+86...", "text": "TD"}].

Neither push is signed: the URL carries a secret token (see messaging/sms_views.py).
"""

import unicodedata
from dataclasses import dataclass

from .base import load_receipt_items, text_field

# What a buyer replies to stop (the provider's template says "退订回TD"): case and width
# do not matter (ＴＤ, td), nor spaces or a trailing full stop.
STOP_WORDS = {"TD", "T", "N", "退订", "STOP", "UNSUBSCRIBE", "退订TD"}


@dataclass(frozen=True)
class Reply:
    phone: str  # E.164 where the push gives the country code; a mainland number otherwise
    text: str


def normalised(text: str) -> str:
    """Full-width to half-width (NFKC), upper case, without spaces and closing punctuation."""
    folded = unicodedata.normalize("NFKC", str(text or "")).upper()
    return "".join(folded.split()).strip(".。!！")


def is_stop(text: str) -> bool:
    """Whether a reply asks to stop the messages ("TD", "ｔｄ", "退订", "STOP", ...)."""
    return normalised(text) in STOP_WORDS


def e164(number: str, nation: str = "") -> str:
    """A pushed number as E.164: "+8613800138000" from "13800138000" (mainland, as Aliyun sends
    it), "8613800138000" or nation "86" and "13800138000" (Tencent)."""
    digits = "".join(ch for ch in str(number or "") if ch.isdigit())
    nation = "".join(ch for ch in str(nation or "") if ch.isdigit())
    if str(number or "").strip().startswith("+"):
        return "+" + digits
    if nation:
        return f"+{nation}{digits}"
    if len(digits) == 11 and digits.startswith("1"):
        return "+86" + digits
    return "+" + digits if digits else ""


def parse_aliyun(body: bytes) -> list[Reply]:
    return [
        Reply(e164(text_field(item, "phone_number", 32)), text_field(item, "content", 500))
        for item in load_receipt_items(body)
        if text_field(item, "phone_number")
    ]


def parse_tencent(body: bytes) -> list[Reply]:
    return [
        Reply(
            e164(text_field(item, "mobile", 20), text_field(item, "nationcode", 8)),
            text_field(item, "text", 500),
        )
        for item in load_receipt_items(body)
        if text_field(item, "mobile")
    ]


def parse_console(body: bytes) -> list[Reply]:
    return [
        Reply(e164(text_field(item, "phone", 32)), text_field(item, "text", 500))
        for item in load_receipt_items(body)
        if text_field(item, "phone")
    ]


PARSERS = {"aliyun": parse_aliyun, "tencent": parse_tencent, "console": parse_console}
ACKS = {
    "aliyun": '{"code": 0, "msg": "接收成功"}'.encode(),
    "tencent": b'{"result": 0, "errmsg": "OK"}',
    "console": b'{"result": 0}',
}
