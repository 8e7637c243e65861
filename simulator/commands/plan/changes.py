"""The legacy change log of `cutover plan --changes` (docs/commands/plan.md, "The change log"):
read into DuckDB as text, every bad row located at its line and column, each change classed by
the spans of `classes.spans` (a join on institution and area, the timestamp within the span),
counted per institution and week, and written back as changes.csv with `class` and `reason`
added.

Timestamps without an offset are wall-clock times in the plan's `timezone`; with one (`Z`,
`+02:00`), they are converted to it. A span starts at the plan's `cutoff_time` on its first day.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from simulator import db
from simulator.commands.plan.calendar import Context, Week
from simulator.commands.plan.classes import ACTIONS, AREAS, spans
from simulator.errors import Collector, Loc, Problem, UserError, display_path, read_head
from simulator.inputs import csverrors
from simulator.inputs.csverrors import CsvFile, Words
from simulator.inputs.plan import Plan
from simulator.inputs.snapshot import MAX_LINE_BYTES
from simulator.inputs.validate import MAX_CASES
from simulator.inputs.yamlsrc import suggest
from simulator.output import csvfile

COLUMNS = ("timestamp", "institution", "area", "action", "record_id")
ADDED = ("class", "reason")
TIMESTAMP = (r"\d{4}-\d{2}-\d{2}[T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?"
             r"(Z|[+-]\d{2}(:?\d{2})?)?")
TIMESTAMP_FORM = ("a date and time (YYYY-MM-DD HH:MM or HH:MM:SS, optionally with Z or an "
                  "offset such as +02:00)")
RAW = "plan_changes"
CLASSED = "plan_classed"
WORDS = Words()  # a CSV file's problems in the common words, at its lines


def _csv(path: Path) -> CsvFile:
    return CsvFile(path, display_path(path))


@dataclass(frozen=True)
class ChangeLog:
    """A change log read into the table RAW: `_row` (the header is 1) and `c1`... as text."""

    path: Path
    header: tuple[str, ...]
    rows: int

    @property
    def shown(self) -> str:
        return display_path(self.path)

    def col(self, name: str) -> str:
        return f"c{self.header.index(name) + 1}"


def use_timezone(con: db.Connection, plan: Plan) -> None:
    """Read and compare times in the plan's time zone (a name DuckDB does not know is the
    plan's mistake, at its `timezone:`)."""
    try:
        con.execute(f"set TimeZone = {db.literal(plan.timezone)}")
    except db.DuckDBError:
        raise UserError(Problem(plan.timezone_loc, f"time zone '{plan.timezone}' is not known "
                                                   "to DuckDB: give another IANA name")) from None


def load(con: db.Connection, path: Path, plan: Plan) -> ChangeLog:
    """Read and check the change log; every problem of every row is raised together."""
    header = read_header(path)
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(1, len(header) + 1)) + "}"
    try:
        con.execute(
            f"create or replace temp table {RAW} as select row_number() over () + 1 as _row, * "
            f"from read_csv($path, columns = {columns}, header = true, auto_detect = false, "
            "delim = ',', quote = '\"', escape = '\"', strict_mode = true, "
            f"max_line_size = {MAX_LINE_BYTES})", {"path": str(path)})
    except db.DuckDBError as e:
        raise UserError(csverrors.read_problem(_csv(path), e, WORDS)) from None
    log = ChangeLog(path, header, int(con.one(f"select count(*) from {RAW}")))
    problems = _checks(con, log, [code for _, code in plan.institutions()])
    if problems:
        raise UserError(problems)
    return log


def read_header(path: Path) -> tuple[str, ...]:
    shown = display_path(path)
    raw = read_head(path, shown, "a CSV file", MAX_LINE_BYTES, line=True)
    try:
        first = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(csverrors.not_utf8(_csv(path), WORDS)) from None
    if not first.strip():
        raise UserError(Problem(Loc(shown, 1, 1), "empty file: expected a header row naming "
                                                  f"the columns {', '.join(COLUMNS)}"))
    try:
        header = tuple(h.strip() for h in next(csv.reader([first.rstrip("\r\n")], strict=True)))
    except csv.Error as e:
        raise UserError(Problem(Loc(shown, 1, 1), f"the header row is not valid CSV ({e}): "
                                                  "quote a column name whole")) from None
    problems = Collector()
    for i, name in enumerate(header, 1):
        if header.index(name) != i - 1:
            problems.add(Loc(shown, 1, i), f"column '{name}' appears twice in the header")
        elif name in ADDED:
            problems.add(Loc(shown, 1, i), f"the input has a column '{name}': changes.csv adds "
                                           "it; rename the input's")
    for name in COLUMNS:
        if name not in header:
            problems.add(Loc(shown, 1, 1), f"no column '{name}'{suggest(name, header)}; the "
                                           f"header has: {', '.join(header)}")
    problems.raise_if_any()
    return header


@dataclass(frozen=True)
class _Check:
    column: str
    where: str  # SQL over RAW's columns; $codes, $areas and $actions bound
    message: str  # with {value}; {hint} for a did-you-mean from `choices`
    choices: str = ""  # the parameter whose values `hint` suggests


def _check_list(log: ChangeLog) -> list[_Check]:
    ts, inst, area, act = (log.col(c) for c in COLUMNS[:4])
    return [
        _Check("timestamp", f"{ts} is null or not regexp_full_match({ts}, $pattern) or "
                            f"try_cast({ts} as timestamptz) is null",
               f"timestamp {{value}} is not {TIMESTAMP_FORM}"),
        _Check("institution", f"{inst} is null or not list_contains($codes, {inst})",
               "institution {value} is not in the plan{hint}", "codes"),
        _Check("area", f"{area} is null or not list_contains($areas, {area})",
               "area {value} is not one of " + ", ".join(AREAS) + "{hint}", "areas"),
        _Check("action", f"{act} is null or not list_contains($actions, {act})",
               "action {value} is not one of " + ", ".join(ACTIONS) + "{hint}", "actions"),
        _Check("action", f"{area} = 'existing_bib' and {act} = 'create'",
               "action {value} with area existing_bib: an existing bib is updated or deleted; "
               "a new one is area new_bib"),
    ]


def _checks(con: db.Connection, log: ChangeLog, codes: list[str]) -> list[Problem]:
    params = {"codes": codes, "areas": list(AREAS), "actions": list(ACTIONS),
              "pattern": TIMESTAMP}
    found: list[tuple[_Check, int, str | None]] = []
    notes: list[Problem] = []
    for check in _check_list(log):
        where = check.where
        used = {k: v for k, v in params.items() if f"${k}" in where}
        n = int(con.one(f"select count(*) from {RAW} where {where}", used or None))
        rows = con.rows(f"select _row, {log.col(check.column)} from {RAW} where {where} "
                        f"order by _row limit {MAX_CASES}", used or None)
        found += [(check, int(row), value) for row, value in rows]
        if n > MAX_CASES:
            notes.append(Problem(Loc(log.shown), f"{check.column}: only the first {MAX_CASES} "
                                                 f"of {n:,} bad rows are listed", note=True))
    lines = csverrors.lines(_csv(log.path), {row for _, row, _ in found})
    problems = [Problem(Loc(log.shown, lines[row], log.header.index(c.column) + 1),
                        _message(c, value, params)) for c, row, value in found]
    return problems + notes


def _message(check: _Check, value: str | None, params: Mapping[str, object]) -> str:
    if value is None:
        return f"{check.column} is empty"
    shown = repr(value if len(value) <= 60 else value[:57] + "...")
    choices = params.get(check.choices, [])
    hint = suggest(value, choices) if isinstance(choices, list) else ""
    return check.message.format(value=shown, hint=hint)


# --- classes and counts ---------------------------------------------------------------------


def _instant(day: dt.date | None, plan: Plan) -> str | None:
    """The wall-clock time a span starts, read in SQL in the plan's time zone exactly as the
    changes' times are (a time a daylight-saving change skips or repeats included)."""
    if day is None:
        return None
    return dt.datetime.combine(day, plan.cutoff_time).isoformat(sep=" ")


def classify(con: db.Connection, log: ChangeLog, plan: Plan, contexts: list[Context]) -> None:
    """The table CLASSED: RAW's rows with their instant `_ts`, local day `_day`, `class` and
    `reason`. Each change falls in exactly one span of its institution and area."""
    cols: dict[str, list[object]] = {k: [] for k in ("inst", "area", "lo", "hi", "cls", "why")}
    for ctx in contexts:
        for area in AREAS:
            for span in spans(area, ctx):
                for code in ctx.own.cluster.institutions:
                    for key, value in zip(cols, (code, area, _instant(span.start, plan),
                                                 _instant(span.end, plan), span.cls,
                                                 span.reason), strict=True):
                        cols[key].append(value)
    con.execute("create or replace temp table plan_spans as select unnest($inst) as inst, "
                "unnest($area) as area, cast(unnest($lo) as timestamptz) as lo, "
                "cast(unnest($hi) as timestamptz) as hi, unnest($cls) as cls, "
                "unnest($why) as why", cols)
    ts, inst, area = log.col("timestamp"), log.col("institution"), log.col("area")
    con.execute(
        f"create or replace temp table {CLASSED} as select r.*, s.cls as class, "
        "s.why as reason, cast(r._ts as date) as _day from "
        f"(select *, cast({ts} as timestamptz) as _ts from {RAW}) r join plan_spans s "
        f"on s.inst = r.{inst} and s.area = r.{area} and (s.lo is null or r._ts >= s.lo) "
        "and (s.hi is null or r._ts < s.hi)")


@dataclass(frozen=True)
class Counts:
    """Changes per class, and per institution, week and class: week 0 is before week 1, and
    the week after the last is after the cutover."""

    by_class: dict[str, int]
    cells: list[tuple[str, int, str, int]]  # institution, week, class, changes


def counts(con: db.Connection, log: ChangeLog, weeks: list[Week]) -> Counts:
    inst = log.col("institution")
    rows = con.rows(
        f"select {inst}, case when _day < $one then 0 when _day > $last then $after "
        "else date_diff('day', $one, _day) // 7 + 1 end as week, class, count(*) "
        f"from {CLASSED} group by all order by all",
        {"one": weeks[0].start, "last": weeks[-1].end, "after": len(weeks) + 1})
    cells = [(str(i), int(w), str(c), int(n)) for i, w, c, n in rows]
    by_class: dict[str, int] = {}
    for _, _, cls, n in cells:
        by_class[cls] = by_class.get(cls, 0) + n
    return Counts(by_class, cells)


def write_csv(con: db.Connection, log: ChangeLog, path: Path) -> None:
    """The input's columns as they were, then `class` and `reason`, in the input's order."""
    columns = ", ".join(f"c{i} as {db.ident(h)}" for i, h in enumerate(log.header, 1))
    # Ordered by the table's own `_row`: an input column may be named `_row` too.
    csvfile.copy_csv(con, f"select {columns}, class, reason from {CLASSED} "
                          f"order by {CLASSED}._row", path)
