"""The sample consortium of `cutover plan` (`sample_data/consortium/`), used by `make demo`.

Three clusters as the seed's consortium appendix shapes them (a few large institutions first,
then more and smaller ones), the second freezing at the end of week 2 and the third at the start
of week 4; and a legacy change log with changes of every class, some exactly on a freeze or
go-live instant, the rest drawn with a fixed seed. Part of the generated sample
(simulator.synth.sample).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

SEED = 20260601
CLUSTERS = (
    ("1", dt.date(2026, 6, 1), ("UWX", "OSX")),
    ("2", dt.date(2026, 6, 12), ("LCX", "RCX", "WCX", "PCX")),
    ("3", dt.date(2026, 6, 22), ("CCX", "ECX", "GCX", "MCX", "SCX", "WWX")),
)
GO_LIVE = 14  # days after each freeze (the default offsets)
OFFLINE = 12

PLAN = """\
# CASCADE (fictional): a consortium moving to Alma in three clusters, used by `make demo`
# (`cutover plan sample_data/consortium/plan.yaml --changes sample_data/consortium/changes.csv`).
# The milestones keep the seed's default offsets (docs/commands/plan.md); change times are read
# in the consortium's own time zone, and each milestone takes effect at midnight.
consortium: CASCADE
timezone: America/Los_Angeles
cutoff_time: "00:00"
clusters:
"""

AREA_ACTIONS = {
    "acquisitions": ("create", "update", "delete"),
    "existing_bib": ("update", "delete"),
    "new_bib": ("create", "update"),
    "holdings_items": ("create", "update", "delete"),
    "loans": ("create", "update", "delete"),
    "holds": ("create", "delete"),
    "patrons": ("create", "update"),
}
# Circulation goes on through most of the cutover: most changes are loans.
WEIGHTS = (1, 1, 1, 1, 5, 1, 1)
HEADER = ("timestamp", "institution", "area", "action", "record_id")


def plan_text() -> str:
    lines = [PLAN]
    for name, freeze, codes in CLUSTERS:
        lines.append(f"  - name: \"{name}\"\n    freeze: {freeze.isoformat()}\n"
                     f"    institutions: [{', '.join(codes)}]\n")
    return "".join(lines)


def _at(day: dt.date, days: int = 0, minutes: int = 0) -> str:
    moment = dt.datetime.combine(day, dt.time(0)) + dt.timedelta(days=days, minutes=minutes)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def boundary_rows() -> list[tuple[str, ...]]:
    """Changes one minute before and exactly on the instants where a class changes."""
    first = CLUSTERS[0][1]
    _, f2, (lcx, *_) = CLUSTERS[1]
    uwx = CLUSTERS[0][2][0]
    return [
        (_at(first, minutes=-1), lcx, "existing_bib", "update", "b0100001"),  # migrated
        (_at(first), lcx, "existing_bib", "update", "b0100002"),  # breaks_freeze
        (_at(f2, GO_LIVE, -1), lcx, "existing_bib", "delete", "b0100003"),  # breaks_freeze
        (_at(f2, GO_LIVE), lcx, "existing_bib", "update", "b0100004"),  # lost
        (_at(first, minutes=-1), lcx, "new_bib", "create", "b0200001"),  # migrated
        (_at(first), lcx, "new_bib", "create", "b0200002"),  # supply_separately
        (_at(f2, minutes=-1), lcx, "new_bib", "create", "b0200003"),  # supply_separately
        (_at(f2), lcx, "new_bib", "create", "b0200004"),  # lost
        (_at(first, minutes=-1), uwx, "new_bib", "create", "b0200005"),  # migrated
        (_at(first), uwx, "new_bib", "create", "b0200006"),  # lost
        (_at(first, OFFLINE, -1), uwx, "loans", "create", "l0300001"),  # migrated
        (_at(first, OFFLINE), uwx, "loans", "create", "l0300002"),  # lost
        (_at(first, minutes=-1), uwx, "patrons", "update", "p0400001"),  # migrated
        (_at(first), uwx, "patrons", "update", "p0400002"),  # lost
        ("2026-06-01T06:59:00Z", uwx, "holdings_items", "update", "i0500001"),  # migrated
        ("2026-06-01T07:00:00Z", uwx, "holdings_items", "update", "i0500002"),  # lost
    ]


def random_rows(seed: int = SEED, count: int = 480) -> list[tuple[str, ...]]:
    """Changes spread over two weeks before the first freeze and the cutover."""
    rng = random.Random(seed)
    codes = [code for _, _, group in CLUSTERS for code in group]
    start = dt.datetime(2026, 5, 18)
    minutes = (dt.datetime(2026, 7, 6) - start).days * 24 * 60
    rows: list[tuple[str, ...]] = []
    for _ in range(count):
        area = rng.choices(list(AREA_ACTIONS), weights=WEIGHTS)[0]
        moment = start + dt.timedelta(minutes=rng.randrange(minutes))
        rows.append((moment.strftime("%Y-%m-%d %H:%M:%S"), rng.choice(codes), area,
                     rng.choice(AREA_ACTIONS[area]), f"{area[0]}{rng.randrange(10**6):07d}"))
    return rows


def changes_text(seed: int = SEED) -> str:
    rows = sorted(boundary_rows() + random_rows(seed),
                  key=lambda r: (r[0][:19].replace("T", " "), r[1], r[4]))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buf.getvalue()


def files() -> dict[str, str]:
    return {"consortium/plan.yaml": plan_text(), "consortium/changes.csv": changes_text()}
