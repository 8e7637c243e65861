"""The DuckDB work of an import: each legacy file read as text with its row numbers, turned into
its snapshot table by joins (value maps, lookups) and strptime, and checked; every value the
mapping could not turn is found by a query and named with its row."""

from __future__ import annotations

from dataclasses import dataclass

from simulator import db
from simulator.importers.flat.mapping import Column, TableMap
from simulator.importers.flat.sources import Source
from simulator.inputs.snapshot import MAX_LINE_BYTES
from simulator.inputs.validate import MAX_CASES


def raw_table(name: str) -> str:
    """The source file as read (a view): `_line` (the header is 1) and column N as `cN`, all
    text."""
    return db.ident(f"flat_raw_{name}")


def out_table(name: str) -> str:
    """The snapshot table: `_line` and the mapped columns, in the snapshot's order."""
    return db.ident(f"flat_{name}")


def _map_table(name: str, column: str) -> str:
    return db.ident(f"flat_values_{name}_{column}")


def _source(src: Source, col: Column) -> str:
    return f"r.c{src.position(col.header)}"


def _raw_data(name: str) -> str:
    return db.ident(f"flat_raw_data_{name}")


def read(con: db.Connection, src: Source) -> None:
    """Read the file into its raw table (only the columns the mapping names); `empty:` values
    and empty fields are NULL. Raises DuckDB's error for a file it cannot read.

    A record's number is its place in the table (`rowid`, which keeps the file's order):
    numbering the rows as they are read (`row_number() over ()`) would make the parallel CSV
    reader's rows wait for each other (the 10M-line read: 4.1 s instead of 1.9 s)."""
    tm = src.table
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(1, len(src.header) + 1)) + "}"
    used = ", ".join(f"c{i}" for i in sorted({src.position(c.header) for c in tm.columns}))
    con.execute(
        f"create or replace temp table {_raw_data(tm.name)} as select {used} from read_csv("
        f"$path, columns = {columns}, header = true, auto_detect = false, delim = $delim, "
        "quote = $quote, escape = $quote, nullstr = $empty, allow_quoted_nulls = true, "
        f"strict_mode = true, max_line_size = {MAX_LINE_BYTES})",
        {"path": str(src.read_path), "delim": tm.delimiter, "quote": tm.quote,
         "empty": ["", *tm.empty]},
    )
    con.execute(f"create or replace temp view {raw_table(tm.name)} as "
                f"select rowid + 2 as _line, {used} from {_raw_data(tm.name)}")


def build(con: db.Connection, src: Source, looked_up: dict[str, TableMap]) -> None:
    """The snapshot table from the raw one: one pass with a join per value map and lookup.
    Column `_bad` holds a bit per check (`checks`) for each value of the row that did not turn,
    so that checking a valid table is one aggregate, not a scan per check."""
    tm = src.table
    selects, joins, params, failed = [], [], {}, []
    for i, col in enumerate(tm.columns):
        value = source = _source(src, col)
        if col.values:
            con.execute(f"create or replace temp table {_map_table(tm.name, col.name)} as "
                        "select unnest($src) as src, unnest($dst) as dst",
                        {"src": [s for s, _ in col.values], "dst": [d for _, d in col.values]})
            joins.append(f"left join {_map_table(tm.name, col.name)} v{i} on v{i}.src = {value}")
            value = f"v{i}.dst"  # a mapped value is never NULL: NULL is no match
            failed.append(f"{source} is not null and {value} is null")
        elif col.lookup is not None:
            target = looked_up[col.lookup.table]
            key = target.table.key[0]
            joins.append(f"left join (select {db.ident(col.lookup.column)} as v, "
                         f"min({db.ident(key)}) as k, count(*) as n from "
                         f"{out_table(target.name)} group by all) l{i} on l{i}.v = {value}")
            value = f"l{i}.k"
            failed += [f"{source} is not null and l{i}.n is null", f"l{i}.n > 1"]
        elif col.formats:
            params[f"f{i}"] = list(col.formats)
            value = f"try_strptime({value}, $f{i})"
            failed.append(f"{source} is not null and {value} is null")
        selects.append(f"{value} as {db.ident(col.name)}")
    bad = " + ".join(f"((coalesce({f}, false))::bigint << {bit})" for bit, f in enumerate(failed))
    con.execute(f"create or replace temp table {out_table(tm.name)} as select r._line, "
                f"{', '.join(selects)}, {bad or '0'} as _bad "
                f"from {raw_table(tm.name)} r {' '.join(joins)}", params or None)


def output_columns(tm: TableMap) -> list[str]:
    """The columns written, in the snapshot format's order (not `_line` and `_bad`)."""
    mapped = {c.name for c in tm.columns}
    return [c for c in tm.table.column_names if c in mapped]


def copy_sql(tm: TableMap, path: str) -> str:
    """The statement that writes the table as Parquet, in the order of the file's lines."""
    cols = ", ".join(db.ident(c) for c in output_columns(tm))
    return (f"copy (select {cols} from {out_table(tm.name)} order by _line) to "
            f"{db.literal(path)} (format parquet, compression zstd)")


def drop_raw(con: db.Connection, name: str) -> None:
    con.execute(f"drop view if exists {raw_table(name)}")
    con.execute(f"drop table if exists {_raw_data(name)}")


# --- checks: values the mapping could not turn -------------------------------------------


@dataclass(frozen=True)
class Failure:
    """A source value that did not turn: its row (the header is 1), column and message."""

    column: Column
    row: int
    value: str
    message: str


@dataclass(frozen=True)
class Check:
    """One check of one column: the failing rows (at most MAX_CASES + 1) and what they miss."""

    column: Column
    expectation: str
    failures: list[Failure]
    total: int = 0  # lines failing in all, counted when more than MAX_CASES

    @property
    def truncated(self) -> bool:
        return len(self.failures) > MAX_CASES


def check(con: db.Connection, src: Source, looked_up: dict[str, TableMap]) -> list[Check]:
    """Every check of every turned column of one table that some row fails: which ones, from
    the `_bad` bits `build` set (one aggregate); the failing rows only for those."""
    bad = int(con.one(f"select coalesce(bit_or(_bad), 0) from {out_table(src.table.name)}"))
    out, bit = [], 0
    for col in src.table.columns:
        if col.values or col.formats:
            if bad >> bit & 1:
                out.append(_values_check(con, src, col) if col.values
                           else _date_check(con, src, col))
            bit += 1
        elif col.lookup is not None:
            if bad >> bit & 3:
                out.extend(_lookup_checks(con, src, col, looked_up[col.lookup.table]))
            bit += 2
    return [c for c in out if c.failures]


def _failing(con: db.Connection, src: Source, col: Column, where: str,
             params: dict[str, object] | None = None) -> tuple[list[tuple[int, str]], int]:
    """The first failing lines (MAX_CASES + 1 at most) and, when there are more, how many."""
    value = _source(src, col)
    failing = f"from {raw_table(src.table.name)} r where {value} is not null and {where}"
    rows = [(int(row), str(v)) for row, v in con.rows(
        f"select r._line, {value} {failing} order by r._line limit {MAX_CASES + 1}", params)]
    total = int(con.one(f"select count(*) {failing}", params)) if len(rows) > MAX_CASES \
        else len(rows)
    return rows, total


def all_fit(con: db.Connection, src: Source, col: Column, fmt: str) -> bool:
    """Every value of the column is a date of the strptime format `fmt` ("": ISO dates)."""
    value = _source(src, col)
    parsed = f"try_strptime({value}, $f)" if fmt else f"try_cast({value} as timestamp)"
    return not con.one(f"select count(*) from {raw_table(src.table.name)} r "
                       f"where {value} is not null and {parsed} is null",
                       {"f": fmt} if fmt else None)


def _values_check(con: db.Connection, src: Source, col: Column) -> Check:
    table = _map_table(src.table.name, col.name)
    rows, total = _failing(con, src, col, f"not exists (select 1 from {table} v "
                                           f"where v.src = {_source(src, col)})")
    known = ", ".join(repr(s) for s, _ in col.values[:10])
    more = f" and {len(col.values) - 10} more" if len(col.values) > 10 else ""
    message = f"is not in the values of {col.name} ({known}{more})"
    keys = [s for s, _ in col.values]
    return Check(col, f"in the values of {col.name}",
                 [Failure(col, row, v, message + _fix(_near_value(v, keys), f"add {v!r} to the "
                                                      "values, or correct the file"))
                  for row, v in rows], total)


def _fix(hint: str, fix: str) -> str:
    return f"{hint}: {fix}" if hint else ""


def _near_value(value: str, known: list[str]) -> str:
    """A hint when the value differs from a known one only by spaces at either end or by case:
    fixed-width exports pad their codes, and maps and lookups are case-sensitive."""
    near = [k for k in known if k != value and k.strip().casefold() == value.strip().casefold()]
    if not near:
        return ""
    how = ("by spaces at either end" if near[0].strip() == value.strip() else "in case"
           if near[0].casefold() == value.casefold() else "in case and spaces at either end")
    return f"; it differs from {near[0]!r} only {how}"


def _date_check(con: db.Connection, src: Source, col: Column) -> Check:
    formats = " or ".join(col.formats)
    rows, total = _failing(con, src, col, f"try_strptime({_source(src, col)}, $f) is null",
                           {"f": list(col.formats)})
    return Check(col, f"matching {formats}",
                 [Failure(col, row, v, f"does not match {formats}") for row, v in rows], total)


def _alike(con: db.Connection, table: str, column: str, value: str) -> list[str]:
    """A value of a looked-up column equal to `value` but for spaces at either end and case."""
    return [str(v) for v, in con.rows(f"select {column} from {table} where lower(trim({column}))"
                                      " = lower(trim($v)) limit 1", {"v": value})]


def _lookup_checks(con: db.Connection, src: Source, col: Column,
                   target: TableMap) -> list[Check]:
    assert col.lookup is not None
    other, column = out_table(target.name), db.ident(col.lookup.column)
    value = _source(src, col)
    missing, total = _failing(con, src, col, f"not exists (select 1 from {other} t "
                                             f"where t.{column} = {value})")
    named = f"{col.lookup.column} of {target.name} ({target.file})"
    several = [(int(row), str(v), int(n)) for row, v, n in con.rows(
        f"select r._line, {value}, g.n from {raw_table(src.table.name)} r join "
        f"(select {column} as v, count(*) as n from {other} group by all having count(*) > 1) "
        f"g on g.v = {value} order by r._line limit {MAX_CASES + 1}")]
    return [
        Check(col, f"matching an {named}",
              [Failure(col, row, v, f"matches no {named}"
                       + _fix(_near_value(v, _alike(con, other, column, v)),
                                  "correct one of the files"))
               for row, v in missing], total),
        Check(col, f"matching one {named}",
              [Failure(col, row, v, f"matches the {col.lookup.column} of {n} {target.name} "
                                    f"rows ({target.file}): a lookup must find one")
               for row, v, n in several]),
    ]
