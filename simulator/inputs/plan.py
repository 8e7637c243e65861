"""The consortium plan file of `cutover plan` (docs/commands/plan.md): clusters of institutions with
their freezes, the milestones as days from each cluster's freeze, and how the times of legacy
changes are read. Every mistake is reported at its line and column, all at once."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.errors import Collector, Loc, Problem, UserError, display_path
from simulator.inputs import yamlsrc
from simulator.inputs.yamlsrc import YList, YMap, describe

MILESTONES = ("technical_freeze", "clean_data", "staff_targeted_work", "offline_circulation",
              "final_circulation_load", "go_live")
# Days from a cluster's freeze (its day 0), first and last, both counted: the seed's "Appendix –
# Large Consortium 'Big Bang' Approach", "General Alma Cutover Milestones Per Cluster".
DEFAULT_OFFSETS: dict[str, tuple[int, int]] = {
    "clean_data": (7, 11),
    "staff_targeted_work": (12, 14),
    "offline_circulation": (12, 14),
    "final_circulation_load": (13, 14),
    "go_live": (14, 14),
}
RANGES = ("clean_data", "staff_targeted_work", "offline_circulation", "final_circulation_load")
# When patrons and holds stop in the legacy system: with technical services (the appendix's
# activity table) or when circulation goes offline (the seed's "Fulfillment/Circulation Freeze").
FULFILLMENT_FREEZES = ("technical_freeze", "offline_circulation")
KEYS = ("consortium", "clusters", "start", "stagger_days", "offsets", "timezone", "cutoff_time",
        "fulfillment_freeze")
CLUSTER_KEYS = ("name", "freeze", "institutions")
# Institution codes become parts of calendar UIDs and file rows: letters, digits and _ . -
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
# Offsets that must not come before another (earlier, later, why): "offsets out of order".
_ORDER = (
    ("clean_data.end", "staff_targeted_work.start", "staff work on the clean data"),
    ("clean_data.end", "final_circulation_load.start", "the final circulation data is loaded "
                                                       "onto the clean data"),
    ("offline_circulation.start", "final_circulation_load.start", "the final circulation data "
                                                                  "is extracted once "
                                                                  "circulation goes offline"),
    ("staff_targeted_work.end", "go_live", "go-live ends the cutover"),
    ("offline_circulation.end", "go_live", "go-live ends the cutover"),
    ("final_circulation_load.end", "go_live", "go-live ends the cutover"),
)


@dataclass(frozen=True)
class Cluster:
    name: str
    freeze: dt.date
    institutions: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """A read plan: clusters in freeze order, every milestone's (first, last) day offset."""

    consortium: str
    clusters: tuple[Cluster, ...]
    offsets: dict[str, tuple[int, int]] = field(
        default_factory=lambda: {"technical_freeze": (0, 0), **DEFAULT_OFFSETS})
    timezone: str = "UTC"
    cutoff_time: dt.time = dt.time(0)
    fulfillment_freeze: str = "technical_freeze"
    source: str = ""
    timezone_loc: Loc = field(default_factory=lambda: Loc(""))

    @property
    def first(self) -> Cluster:
        """The cluster that freezes first: the Network Zone is built with it."""
        return self.clusters[0]

    def institutions(self) -> list[tuple[Cluster, str]]:
        """Every institution with its cluster, in the plan's order."""
        return [(c, code) for c in self.clusters for code in c.institutions]

    def as_dict(self) -> dict[str, Any]:
        return {
            "consortium": self.consortium,
            "clusters": [{"name": c.name, "freeze": c.freeze.isoformat(),
                          "institutions": list(c.institutions)} for c in self.clusters],
            "offsets": {k: list(v) for k, v in self.offsets.items()},
            "timezone": self.timezone,
            "cutoff_time": self.cutoff_time.strftime("%H:%M"),
            "fulfillment_freeze": self.fulfillment_freeze,
        }


def load(path: Path) -> Plan:
    """Read and check a plan file; every problem is reported with its line and column."""
    data = yamlsrc.load(path)
    shown = display_path(path)
    if not isinstance(data, YMap):
        raise UserError(Problem(Loc(shown, 1, 1), "a plan is a mapping with consortium: and "
                                                  "clusters: (docs/commands/plan.md)"))
    problems = Collector()
    yamlsrc.check_keys(data, KEYS, problems)
    yamlsrc.required(data, ("consortium", "clusters"), problems)
    consortium = data.get("consortium", "")
    if "consortium" in data and (not isinstance(consortium, str) or not consortium.strip()):
        problems.add(data.value_loc("consortium"), "consortium must be the consortium's name or "
                                                   f"code, not {describe(consortium)}")
    schedule = _schedule(data, problems)
    clusters = _clusters(data, schedule, problems)
    plan = Plan(
        str(consortium).strip(), tuple(clusters), _offsets(data, problems),
        _timezone(data, problems), _cutoff(data, problems),
        _choice(data, "fulfillment_freeze", FULFILLMENT_FREEZES, problems), shown,
        data.value_loc("timezone"))
    problems.raise_if_any()
    return plan


# --- clusters ------------------------------------------------------------------------------


def _day(value: Any) -> dt.date | None:
    """A day as YAML gives it (a date, or text in the form YYYY-MM-DD); None for anything else."""
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _day_problem(key: str, value: Any) -> str:
    return f"{key} must be a day (YYYY-MM-DD), not {describe(value)}"


def _schedule(data: YMap, problems: Collector) -> tuple[dt.date, int] | None:
    """`start:` and `stagger_days:`, the alternative to a freeze on every cluster."""
    if "start" not in data and "stagger_days" not in data:
        return None
    start, stagger = data.get("start"), data.get("stagger_days")
    if "stagger_days" not in data:
        problems.add(data.key_loc("start"), "start: needs stagger_days: too (the days from one "
                                            "cluster's freeze to the next)")
    elif "start" not in data:
        problems.add(data.key_loc("stagger_days"), "stagger_days: needs start: too (the first "
                                                   "cluster's freeze)")
    day = _day(start)
    if "start" in data and day is None:
        problems.add(data.value_loc("start"), _day_problem("start", start))
    if "stagger_days" in data and not _whole(stagger):
        problems.add(data.value_loc("stagger_days"), "stagger_days must be a whole number of "
                                                     f"days, at least 1, not {describe(stagger)}")
        return None
    if day is None or not isinstance(stagger, int) or not _whole(stagger):
        return None
    return day, stagger


def _clusters(data: YMap, schedule: tuple[dt.date, int] | None,
              problems: Collector) -> list[Cluster]:
    items = data.get("clusters")
    if "clusters" not in data:
        return []
    if not isinstance(items, YList) or not items:
        problems.add(data.value_loc("clusters"), "clusters must be a list of clusters, each "
                                                 "with name, freeze and institutions")
        return []
    placed = "start" in data or "stagger_days" in data
    out: list[Cluster] = []
    homes: dict[str, str] = {}  # institution -> the cluster it was first listed in
    names: set[str] = set()
    for i, item in enumerate(items):
        if not isinstance(item, YMap):
            problems.add(items.item_locs[i], f"cluster {i + 1} must be a mapping with name, "
                                             f"freeze and institutions, not {describe(item)}")
            continue
        yamlsrc.check_keys(item, CLUSTER_KEYS, problems)
        name = _cluster_name(item, i, names, problems)
        codes = _institutions(item, name, homes, problems)
        freeze = _cluster_freeze(item, i, name, schedule, placed, problems)
        if freeze is not None and codes:
            out.append(Cluster(name, freeze, codes))
    if not placed:
        _in_order(items, problems)
    return out


def _cluster_name(item: YMap, i: int, names: set[str], problems: Collector) -> str:
    value = item.get("name", i + 1)
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        problems.add(item.value_loc("name"), f"a cluster's name must be text, not "
                                             f"{describe(value)}")
        return str(i + 1)
    name = str(value).strip()
    if name in names:
        problems.add(item.value_loc("name"), f"two clusters are named '{name}'")
    names.add(name)
    return name


def _institutions(item: YMap, name: str, homes: dict[str, str],
                  problems: Collector) -> tuple[str, ...]:
    codes = item.get("institutions")
    where = item.value_loc("institutions")
    if codes is None or codes == []:
        problems.add(where, f"cluster '{name}' has no institutions: give institutions: "
                            "[CODE, ...]")
        return ()
    if not isinstance(codes, YList):
        problems.add(where, f"institutions of cluster '{name}' must be a list of institution "
                            f"codes, not {describe(codes)}")
        return ()
    out: list[str] = []
    for code, loc in zip(codes, codes.item_locs, strict=True):
        if not isinstance(code, str) or not CODE.fullmatch(code):
            problems.add(loc, f"{describe(code)} is not an institution code (letters, digits "
                              "and _ . - only, starting with a letter or digit; write a code "
                              "of digits in quotes)")
        elif homes.get(code) == name:
            problems.add(loc, f"institution '{code}' is listed twice in cluster '{name}'")
        elif code in homes:
            problems.add(loc, f"institution '{code}' is in cluster '{homes[code]}' and cluster "
                              f"'{name}': an institution moves with one cluster")
        else:
            homes[code] = name
            out.append(code)
    return tuple(out)


def _cluster_freeze(item: YMap, i: int, name: str, schedule: tuple[dt.date, int] | None,
                    placed: bool, problems: Collector) -> dt.date | None:
    if placed:
        if "freeze" in item:
            problems.add(item.key_loc("freeze"), f"cluster '{name}' has a freeze, but start: and "
                                                 "stagger_days: place every cluster: give one "
                                                 "or the other")
            return None
        return schedule[0] + dt.timedelta(days=i * schedule[1]) if schedule else None
    if "freeze" not in item:
        problems.add(item.loc, f"cluster '{name}' has no freeze: give freeze: YYYY-MM-DD, or "
                               "start: and stagger_days: for all clusters")
        return None
    day = _day(item["freeze"])
    if day is None:
        problems.add(item.value_loc("freeze"), _day_problem("freeze", item["freeze"]))
    return day


def _in_order(items: YList, problems: Collector) -> None:
    """Each given freeze after the one before it (freezes placed by start: always are)."""
    before: tuple[str, dt.date] | None = None
    for i, item in enumerate(items):
        if not isinstance(item, YMap) or (day := _day(item.get("freeze"))) is None:
            continue
        name = str(item.get("name", i + 1)).strip()
        if before is not None and day <= before[1]:
            problems.add(item.value_loc("freeze"),
                         f"cluster '{name}' freezes on {day.isoformat()}, not after cluster "
                         f"'{before[0]}' ({before[1].isoformat()}): list the clusters in the "
                         "order they freeze, each on a later day")
        else:
            before = (name, day)


# --- offsets and times ----------------------------------------------------------------------


def _offsets(data: YMap, problems: Collector) -> dict[str, tuple[int, int]]:
    """Every milestone's (first, last) day from the freeze: the defaults with `offsets:` over."""
    out = {"technical_freeze": (0, 0), **DEFAULT_OFFSETS}
    given = data.get("offsets")
    if "offsets" not in data:
        return out
    if not isinstance(given, YMap):
        problems.add(data.value_loc("offsets"), "offsets must be a mapping of milestone: days "
                                                f"from the freeze, not {describe(given)}")
        return out
    yamlsrc.check_keys(given, DEFAULT_OFFSETS, problems, what="milestone")
    ok = True
    for key, value in given.items():
        if key in DEFAULT_OFFSETS:
            days = _offset(key, value, given.value_loc(key), problems)
            ok = ok and days is not None
            out[key] = days or out[key]
    if ok:
        _offsets_in_order(given, out, problems)
    return out


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _offset(key: str, value: Any, loc: Loc, problems: Collector) -> tuple[int, int] | None:
    if key == "go_live":
        if not _whole(value):
            problems.add(loc, f"go_live must be a whole number of days after the freeze (at "
                              f"least 1), not {describe(value)}")
            return None
        return value, value
    pair = isinstance(value, list) and len(value) == 2 and all(_whole(v) for v in value)
    if not pair:
        problems.add(loc, f"{key} must be [first, last]: whole numbers of days after the freeze "
                          f"(at least 1), not {describe(value)}")
        return None
    first, last = value
    if last < first:
        problems.add(loc, f"{key} ends on day {last}, before it starts (day {first})")
        return None
    return first, last


def _offsets_in_order(given: YMap, days: dict[str, tuple[int, int]],
                      problems: Collector) -> None:
    def day(point: str) -> int:
        name, _, end = point.partition(".")
        return days[name][1 if end == "end" else 0]

    for earlier, later, why in _ORDER:
        if day(later) < day(earlier):
            named = [p.partition(".")[0] for p in (later, earlier)]
            at = next((given.value_loc(n) for n in named if n in given), given.loc)
            problems.add(at, f"offsets out of order: {_said(later)} (day {day(later)}) comes "
                             f"before {_said(earlier)} (day {day(earlier)}); {why}")


def _said(point: str) -> str:
    name, _, end = point.partition(".")
    return f"{name} {'ends' if end == 'end' else 'starts'}" if end else name


def _timezone(data: YMap, problems: Collector) -> str:
    value = data.get("timezone", "UTC")
    if not isinstance(value, str) or not value.strip():
        problems.add(data.value_loc("timezone"), "timezone must be a time zone name such as "
                                                 f"Europe/Berlin or UTC, not {describe(value)}")
        return "UTC"
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        hint = yamlsrc.suggest(value, zoneinfo.available_timezones())
        problems.add(data.value_loc("timezone"), f"unknown time zone '{value}'{hint}: give an "
                                                 "IANA name such as Europe/Berlin or UTC")
        return "UTC"
    return value


def _cutoff(data: YMap, problems: Collector) -> dt.time:
    value = data.get("cutoff_time", "00:00")
    if isinstance(value, int) and not isinstance(value, bool):
        problems.add(data.value_loc("cutoff_time"), "cutoff_time must be in quotes (\"18:00\"): "
                                                    "YAML reads an unquoted 18:00 as a number")
        return dt.time(0)
    m = _TIME.fullmatch(value.strip()) if isinstance(value, str) else None
    if m is None:
        problems.add(data.value_loc("cutoff_time"), "cutoff_time must be a time of day HH:MM "
                                                    f"(00:00 to 23:59), not {describe(value)}")
        return dt.time(0)
    return dt.time(int(m.group(1)), int(m.group(2)))


def _choice(data: YMap, key: str, choices: tuple[str, ...], problems: Collector) -> str:
    value = data.get(key, choices[0])
    if value not in choices:
        hint = yamlsrc.suggest(str(value), choices)
        problems.add(data.value_loc(key), f"{key} must be one of {', '.join(choices)}, not "
                                          f"{describe(value)}{hint}")
        return choices[0]
    return str(value)
