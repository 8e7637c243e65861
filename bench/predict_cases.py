"""The cases of predict at scale: predict as the command runs it, its hand-written twin
(bench/hand_predict.sql) and the check that their ledgers are equal, predict taken apart by the
profile, and its report.html opened in headless Chromium."""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.case_kit import Clock, attach_views, open_data
from simulator import db
from simulator.core import engine
from simulator.output.sampling import ROWS_PER_ENTITY
from simulator.rules import compile as rc
from simulator.rules.loader import load_pack

HAND_SQL = Path(__file__).resolve().parent / "hand_predict.sql"


def case_predict(a: argparse.Namespace) -> dict[str, Any]:
    """`cutover predict` as the command runs it (library call; --csv never at scale)."""
    from simulator.commands.predict import predict
    from simulator.core.session import Session

    clock = Clock()
    clock("opening inputs")
    with Session(open_data(a.data), a.rules or None, a.memory_limit, clock) as session:
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
    inputs = open_data(a.data)
    pack = load_pack()
    con = db.connect(memory_limit=a.memory_limit)
    try:
        clock("attaching")
        attach_views(con, inputs)
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

    inputs = open_data(a.data)
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
        timed("attach (views; every value decoded once)", lambda: attach_views(con, inputs))
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
