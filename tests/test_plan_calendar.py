"""The activity calendar of `cutover plan`: every cell of a known plan, the states with other
offsets and with patrons and holds frozen when circulation goes offline, and the calendar and
the change classes telling the same story on every day."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from simulator.commands.plan import calendar, classes
from simulator.inputs.plan import Cluster, Plan

D = dt.date
EXAMPLE = Plan("CASCADE", (Cluster("1", D(2026, 6, 1), ("UWX", "OSX")),
                           Cluster("2", D(2026, 6, 12), ("LCX", "RCX", "WCX"))))
WEEKS = ("1,2026-06-01,2026-06-07", "2,2026-06-08,2026-06-14", "3,2026-06-15,2026-06-21",
         "4,2026-06-22,2026-06-28")
# The first cluster: frozen on its freeze (06-01), staff in Alma from day 12 (06-13), offline
# circulation from 06-13, go-live 06-15. Its existing bibs open in Alma with its staff.
FIRST = {
    "acquisitions": ["frozen,", "frozen,alma from 2026-06-13", "alma,", "alma,"],
    "existing_bib_update": ["frozen,", "frozen,alma from 2026-06-13", "alma,", "alma,"],
    "new_bib": ["frozen,", "frozen,alma from 2026-06-13", "alma,", "alma,"],
    "holdings_items": ["frozen,", "frozen,alma from 2026-06-13", "alma,", "alma,"],
    "existing_bib_delete": ["frozen,", "frozen,alma from 2026-06-13", "alma,", "alma,"],
    "loans": ["legacy,", "legacy,offline_client from 2026-06-13", "alma,", "alma,"],
    "holds": ["frozen,", "frozen,", "alma,", "alma,"],
    "patrons": ["frozen,", "frozen,", "alma,", "alma,"],
}
# The second cluster: its own freeze on 06-12, Alma from 06-24, offline from 06-24, go-live
# 06-26; its existing bibs freeze with the first cluster (06-01) and open in the Network Zone
# when the first cluster goes live (06-15).
SECOND = {
    "acquisitions": ["legacy,", "legacy,frozen from 2026-06-12", "frozen,",
                     "frozen,alma from 2026-06-24"],
    "existing_bib_update": ["frozen,", "frozen,", "alma,", "alma,"],
    "new_bib": ["legacy,", "legacy,frozen from 2026-06-12", "frozen,",
                "frozen,alma from 2026-06-24"],
    "holdings_items": ["legacy,", "legacy,frozen from 2026-06-12", "frozen,",
                       "frozen,alma from 2026-06-24"],
    "existing_bib_delete": ["frozen,", "frozen,", "alma,", "alma,"],
    "loans": ["legacy,", "legacy,", "legacy,",
              "legacy,offline_client from 2026-06-24; alma from 2026-06-26"],
    "holds": ["legacy,", "legacy,frozen from 2026-06-12", "frozen,",
              "frozen,alma from 2026-06-26"],
    "patrons": ["legacy,", "legacy,frozen from 2026-06-12", "frozen,",
                "frozen,alma from 2026-06-26"],
}


def expected_csv() -> str:
    lines = ["cluster,institution,activity,week,start,end,state,changes"]
    for cluster, codes, cells in (("1", ("UWX", "OSX"), FIRST),
                                  ("2", ("LCX", "RCX", "WCX"), SECOND)):
        for code in codes:
            for activity, states in cells.items():
                lines += [f"{cluster},{code},{activity},{week},{state}"
                          for week, state in zip(WEEKS, states, strict=True)]
    return "\n".join(lines) + "\n"


def test_every_cell_of_the_example() -> None:
    text = calendar.to_csv(calendar.grid(EXAMPLE))
    assert text == expected_csv()
    assert len(text.splitlines()) == 1 + 5 * 8 * 4


def test_the_activities_are_the_rows_of_the_seeds_table() -> None:
    assert list(calendar.ACTIVITIES.values()) == [
        ("Acquisitions", "all functions"), ("Cataloguing", "update of existing bibs"),
        ("Cataloguing", "new bibs"), ("Cataloguing", "holdings and items"),
        ("Cataloguing", "deletion of bibs"), ("Circulation", "loans"), ("Circulation", "holds"),
        ("Patrons", "patrons")]


def states(plan: Plan, cluster: int, activity: str) -> list[str]:
    row = calendar.grid(plan)[cluster].rows[activity]
    return [w.state + (f" ({w.changes_text()})" if w.changes else "") for w in row]


def test_offline_circulation_ending_before_go_live_leaves_loans_frozen() -> None:
    offsets = {**EXAMPLE.offsets, "offline_circulation": (10, 11),
               "final_circulation_load": (12, 13)}
    plan = Plan("C", (Cluster("1", D(2026, 6, 1), ("A",)),), offsets)
    assert states(plan, 0, "loans") == [
        "legacy", "legacy (offline_client from 2026-06-11; frozen from 2026-06-13)", "alma"]


def test_patrons_and_holds_stop_when_circulation_goes_offline_when_asked() -> None:
    plan = Plan("C", EXAMPLE.clusters, fulfillment_freeze="offline_circulation")
    for activity in ("holds", "patrons"):
        assert states(plan, 0, activity) == ["legacy", "legacy (frozen from 2026-06-13)",
                                             "alma", "alma"]
        assert states(plan, 1, activity) == ["legacy", "legacy", "legacy",
                                             "legacy (frozen from 2026-06-24; alma from "
                                             "2026-06-26)"]
    assert states(plan, 1, "acquisitions") == states(EXAMPLE, 1, "acquisitions")


def test_a_third_cluster_keeps_existing_bibs_frozen_from_the_first_freeze() -> None:
    plan = Plan("C", (*EXAMPLE.clusters, Cluster("3", D(2026, 6, 22), ("Z",))))
    assert states(plan, 2, "existing_bib_update") == ["frozen", "frozen", "alma", "alma",
                                                      "alma", "alma"]
    # Its own freeze on 06-22 (week 4), staff in Alma from 07-04, go-live 07-06 (week 6).
    assert states(plan, 2, "new_bib") == ["legacy", "legacy", "legacy", "frozen",
                                          "frozen (alma from 2026-07-04)", "alma"]


def class_on(area: str, ctx: calendar.Context, day: dt.date) -> str:
    found = [s.cls for s in classes.spans(area, ctx)
             if (s.start is None or s.start <= day) and (s.end is None or day < s.end)]
    assert len(found) == 1, (area, day, found)
    return found[0]


@given(st.integers(1, 20), st.integers(1, 3), st.sampled_from(("technical_freeze",
                                                               "offline_circulation")),
       st.integers(-10, 60))
def test_legacy_in_the_calendar_is_exactly_what_still_reaches_alma(
        stagger: int, count: int, fulfillment: str, offset: int) -> None:
    """A change made in the legacy system on a day the calendar says `legacy` reaches Alma
    (migrated, or supplied separately); on any other day it does not."""
    one = D(2026, 6, 1)
    plan = Plan("C", tuple(Cluster(str(i), one + dt.timedelta(days=i * stagger), (f"I{i}",))
                           for i in range(count)), fulfillment_freeze=fulfillment)
    day = one + dt.timedelta(days=offset)
    for ctx in calendar.contexts(plan):
        for area in classes.AREAS:
            for action in classes.ACTIONS:
                if area == "existing_bib" and action == "create":
                    continue
                state = calendar.state_on(calendar.periods(classes.activity(area, action), ctx),
                                          day)
                cls = class_on(area, ctx, day)
                assert (state == "legacy") == (cls in ("migrated", "supply_separately")), (
                    area, action, day, state, cls)
