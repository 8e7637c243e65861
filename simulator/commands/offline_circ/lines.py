"""The lines of the transaction files in DuckDB, with what the snapshot says of each one.

`oc_lines`: one row per input line, `seq` numbering them in load order (the ILL file first),
`file` the path as shown and `name` the file's name (for messages);
`oc_bib_items`: the barcodes of the temporary ILL bibs; `oc_patrons`: each patron identifier
the files name and the users it matches (a Primary ID ignoring letter case, a username, a user
identifier); `oc_facts`: the lines with those facts, and whether the replay applies the line at
all (`eligible`: well-formed, a known item, and a loan's patron one user).
"""

from __future__ import annotations

import datetime as dt

from simulator import db
from simulator.commands.offline_circ.bibs import Bibs
from simulator.commands.offline_circ.opening import SCHEMA, TxFile
from simulator.inputs import keys
from simulator.inputs.offline_circ import LineError

_COLUMNS = ("seq", "file", "name", "role", "line", "ts", "kind", "barcode", "patron",
            "malformed")


def load(con: db.Connection, files: list[TxFile], bibs: Bibs | None) -> int:
    """Every line into `oc_lines`, the bibs' barcodes into `oc_bib_items`; the line count."""
    import pyarrow as pa

    rows: list[tuple[object, ...]] = []
    for f in files:
        shown, base = f.shown, f.path.name
        for x in f.parsed.lines:
            seq = len(rows) + 1
            rows.append((seq, shown, base, f.role, x.line, None, None, None, None, str(x))
                        if isinstance(x, LineError) else
                        (seq, shown, base, f.role, x.line, x.at, x.kind, x.barcode, x.patron,
                         None))
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in _COLUMNS]
    types = {"seq": pa.int64(), "line": pa.int64(), "ts": pa.timestamp("us")}
    table = pa.table({c: pa.array(v, type=types.get(c, pa.string()))
                      for c, v in zip(_COLUMNS, columns, strict=True)})
    barcodes = sorted(bibs.barcodes()) if bibs is not None else []
    items = pa.table({"barcode": pa.array(barcodes, type=pa.string())})
    for name, data in (("oc_lines", table), ("oc_bib_items", items)):
        con.raw.register(f"{name}_in", data)
        con.execute(f"create or replace temp table {name} as select * from {name}_in")
        con.raw.unregister(f"{name}_in")
    return len(rows)


def facts(con: db.Connection) -> None:
    """`oc_patrons` and `oc_facts` from `oc_lines` and the snapshot's attached tables."""
    users, identifiers, items = (db.qualified(SCHEMA, t)
                                 for t in ("users", "user_identifiers", "items"))
    # A Primary ID is matched in its normal form (inputs/keys.py): letter case ignored.
    folded = keys.normal_ledger_key_sql("users", "i.patron")
    con.execute(f"""
        create or replace temp table oc_patrons as
        with ids as (select distinct patron from oc_lines where patron <> ''),
        u as (select primary_id, username, {keys.normal_key_sql("users", "u0")} as folded
              from {users} u0),
        m as (
            select i.patron, u.primary_id, 'Primary ID' as how
            from ids i join u on u.folded = {folded}
            union
            select i.patron, u.primary_id, 'username' from ids i join u on u.username = i.patron
            union
            select i.patron, u.primary_id, x.id_type as how
            from ids i join {identifiers} x on x.value = i.patron
            join u on u.folded = {keys.normal_ledger_key_sql("users", "x.primary_id")})
        select patron, count(distinct lower(primary_id)) as users, min(primary_id) as primary_id,
               string_agg(primary_id || ' by ' || how, ', ' order by primary_id, how) as matched
        from m group by patron""")
    con.execute(f"""
        create or replace temp table oc_facts as
        select l.*, i.barcode is not null as in_items, b.barcode is not null as in_bibs,
               coalesce(p.users, 0) as patron_users, p.matched,
               case when l.kind = 'L' and p.users = 1 then p.primary_id end as pid,
               l.malformed is null and (i.barcode is not null or b.barcode is not null)
                   and (l.kind = 'R' or p.users = 1) as eligible
        from oc_lines l
        left join (select distinct barcode from {items}) i on i.barcode = l.barcode
        left join oc_bib_items b on b.barcode = l.barcode
        left join oc_patrons p on p.patron = l.patron and l.kind = 'L'
        order by l.seq""")


def shown_time(value: dt.datetime) -> str:
    """A scenario date as messages show it: the day, with the time only when it has one."""
    return value.strftime("%Y-%m-%d" if value.time() == dt.time() else "%Y-%m-%d %H:%M")
