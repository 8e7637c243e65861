"""Which legacy changes reach Alma: for each area of a change and each cluster, the spans of
time in which a change made in the legacy system gets one class (docs/commands/plan.md,
"Change classes").

- `migrated`: the change is in data that still goes to Alma (the cutover extract, the central
  catalogue the Network Zone is built from, or the final circulation load);
- `supply_separately`: a new bib of a later cluster made after the first cluster's freeze and
  before its own; it reaches the Network Zone only when supplied on its own and appended;
- `breaks_freeze`: an existing bib changed in the legacy system during the Network Zone freeze
  (from the first cluster's freeze until the institution's go-live); it must be made again in
  the Alma Network Zone;
- `lost`: made after the legacy system stopped taking that kind of change for the institution;
  nothing carries it over.

Source: the seed's "Appendix – Large Consortium 'Big Bang' Approach" (milestones and the
Network Zone rules) and "Network Zone – Central Bibliographic Catalog - Consortium". A span
starts at the cutoff time of its first day and ends at the cutoff time of the next span's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from simulator.commands.plan.calendar import Context

AREAS = ("acquisitions", "existing_bib", "new_bib", "holdings_items", "loans", "holds",
         "patrons")
ACTIONS = ("create", "update", "delete")
CLASSES = ("migrated", "supply_separately", "breaks_freeze", "lost")
AT_RISK = ("breaks_freeze", "lost")  # work that does not reach Alma as it was made


def activity(area: str, action: str) -> str:
    """The calendar activity (calendar.ACTIVITIES) a change of `area` and `action` is."""
    if area == "existing_bib":
        return "existing_bib_delete" if action == "delete" else "existing_bib_update"
    return area


@dataclass(frozen=True)
class Span:
    start: dt.date | None  # None: always before
    end: dt.date | None  # the first day no longer in the span; None: ever after
    cls: str
    reason: str


def spans(area: str, ctx: Context) -> list[Span]:
    """The classes of the area's legacy changes for the cluster's institutions, in time order."""
    own, first = ctx.own, ctx.first
    f1, g = first.freeze, own.go_live
    if area == "existing_bib":
        return [
            Span(None, f1, "migrated", f"made before the first cluster's freeze ({f1}): in the "
                                       "central catalogue the Network Zone is built from"),
            Span(f1, g, "breaks_freeze", f"an existing bib changed in the legacy system during "
                                         f"the Network Zone freeze ({f1} until go-live on {g}): "
                                         "make the change again in the Alma Network Zone"),
            _lost(g, "go-live"),
        ]
    if area == "new_bib" and not ctx.is_first:
        return [
            Span(None, f1, "migrated", f"made before the first cluster's freeze ({f1}): in the "
                                       "central catalogue the Network Zone is built from"),
            Span(f1, own.freeze, "supply_separately",
                 f"a new bib made after the first cluster's freeze ({f1}) and before this "
                 f"cluster's own ({own.freeze}): it reaches the Network Zone only if supplied "
                 "separately, to be appended"),
            _lost(own.freeze, "the technical services freeze"),
        ]
    stop, what, carrier = _stop(area, ctx)
    return [Span(None, stop, "migrated", f"made before {what} ({stop}): {carrier}"),
            _lost(stop, what)]


def _lost(day: dt.date, what: str) -> Span:
    return Span(day, None, "lost", f"made in the legacy system on or after the day of {what} "
                                   f"({day}): nothing carries it to Alma")


def _stop(area: str, ctx: Context) -> tuple[dt.date, str, str]:
    """When the legacy system stops taking the area's changes, named, and what carries the
    changes made before."""
    own = ctx.own
    offline = (own.offline[0], "offline circulation", "the final circulation load carries it")
    if area == "loans":
        return offline
    if area in ("holds", "patrons") and ctx.fulfillment_freeze == "offline_circulation":
        return offline
    return own.freeze, "the technical services freeze", "in the cutover extract"
