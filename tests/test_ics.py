"""The iCalendar writer (simulator/output/ics.py): folding, escaping and UIDs, read back by the
icalendar library."""

from __future__ import annotations

import datetime as dt

import icalendar
from hypothesis import given
from hypothesis import strategies as st

from simulator.output import ics

DAY = dt.date(2026, 3, 2)
STAMP = dt.datetime(2026, 2, 20, 8, 30, tzinfo=dt.UTC)


def test_a_short_line_is_not_folded() -> None:
    assert ics.fold("SUMMARY:" + "x" * 67) == "SUMMARY:" + "x" * 67


def test_a_long_line_is_folded_at_75_octets_and_never_inside_a_character() -> None:
    line = "SUMMARY:" + "é" * 40  # 88 octets; the 75th is the first half of an é
    assert ics.fold(line) == "SUMMARY:" + "é" * 33 + "\r\n " + "é" * 7


@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
               max_size=300))
def test_folded_lines_fit_and_unfold_to_the_line(value: str) -> None:
    folded = ics.fold("DESCRIPTION:" + value)
    assert all(len(part.encode("utf-8")) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == "DESCRIPTION:" + value


@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=120))
def test_a_title_reads_back_as_written(title: str) -> None:
    event = ics.Event("freeze", DAY, DAY, title, "detail", "library", "Go-Live")
    cal = icalendar.Calendar.from_ical(ics.calendar([event], "NFU", STAMP, name="n",
                                                    product="p"))
    assert str(cal.walk("VEVENT")[0]["SUMMARY"]) == title


def test_escaping_of_text_values() -> None:
    assert ics.text("a\\b;c,d\r\ne\nf") == "a\\\\b\\;c\\,d\\ne\\nf"


def test_the_calendar_and_its_events() -> None:
    event = ics.Event("go-live", DAY, DAY + dt.timedelta(days=2), "Go-live, at last",
                      "Alma in production.", "Ex Libris", "Go-Live")
    text = ics.calendar([event], "NFU; Main Library", STAMP, name="Runbook: NFU",
                        product="readiness runbook")
    cal = icalendar.Calendar.from_ical(text)
    assert str(cal["PRODID"]) == "-//cutover-simulator//readiness runbook//EN"
    assert str(cal["X-WR-CALNAME"]) == "Runbook: NFU"
    (v,) = cal.walk("VEVENT")
    assert str(v["UID"]) == "go-live@nfumainlibrary.cutover-simulator"
    assert (v.decoded("DTSTART"), v.decoded("DTEND")) == (DAY, DAY + dt.timedelta(days=3))
    assert str(v["DESCRIPTION"]) == "Alma in production. Who: Ex Libris. Source: Go-Live."
    assert str(v["CATEGORIES"].cats[0]) == "Ex Libris"
    assert v.decoded("DTSTAMP") == STAMP
    assert text.endswith("END:VCALENDAR\r\n")


def test_an_owner_without_letters_or_digits_gives_the_domain_site() -> None:
    assert ics.domain("; ,") == "site"
    assert ics.domain("UW-X.edu") == "uw-x.edu"
