"""Validation of every snapshot table with pandera, run inside DuckDB through ibis.

Every check is a dataframe-level pandera check over the raw (all text) view, so each failure
case carries the whole row, including `_row`: the problem names file, row, column and value.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator import db
from simulator.errors import Loc, Problem
from simulator.snapshot import Snapshot, TableFile
from simulator.tables import TYPE_WORDS, Table

_IBIS_TYPES = {"int": "int64", "decimal": "decimal(18, 4)", "bool": "boolean",
               "timestamp": "timestamp"}
MAX_CASES = 20  # per check and file: enough to see the pattern, few enough to read


@dataclass(frozen=True)
class _Check:
    column: str
    expectation: str
    fn: Callable[[Any], dict[str, Any]]


def validate(con: db.Connection, schema: str, snap: Snapshot) -> list[Problem]:
    """All problems of all tables of one attached snapshot."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import ibis
        import pandera.errors
        import pandera.ibis as pa

    backend = ibis.duckdb.from_connection(con.raw)
    raw = f"raw_{schema}"
    problems: list[Problem] = []
    for tf in snap.files.values():
        header = con.columns(db.qualified(raw, tf.table.name))
        header = [h for h in header if h != "_row"]
        tf = TableFile(tf.table, tf.path, tf.format, tuple(header))
        checks = _checks(tf, lambda name: backend.table(name, database=raw))
        schema_obj = pa.DataFrameSchema(
            {c.name: pa.Column(str, required=c.required, nullable=True) for c in tf.table.columns},
            checks=[
                pa.Check(_ignore_na(ck.fn), name=str(i), n_failure_cases=MAX_CASES)
                for i, ck in enumerate(checks)
            ],
        )
        data = backend.table(tf.table.name, database=raw)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                schema_obj.validate(data, lazy=True)
        except pandera.errors.SchemaErrors as e:
            problems.extend(_problems(tf, checks, e.failure_cases.to_dict("records")))
    return problems


def _ignore_na(fn: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
    # A NULL check result would pass silently; make it a failure.
    return lambda data: {k: v.fill_null(False) for k, v in fn(data.table).items()}


def _checks(tf: TableFile, table_of: Callable[[str], Any]) -> list[_Check]:
    import ibis

    present = set(tf.header)
    t: Table = tf.table
    out: list[_Check] = []
    for c in t.columns:
        if c.name not in present:
            continue
        name = c.name
        if c.required:
            out.append(_Check(name, "a value (the column is required)",
                              lambda d, n=name: {n: d[n].notnull() & (d[n].strip() != "")}))
        if c.type != "text":
            sql_type = _IBIS_TYPES[c.type]
            out.append(_Check(name, TYPE_WORDS[c.type],
                              lambda d, n=name, ty=sql_type: {
                                  n: d[n].isnull() | d[n].try_cast(ty).notnull()}))
        if c.domain:
            out.append(_Check(name, "one of " + ", ".join(c.domain),
                              lambda d, n=name, dom=c.domain: {
                                  n: d[n].isnull() | d[n].isin(list(dom))}))
    if set(t.key) <= present:
        def unique(d: Any) -> dict[str, Any]:
            parts = [
                (d[k].lower() if t.column(k).ci else d[k]).fill_null("") for k in t.key
            ]
            key = parts[0] if len(parts) == 1 else ibis.literal("|").join(parts)
            return {t.key[0]: key.count().over(ibis.window(group_by=key)) == 1}

        ci = any(t.column(k).ci for k in t.key)
        what = "a unique key (" + "|".join(t.key) + ")"
        out.append(_Check(t.key[0], what + (", Primary IDs compared ignoring letter case"
                                            if ci else ""), unique))
    for ref in t.refs:
        if ref.column not in present:
            continue
        ci = t.column(ref.column).ci

        def refers(d: Any, ref: Any = ref, ci: bool = ci) -> dict[str, Any]:
            target = table_of(ref.table)[ref.target]
            mine = d[ref.column]
            if ci:
                target, mine = target.lower(), mine.lower()
            return {ref.column: d[ref.column].isnull() | mine.isin(target)}

        out.append(_Check(ref.column, f"a {ref.target} present in {ref.table}", refers))
    return out


def _problems(tf: TableFile, checks: list[_Check], cases: list[dict[str, Any]]) -> list[Problem]:
    out = []
    counts: dict[str, int] = {}
    for case in cases:
        check = str(case.get("check"))
        if check == "column_in_dataframe":
            out.append(Problem(Loc(tf.shown, 1, 1),
                               f"missing required column '{case['failure_case']}' "
                               f"(the header has: {', '.join(tf.header) or 'nothing'})"))
            continue
        row = case["failure_case"]
        if not check.isdigit() or not isinstance(row, dict):
            # A check that could not run is our bug, not the user's data.
            raise RuntimeError(f"validation of {tf.shown} failed to run: {row}")
        ck = checks[int(check)]
        value = row.get(ck.column)
        counts[check] = counts.get(check, 0) + 1
        col = tf.header.index(ck.column) + 1
        out.append(Problem(Loc(tf.shown, int(row["_row"]), col),
                           f"column {ck.column}: {_show(value)} is not {ck.expectation}"))
    for check, n in counts.items():
        if n >= MAX_CASES:
            ck = checks[int(check)]
            out.append(Problem(Loc(tf.shown), f"column {ck.column}: only the first {MAX_CASES} "
                                              f"rows failing '{ck.expectation}' are listed"))
    return out


def _show(value: Any) -> str:
    if value is None:
        return "empty value"
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")
