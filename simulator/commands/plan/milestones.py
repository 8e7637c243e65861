"""Every cluster's and institution's milestones as dates, and plan.csv and plan.ics.

A cluster's technical services freeze is its day 0; every other milestone is a span of calendar
days counted from it, both ends included, as the seed's consortium appendix counts them ("Cutover
Day 7-11"). All institutions of a cluster share its dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from simulator.inputs.plan import MILESTONES, Cluster, Plan
from simulator.output import csvfile, ics

DAY = dt.timedelta(days=1)
CITE = "Appendix – Large Consortium “Big Bang” Approach (General Alma Cutover Milestones Per " \
       "Cluster)"
TITLES = {
    "technical_freeze": "Technical services freeze",
    "clean_data": "Clean data delivered for final checks",
    "staff_targeted_work": "Staff targeted work in Alma",
    "offline_circulation": "Offline circulation",
    "final_circulation_load": "Final circulation load",
    "go_live": "Go-live with Alma and Primo",
}
DETAILS = {
    "technical_freeze": "New cataloguing and acquisitions work stops in the legacy system and "
                        "the extract is taken; circulation goes on.",
    "clean_data": "The migrated data is on Alma and Primo production for final checks; what is "
                  "changed there from now on stays.",
    "staff_targeted_work": "Cataloguing and acquisitions staff start working in Alma, sparingly: "
                           "their changes are kept.",
    "offline_circulation": "Loans and returns are recorded in the Ex Libris offline circulation "
                           "client.",
    "final_circulation_load": "The last circulation data and the offline transactions are "
                              "loaded into Alma.",
    "go_live": "Alma and Primo in full production for the institution.",
}


@dataclass(frozen=True)
class Schedule:
    """One cluster's milestones: each a (first, last) day."""

    cluster: Cluster
    days: dict[str, tuple[dt.date, dt.date]]

    @property
    def freeze(self) -> dt.date:
        return self.days["technical_freeze"][0]

    @property
    def targeted(self) -> dt.date:
        """The first day staff work in Alma."""
        return self.days["staff_targeted_work"][0]

    @property
    def offline(self) -> tuple[dt.date, dt.date]:
        return self.days["offline_circulation"]

    @property
    def go_live(self) -> dt.date:
        return self.days["go_live"][0]


def schedule(cluster: Cluster, offsets: dict[str, tuple[int, int]]) -> Schedule:
    return Schedule(cluster, {m: (cluster.freeze + offsets[m][0] * DAY,
                                  cluster.freeze + offsets[m][1] * DAY) for m in MILESTONES})


def schedules(plan: Plan) -> list[Schedule]:
    """Every cluster's schedule, the first cluster's first."""
    return [schedule(c, plan.offsets) for c in plan.clusters]


@dataclass(frozen=True)
class Milestone:
    cluster: str
    institution: str
    name: str
    start: dt.date
    end: dt.date  # included


def milestones(plan: Plan) -> list[Milestone]:
    """Every institution's milestones: clusters, institutions and milestones in plan order."""
    return [Milestone(s.cluster.name, code, name, *s.days[name])
            for s in schedules(plan) for code in s.cluster.institutions for name in MILESTONES]


CSV_COLUMNS = ("cluster", "institution", "milestone", "start", "end")


def to_csv(found: list[Milestone]) -> str:
    return csvfile.csv_text(CSV_COLUMNS, ([m.cluster, m.institution, m.name, m.start.isoformat(),
                                           m.end.isoformat()] for m in found))


def to_ics(plan: Plan, found: list[Milestone], stamp: dt.datetime) -> str:
    """One all-day event per milestone and institution; its UID is the institution and the
    milestone, so importing a changed plan again moves the events (also to another cluster)."""
    events = [ics.Event(f"{m.institution}.{m.name}", m.start, m.end,
                        f"{m.institution}: {TITLES[m.name]} (cluster {m.cluster})",
                        DETAILS[m.name], m.institution, CITE) for m in found]
    return ics.calendar(events, plan.consortium, stamp, product="consortium plan",
                        name=f"Alma cutover plan: {plan.consortium}")
