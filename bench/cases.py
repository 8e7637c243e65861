"""One benchmark case per process: `python -m bench.cases CASE ARGS...`.

Each case does its work and prints one JSON line on stdout (its own timings and results); the
runner (`bench/run.py`) times the whole process and reads its peak RSS from the kernel, so every
contender pays for its imports and its reading of the files alike.
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import offline_circ
from simulator import db
from simulator.core import engine
from simulator.inputs import bundle, reading
from simulator.output.sampling import ROWS_PER_ENTITY
from simulator.rules import compile as rc
from simulator.rules.analysis import tables_read
from simulator.rules.loader import load_pack
from simulator.rules.model import linted

HERE = Path(__file__).resolve().parent
HAND_SQL = HERE / "hand_predict.sql"
USERS_COLUMNS = ("primary_id", "record_type", "origin", "created_at", "updated_at")


def _inputs(data: Path) -> bundle.Inputs:
    return bundle.open_inputs(data / "freeze", data / "extract", data / "scenario.yaml",
                              data / "testload")


def _attach(con: db.Connection, inputs: bundle.Inputs,
            tables: dict[str, set[str]] | None = None) -> None:
    """The typed views predict reads (no validation: the contenders do not validate); with
    `tables` (schema -> names), only those, as a contender reads only the files it needs."""
    snaps = inputs.snapshots()
    for schema, side in (("pre", "alma"), ("extract", "extract"), ("testload", "alma")):
        wanted = None if tables is None else tables.get(schema, set())
        reading.attach(con, schema, snaps.get(schema), side, wanted)


def _read_by(entity: Any, compiled: rc.Compiled) -> dict[str, set[str]]:
    """The snapshot tables an entity's compiled query reads: its own and its facts'."""
    read = tables_read([linted(f.tree) for f in compiled.facts]
                       + [linted(r.tree) for r in entity.rules])
    read.setdefault(entity.schema, set()).add(entity.name)
    return read


def cpu_seconds() -> float:
    """User and system seconds of this process and its threads (DuckDB's included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Clock:
    """Each step's wall and CPU seconds: on a shared machine wall time moves with the
    neighbours' load, CPU time much less."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.cpu = cpu_seconds()
        self.steps: list[tuple[str, float, float]] = []
        self._name: str | None = None

    def __call__(self, name: str) -> None:
        now, cpu = time.perf_counter(), cpu_seconds()
        if self._name is not None:
            self.steps.append((self._name, now - self.last, cpu - self.cpu))
        self._name, self.last, self.cpu = name, now, cpu

    def done(self) -> dict[str, Any]:
        self("")
        return {"seconds": time.perf_counter() - self.start,
                "steps": [[n, round(s, 3)] for n, s, _ in self.steps],
                "cpu_steps": [[n, round(c, 3)] for n, _, c in self.steps]}


# -- predict and its hand-written twin --------------------------------------------------------

def case_predict(a: argparse.Namespace) -> dict[str, Any]:
    """`cutover predict` as the command runs it (library call; --csv never at scale)."""
    from simulator.commands.predict import predict
    from simulator.core.session import Session

    clock = Clock()
    clock("opening inputs")
    with Session(_inputs(a.data), a.rules or None, a.memory_limit, clock) as session:
        run = predict(session, a.out, a.csv)
    out = clock.done()
    out.update(rows=run.result.rows, report_bytes=(a.out / "report.html").stat().st_size,
               ledger_bytes=(a.out / "ledger.parquet").stat().st_size)
    return out


def run_script(con: db.Connection, text: str) -> None:
    """Run a script of `;`-terminated statements (none holds a `;` inside)."""
    for statement in text.split(";\n"):
        body = "\n".join(line for line in statement.splitlines()
                         if not line.lstrip().startswith("--")).strip()
        if body:
            con.execute(body)


def set_scenario(con: db.Connection, params: dict[str, Any]) -> None:
    for name, value in params.items():
        if isinstance(value, bool | int | str) or hasattr(value, "isoformat"):
            con.execute(f"set variable {db.ident(name)} = $v", {"v": value})


def _enum(values: Any) -> str:
    return "enum(" + ", ".join(db.literal(v) for v in sorted(set(values) - {None})) + ")"


def hand_types(con: db.Connection, pack: Any) -> None:
    """The script's ENUM types: side, entity, rule id (the index) and each rule text (the
    catalogue), sorted, so that an ENUM sorts as its text does."""
    rules = [r for _, r in pack.rules()]
    entities = [e for e in pack.ordered()]
    for name, values in (("h_side", [e.side for e in entities]),
                         ("h_entity", [e.name for e in entities]),
                         ("h_rule", [r.id for r in rules]),
                         *((f"h_{t}", [getattr(r, t) for r in rules])
                           for t in ("outcome", "reason", "cite", "message"))):
        con.execute(f"create or replace temp type {name} as {_enum(values)}")
    con.execute("create or replace temp table h_catalog (rule_id h_rule, outcome h_outcome, "
                "reason h_reason, cite h_cite, message h_message)")
    con.raw.executemany("insert into h_catalog values (?, ?, ?, ?, ?)",
                        [[r.id, r.outcome, r.reason, r.cite, r.message] for r in rules])


HAND_LEDGER = ("select i.side, i.entity, i.record_key, c.outcome, i.rule_id, c.reason, c.cite, "
               "c.message from h_index i join h_catalog c using (rule_id) "
               "order by i.side, i.entity, i.record_key")


def case_hand(a: argparse.Namespace) -> dict[str, Any]:
    """The hand-written script: same inputs, same ledger file (sorted, zstd Parquet). Every
    text is an ENUM value while it is joined, sorted and written."""
    clock = Clock()
    clock("opening inputs")
    inputs = _inputs(a.data)
    pack = load_pack()
    con = db.connect(memory_limit=a.memory_limit)
    try:
        clock("attaching")
        _attach(con, inputs)
        set_scenario(con, inputs.scenario.params())
        hand_types(con, pack)
        clock("classifying")
        run_script(con, HAND_SQL.read_text(encoding="utf-8"))
        clock("writing the ledger")
        a.out.mkdir(parents=True, exist_ok=True)
        con.execute(f"copy ({HAND_LEDGER}) to {db.literal(str(a.out / 'ledger.parquet'))} "
                    "(format parquet, compression zstd)")
        rows = int(con.one("select count(*) from h_index"))
    finally:
        con.close()
    return {**clock.done(), "rows": rows}


def case_same_ledger(a: argparse.Namespace) -> dict[str, Any]:
    """Do two ledger files hold the same rows? A fingerprint per entity (row count and the sum
    of the rows' hashes: equal multisets give equal sums), then the differing rows of the
    entities whose fingerprints differ."""
    con = db.connect(memory_limit=a.memory_limit)
    try:
        left, right = (f"read_parquet({db.literal(str(p))})" for p in (a.left, a.right))
        cols = "side, entity, record_key, outcome, rule_id, reason, cite, message"
        prints = [dict(((s, e), (n, h)) for s, e, n, h in con.rows(
            f"select side, entity, count(*), sum(hash({cols})) from {t} group by all"))
            for t in (left, right)]
        differ = sorted(k for k in set(prints[0]) | set(prints[1])
                        if prints[0].get(k) != prints[1].get(k))
        sample: list[list[str]] = []
        for side, entity in differ[:3]:
            where = f"where side = {db.literal(side)} and entity = {db.literal(entity)}"
            sample += [list(map(str, r)) for r in con.rows(
                f"(select 'left', {cols} from {left} {where} except all "
                f"select 'left', {cols} from {right} {where}) union all "
                f"(select 'right', {cols} from {right} {where} except all "
                f"select 'right', {cols} from {left} {where}) order by all limit 6")]
        rows = [sum(n for n, _ in p.values()) for p in prints]
    finally:
        con.close()
    return {"same": not differ, "rows": rows, "differ": [list(k) for k in differ],
            "sample": sample}


def case_profile(a: argparse.Namespace) -> dict[str, Any]:
    """Where predict's time goes: its steps taken apart, each entity's query timed alone."""
    from reports.render import render_predict
    from simulator.commands import views as reporting
    from simulator.commands.predict import summarise
    from simulator.inputs import validate

    inputs = _inputs(a.data)
    pack = engine.checked_pack(load_pack())
    params = inputs.scenario.params()
    parts: list[tuple[str, float]] = []

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        value = fn()
        parts.append((name, time.perf_counter() - start))
        return value

    con = db.connect(memory_limit=a.memory_limit)
    try:
        timed("attach (views; every value decoded once)", lambda: _attach(con, inputs))
        for schema, snap in inputs.snapshots().items():
            timed(f"validate {schema} (one verdict query a table)",
                  functools.partial(validate.validate, con, schema, snap))
        entities = []
        for entity in pack.ordered():
            compiled = rc.compile_entity(entity, pack)
            start = time.perf_counter()
            con.execute(f"select count(*), sum(rule_index) from ({compiled.sql})",
                        compiled.bind(params)).fetchall()
            entities.append((entity.id, time.perf_counter() - start))
        parts.append(("the entity queries alone (sum)", sum(s for _, s in entities)))
        result = timed("engine.classify (ledger index, counts, findings, the report's sample)",
                       lambda: engine.classify(con, pack, inputs.scenario,
                                               sample=ROWS_PER_ENTITY))
        a.out.mkdir(parents=True, exist_ok=True)
        timed("ledger.parquet (sorted)", lambda: con.execute(
            f"copy ({result.ledger_in_order}) to {db.literal(str(a.out / 'ledger.parquet'))} "
            "(format parquet, compression zstd)"))
        summary = summarise(inputs, pack, result)
        report = timed("report: sampling the ledger", lambda: reporting.predict_report(
            result, pack, inputs.pre.stage, summary, False))
        html, _ = timed("report: rendering", lambda: render_predict(report))
    finally:
        con.close()
    entities.sort(key=lambda e: -e[1])
    return {"parts": [[n, round(s, 3)] for n, s in parts],
            "entities": [[n, round(s, 3)] for n, s in entities], "html_bytes": len(html)}


# -- the users part: compiled SQL, pandas ------------------------------------------------------

def case_users_sql(a: argparse.Namespace) -> dict[str, Any]:
    """The compiled users entity (default pack, plus a layer if given) to a Parquet file."""
    clock = Clock()
    clock("opening inputs")
    inputs = _inputs(a.data)
    pack = engine.checked_pack(load_pack(a.rules or None))
    entity = pack.entities[("alma", "users")]
    compiled = rc.compile_entity(entity, pack)
    con = db.connect(memory_limit=a.memory_limit)
    try:
        clock("attaching")
        _attach(con, inputs, _read_by(entity, compiled))
        clock("classifying")
        con.execute("create or replace temp table rule_ids (rule_index int, rule_id varchar)")
        con.raw.executemany("insert into rule_ids values (?, ?)",
                            [[i, r.id] for i, r in enumerate(entity.rules)])
        con.execute(
            f"copy (select c.record_key, r.rule_id from ({compiled.sql}) c join rule_ids r "
            f"using (rule_index)) to {db.literal(str(a.out))} (format parquet)",
            compiled.bind(inputs.scenario.params()))
    finally:
        con.close()
    return {**clock.done(), "rules": len(entity.rules)}


def case_rules_interleaved(a: argparse.Namespace) -> dict[str, Any]:
    """The users query with each layer (--rules, repeatable), run in turn in one process.

    One attach, then A B A B ...: both packs see the same machine at nearly the same moments,
    so the ratio is steadier than between processes on a shared machine."""
    inputs = _inputs(a.data)
    params = inputs.scenario.params()
    queries = []
    for layer in a.rules:
        pack = engine.checked_pack(load_pack([layer]))
        entity = pack.entities[("alma", "users")]
        compiled = rc.compile_entity(entity, pack)
        queries.append((len(entity.rules), compiled))
    times: dict[int, list[float]] = {n: [] for n, _ in queries}
    read: dict[str, set[str]] = {}
    for _, compiled in queries:
        for schema, names in _read_by(compiled.entity, compiled).items():
            read.setdefault(schema, set()).update(names)
    con = db.connect(memory_limit=a.memory_limit)
    try:
        _attach(con, inputs, read)
        for i in range(a.repeat):
            for n, compiled in queries if i % 2 == 0 else queries[::-1]:
                start = time.perf_counter()
                con.rows(f"select count(*), sum(hash(record_key, rule_index)) from "
                         f"({compiled.sql})", compiled.bind(params))
                times[n].append(time.perf_counter() - start)
    finally:
        con.close()
    return {"times": {str(n): t for n, t in times.items()}}


def case_users_pandas(a: argparse.Namespace) -> dict[str, Any]:
    """The users rules of the default pack in pandas, from the same Parquet files."""
    import pandas as pd

    clock = Clock()
    clock("opening inputs")
    inputs = _inputs(a.data)
    params = inputs.scenario.params()
    start, end = pd.Timestamp(params["freeze_start"]), pd.Timestamp(params["clean_data_delivered"])
    clock("reading")
    users = pd.read_parquet(a.data / "freeze" / "users.parquet", columns=list(USERS_COLUMNS))
    roles = pd.read_parquet(a.data / "freeze" / "user_roles.parquet",
                            columns=["primary_id", "role_type"])
    patrons = pd.read_parquet(a.data / "extract" / "patrons.parquet", columns=["primary_id"])
    testload = pd.read_parquet(a.data / "testload" / "users.parquet",
                               columns=["primary_id", "record_type"])
    clock("classifying")
    role = roles["role_type"].astype("string").str.strip().str.lower()
    staff_ids = set(roles.loc[role.notna() & ~role.isin(["patron", "200"]),
                              "primary_id"].str.lower())
    patron_ids = set(patrons["primary_id"].str.lower())
    testload_public = set(testload.loc[testload["record_type"] == "PUBLIC",
                                       "primary_id"].str.lower())
    key = users["primary_id"].str.lower()
    has_staff = key.isin(staff_ids)
    in_extract = key.isin(patron_ids)
    at_testload = key.isin(testload_public)
    created = pd.to_datetime(users["created_at"])
    updated = pd.to_datetime(users["updated_at"])
    created_in = (created >= start) & (created < end)
    changed_in = (updated >= start) & (updated < end)
    staff = users["record_type"].isin(["STAFF", "CONTACT"])
    made = users["origin"] == "CREATED"
    conditions = [
        ("users.created-during-freeze", created_in),
        ("users.changed-during-freeze", staff & changed_in),
        ("users.staff-created-collides", staff & made & in_extract & ~at_testload),
        ("users.non-public", staff),
        ("users.public-staff-created-matched", has_staff & in_extract & made),
        ("users.public-staff-matched", has_staff & in_extract),
        ("users.public-staff-unmatched", has_staff),
    ]
    rule = pd.Series("users.public", index=users.index, dtype="object")
    decided = pd.Series(False, index=users.index)
    for rule_id, cond in conditions:
        hit = cond.fillna(False).astype(bool) & ~decided
        rule[hit] = rule_id
        decided |= hit
    clock("writing")
    out = pd.DataFrame({"record_key": users["primary_id"].fillna(""), "rule_id": rule})
    out.to_parquet(a.out, index=False)
    return clock.done()


def case_same_users(a: argparse.Namespace) -> dict[str, Any]:
    con = db.connect()
    try:
        left, right = (f"read_parquet({db.literal(str(p))})" for p in (a.left, a.right))
        diff = int(con.one(f"select count(*) from (select record_key, rule_id from {left} "
                           f"except all select record_key, rule_id from {right})"))
        rows = [int(con.one(f"select count(*) from {t}")) for t in (left, right)]
    finally:
        con.close()
    return {"same": diff == 0 and rows[0] == rows[1], "rows": rows, "differ": diff}


# -- the users reconciliation: datacompy -------------------------------------------------------

EXPECTED_USERS = """
    select lower(l.record_key) as match_key, l.record_key as primary_id,
      u.record_type,
      case when l.outcome = 'refreshed' then p.user_group else u.user_group end as user_group
    from read_parquet({ledger}) l
    join {pre_users} u on l.side = 'alma' and l.entity = 'users'
      and u.primary_id = l.record_key
    left join {patrons} p on lower(p.primary_id) = lower(u.primary_id)
    where l.outcome in ('retained', 'refreshed', 'reverted')
    union all
    select lower(l.record_key), l.record_key, 'PUBLIC', p.user_group
    from read_parquet({ledger}) l
    join {patrons} p on l.side = 'extract' and l.entity = 'patrons'
      and p.primary_id = l.record_key
    where l.outcome = 'added' and not exists (
      select 1 from read_parquet({ledger}) a join {pre_users} u2
        on a.side = 'alma' and a.entity = 'users' and u2.primary_id = a.record_key
      where lower(a.record_key) = lower(l.record_key)
        and a.outcome in ('retained', 'refreshed', 'reverted'))
"""


def case_expected_users(a: argparse.Namespace) -> dict[str, Any]:
    """Untimed preparation: the users the ledger says Alma holds after the load, and Alma's
    actual users, as two Parquet files (match_key, primary_id, record_type, user_group)."""
    con = db.connect()
    try:
        sql = EXPECTED_USERS.format(
            ledger=db.literal(str(a.run / "ledger.parquet")),
            pre_users=f"read_parquet({db.literal(str(a.data / 'freeze' / 'users.parquet'))})",
            patrons=f"read_parquet({db.literal(str(a.data / 'extract' / 'patrons.parquet'))})")
        a.out.mkdir(parents=True, exist_ok=True)
        con.execute(f"copy ({sql}) to {db.literal(str(a.out / 'expected.parquet'))} "
                    "(format parquet)")
        post = db.literal(str(a.data / "cutover" / "users.parquet"))
        con.execute(f"copy (select lower(primary_id) as match_key, primary_id, record_type, "
                    f"user_group from read_parquet({post})) to "
                    f"{db.literal(str(a.out / 'actual.parquet'))} (format parquet)")
        rows = [int(con.one(f"select count(*) from read_parquet("
                            f"{db.literal(str(a.out / n))})"))
                for n in ("expected.parquet", "actual.parquet")]
    finally:
        con.close()
    return {"rows": rows}


def case_reconcile_sql(a: argparse.Namespace) -> dict[str, Any]:
    """The same users reconciliation as one DuckDB query (for reference beside datacompy)."""
    clock = Clock()
    con = db.connect(memory_limit=a.memory_limit)
    try:
        clock("comparing")
        e, x = (f"read_parquet({db.literal(str(a.prepared / n))})"
                for n in ("expected.parquet", "actual.parquet"))
        row = con.rows(
            f"select count(*) filter (where x.match_key is null), "
            f"count(*) filter (where e.match_key is null), "
            f"count(*) filter (where e.match_key is not null and x.match_key is not null and "
            f"(e.record_type is distinct from x.record_type or e.user_group is distinct from "
            f"x.user_group)) from {e} e full join {x} x using (match_key)")[0]
    finally:
        con.close()
    return {**clock.done(), "only_expected": row[0], "only_actual": row[1],
            "mismatched": row[2]}


def case_verify(a: argparse.Namespace) -> dict[str, Any]:
    """`cutover verify --prediction RUN --post DIR [--entity E ...]` as the command runs it,
    step by step, with the counts of its users discrepancies."""
    from simulator.commands import verify

    clock = Clock()
    run = verify.run_saved(a.run, a.data / "cutover", a.out, csv_mode="never", progress=clock,
                           entities=a.entity or None, memory_limit=a.memory_limit)
    return {**clock.done(), "counts": run.summary["counts"]}


# -- the report in a browser --------------------------------------------------------------------

def case_render(a: argparse.Namespace) -> dict[str, Any]:
    """Open report.html in headless Chromium: time to load, and to open the users section."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=a.chromium, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            start = time.perf_counter()
            page.goto(a.html.as_uri(), wait_until="load")
            loaded = time.perf_counter() - start
            section = page.locator("details#alma\\.users")
            start = time.perf_counter()
            section.locator("summary").click()
            section.locator("tbody tr.record").first.wait_for()
            rows = section.locator("tbody tr.record").count()
            opened = time.perf_counter() - start
        finally:
            browser.close()
    return {"load_seconds": loaded, "open_users_seconds": opened, "rows": rows,
            "errors": errors}


# -- legacy flat files: snapshot import flat vs DuckDB's read_csv --------------------------------

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

    def timed(fn: Callable[..., Any], name: Callable[..., str]) -> Callable[..., Any]:
        def call(*args: Any, **kw: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kw)
            finally:
                add(name(*args), time.perf_counter() - start)

        return call

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
        setattr(module, attr, timed(getattr(module, attr), name))
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


CASES: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "predict": case_predict, "hand": case_hand, "profile": case_profile,
    "same-ledger": case_same_ledger,
    "users-sql": case_users_sql, "users-pandas": case_users_pandas,
    "same-users": case_same_users, "rules-interleaved": case_rules_interleaved,
    "expected-users": case_expected_users,
    "reconcile-sql": case_reconcile_sql, "render": case_render, "verify": case_verify,
    "legacy-data": case_legacy_data, "legacy-profile": case_legacy_profile,
    "offline-data": offline_circ.case_offline_data,
    "offline-profile": offline_circ.case_offline_profile,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cases")
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("--data", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--run", type=Path)
    parser.add_argument("--prepared", type=Path)
    parser.add_argument("--left", type=Path)
    parser.add_argument("--right", type=Path)
    parser.add_argument("--html", type=Path)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--rules", type=Path, action="append", default=[])
    parser.add_argument("--entity", action="append", default=[])
    parser.add_argument("--csv", default="never")
    parser.add_argument("--memory-limit", default=None)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=7)
    a = parser.parse_args(argv)
    result = CASES[a.case](a)
    sys.stdout.write(json.dumps(result, default=str) + "\n")


if __name__ == "__main__":
    main()
