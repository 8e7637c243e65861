"""The cases of the legacy import: a generated Sierra-style loans export with its patrons and
mapping (`legacy-data`), and where `snapshot import flat`'s time goes (`legacy-profile`). The
runner's side is bench/legacy_bench.py."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from simulator import db
from simulator.inputs import reading

LEGACY_VERSION = 1  # of the generated files: a change here makes the runner write them again
LOANS_HEADER = '"RECORD #(ITEM)","OUT DATE","RECORD #(PATRON)","DUE DATE","ITEM BARCODE"\n'
NO_DATE = "  -  -  "
LEGACY_MAPPING = """\
format_version: 1
tables:
  patrons:
    file: patrons.txt
    delimiter: "|"
    encoding: latin-1
    columns:
      primary_id: P BARCODE
      user_group: P TYPE
      original_id: "RECORD #(PATRON)"
    values:
      user_group: {"0": UG, "1": GRAD, "2": STAFF}
  loans:
    file: loans.csv
    columns:
      loan_id: "RECORD #(ITEM)"
      item_barcode: ITEM BARCODE
      primary_id: {column: "RECORD #(PATRON)", lookup: patrons.original_id}
      loan_date: OUT DATE
      due_date: DUE DATE
    dates:
      loan_date: "%m-%d-%Y %H:%M"
      due_date: "%m-%d-%Y"
    empty: ["  -  -  "]
"""


def case_legacy_data(a: argparse.Namespace) -> dict[str, Any]:
    """A Sierra-style export in --out: `loans.csv` (--lines lines, every field quoted, US
    dates, `  -  -  ` for no date), `patrons.txt` (one patron per 20 loans, pipe-delimited
    Latin-1 with coded patron types) and `mapping.yaml`. Deterministic: every value is a
    function of the line number and --seed."""
    a.out.mkdir(parents=True, exist_ok=True)
    lines, seed = a.lines, a.seed
    patrons = max(20, lines // 20)
    mult, prime = 2654435761 + 2 * seed, 4294967291
    start = time.perf_counter()
    with (a.out / "loans.csv").open("w", encoding="utf-8", newline="") as f:
        f.write(LOANS_HEADER)
        for first in range(0, lines, 100_000):
            chunk = []
            for i in range(first, min(lines, first + 100_000)):
                h = (i * mult + seed) % prime
                month, day, year = h % 12 + 1, h // 12 % 28 + 1, 2012 + h // 336 % 14
                out = NO_DATE if h % 97 == 0 else (
                    f"{month:02d}-{day:02d}-{year} {h // 7 % 24:02d}:{h // 5 % 60:02d}")
                due = NO_DATE if h % 13 == 0 else f"{month % 12 + 1:02d}-{day:02d}-{year}"
                chunk.append(f'"i{10_000_000 + i}","{out}","p{1_000_000 + h % patrons}",'
                             f'"{due}","3{i:013d}"\n')
            f.writelines(chunk)
    with (a.out / "patrons.txt").open("w", encoding="latin-1", newline="") as f:
        f.write("P BARCODE|P TYPE|RECORD #(PATRON)|PATRN NAME\n")
        names = ("Müller, Zoë", "Núñez, José", "Smith, Ann", "Lefèvre, Chloé")
        f.writelines(f"2{k:09d}|{k * 7 % 3}|p{1_000_000 + k}|{names[k % 4]}\n"
                     for k in range(patrons))
    (a.out / "mapping.yaml").write_text(LEGACY_MAPPING, encoding="utf-8")
    meta = {"lines": lines, "patrons": patrons, "seed": seed, "version": LEGACY_VERSION,
            "loans_bytes": (a.out / "loans.csv").stat().st_size,
            "patrons_bytes": (a.out / "patrons.txt").stat().st_size}
    (a.out / "generated.json").write_text(json.dumps(meta), encoding="utf-8")
    return {**meta, "seconds": time.perf_counter() - start}


def legacy_steps() -> list[tuple[Any, str, Callable[..., str]]]:
    """The importer's functions the profile times: (module, name, the step's label from the
    call's arguments). tests/test_bench_smoke.py checks that they still exist."""
    from simulator.importers.flat import sources, transform
    from simulator.inputs import validate

    def table(*args: Any) -> str:  # (con, src, ...)
        return str(args[1].table.name)

    return [
        (sources, "to_utf8", lambda path, *_: f"encoding conversion to UTF-8 ({path.name})"),
        (transform, "read",
         lambda *args: f"read_csv into a temp table, its rowid the line ({table(*args)})"),
        (transform, "build",
         lambda *args: f"value maps, lookups (joins) and strptime ({table(*args)})"),
        (transform, "check", lambda *args: f"checks of the turned values ({table(*args)})"),
        (reading, "attach", lambda *_: "validation: reading the Parquet files back"),
        (validate, "validate", lambda *_: "validation: the checks (one verdict query a table)"),
    ]


def timed(fn: Callable[..., Any], name: Callable[..., str],
          add: Callable[[str, float], None]) -> Callable[..., Any]:
    """`fn`, its seconds added under the step's label its arguments give, however it ends."""
    def call(*args: Any, **kw: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kw)
        finally:
            add(name(*args), time.perf_counter() - start)

    return call


def case_legacy_profile(a: argparse.Namespace) -> dict[str, Any]:
    """Where `snapshot import flat`'s time goes: the command's library call on --data, its
    steps timed (the functions of `legacy_steps` and the Parquet writes), then what two of them
    would cost done otherwise (the write without `order by _line`, the read numbering its rows
    with a window)."""
    from simulator.importers.flat import importer

    parts: dict[str, float] = {}
    whatif: dict[str, float] = {}

    def add(name: str, seconds: float) -> None:
        parts[name] = parts.get(name, 0.0) + seconds

    execute = db.Connection.execute

    def timed_execute(con: db.Connection, sql: str, params: Any = None) -> Any:
        if not sql.startswith("copy (") or " to " not in sql:
            return execute(con, sql, params)
        name = Path(sql.rsplit(" to ", 1)[1].split("'")[1]).stem
        begin = time.perf_counter()
        result = execute(con, sql, params)
        add(f"the Parquet write, sorted by line ({name})", time.perf_counter() - begin)
        if " order by _line) to " in sql and name == "loans":
            scratch = a.out.parent / f"{a.out.name}-unsorted.parquet"
            begin = time.perf_counter()
            execute(con, sql.replace(" order by _line) to ", ") to ").rsplit(" to ", 1)[0]
                    + f" to {db.literal(str(scratch))} (format parquet, compression zstd)")
            whatif["the same write without order by (loans)"] = time.perf_counter() - begin
            scratch.unlink()  # (its time is not the import's: taken off the total below)
        return result

    steps = legacy_steps()
    saved = [(module, attr, getattr(module, attr)) for module, attr, _ in steps]
    for module, attr, name in steps:
        setattr(module, attr, timed(getattr(module, attr), name, add))
    db.Connection.execute = timed_execute  # type: ignore[method-assign,assignment]
    begin = time.perf_counter()
    try:
        done = importer.import_files(a.data, a.data / "mapping.yaml", a.out, "extract", "NFU",
                                     "2026-03-02T07:00:00Z", a.memory_limit)
    finally:
        total = time.perf_counter() - begin - sum(whatif.values())
        db.Connection.execute = execute  # type: ignore[method-assign]
        for module, attr, fn in saved:
            setattr(module, attr, fn)
    whatif.update(_read_numbered(a))
    rest = total - sum(parts.values())
    return {"seconds": total, "rows": done.rows,
            "parts": [[n, round(s, 3)] for n, s in [*parts.items(), ("the rest", rest)]],
            "whatif": [[n, round(s, 3)] for n, s in whatif.items()]}


def _read_numbered(a: argparse.Namespace) -> dict[str, float]:
    """The loans read into a temp table as the importer reads them (the table's rowid numbers
    the lines), and numbered by `row_number() over ()` as they are read instead (on a fresh
    connection with the same memory limit)."""
    columns = ("{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(1, 6)) + "}")
    read = (f"read_csv({db.literal(str(a.data / 'loans.csv'))}, columns = {columns}, "
            "header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
            f"nullstr = ['', {db.literal(NO_DATE)}], allow_quoted_nulls = true, "
            "strict_mode = true)")
    out = {}
    con = db.connect(memory_limit=a.memory_limit)
    try:
        for name, select in (("the loans read as the importer reads them",
                              f"select * from {read}"),
                             ("the loans read numbered by row_number() over ()",
                              f"select row_number() over () + 1 as _line, * from {read}")):
            start = time.perf_counter()
            con.execute(f"create or replace temp table t as {select}")
            out[name] = time.perf_counter() - start
            con.execute("drop table t")
    finally:
        con.close()
    return out
