"""The date arithmetic of `cutover plan`: milestones as calendar days counted from each cluster's
freeze (both ends included), the weeks from the first cluster's freeze, plan.csv and plan.ics."""

from __future__ import annotations

import datetime as dt

import icalendar
from hypothesis import given
from hypothesis import strategies as st

from simulator.commands.plan import calendar, milestones
from simulator.inputs.plan import DEFAULT_OFFSETS, MILESTONES, Cluster, Plan

D = dt.date
EXAMPLE = Plan("CASCADE", (Cluster("1", D(2026, 6, 1), ("UWX", "OSX")),
                           Cluster("2", D(2026, 6, 12), ("LCX", "RCX", "WCX"))))


def test_the_seed_defaults_on_the_example() -> None:
    found = [(m.cluster, m.institution, m.name, m.start, m.end)
             for m in milestones.milestones(EXAMPLE) if m.institution in ("UWX", "LCX")]
    assert found == [
        ("1", "UWX", "technical_freeze", D(2026, 6, 1), D(2026, 6, 1)),
        ("1", "UWX", "clean_data", D(2026, 6, 8), D(2026, 6, 12)),
        ("1", "UWX", "staff_targeted_work", D(2026, 6, 13), D(2026, 6, 15)),
        ("1", "UWX", "offline_circulation", D(2026, 6, 13), D(2026, 6, 15)),
        ("1", "UWX", "final_circulation_load", D(2026, 6, 14), D(2026, 6, 15)),
        ("1", "UWX", "go_live", D(2026, 6, 15), D(2026, 6, 15)),
        ("2", "LCX", "technical_freeze", D(2026, 6, 12), D(2026, 6, 12)),
        ("2", "LCX", "clean_data", D(2026, 6, 19), D(2026, 6, 23)),
        ("2", "LCX", "staff_targeted_work", D(2026, 6, 24), D(2026, 6, 26)),
        ("2", "LCX", "offline_circulation", D(2026, 6, 24), D(2026, 6, 26)),
        ("2", "LCX", "final_circulation_load", D(2026, 6, 25), D(2026, 6, 26)),
        ("2", "LCX", "go_live", D(2026, 6, 26), D(2026, 6, 26)),
    ]
    assert len(milestones.milestones(EXAMPLE)) == 5 * 6


def test_days_cross_months_years_and_a_leap_day() -> None:
    def days(freeze: dt.date) -> dict[str, tuple[dt.date, dt.date]]:
        return milestones.schedule(Cluster("x", freeze, ("A",)), EXAMPLE.offsets).days

    assert days(D(2026, 12, 25))["clean_data"] == (D(2027, 1, 1), D(2027, 1, 5))
    assert days(D(2026, 12, 25))["go_live"] == (D(2027, 1, 8), D(2027, 1, 8))
    assert days(D(2028, 2, 20))["go_live"] == (D(2028, 3, 5), D(2028, 3, 5))
    assert days(D(2028, 2, 20))["clean_data"] == (D(2028, 2, 27), D(2028, 3, 2))
    assert days(D(2027, 2, 20))["clean_data"] == (D(2027, 2, 27), D(2027, 3, 3))


def test_the_weeks_run_from_the_first_freeze_to_the_last_go_live() -> None:
    weeks = calendar.weeks(EXAMPLE)
    assert [(w.number, w.start, w.end) for w in weeks] == [
        (1, D(2026, 6, 1), D(2026, 6, 7)), (2, D(2026, 6, 8), D(2026, 6, 14)),
        (3, D(2026, 6, 15), D(2026, 6, 21)), (4, D(2026, 6, 22), D(2026, 6, 28))]
    one = Plan("C", (Cluster("1", D(2026, 6, 1), ("A",)),))
    # Go-live on day 14 is the first day of week 3.
    assert [w.number for w in calendar.weeks(one)] == [1, 2, 3]


offsets = st.builds(
    lambda a, b, c, d, e, f, g, h: {
        "technical_freeze": (0, 0), "clean_data": (a, a + b),
        "staff_targeted_work": (a + b + c, a + b + c + d),
        "offline_circulation": (e, e + f),
        "final_circulation_load": (max(a + b, e) + g, max(a + b, e) + g),
        "go_live": (max(a + b + c + d, e + f, max(a + b, e) + g) + h,) * 2},
    *(st.integers(1, 9) for _ in range(2)), st.integers(0, 4), st.integers(0, 4),
    st.integers(1, 15), st.integers(0, 4), st.integers(0, 3), st.integers(0, 5))


@given(st.dates(D(2000, 1, 1), D(2090, 12, 31)), offsets, st.integers(1, 30),
       st.integers(1, 4))
def test_every_milestone_is_its_offsets_from_the_freeze(
        first: dt.date, days: dict[str, tuple[int, int]], stagger: int, count: int) -> None:
    clusters = tuple(Cluster(str(i + 1), first + dt.timedelta(days=i * stagger), (f"I{i}",))
                     for i in range(count))
    plan = Plan("C", clusters, days)
    for m in milestones.milestones(plan):
        freeze = next(c.freeze for c in clusters if c.name == m.cluster)
        assert ((m.start - freeze).days, (m.end - freeze).days) == days[m.name]
        assert m.start <= m.end
    weeks = calendar.weeks(plan)
    assert weeks[0].start == first
    assert all(b.start - a.end == dt.timedelta(days=1) for a, b in zip(weeks, weeks[1:],
                                                                       strict=False))
    last = clusters[-1].freeze + dt.timedelta(days=days["go_live"][0])
    assert weeks[-1].start <= last <= weeks[-1].end


def test_plan_csv_lists_every_milestone_of_every_institution() -> None:
    text = milestones.to_csv(milestones.milestones(EXAMPLE))
    lines = text.splitlines()
    assert lines[0] == "cluster,institution,milestone,start,end"
    assert len(lines) == 1 + 5 * len(MILESTONES)
    assert lines[1:7] == [
        "1,UWX,technical_freeze,2026-06-01,2026-06-01",
        "1,UWX,clean_data,2026-06-08,2026-06-12",
        "1,UWX,staff_targeted_work,2026-06-13,2026-06-15",
        "1,UWX,offline_circulation,2026-06-13,2026-06-15",
        "1,UWX,final_circulation_load,2026-06-14,2026-06-15",
        "1,UWX,go_live,2026-06-15,2026-06-15",
    ]
    assert lines[-1] == "2,WCX,go_live,2026-06-26,2026-06-26"


STAMP = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)


def test_plan_ics_has_an_all_day_event_per_milestone_and_institution() -> None:
    text = milestones.to_ics(EXAMPLE, milestones.milestones(EXAMPLE), STAMP)
    cal = icalendar.Calendar.from_ical(text)
    assert str(cal["X-WR-CALNAME"]) == "Alma cutover plan: CASCADE"
    assert str(cal["PRODID"]) == "-//cutover-simulator//consortium plan//EN"
    events = cal.walk("VEVENT")
    assert len(events) == 30
    clean = next(e for e in events if str(e["UID"]) == "LCX.clean_data@cascade.cutover-simulator")
    assert clean.decoded("DTSTART") == D(2026, 6, 19)
    assert clean.decoded("DTEND") == D(2026, 6, 24)  # the day after the last (exclusive)
    assert str(clean["SUMMARY"]) == "LCX: Clean data delivered for final checks (cluster 2)"
    assert str(clean["CATEGORIES"].cats[0]) == "LCX"
    live = next(e for e in events if str(e["UID"]) == "UWX.go_live@cascade.cutover-simulator")
    assert (live.decoded("DTSTART"), live.decoded("DTEND")) == (D(2026, 6, 15), D(2026, 6, 16))


def test_plan_ics_uids_are_stable_when_the_plan_moves() -> None:
    moved = Plan("CASCADE", (Cluster("1", D(2026, 6, 8), ("UWX",)),
                             Cluster("2", D(2026, 6, 19), ("OSX", "LCX", "RCX", "WCX"))))

    def uids(plan: Plan) -> set[str]:
        cal = icalendar.Calendar.from_ical(milestones.to_ics(plan, milestones.milestones(plan),
                                                             STAMP))
        return {str(e["UID"]) for e in cal.walk("VEVENT")}

    assert uids(moved) == uids(EXAMPLE)
    assert len(uids(EXAMPLE)) == 30


def test_the_default_offsets_are_the_seeds_milestones() -> None:
    # "Cutover Day 7-11", "Day 12" (twice), "Day 13-14", "Day 14", ranges until go-live.
    assert DEFAULT_OFFSETS == {"clean_data": (7, 11), "staff_targeted_work": (12, 14),
                               "offline_circulation": (12, 14),
                               "final_circulation_load": (13, 14), "go_live": (14, 14)}
