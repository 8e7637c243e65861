"""Applying a variant's patches to attached snapshots, as DuckDB views; the files stay untouched.

The snapshot views the rules read (`pre.<table>`, `extract.<table>`, made by reading.attach) are
shadowed: the view of a patched table is renamed to `<table>~src`, each patch becomes a view over
the one before it (in schema `whatif`), and the last takes the table's name. Values come from
small tables the patches' values are inserted into as parameters; conditions are SQL the user
wrote, checked like a rule's `when` and rendered by sqlglot; names reach SQL through `db.ident`.
A `where` that reads snapshot tables reads them as delivered (before any patch).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager

import sqlglot.expressions as exp

from simulator import db
from simulator.commands.whatif.patches import Patch
from simulator.errors import Collector
from simulator.inputs import keys
from simulator.inputs.tables import SQL_TYPES, TABLES
from simulator.rules.compile import render

SCHEMA = "whatif"
SOURCE = "{}~src"  # the unpatched view of a patched table, in the table's own schema
_ids = itertools.count(1)


def _name(kind: str, n: int) -> str:
    return db.qualified(SCHEMA, f"{kind}.{n}")


@contextmanager
def patched(con: db.Connection, patches: list[Patch]) -> Iterator[None]:
    """Within the block, the rules see the snapshots with `patches` applied in order.

    Raises UserError (before the block runs) when the patched tables would hold a key twice,
    e.g. an inserted user whose Primary ID exists already.
    """
    if not patches:
        yield
        return
    con.execute(f"create schema if not exists {db.ident(SCHEMA)}")
    tables: dict[tuple[str, str], list[Patch]] = {}
    for p in patches:
        tables.setdefault((p.schema, p.table), []).append(p)
    created: list[str] = []  # views and tables to drop afterwards, in order of creation
    renamed: list[tuple[str, str]] = []
    try:
        for schema, table in tables:
            con.execute(f"alter view {db.qualified(schema, table)} rename to "
                        f"{db.ident(SOURCE.format(table))}")
            renamed.append((schema, table))
        for (schema, table), todo in tables.items():
            current = db.qualified(schema, SOURCE.format(table))
            for p in todo:
                n = next(_ids)
                step = _name("step", n)
                sql = _step_sql(con, p, current, n, created, tables)
                con.execute(f"create view {step} as {sql}")
                created.append(f"view {step}")
                current = step
            con.execute(f"create view {db.qualified(schema, table)} as select * from {current}")
        _check_keys(con, tables)
        yield
    finally:
        for (schema, table) in renamed:
            con.execute(f"drop view if exists {db.qualified(schema, table)}")
        for what in reversed(created):
            con.execute(f"drop {what}")
        for (schema, table) in renamed:
            con.execute(f"alter view {db.qualified(schema, SOURCE.format(table))} rename to "
                        f"{db.ident(table)}")


def _step_sql(con: db.Connection, p: Patch, current: str, n: int, created: list[str],
              patched_tables: dict[tuple[str, str], list[Patch]]) -> str:
    spec = TABLES[p.table]
    alias = db.ident(p.table)
    cols = [c.name for c in spec.columns]
    if p.kind == "insert":
        rows = _name("rows", n)
        defs = ", ".join(f"{db.ident(c.name)} {SQL_TYPES[c.type]}" for c in spec.columns)
        con.execute(f"create table {rows} ({defs})")
        created.append(f"table {rows}")
        marks = ", ".join("?" for _ in cols)
        con.raw.executemany(f"insert into {rows} values ({marks})",
                            [[r.get(c) for c in cols] for r in p.rows])
        listed = ", ".join(db.ident(c) for c in cols)
        return (f"select {listed}, _row from {current} union all "
                f"select {listed}, cast(null as bigint) as _row from {rows}")
    assert p.tree is not None
    cond = f"coalesce(({render(_read_sources(p.tree, patched_tables))}), false)"
    if p.kind == "delete":
        return f"select * from {current} as {alias} where not {cond}"
    values = _name("values", n)
    names = list(p.values)
    defs = ", ".join(f"{db.ident(f'v{i}')} {SQL_TYPES[spec.column(c).type]}"
                     for i, c in enumerate(names))
    con.execute(f"create table {values} ({defs})")
    created.append(f"table {values}")
    con.execute(f"insert into {values} values ({', '.join('?' for _ in names)})",
                [p.values[c] for c in names])
    out = []
    for c in cols:
        if c in p.values:
            v = db.ident(f"v{names.index(c)}")
            out.append(f"case when {cond} then (select {v} from {values}) "
                       f"else {alias}.{db.ident(c)} end as {db.ident(c)}")
        else:
            out.append(f"{alias}.{db.ident(c)}")
    return f"select {', '.join(out)}, {alias}._row from {current} as {alias}"


def _read_sources(tree: exp.Expression, patched_tables: dict[tuple[str, str], list[Patch]]
                  ) -> exp.Expression:
    """The condition with snapshot tables that are patched read as delivered (no recursion)."""
    out = tree.copy()
    for table in out.find_all(exp.Table):
        if (table.db, table.name) in patched_tables:
            table.set("this", exp.to_identifier(SOURCE.format(table.name), quoted=True))
    return out


def _check_keys(con: db.Connection, tables: dict[tuple[str, str], list[Patch]]) -> None:
    """A record appears once: inserted rows and changed keys must not repeat a key."""
    problems = Collector()
    for (schema, table), todo in tables.items():
        changing = [p for p in todo if p.touches_key()]
        if not changing:
            continue
        spec = TABLES[table]
        key = keys.folded_key_sql(table, "t")
        dupes = [r[0] for r in con.rows(
            f"select {key} as k from {db.qualified(schema, table)} as t group by k "
            "having count(*) > 1 order by k limit 5")]
        if not dupes:
            continue
        ci = " (Primary IDs ignoring letter case)" if any(spec.column(k).ci for k in spec.key) \
            else ""
        shown = ", ".join(f"'{d}'" for d in dupes)
        for p in changing:
            what = "inserted rows" if p.kind == "insert" else "the changed key"
            problems.add(p.loc, f"after this patch {schema}.{table} holds the key{ci} {shown} "
                                f"more than once ({what}): a record must appear once; change an "
                                "existing record with set: instead")
    problems.raise_if_any()
