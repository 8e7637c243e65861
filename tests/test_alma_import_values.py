"""Properties of the value conversions of the Alma API import (docs/alma-api.md, "Values") over
the large spaces of dates, timestamps, coded fields and booleans, JSON and XML alike."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from hypothesis import given
from hypothesis import strategies as st

from simulator.importers.alma_api import values, xmlbody
from simulator.importers.alma_api.shape import Node

FILE = "users/page-0002.json"
PATH = "$.user[3].created_date"
SNAPSHOT_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\d)?")

moments = st.datetimes(min_value=dt.datetime(1000, 1, 2), max_value=dt.datetime(9998, 12, 30))
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60)
digits = st.integers(min_value=1, max_value=9)


def convert(raw: Any) -> values.Converted:
    return values.date(Node(raw, PATH), FILE)


@given(st.dates(min_value=dt.date(1, 1, 1)), st.booleans())
def test_a_date_with_or_without_z_is_that_date(day: dt.date, z: bool) -> None:
    text = day.isoformat() + ("Z" if z else "")
    assert convert(text) == values.Converted(day.isoformat(), PATH)


@given(moments, digits)
def test_a_utc_timestamp_keeps_its_second_and_drops_its_fraction(moment: dt.datetime,
                                                                 n: int) -> None:
    fraction = f"{moment.microsecond:06d}{'0' * 3}"[:n]
    whole = moment.replace(microsecond=0).isoformat()
    assert convert(f"{whole}.{fraction}Z") == values.Converted(whole, PATH)
    assert convert(f"{whole}Z").value == whole


@given(moments, offsets)
def test_a_timestamp_with_an_offset_is_the_same_instant_in_utc(moment: dt.datetime,
                                                               minutes: int) -> None:
    zone = dt.timezone(dt.timedelta(minutes=minutes))
    local = moment.replace(microsecond=0, tzinfo=zone)
    text = local.isoformat()
    if minutes == 0:
        text = text.replace("+00:00", "Z")
    got = convert(text)
    assert got.problem is None
    assert got.value == local.astimezone(dt.UTC).replace(tzinfo=None).isoformat()


NEAR_DATES = st.from_regex(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?(\.\d{1,10})?)?"
                           r"(Z|[+-]\d{2}:?\d{2})?", fullmatch=True)


@given(st.one_of(st.text(max_size=40), NEAR_DATES))
def test_any_text_is_a_snapshot_timestamp_or_a_located_problem(text: str) -> None:
    got = convert(text)
    if got.problem is None:
        assert got.value is None or SNAPSHOT_TIMESTAMP.fullmatch(got.value)
        if got.value is not None:
            dt.datetime.fromisoformat(got.value)  # DuckDB and Python read it alike
    else:
        assert got.value is None
        assert str(got.problem) == (f"{FILE}: {PATH}: {text!r} is not a date (2026-03-02Z) or a "
                                    "timestamp (2026-03-02T10:00:00.000Z)")


codes = st.one_of(st.none(), st.text(max_size=20), st.integers(min_value=0, max_value=10**6))
descs = st.one_of(st.just("missing"), st.none(), st.just(""), st.text(max_size=20).map(
    lambda d: f"  {d} "))


@given(codes, descs)
def test_a_coded_field_is_its_value_whatever_its_desc(value: Any, desc: Any) -> None:
    field: dict[str, Any] = {"value": value}
    if desc != "missing":
        field["desc"] = desc
    got = values.text(Node(field, "$.user[0].user_group"), FILE)
    expected = None if value in (None, "") else str(value).replace("\r\n", "\n").replace(
        "\r", "\n")
    assert got == values.Converted(expected, "$.user[0].user_group.value")


xml_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                   min_size=1, max_size=20).filter(lambda t: t.strip() != "")


@given(xml_text, st.one_of(st.none(), st.text(st.characters(codec="utf-8",
                                                            exclude_categories=("Cs", "Cc")),
                                              max_size=20)))
def test_an_xml_coded_element_reads_as_the_json_one(value: str, desc: str | None) -> None:
    attr = "" if desc is None else f" desc={quoteattr(desc)}"
    body = f"<user><user_group{attr}>{escape(value)}</user_group></user>".encode()
    parsed, problem = xmlbody.parse(body, "users/u.xml")
    assert problem is None
    got = values.text(Node(parsed).get("user_group"), "users/u.xml")
    assert got.value == value.replace("\r\n", "\n").replace("\r", "\n")


@given(st.booleans(), st.sampled_from(["{}", "{}", " {} ", "{}"]), st.sampled_from(
    [str.lower, str.upper, str.title]))
def test_a_boolean_as_json_or_text(flag: bool, pad: str, case: Any) -> None:
    as_text = pad.format(case(str(flag)))
    for raw in (flag, as_text):
        assert values.boolean(Node(raw, "$.row[0].enabled"), FILE).value == str(flag).lower()


@given(st.text(max_size=10).filter(lambda t: t.strip().lower() not in ("true", "false", "")))
def test_any_other_text_is_not_a_boolean(text: str) -> None:
    got = values.boolean(Node(text, "$.row[0].enabled"), FILE)
    assert str(got.problem) == f"{FILE}: $.row[0].enabled: {text!r} is not true or false"
