"""What-if variant files (README, What-if): scenario overrides, snapshot patches, a rule layer.

A variant names what differs from the base run: options and dates merged over the base scenario,
`allowed_emails` replacing its list, patches (`assume:`) applied to the snapshots as DuckDB views
(simulator.patching), and a rule pack layered over the packs of the base run. Every problem of
every variant file is collected with its `path:line:col` and raised once.
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot.expressions as exp

from simulator import db
from simulator.errors import Collector, Loc, UserError, display_path
from simulator.inputs import scenario as scenario_mod
from simulator.inputs import snapshot, yamlsrc
from simulator.inputs.scenario import Scenario
from simulator.inputs.tables import TABLES, Col, Table
from simulator.inputs.yamlsrc import describe
from simulator.rules.compile import render
from simulator.rules.lint import check_names, parse_condition
from simulator.rules.loader import Source
from simulator.rules.model import SIDE_SCHEMA

KEYS = ("name", "options", "dates", "allowed_emails", "assume", "rules")
PATCH_KEYS = ("entity", "side", "where", "set", "delete", "insert")
BASE = "base"  # the name of the run without a variant
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass
class Patch:
    """One change to a snapshot table: `set` columns where a condition holds, `delete` the rows
    where it holds, or `insert` rows."""

    kind: str  # set | delete | insert
    side: str  # alma (the --pre snapshot) | extract
    table: str
    loc: Loc
    where: str | None = None
    where_loc: Loc | None = None
    tree: exp.Expression | None = None
    values: dict[str, Any] = field(default_factory=dict)  # set: column -> value
    rows: list[dict[str, Any]] = field(default_factory=list)  # insert
    row_locs: list[Loc] = field(default_factory=list)

    @property
    def schema(self) -> str:
        return SIDE_SCHEMA[self.side]

    @property
    def spec(self) -> Table:
        return TABLES[self.table]

    def touches_key(self) -> bool:
        return self.kind == "insert" or bool(set(self.values) & set(self.spec.key))

    def describe(self) -> str:
        """Plain language, as reports show it."""
        where = f"{self.schema}.{self.table}"
        if self.kind == "insert":
            n = len(self.rows)
            return f"{where}: insert {n} row{'s' if n != 1 else ''}"
        if self.kind == "delete":
            return f"{where}: delete the rows where {self.where}"
        sets = ", ".join(f"{c} = {_shown(v)}" for c, v in self.values.items())
        return f"{where}: set {sets} where {self.where}"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "side": self.side, "entity": self.table,
                               "at": str(self.loc), "description": self.describe()}
        if self.where is not None:
            out["where"] = self.where
        if self.kind == "set":
            out["set"] = {c: _shown(v) for c, v in self.values.items()}
        if self.kind == "insert":
            out["insert"] = [{c: _shown(v) for c, v in r.items()} for r in self.rows]
        return out


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


@dataclass
class Variant:
    name: str
    path: Path
    scenario: Scenario
    patches: list[Patch] = field(default_factory=list)
    rules: list[Path] = field(default_factory=list)  # layers, relative to the variant file
    sha256: str = ""
    name_loc: Loc = field(default_factory=lambda: Loc(""))

    @property
    def shown(self) -> str:
        return display_path(self.path)

    def scenario_changes(self, base: Scenario) -> list[str]:
        """What differs from the base scenario, one phrase each."""
        out = []
        for name, value in sorted(self.scenario.options.items()):
            if base.options.get(name) != value:
                out.append(f"{name}: {str(base.options.get(name)).lower()} → "
                           f"{str(value).lower()}")
        for name in scenario_mod.DATES:
            before, after = base.dates.get(name), self.scenario.dates.get(name)
            if before != after:
                out.append(f"{name}: {_day(before)} → {_day(after)}")
        if self.scenario.allowed_emails != base.allowed_emails:
            out.append(f"allowed_emails: {', '.join(self.scenario.allowed_emails) or 'none'}")
        return out

    def as_dict(self, base: Scenario) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.shown,
            "sha256": self.sha256,
            "scenario": self.scenario.as_dict(),
            "scenario_changes": self.scenario_changes(base),
            "assume": [p.as_dict() for p in self.patches],
            "rules": [display_path(p) for p in self.rules],
        }


def _day(value: dt.datetime | None) -> str:
    if value is None:
        return "not set"
    return value.date().isoformat() if value.time() == dt.time() else value.isoformat()


def load_variants(paths: list[Path], base: Scenario,
                  collector: Collector | None = None) -> list[Variant]:
    """Every variant file read and checked against the base scenario; all problems at once.

    With `collector`, problems are added to it and the variants without problems returned (the
    caller raises), so that it can check more (their rule layers) before reporting everything.
    """
    problems = collector if collector is not None else Collector()
    variants: list[Variant] = []
    seen: dict[str, Loc] = {BASE: Loc("the base run")}
    conditions: list[Patch] = []  # of every file, also of files with other problems
    for path in paths:
        try:
            variant = load_variant(path, base, problems, conditions)
        except UserError as e:  # unreadable or malformed YAML
            problems.extend(e.problems)
            continue
        if variant is None:
            continue
        key = variant.name.lower()
        if key in seen:
            problems.add(variant.name_loc, f"variant name '{variant.name}' is already used by "
                                           f"{seen[key]}: give each variant its own name")
            continue
        seen[key] = variant.name_loc
        variants.append(variant)
    before = len(problems.problems)
    _bind_conditions(conditions, problems)
    failed = {p.loc.path for p in problems.problems[before:]}
    if collector is None:
        problems.raise_if_any()
    return [v for v in variants if v.shown not in failed]


def load_variant(path: Path, base: Scenario, problems: Collector,
                 conditions: list[Patch] | None = None) -> Variant | None:
    """One variant file, or None after collecting its problems. Patches whose `where` passed
    the static checks are added to `conditions`, for DuckDB to bind (`_bind_conditions`)."""
    data = yamlsrc.load(path)
    shown = display_path(path)
    if not isinstance(data, yamlsrc.YMap):
        problems.add(getattr(data, "loc", Loc(shown, 1, 1)),
                     "a variant is a mapping with name, options, dates, assume, rules "
                     "(see README, What-if)")
        return None
    start = len(problems.problems)
    for key in data:
        if key not in KEYS:
            problems.add(data.key_loc(key), f"unknown key '{key}'{_hint(key, KEYS)}: expected "
                                            f"{', '.join(KEYS)}")
    name = data.get("name", path.stem)
    name_loc = data.value_loc("name") if "name" in data else Loc(shown, 1, 1)
    if not isinstance(name, str) or not _NAME.match(name):
        problems.add(name_loc, f"name must be a short name of letters, digits, '.', '-' or '_' "
                               f"(it names a folder), not {describe(name)}")
        name = path.stem
    scn = _scenario(data, base, problems, shown)
    text = path.read_bytes()
    src = Source(shown, text.decode("utf-8-sig").splitlines())
    patches = _patches(data, problems, src, conditions if conditions is not None else [])
    rules = _rules(data, path, problems)
    if len(problems.problems) > start:
        return None
    return Variant(str(name), path, scn, patches, rules, hashlib.sha256(text).hexdigest(),
                   name_loc)


def _hint(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


# --- scenario ----------------------------------------------------------------------------------


def _scenario(data: yamlsrc.YMap, base: Scenario, problems: Collector, shown: str) -> Scenario:
    """The base scenario with the variant's options and dates merged over it.

    The scenario module's own checks are reused: options as `options:` of a scenario file;
    dates as the base dates with the variant's replacing them, so the order of all dates is
    checked again (a problem points at the variant's date, or at its `dates:` mapping).
    """
    scn = copy.deepcopy(base)
    if "options" in data:
        scenario_mod.read_options(data, scn, problems)
    if "dates" in data:
        dates = data["dates"]
        if not isinstance(dates, yamlsrc.YMap):
            problems.add(data.value_loc("dates"),
                         f"dates must be a mapping of name: ISO date, not {describe(dates)}")
        else:
            merged = yamlsrc.YMap(dates.loc)
            for name, value in base.dates.items():
                merged[name] = value
                merged.key_locs[name] = merged.value_locs[name] = dates.loc
            for name, value in dates.items():
                merged[name] = value
                merged.key_locs[name] = dates.key_loc(name)
                merged.value_locs[name] = dates.value_loc(name)
            wrapper = yamlsrc.YMap(data.loc)
            wrapper["dates"] = merged
            wrapper.value_locs["dates"] = data.value_loc("dates")
            scn.dates = {}
            scenario_mod.read_dates(wrapper, scn, problems, shown)
    if "allowed_emails" in data:
        scenario_mod.read_emails(data, scn, problems)
    scn.source = shown
    return scn


# --- rules -------------------------------------------------------------------------------------


def _rules(data: yamlsrc.YMap, path: Path, problems: Collector) -> list[Path]:
    """`rules:` a folder (or a list of folders), relative to the variant file."""
    if "rules" not in data:
        return []
    raw = data["rules"]
    items = raw if isinstance(raw, list) else [raw]
    locs = raw.item_locs if isinstance(raw, yamlsrc.YList) else [data.value_loc("rules")]
    out = []
    for item, loc in zip(items, locs, strict=True):
        if not isinstance(item, str) or not item.strip():
            problems.add(loc, "rules must name a rule pack folder (relative to this file)")
            continue
        folder = path.parent / item
        if not folder.is_dir():
            problems.add(loc, f"rule pack folder '{item}' not found (looked for "
                              f"{display_path(folder)})")
            continue
        out.append(folder)
    return out


# --- patches -----------------------------------------------------------------------------------


def _patches(data: yamlsrc.YMap, problems: Collector, src: Source,
             conditions: list[Patch]) -> list[Patch]:
    raw = data.get("assume")
    if raw is None:
        return []
    if not isinstance(raw, yamlsrc.YList):
        problems.add(data.value_loc("assume"), "assume must be a list of patches like "
                                               "{entity: users, where: ..., set: {...}}")
        return []
    out = []
    for item, loc in zip(raw, raw.item_locs, strict=True):
        patch = _patch(item, loc, problems, src, conditions)
        if patch is not None:
            out.append(patch)
    return out


def _patch(item: Any, loc: Loc, problems: Collector, src: Source,
           conditions: list[Patch]) -> Patch | None:
    if not isinstance(item, yamlsrc.YMap):
        problems.add(loc, "a patch is a mapping with entity and one of set (with where), "
                          "delete (with where) or insert")
        return None
    start = len(problems.problems)
    for key in item:
        if key not in PATCH_KEYS:
            problems.add(item.key_loc(key), f"unknown patch key '{key}'{_hint(key, PATCH_KEYS)}"
                                            f": expected {', '.join(PATCH_KEYS)}")
    side = item.get("side", "alma")
    if side not in SIDE_SCHEMA:
        problems.add(item.value_loc("side"), f"side must be alma or extract, not {describe(side)}")
        return None
    table = item.get("entity")
    if "entity" not in item:
        problems.add(loc, "a patch needs entity: the table it changes")
        return None
    if not isinstance(table, str) or table not in TABLES:
        problems.add(item.value_loc("entity"), f"unknown entity {describe(table)}"
                                               f"{_hint(str(table), TABLES)}: expected a table "
                                               "name (see README, Snapshots)")
        return None
    spec = TABLES[table]
    if side not in spec.sides:
        other = " or ".join(f"side: {s}" for s in spec.sides)
        problems.add(item.value_loc("entity") if "side" not in item else item.value_loc("side"),
                     f"{table} is not a table of the {side} side ({other})")
        return None
    kinds = [k for k in ("set", "delete", "insert") if k in item]
    if len(kinds) != 1:
        at = item.key_loc(kinds[1]) if len(kinds) > 1 else loc
        problems.add(at, "a patch does one thing: give exactly one of set, delete or insert"
                         + (f" (found {', '.join(kinds)})" if kinds else ""))
        return None
    kind = kinds[0]
    patch = Patch(kind, side, table, loc)
    if kind == "insert":
        if "where" in item:
            problems.add(item.key_loc("where"), "insert adds rows: it takes no where")
        _insert(item, patch, problems)
    else:
        _where(item, patch, problems, src)
        if patch.tree is not None:
            conditions.append(patch)
        if kind == "delete":
            if item["delete"] is not True:
                problems.add(item.value_loc("delete"), f"delete must be true, not "
                                                       f"{describe(item['delete'])}")
        else:
            _set(item, patch, problems)
    return patch if len(problems.problems) == start else None


def _where(item: yamlsrc.YMap, patch: Patch, problems: Collector, src: Source) -> None:
    if "where" not in item:
        problems.add(item.key_loc(patch.kind), f"{patch.kind} needs where: the condition that "
                                               f"picks the rows (write where: true for all)")
        return
    text, loc = item["where"], item.value_loc("where")
    if isinstance(text, bool):
        text = "true" if text else "false"
    if not isinstance(text, str) or not text.strip():
        problems.add(loc, f"where must be an SQL condition, not {describe(text)}")
        return
    what = f"where ({patch.table})"
    tree = parse_condition(text, loc, problems, what, text_loc=src.text_loc(loc, text),
                           params=set())
    if tree is not None and check_names(tree, patch.table, patch.side, loc, problems, what):
        patch.where, patch.where_loc, patch.tree = text, loc, tree


def _set(item: yamlsrc.YMap, patch: Patch, problems: Collector) -> None:
    values = item["set"]
    if not isinstance(values, yamlsrc.YMap) or not values:
        problems.add(item.value_loc("set"), "set must map column names to new values, "
                                            "e.g. set: {record_type: STAFF}")
        return
    for name, value in values.items():
        col = _column(patch.spec, name, values.key_loc(name), problems)
        if col is not None:
            ok, coerced = coerce(col, value, values.value_loc(name), problems, patch.table)
            if ok:
                patch.values[name] = coerced


def _insert(item: yamlsrc.YMap, patch: Patch, problems: Collector) -> None:
    rows = item["insert"]
    if not isinstance(rows, yamlsrc.YList) or not rows:
        problems.add(item.value_loc("insert"), "insert must be a list of rows, "
                                               "e.g. insert: [{primary_id: X1, record_type: "
                                               "STAFF}]")
        return
    keys: dict[tuple[str, ...], Loc] = {}
    for row, loc in zip(rows, rows.item_locs, strict=True):
        if not isinstance(row, yamlsrc.YMap):
            problems.add(loc, "each inserted row is a mapping of column: value")
            continue
        out: dict[str, Any] = {}
        for name, value in row.items():
            col = _column(patch.spec, name, row.key_loc(name), problems)
            if col is not None:
                ok, coerced = coerce(col, value, row.value_loc(name), problems, patch.table)
                if ok:
                    out[name] = coerced
        missing = [c.name for c in patch.spec.columns if c.required and c.name not in row]
        if missing:
            problems.add(loc, f"inserted {patch.table} row lacks required column"
                              f"{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
            continue
        key = tuple(str(out.get(k, "")).lower() if patch.spec.column(k).ci
                    else str(out.get(k, "")) for k in patch.spec.key)
        if key in keys:
            problems.add(loc, f"inserted {patch.table} key '{'|'.join(key)}' is given twice "
                              f"(first at {keys[key]})")
            continue
        keys[key] = loc
        patch.rows.append(out)
        patch.row_locs.append(loc)


def _column(spec: Table, name: str, loc: Loc, problems: Collector) -> Col | None:
    if name not in spec.column_names:
        problems.add(loc, f"{spec.name} has no column '{name}'{_hint(name, spec.column_names)} "
                          f"(columns: {', '.join(spec.column_names)})")
        return None
    return spec.column(name)


def coerce(col: Col, value: Any, loc: Loc, problems: Collector,
           table: str) -> tuple[bool, Any]:
    """The YAML value as the column's type, or (False, None) after reporting why it is not."""
    what = f"{table}.{col.name}"

    def bad(expected: str) -> tuple[bool, Any]:
        problems.add(loc, f"{what}: {describe(value)} is not {expected}")
        return False, None

    if value is None or value == "":
        if col.required:
            problems.add(loc, f"{what} is required and cannot be empty")
            return False, None
        return True, None
    if col.type == "text":
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return bad("text (put the value in quotes)")
        text = str(value)
        if col.domain and text not in col.domain:
            problems.add(loc, f"{what}: '{text}' is not one of {', '.join(col.domain)}"
                              f"{_hint(text.upper(), col.domain)}")
            return False, None
        return True, text
    if col.type == "bool":
        return (True, value) if isinstance(value, bool) else bad("true or false")
    if col.type == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return True, value
        return bad("a whole number")
    if col.type == "decimal":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return True, decimal.Decimal(str(value))
        if isinstance(value, str):
            try:
                return True, decimal.Decimal(value.strip())
            except decimal.InvalidOperation:
                pass
        return bad("a number")
    # timestamp
    if isinstance(value, dt.datetime):
        return True, value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return True, dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return True, dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00")).replace(
                tzinfo=None)
        except ValueError:
            pass
    return bad("an ISO date or timestamp (YYYY-MM-DD[THH:MM:SS])")


def _bind_conditions(patches: list[Patch], problems: Collector) -> None:
    """DuckDB binds every `where` over empty snapshot tables: types and functions get checked,
    and the condition must be true or false."""
    todo = [p for p in patches if p.tree is not None]
    if not todo:
        return
    con = db.connect()
    try:
        for schema, side in (("pre", "alma"), ("extract", "extract"), ("testload", "alma")):
            snapshot.attach(con, schema, None, side)
        for p in todo:
            assert p.tree is not None and p.where_loc is not None
            sql = (f"select ({render(p.tree)}) as v from {db.qualified(p.schema, p.table)} "
                   f"as {db.ident(p.table)}")
            try:
                kind = con.rows(f"describe {sql}")[0][1]
            except db.DuckDBError as e:
                problems.add(p.where_loc, f"where ({p.table}): {_first(e)}")
                continue
            if kind != "BOOLEAN":
                problems.add(p.where_loc, f"where ({p.table}) must be true or false, but this "
                                          f"expression gives {kind}")
    finally:
        con.close()


def _first(e: Exception) -> str:
    lines = [ln for ln in str(e).strip().splitlines() if ln.strip()]
    return " ".join(lines[:2])
