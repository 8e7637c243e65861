"""The patches of a what-if variant (`assume:`): read, checked and their conditions bound.

A patch changes one snapshot table: `set` columns where a condition holds, `delete` the rows
where it holds, or `insert` rows. Values are coerced to the column's type here; the patches are
applied as DuckDB views by simulator.commands.whatif.patching.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlglot.expressions as exp

from simulator import db
from simulator.errors import Collector, Loc
from simulator.inputs import yamlsrc
from simulator.inputs.snapshot import not_on_calendar
from simulator.inputs.tables import SIDE_SCHEMA, TABLES, Col, Table
from simulator.inputs.yamlsrc import describe, suggest
from simulator.rules.compile import render
from simulator.rules.loader import Source
from simulator.rules.sqlcheck import Binder, check_names, parse_condition

PATCH_KEYS = ("entity", "side", "where", "set", "delete", "insert")
SHAPE = ("a patch is a mapping with entity and one of set (with where), delete (with where) "
         "or insert")


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


def read_patches(data: yamlsrc.YMap, problems: Collector, src: Source,
                 conditions: list[Patch]) -> list[Patch]:
    """The `assume:` list of a variant. Patches whose `where` passed the static checks are also
    added to `conditions`, for DuckDB to bind (`bind_conditions`)."""
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
        problems.add(loc, SHAPE)
        return None
    start = len(problems.problems)
    yamlsrc.check_keys(item, PATCH_KEYS, problems, what="patch key")
    target = _target(item, loc, problems)
    kind = _kind(item, loc, problems) if target is not None else None
    if target is None or kind is None:
        return None
    patch = Patch(kind, *target, loc)
    if kind == "insert":
        if "where" in item:
            problems.add(item.key_loc("where"), "insert adds rows: it takes no where")
        _insert(item, patch, problems)
    else:
        _where(item, patch, problems, src)
        if patch.tree is not None:
            conditions.append(patch)
        if kind == "set":
            _set(item, patch, problems)
        elif item["delete"] is not True:
            problems.add(item.value_loc("delete"), f"delete must be true, not "
                                                   f"{describe(item['delete'])}")
    return patch if len(problems.problems) == start else None


def _target(item: yamlsrc.YMap, loc: Loc, problems: Collector) -> tuple[str, str] | None:
    """The side and table a patch changes, or None after reporting why there is none."""
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
                                               f"{suggest(str(table), TABLES)}: expected a table "
                                               "name (see docs/formats/snapshots.md)")
        return None
    spec = TABLES[table]
    if side not in spec.sides:
        other = " or ".join(f"side: {s}" for s in spec.sides)
        problems.add(item.value_loc("entity") if "side" not in item else item.value_loc("side"),
                     f"{table} is not a table of the {side} side ({other})")
        return None
    return side, table


def _kind(item: yamlsrc.YMap, loc: Loc, problems: Collector) -> str | None:
    """set, delete or insert: exactly one of them."""
    kinds = [k for k in ("set", "delete", "insert") if k in item]
    if len(kinds) != 1:
        at = item.key_loc(kinds[1]) if len(kinds) > 1 else loc
        problems.add(at, "a patch does one thing: give exactly one of set, delete or insert"
                         + (f" (found {', '.join(kinds)})" if kinds else ""))
        return None
    return kinds[0]


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
        problems.add(loc, f"{spec.name} has no column '{name}'{suggest(name, spec.column_names)} "
                          f"(columns: {', '.join(spec.column_names)})")
        return None
    return spec.column(name)


def coerce(col: Col, value: Any, loc: Loc, problems: Collector,
           table: str) -> tuple[bool, Any]:
    """The YAML value as the column's type, or (False, None) after reporting why it is not."""
    what = f"{table}.{col.name}"
    if value is None or value == "":
        if col.required:
            problems.add(loc, f"{what} is required and cannot be empty")
            return False, None
        return True, None
    out, error = _CONVERT.get(col.type, _timestamp)(col, value)
    if error is not None:
        problems.add(loc, f"{what}: {error}")
        return False, None
    return True, out


# Per column type: (the value converted, None), or (None, why it cannot be).
_Converted = tuple[Any, str | None]


def _not(value: Any, expected: str) -> _Converted:
    return None, f"{describe(value)} is not {expected}"


def _text(col: Col, value: Any) -> _Converted:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return _not(value, "text (put the value in quotes)")
    text = str(value)
    if col.domain and text not in col.domain:
        return None, (f"'{text}' is not one of {', '.join(col.domain)}"
                      f"{suggest(text.upper(), col.domain)}")
    return text, None


def _bool(col: Col, value: Any) -> _Converted:
    return (value, None) if isinstance(value, bool) else _not(value, "true or false")


def _int(col: Col, value: Any) -> _Converted:
    if isinstance(value, int) and not isinstance(value, bool):
        return value, None
    return _not(value, "a whole number")


def _decimal(col: Col, value: Any) -> _Converted:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return decimal.Decimal(str(value)), None
    if isinstance(value, str):
        try:
            return decimal.Decimal(value.strip()), None
        except decimal.InvalidOperation:
            pass
    return _not(value, "a number")


def _timestamp(col: Col, value: Any) -> _Converted:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None), None
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day), None
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00")).replace(
                tzinfo=None), None
        except ValueError:
            if why := not_on_calendar(value.strip()):
                return None, f"{describe(value)}: {why}"
    return _not(value, "an ISO date or timestamp (YYYY-MM-DD[THH:MM:SS])")


_CONVERT: dict[str, Callable[[Col, Any], _Converted]] = {
    "text": _text, "bool": _bool, "int": _int, "decimal": _decimal, "timestamp": _timestamp,
}


def bind_conditions(patches: list[Patch], problems: Collector) -> None:
    """DuckDB binds every `where` over empty snapshot tables (lint's Binder): types and
    functions get checked, and the condition must be true or false."""
    binder = Binder()
    for p in patches:
        if p.tree is None:
            continue
        assert p.where_loc is not None
        kind, error = binder.type(f"select ({render(p.tree)}) as v from "
                                  f"{db.qualified(p.schema, p.table)} as {db.ident(p.table)}")
        if error is not None:
            problems.add(p.where_loc, f"where ({p.table}): {error}")
        elif kind != "BOOLEAN":
            problems.add(p.where_loc, f"where ({p.table}) must be true or false, but this "
                                      f"expression gives {kind}")

