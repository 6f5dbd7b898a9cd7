"""The couriers an owner ships with in China, each with its public tracking page.

The owner picks one from COURIERS (or "Other", with a name and an optional link of their own).
The order keeps the courier's English name in Order.carrier, so every page, email and export
that prints the column as it is stays readable; `carrier_label` turns it into the reader's
language. The tracking link is built once, at shipping, into Order.tracking_url: the buyer's
tracking page, the emails and the SMS all use that one column.

Tracking URLs (as several public projects link them, 2026-12; this machine cannot open them):
SF Express, JD Logistics, ZTO and China Post / EMS take the number in their own page's address. YTO, STO, Yunda and J&T Express have no public page that
does (their search forms post the number), so those link to kuaidi100.com, the aggregator most
Chinese buyers already use, with that courier's kuaidi100 code.
"""

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

OTHER = "other"
# Longest tracking number taken (Order.tracking_number holds 80; no courier uses more than 40).
NUMBER_MAX = 40
_ANY_NUMBER = re.compile(r"[A-Z0-9-]{4,40}")
_KUAIDI100 = "https://www.kuaidi100.com/chaxun?com={com}&nu={number}"


@dataclass(frozen=True)
class Courier:
    code: str
    name: str  # English, the msgid, and what Order.carrier keeps
    name_zh: str  # the courier's own Chinese name, as printed on its waybills
    url: str  # with {number}
    pattern: re.Pattern | None = None  # of a normalised number, where the courier's is clear
    example: str = ""

    def label(self) -> str:
        """The name in the active language.

        A Chinese reader gets the catalogue's translation, or the courier's own Chinese name
        while the catalogue has none yet (a brand's name is data, not a phrasing)."""
        translated = _(self.name)
        if translated == self.name and (translation.get_language() or "").startswith("zh"):
            return self.name_zh
        return translated

    def tracking_url(self, number: str) -> str:
        return self.url.format(number=quote(number, safe=""))


def _kuaidi100(com: str) -> str:
    return _KUAIDI100.replace("{com}", com)


# Names are marked with gettext_noop (makemessages finds them) and translated in Courier.label.
COURIERS = (
    Courier(
        "sf",
        gettext_noop("SF Express"),
        "顺丰速运",
        "https://www.sf-express.com/chn/sc/waybill/waybill-detail/{number}",
        re.compile(r"SF[0-9]{12,15}"),
        "SF1234567890123",
    ),
    Courier(
        "jd",
        gettext_noop("JD Logistics"),
        "京东物流",
        "https://www.jdl.com/orderSearch/?waybillCodes={number}",
        re.compile(r"JD[A-Z0-9]{10,18}"),
        "JDVA12345678901",
    ),
    Courier(
        "zto",
        gettext_noop("ZTO Express"),
        "中通快递",
        "https://www.zto.com/express/expressCheck.html?txtBill={number}",
        re.compile(r"[0-9]{12,15}"),
        "73123456789012",
    ),
    Courier(
        "yto",
        gettext_noop("YTO Express"),
        "圆通速递",
        _kuaidi100("yuantong"),
        re.compile(r"YT[0-9]{10,17}"),
        "YT1234567890123",
    ),
    Courier("sto", gettext_noop("STO Express"), "申通快递", _kuaidi100("shentong")),
    Courier("yunda", gettext_noop("Yunda Express"), "韵达快递", _kuaidi100("yunda")),
    Courier(
        "ems",
        gettext_noop("China Post / EMS"),
        "中国邮政/EMS",
        "https://www.ems.com.cn/queryList?mailNum={number}",
        # A domestic parcel or EMS number (13 digits), or an international one (EA123456789CN).
        re.compile(r"[0-9]{13}|[A-Z]{2}[0-9]{9}[A-Z]{2}"),
        "1123456789012",
    ),
    Courier(
        "jt",
        gettext_noop("J&T Express"),
        "极兔速递",
        _kuaidi100("jtexpress"),
        re.compile(r"JT[0-9]{10,16}"),
        "JT1234567890123",
    ),
)
BY_CODE = {courier.code: courier for courier in COURIERS}
_BY_NAME = {courier.name.casefold(): courier for courier in COURIERS}


def choices() -> list[tuple[str, str]]:
    """The select's options, in the active language; "Other" last."""
    options = []
    for courier in COURIERS:
        label = courier.label()
        options.append(
            (courier.code, label if label == courier.name_zh else f"{label} · {courier.name_zh}")
        )
    return [*options, (OTHER, _("Other"))]


def normalise_number(text: str) -> str:
    """The number as couriers print it: full-width characters (a Chinese keyboard's ＳＦ１２３)
    folded, spaces dropped, letters in capitals."""
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()


def check_number(courier: Courier | None, text: str) -> str:
    """Return the normalised tracking number, or raise ValidationError saying what is wrong.

    Loose on purpose: a courier's pattern only where its numbers are clear, otherwise 4 to 40
    letters, digits or hyphens."""
    number = normalise_number(text)
    if len(number) > NUMBER_MAX or not _ANY_NUMBER.fullmatch(number):
        raise ValidationError(
            _("A tracking number is 4 to 40 letters, digits or hyphens."), code="number"
        )
    if courier and courier.pattern and not courier.pattern.fullmatch(number):
        raise ValidationError(
            _("This is not a %(courier)s tracking number: they look like %(example)s.")
            % {"courier": courier.label(), "example": courier.example},
            code="number_pattern",
        )
    return number


def courier_named(stored: str) -> Courier | None:
    """The listed courier whose name an order keeps in Order.carrier, or None."""
    return _BY_NAME.get((stored or "").strip().casefold())


def carrier_label(stored: str) -> str:
    """Order.carrier for a reader: a listed courier's name in the active language, any other
    carrier's name as the owner typed it."""
    courier = courier_named(stored)
    return courier.label() if courier else stored
