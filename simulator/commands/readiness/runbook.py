"""The dated cutover runbook: steps placed on the scenario's dates, exported as iCalendar and CSV.

Dates (docs/formats/scenario.md): F freeze_start, C clean_data_delivered, FF fulfillment_freeze,
G go_live.
Where the vendor's description gives a relative time, it is used (the old link resolver stays one
month after go-live; Summon customers keep the fulfillment freeze one week longer and go live with
Summon about two weeks after Alma). Where it gives none, the step is placed on the nearest date the
description implies, and its detail says so.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from simulator.inputs.scenario import Scenario
from simulator.output import csvfile, ics

DAY = dt.timedelta(days=1)
PREPARE_DAYS = 14  # the preparation weeks before the freeze (the seed: "the weeks preceding")

THIRD_PARTIES = "Cutover Preparation and Approach for Third-Parties that are Provided Library " \
                "Data and Services"
ANALYTICS = "Data and Configuration Elements Retained at Cutover (Reports in Analytics)"
META = "Note on meta-collections (Data and Configuration Elements Retained at Cutover)"


@dataclass(frozen=True)
class Event:
    id: str
    start: dt.date
    end: dt.date  # inclusive; equal to start for a one-day step
    label: str  # a few words, for the timeline
    title: str
    detail: str
    who: str  # library | Ex Libris | library and Ex Libris
    cite: str

    @property
    def kind(self) -> str:
        return "milestone" if self.start == self.end else "window"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "label": self.label, "title": self.title, "detail": self.detail,
                "who": self.who, "cite": self.cite}


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it is shorter."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# Runbook workloads (rules/vocabulary.py WORKLOADS) and the step that names each one's count.
WORKLOAD_STEPS = {
    "reports-at-risk": "save-reports",
    "logical-sets": "logical-sets",
    "collections": "collections",
    "collection-links": "collections",
    "webhooks": "webhooks",
    "holds": "holds",
    "authorities": "authorities",
}


@dataclass
class _Plan:
    """The steps placed so far, on the scenario's dates, with the workloads' counts."""

    f: dt.date
    c: dt.date
    ff: dt.date | None
    g: dt.date | None
    summon: bool
    counts: Mapping[str, int]
    events: list[Event] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, id: str, start: dt.date, end: dt.date | None, title: str, detail: str,
            who: str, cite: str) -> None:
        self.events.append(Event(id, start, max(end or start, start), LABELS[id], title, detail,
                                 who, cite))

    def count(self, workload: str) -> int:
        """The records of a workload; only those WORKLOAD_STEPS declares are ever asked for."""
        if workload not in WORKLOAD_STEPS:
            raise KeyError(f"runbook workload {workload!r} is not in WORKLOAD_STEPS")
        return self.counts.get(workload, 0)


def build(scenario: Scenario, counts: Mapping[str, int] | None = None
          ) -> tuple[list[Event], list[str]]:
    """The steps in date order, and notes on steps that could not be dated.

    `counts` maps workloads (WORKLOAD_STEPS, rules/vocabulary.py WORKLOADS) to their record
    counts, so that steps name their workload (webhooks to switch on, holds to re-create,
    reports to move).
    """
    unknown = sorted(set(counts or {}) - set(WORKLOAD_STEPS))
    if unknown:
        raise ValueError(f"unknown runbook workloads: {', '.join(unknown)}")
    dates = {k: v.date() for k, v in scenario.dates.items()}
    plan = _Plan(dates["freeze_start"], dates["clean_data_delivered"],
                 dates.get("fulfillment_freeze"), dates.get("go_live"),
                 bool(scenario.options.get("summon")), dict(counts or {}))
    _before_freeze(plan)
    _freeze_and_clean_data(plan)
    _fulfillment(plan)
    if plan.g is None:
        plan.notes.append("go_live is not in the scenario: go-live and the steps after it are "
                          "not dated.")
    else:
        _go_live(plan, plan.g)
        _after_go_live(plan, plan.g)
    return _ordered(plan.events), plan.notes


def _before_freeze(plan: _Plan) -> None:
    f = plan.f
    plan.add("prepare", f - PREPARE_DAYS * DAY, f - DAY,
             "Prepare for cutover: fix blockers at the source",
             "Handle the test load's rejects in the legacy system, add every new library, "
             "location, vendor and resource sharing partner to Alma with the legacy code, "
             "finalise the migration and field mapping forms. The two-week span is this tool's "
             "choice.", "library", "Prepare for Cutover")
    reports = plan.count("reports-at-risk")
    if reports:
        plan.add("save-reports", f - DAY, None,
                 f"Save {_plural(reports, 'Analytics report')} to the institution folder",
                 "Reports in a staff user's own folder are lost when the user was deleted or "
                 "changed Primary ID since the test load; the institution folder keeps them.",
                 "library", ANALYTICS)
    logical = plan.count("logical-sets")
    if logical:
        plan.add("logical-sets", f - DAY, None,
                 f"Turn {_plural(logical, 'itemized set')} into logical sets",
                 "Itemized sets are removed at cutover; a logical set (a saved query) is "
                 "configuration and is kept.", "library",
                 "Data and Configuration Elements Retained at Cutover")


def _freeze_and_clean_data(plan: _Plan) -> None:
    f, c, g = plan.f, plan.c, plan.g
    plan.add("freeze", f, None, "Technical services freeze and Alma configuration freeze begin",
             "Cataloguing, inventory, e-resources, acquisitions and course work stop in the "
             "legacy system; Alma's configuration is taken as it is now.", "library",
             "Technical Services Freeze; Alma Configuration Freeze")
    plan.add("configuration-freeze", f, c - DAY,
             "Alma configuration freeze: changes are not kept",
             "Anything changed in Alma until the clean data is back is lost; a good time for "
             "staff training.", "library", "Alma Configuration Freeze")
    plan.add("clean-data", c, None, "Clean data delivered to production: review and accept it",
             "Check the migrated data in Alma and Primo carefully: what is changed from now on "
             "stays.", "Ex Libris", "Test Final Data – Delivered back on Production")
    plan.add("targeted-work", c, (g - DAY) if g else None,
             "Staff targeted work in Alma (changes are kept from now on)",
             "Cataloguing and acquisitions staff work in Alma, minimally and with care: apart "
             "from patrons, loans and hold-shelf requests, every change remains after go-live.",
             "library", "Alma Configuration Freeze")
    collections, linked = plan.count("collections"), plan.count("collection-links")
    if collections or linked:
        what = [x for x in (collections and _plural(collections, "collection"),
                            linked and f"re-select them in {_plural(linked, 'configuration item')}")
                if x]
        plan.add("collections", c, None, "Re-create " + " and ".join(str(w) for w in what),
                 "Meta-collections are removed by the cutover load; configuration that pointed "
                 "at them shows no collection until it is selected again.", "library", META)


def _fulfillment(plan: _Plan) -> None:
    ff, g = plan.ff, plan.g
    if ff is None:
        plan.notes.append("fulfillment_freeze is not in the scenario: the fulfillment freeze, "
                          "offline circulation and fulfillment load are not dated.")
        return
    plan.add("fulfillment-freeze", ff, None,
             "Fulfillment freeze: legacy patrons, loans and requests become read-only",
             "The last fulfillment extract is taken; later changes in the legacy system do not "
             "reach Alma.", "library", "Fulfillment/Circulation Freeze")
    plan.add("offline-circulation", ff, (g - DAY) if g else None,
             "Offline circulation with the Ex Libris offline client",
             "Loans and returns go on in the offline client; the file is loaded into Alma just "
             "before go-live.", "library", "Offline Circulation File")
    if g is not None and g - DAY >= ff + DAY:
        start, end = ff + DAY, g - DAY
    else:
        start, end = ff, ff
    plan.add("fulfillment-load", start, end,
             "Fulfillment load: patrons, loans and hold-shelf requests loaded again",
             "With exactly the same migration form, field mapping form and file structure as at "
             "cutover; placed between the fulfillment freeze and go-live.", "Ex Libris",
             "Fulfillment Load")


def _go_live(plan: _Plan, g: dt.date) -> None:
    """Go-live day: the offline files, the go-live job, and the library's work that day."""
    if plan.ff is not None:
        plan.add("offline-file-ill", g, None, "Load the ILL/RS offline file (ILLcirc.dat) first",
                 "Only for libraries that tracked ILL/RS loans on temporary items since the "
                 "freeze: this file goes in before the regular offline file.", "library",
                 "Appendix – Large Volume of Borrowed ILL/RS Items During Cutover")
        plan.add("offline-file", g, None,
                 "Load the offline circulation file, immediately before go-live",
                 "After the fulfillment load, so that the latest loans and returns are in Alma "
                 "when work moves there.", "library", "Offline Circulation File")
    plan.add("go-live", g, None, "Go-live: Alma and discovery in production",
             "The go-live job unscrubs e-mail and FTP addresses, switches the job schedule on "
             "and enables Solr indexing and saving for PO lines.", "Ex Libris", "Go-Live")
    webhooks = plan.count("webhooks")
    if webhooks:
        plan.add("webhooks", g, None, f"Switch {_plural(webhooks, 'webhook')} on by hand",
                 "The load sets webhooks inactive and the go-live job does not switch them on.",
                 "library", "Not included in Go-Live")
    holds = plan.count("holds")
    if holds:
        plan.add("holds", g, None, f"Re-create {_plural(holds, 'unfulfilled hold')} in Alma",
                 "Holds not on the hold shelf are not migrated; the list is "
                 "unfulfilled-holds.csv in this run folder.", "library",
                 "Unfulfilled Hold Requests")


def _after_go_live(plan: _Plan, g: dt.date) -> None:
    """Third parties, the old link resolver, local authorities and Summon."""
    plan.add("link-resolver", g, None, "Point third parties' link resolving at Alma (not before)",
             "Base URLs, link syntax and icons registered with search providers (Google "
             "Scholar, EBSCO, ...) and integrations (EOD, EDI) move to the new services page on "
             "go-live day.", "library", THIRD_PARTIES)
    old_off = add_months(g, 1)
    plan.add("old-resolver", g, old_off, "Old link resolver kept as a fallback for one month",
             "Providers are updated during this month, including unknown ones found in the old "
             "resolver's incoming requests.", "library", THIRD_PARTIES)
    plan.add("old-resolver-off", old_off, None, "Retire the old link resolver",
             "Every provider now links to Alma.", "library", "Finalize Link Resolver Move")
    plan.add("z3950", g, None, "Z39.50 partners point at Alma (port 210)",
             "Catalogues and tools that search the library over Z39.50 switch on go-live day.",
             "library", THIRD_PARTIES)
    plan.add("publish", g, None, "Publish data and holdings to external parties",
             "OCLC, union catalogues, HathiTrust, Google Scholar and the like, from Alma.",
             "library", "Complete Publish to External Parties")
    authorities = plan.count("authorities")
    plan.add("authorities", g + DAY, None,
             "Reload local authorities" + (f" ({_plural(authorities, 'record')} removed at "
                                           "cutover)" if authorities else ""),
             "After go-live, if the site uses local authorities besides the Community Zone's; "
             "placed on the day after go-live.", "library", "Load Local Authorities")
    if plan.summon:
        plan.add("summon-freeze", g, g + 7 * DAY,
                 "Fulfillment freeze extended one week (Summon indexing)",
                 "Summon's re-indexing of the Alma data takes five to seven days; the freeze is "
                 "kept a week past go-live (the vendor also allows counting from data "
                 "acceptance).", "library and Ex Libris", "Summon – Alma Cutover Activities")
        plan.add("summon-go-live", g + 14 * DAY, None,
                 "Summon go-live (about two weeks after Alma)",
                 "The project manager confirms the date.", "Ex Libris",
                 "Summon – Alma Cutover Activities")


LABELS = {
    "prepare": "Prepare for cutover",
    "save-reports": "Save user-folder reports",
    "logical-sets": "Itemized sets to logical",
    "freeze": "Technical services freeze",
    "configuration-freeze": "Configuration freeze",
    "clean-data": "Clean data delivered",
    "targeted-work": "Staff targeted work",
    "collections": "Re-create collections",
    "fulfillment-freeze": "Fulfillment freeze",
    "offline-circulation": "Offline circulation",
    "fulfillment-load": "Fulfillment load",
    "offline-file-ill": "Load ILL offline file",
    "offline-file": "Load offline file",
    "go-live": "Go-live",
    "webhooks": "Switch webhooks on",
    "holds": "Re-create holds",
    "link-resolver": "Link resolver switch",
    "old-resolver": "Old resolver as fallback",
    "z3950": "Z39.50 switch",
    "publish": "Publish to external parties",
    "summon-freeze": "Freeze extended (Summon)",
    "authorities": "Reload local authorities",
    "summon-go-live": "Summon go-live",
    "old-resolver-off": "Old resolver retired",
}
_ORDER = tuple(LABELS)  # same-day steps in this order


def _ordered(events: list[Event]) -> list[Event]:
    return sorted(events, key=lambda e: (e.start, _ORDER.index(e.id)))


# -- exports --------------------------------------------------------------------------------------

CSV_COLUMNS = ("start", "end", "days", "id", "title", "who", "detail", "cite")


def to_csv(events: list[Event]) -> str:
    return csvfile.csv_text(CSV_COLUMNS, ([e.start.isoformat(), e.end.isoformat(), e.days, e.id,
                                           e.title, e.who, e.detail, e.cite] for e in events))


def to_ics(events: list[Event], institution: str, stamp: dt.datetime) -> str:
    """The runbook as an iCalendar file of all-day events (UIDs stable: see `output.ics`)."""
    return ics.calendar([ics.Event(e.id, e.start, e.end, e.title, e.detail, e.who, e.cite)
                         for e in events], institution, stamp,
                        name=f"Alma cutover runbook: {institution}", product="readiness runbook")
