"""Validation of every snapshot table: a verdict in DuckDB, and pandera through ibis to report.

A table is first judged by all its checks in one aggregate query of their own SQL (valid data is
the common case, and it needs neither ibis nor pandera); only a table that fails is validated by
pandera check by check, each a dataframe-level check over the raw (all text) view, so each
failure case carries the whole row, including `_row`: the problem names file, row, column and
value. tests/test_validate_fast.py keeps the two renderings of each check in agreement.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator import db
from simulator.errors import Loc, Problem
from simulator.inputs import reading
from simulator.inputs.keys import key_sql
from simulator.inputs.snapshot import Snapshot, TableFile, near_columns, not_on_calendar
from simulator.inputs.tables import SQL_TYPES, TYPE_WORDS, Table
from simulator.inputs.yamlsrc import suggest

_IBIS_TYPES = {"int": "int64", "decimal": "decimal(18, 4)", "bool": "boolean",
               "timestamp": "timestamp"}
# DuckDB casts '1.5' to the integer 2 and '0x10' to 16; a whole number is digits only.
_WHOLE_NUMBER = r"^\s*[+-]?[0-9]+\s*$"
MAX_CASES = 20  # per check and file: enough to see the pattern, few enough to read
CI_NOTE = "Primary IDs match ignoring letter case"

CheckFn = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class _Check:
    """One check: `fn`, an ibis expression of the rows failing it (what pandera reports), and
    `sql`, the same check as a DuckDB condition over the raw table's columns, true when the row
    passes (for a key: an aggregate of the whole table, true when it passes): the verdict's
    part. `lowered` names the case-insensitive columns `sql` reads lowered, each under its
    alias: the verdict's scan lowers each once for every check that needs it."""
    column: str
    expectation: str
    fn: CheckFn
    sql: str
    kind: str = "value"  # value | required | domain | unique | ref
    domain: tuple[str, ...] = ()
    lowered: tuple[tuple[str, str], ...] = ()  # (column, alias)


def check_snapshot(snap: Snapshot, step: Callable[[str], None] = lambda _: None,
                   memory_limit: str | None = None) -> tuple[list[Problem], dict[str, int]]:
    """Every problem of one snapshot folder (its files read, then validated, on a connection of
    its own) and, when there is none, the rows of each of its tables: `cutover snapshot
    validate`, and the check an importer makes before its snapshot appears."""
    con = db.connect(memory_limit)
    try:
        step("reading the snapshot files")
        problems = reading.attach(con, "snap", snap, snap.side)
        step("validating")
        problems.extend(validate(con, "snap", snap))
        rows = {} if problems else {
            name: int(con.one(f"select count(*) from {db.qualified('snap', name)}"))
            for name in sorted(snap.files)}
    finally:
        con.close()
    return problems, rows


def validate(con: db.Connection, schema: str, snap: Snapshot,
             tables: set[str] | None = None) -> list[Problem]:
    """All problems of the tables of one attached snapshot (all, or `tables`; unreadable files
    are skipped). References are checked against every file of `snap`."""
    # ibis and pandera call APIs that newer duckdb and pandas deprecate; not the user's concern.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        return _validate(con, schema, snap, set(snap.files) if tables is None else tables)


def _validate(con: db.Connection, schema: str, snap: Snapshot,
              tables: set[str]) -> list[Problem]:
    raw = f"raw_{schema}"
    backends: list[Any] = []  # made on first need: valid snapshots never import ibis

    def table_of(t: str) -> Any:
        if not backends:
            import ibis

            backends.append(ibis.duckdb.from_connection(con.raw))
        return backends[0].table(t, database=raw)

    problems: list[Problem] = []
    for name, tf in sorted(snap.files.items()):
        if name in snap.unreadable or name not in tables:
            continue
        header = reading.columns(tf)
        checks, missing_refs = _checks(tf, header, snap, table_of, raw)
        problems.extend(missing_refs)
        if not _valid(con, db.qualified(raw, name), header, checks, tf.table,
                      parquet=tf.format == "parquet"):
            problems.extend(_failed(con, raw, tf, checks, table_of(name)))
    return problems


def _failed(con: db.Connection, raw: str, tf: TableFile, checks: list[_Check],
            data: Any) -> list[Problem]:
    """The problems of a table that failed its verdict, check by check with pandera (imported
    only here: a run over valid snapshots never needs it)."""
    import pandera.errors
    import pandera.ibis as pa

    columns = {c.name: pa.Column(str, required=c.required, nullable=True)
               for c in tf.table.columns}
    schema_obj = pa.DataFrameSchema(columns, checks=[
        pa.Check(_ignore_na(ck.fn), name=str(i), n_failure_cases=MAX_CASES)
        for i, ck in enumerate(checks)
    ])
    try:
        schema_obj.validate(data, lazy=True)
    except pandera.errors.SchemaErrors as e:
        return _problems(con, raw, tf, checks, e.failure_cases.to_dict("records"))
    return []


def _valid(con: db.Connection, table_sql: str, header: list[str], checks: list[_Check],
           table: Table, parquet: bool = False) -> bool:
    """Whether the table passes every check, in one scan (and, for a Parquet file, a look at
    its statistics first). pandera would run a query (a scan of the file) per check, and for a
    failing check two more, so every check's verdict is one boolean of one aggregate, the key's
    count of distinct hashes among them; a table that fails is then validated by pandera check
    by check, to report each problem with its rows. The checks' own SQL, not ibis: compiling
    ibis expressions cost about 15 ms a table, 0.85 s with ibis's import for the sample's three
    snapshots, in every command."""
    if any(c.required and c.name not in header for c in table.columns):
        return False  # a missing column: reported by the check-by-check validation
    if parquet:
        left = _required_by_statistics(con, table_sql, checks)
        if left is None:
            return False
        checks = left
    rows = " and ".join(f"coalesce({ck.sql}, false)" for ck in checks if ck.kind != "unique")
    table_wide = "".join(f" and coalesce({ck.sql}, false)" for ck in checks if ck.kind == "unique")
    lowered = ", ".join(sorted({f"lower({db.ident(c)}) as {db.ident(alias)}"
                                for ck in checks for c, alias in ck.lowered}))
    source = f"(select *, {lowered} from {table_sql})" if lowered else table_sql
    verdict = con.rows(f"select coalesce(bool_and({rows or 'true'}), true){table_wide} "
                       f"from {source}")
    return bool(verdict[0][0])  # fetched whole: pandera may query next


def _lowered(column: str, header: list[str]) -> str:
    """The alias under which the verdict's scan holds a case-insensitive column lowered (the
    key and the reference check share one lower() per value): a name the file does not use."""
    alias = f"_{column}_lowered"
    while alias in header:
        alias = "_" + alias
    return alias


def _required_by_statistics(con: db.Connection, table_sql: str,
                            checks: list[_Check]) -> list[_Check] | None:
    """The checks left to run row by row once the required ones are judged by each column's
    count and least value, which DuckDB reads from a Parquet file's statistics without decoding
    a value (None: a required value is missing). Every value is at least the least one, so when
    its first character is above the space no value starts with a blank, let alone holds only
    blanks; only a column whose least value starts with a blank (or is empty) is searched value
    by value."""
    required = [ck for ck in checks if ck.kind == "required"]
    if not required:
        return checks
    parts = ", ".join(f"count({db.ident(ck.column)}), min({db.ident(ck.column)})"
                      for ck in required)
    total, *found = con.rows(f"select count(*), {parts} from {table_sql}")[0]
    if any(count < total for count in found[0::2]):
        return None
    searched = [ck for ck, least in zip(required, found[1::2], strict=True)
                if least is not None and least[:1] <= " "]
    return [ck for ck in checks if ck.kind != "required"] + searched


def _problems(con: db.Connection, raw: str, tf: TableFile, checks: list[_Check],
              cases: list[dict[str, Any]]) -> list[Problem]:
    rows = reading.row_numbers(tf)
    found = _case_problems(tf, checks, cases, rows)
    dups = [case["failure_case"] for case in cases
            if str(case.get("check")).isdigit() and checks[int(case["check"])].kind == "unique"]
    found.extend(_duplicate_problems(con, raw, tf, dups, rows))
    return found


def _ignore_na(fn: CheckFn) -> Callable[[Any], dict[str, Any]]:
    # A NULL check result would pass silently; make it a failure.
    return lambda data: {k: v.fill_null(False) for k, v in fn(data.table).items()}


# A character that is not blank, as ibis's strip() counts blanks. Searching for one stops at the
# first such character, where trimming copies the value: the required checks of a 6M-row table
# cost half as much.
_NOT_BLANK = r"[^ \t\n\r\x0b\x0c]"  # RE2 escapes


def _has_text(value: Any) -> Any:
    return value.notnull() & value.re_search(_NOT_BLANK)


def _required(n: str) -> tuple[CheckFn, str]:
    col = db.ident(n)
    return (lambda d: {n: _has_text(d[n])},
            f"{col} is not null and regexp_matches({col}, {db.literal(_NOT_BLANK)})")


def _typed(n: str, col_type: str) -> tuple[CheckFn, str]:
    ibis_type = _IBIS_TYPES[col_type]

    def check(d: Any) -> dict[str, Any]:
        ok = d[n].try_cast(ibis_type).notnull()
        if col_type == "int":
            ok = ok & d[n].re_search(_WHOLE_NUMBER)
        return {n: d[n].isnull() | ok}

    col = db.ident(n)
    ok = f"try_cast({col} as {SQL_TYPES[col_type]}) is not null"
    if col_type == "int":
        ok += f" and regexp_matches({col}, {db.literal(_WHOLE_NUMBER)})"
    return check, f"{col} is null or ({ok})"


def _in_domain(n: str, domain: tuple[str, ...]) -> tuple[CheckFn, str]:
    col = db.ident(n)
    return (lambda d: {n: d[n].isnull() | d[n].isin(list(domain))},
            f"{col} is null or {col} in ({', '.join(db.literal(v) for v in domain)})")


def _key_parts(t: Table, d: Any) -> list[Any]:
    return [(d[k].lower() if t.column(k).ci else d[k]).fill_null("") for k in t.key]


def _blank_key(t: Table, d: Any) -> Any:
    """A missing key value is reported once, by the required check, not as a duplicate."""
    import ibis

    blank = ibis.literal(False)
    for k in t.key:
        if t.column(k).required:
            blank = blank | ~_has_text(d[k])
    return blank


def _unique(t: Table, lowered: dict[str, str]) -> tuple[CheckFn, str]:
    """Every row after the first of its key fails: the rows to report. The verdict counts the
    distinct 64-bit hashes of the key instead of sorting: blank keys count too (a row with one
    fails the required check anyway, so the verdict is the same), and two keys of one hash make
    the verdict false, then the check-by-check validation, which compares the keys themselves,
    finds no duplicate: a slower run, never a wrong one."""
    def check(d: Any) -> dict[str, Any]:
        import ibis

        nth = ibis.row_number().over(ibis.window(group_by=_key_parts(t, d), order_by=d["_row"]))
        return {t.key[0]: (nth == 0) | _blank_key(t, d)}

    parts = ", ".join(f"coalesce({db.ident(lowered.get(k, k))}, '')" for k in t.key)
    return check, f"count(*) = count(distinct hash({parts}))"


def _refers(column: str, lowered: str | None, target: Callable[[], Any],
            target_sql: tuple[str, str]) -> tuple[CheckFn, str]:
    def check(d: Any) -> dict[str, Any]:
        theirs, mine = target(), d[column]
        if lowered:
            theirs, mine = theirs.lower(), mine.lower()
        return {column: d[column].isnull() | mine.isin(theirs)}

    col, (table, key) = db.ident(column), target_sql
    mine, theirs = (db.ident(lowered), f"lower({key})") if lowered else (col, key)
    return check, f"{col} is null or {mine} in (select {theirs} from {table})"


def _column_of(table_of: Callable[[str], Any], table: str, column: str) -> Callable[[], Any]:
    return lambda: table_of(table)[column]


def _checks(
    tf: TableFile, header: list[str], snap: Snapshot, table_of: Callable[[str], Any],
    raw: str,
) -> tuple[list[_Check], list[Problem]]:
    present = set(header)
    t: Table = tf.table
    low = {c.name: _lowered(c.name, header) for c in t.columns if c.ci}
    out: list[_Check] = []
    missing: list[Problem] = []
    for c in t.columns:
        if c.name not in present:
            continue
        if c.required:
            out.append(_Check(c.name, "a value (the column is required)", *_required(c.name),
                              "required"))
        if c.type != "text" and c.name not in tf.native:
            out.append(_Check(c.name, TYPE_WORDS[c.type], *_typed(c.name, c.type)))
        if c.domain:
            out.append(_Check(c.name, "one of " + ", ".join(c.domain),
                              *_in_domain(c.name, c.domain), "domain", c.domain))
    if set(t.key) <= present:
        out.append(_Check(t.key[0], "a unique key (" + "|".join(t.key) + ")",
                          *_unique(t, low), "unique",
                          lowered=tuple((k, low[k]) for k in t.key if k in low)))
    for ref in t.refs:
        if ref.column not in present or ref.table in snap.unreadable:
            continue
        target = snap.files.get(ref.table)
        if target is None:
            missing.append(Problem(Loc(tf.shown), f"column {ref.column} refers to {ref.table}, "
                                                  f"but the snapshot has no {ref.table} table"))
            continue
        if ref.target not in reading.columns(target):
            continue  # the target file misses its key column: reported there
        out.append(_Check(
            ref.column, f"a {ref.target} present in {ref.table} ({target.path.name})",
            *_refers(ref.column, low.get(ref.column),
                     _column_of(table_of, ref.table, ref.target),
                     (db.qualified(raw, ref.table), db.ident(ref.target))),
            "ref", lowered=((ref.column, low[ref.column]),) if ref.column in low else (),
        ))
    return out, missing


def _case_problems(tf: TableFile, checks: list[_Check], cases: list[dict[str, Any]],
                   rows: Callable[[int], int]) -> list[Problem]:
    out = []
    counts: dict[str, int] = {}
    for case in cases:
        check = str(case.get("check"))
        if check == "column_in_dataframe":
            out.append(_missing_column(tf, str(case["failure_case"])))
            continue
        row = case["failure_case"]
        if not check.isdigit() or not isinstance(row, dict):
            # A check that could not run is our bug, not the user's data.
            raise RuntimeError(f"validation of {tf.shown} failed to run: {row}")
        ck = checks[int(check)]
        counts[check] = counts.get(check, 0) + 1
        if ck.kind == "unique":
            continue  # see _duplicate_problems
        value = _value(row, ck.column)
        if ck.kind == "required":
            message = (f"column {ck.column}: no value, but the column is required" if value is None
                       else f"column {ck.column}: {_show(value)} is blank, but the column is "
                            "required")
        elif ck.kind == "value" and tf.table.column(ck.column).type == "timestamp" and (
                why := not_on_calendar(value or "")):
            message = f"column {ck.column}: {_show(value)}: {why}"
        else:
            message = f"column {ck.column}: {_show(value)} is not {ck.expectation}"
        if ck.kind == "domain" and value is not None:
            message += suggest(str(value).strip().upper(), ck.domain)
        out.append(Problem(_loc(tf, rows(int(row["_row"])), ck.column), message))
    for check, n in counts.items():
        if n >= MAX_CASES:
            ck = checks[int(check)]
            out.append(Problem(Loc(tf.shown), f"column {ck.column}: only the first {MAX_CASES} "
                                              f"rows failing '{ck.expectation}' are listed",
                               note=True))
    return out


def _loc(tf: TableFile, row: int, column: str) -> Loc:
    return Loc(tf.shown, row, tf.header.index(column) + 1 if column in tf.header else 1)


def _missing_column(tf: TableFile, name: str) -> Problem:
    """At the header's name that is likely meant to be the column (a miscased or misspelt
    one), else at the header's start."""
    has = ", ".join(tf.header) or "nothing"
    message = f"missing required column '{name}' (the header has: {has}"
    near = [h for h, meant in near_columns(tf.table, tf.header).items() if meant == name]
    if not near:
        return Problem(Loc(tf.shown, 1, 1), message + ")")
    if near[0].lower() == name:
        message += f"; '{near[0]}' is not '{name}': column names are lower case"
    else:
        message += f"; column '{near[0]}': did you mean '{name}'?"
    return Problem(Loc(tf.shown, 1, tf.header.index(near[0]) + 1), message + ")")


def _duplicate_problems(con: db.Connection, raw: str, tf: TableFile, rows: list[dict[str, Any]],
                        row_of: Callable[[int], int]) -> list[Problem]:
    """Each repeated key names the row that holds it first (one query for the whole file)."""
    if not rows:
        return []
    t = tf.table
    n = len(t.key)

    def same(j: int, k: str) -> str:  # as the unique check compares: DuckDB's lower()
        mine, theirs = f"coalesce(t.{db.ident(k)}, '')", f"w.k{j}"
        return f"lower({mine}) = lower({theirs})" if t.column(k).ci else f"{mine} = {theirs}"

    keys = {tuple(_text(row, k) for k in t.key) for row in rows}
    params = {f"k{i}_{j}": part for i, key in enumerate(sorted(keys)) for j, part in enumerate(key)}
    wanted = ", ".join(
        "(" + ", ".join(f"$k{i}_{j}" for j in range(n)) + ")" for i in range(len(keys)))
    on = " and ".join(same(j, k) for j, k in enumerate(t.key))
    shown = key_sql(t.name, "t")
    w_cols = ", ".join(f"w.k{j}" for j in range(n))
    firsts = con.rows(
        f"with w({', '.join(f'k{j}' for j in range(n))}) as (values {wanted}) "
        f"select {w_cols}, min(t._row), arg_min({shown}, t._row) "
        f"from {db.qualified(raw, t.name)} t join w on {on} group by all",
        params,
    )
    first = {tuple(r[:n]): (int(r[n]), str(r[n + 1])) for r in firsts}
    ci = any(t.column(k).ci for k in t.key)
    out = []
    for row in rows:
        key = tuple(_text(row, k) for k in t.key)
        mine = "|".join(key)
        first_row, theirs = first.get(key, (0, ""))
        message = f"column {t.key[0]}: {_show(mine)} is not a unique key ({'|'.join(t.key)})"
        if first_row:
            message += f": row {row_of(first_row)} has {_show(theirs)}"
            if ci and theirs != mine:
                message += f" ({CI_NOTE})"
        out.append(Problem(_loc(tf, row_of(int(row["_row"])), t.key[0]), message))
    return out


def _value(row: dict[str, Any], column: str) -> str | None:
    """A failure case's value as text; NULL arrives from pandas as None, NaN or NA."""
    value = row.get(column)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    return str(value)


def _text(row: dict[str, Any], column: str) -> str:
    return _value(row, column) or ""


def _show(value: Any) -> str:
    if value is None:
        return "empty value"
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")
