"""The Python API (simulator.api, docs/python-api.md) on the sample: every call gives what the
command line writes (counts, findings, discrepancies, transitions), every run folder it writes
is the one `cutover` writes with the command line its manifest records, and bad input raises
one UserError with the command line's located problems."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import Demo, World, default_pack, role, user, write_snapshot
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

import simulator
from simulator.api import (
    Prediction,
    Readiness,
    Session,
    UserError,
    Verification,
    WhatIf,
    open_session,
    sample_folder,
)
from simulator.api.tables import Given
from simulator.cli import app
from simulator.errors import display_path

SAMPLE = sample_folder()


@dataclass
class Runs:
    """One API session on the sample and each call's result, shared by this module's tests."""

    session: Session
    prediction: Prediction
    verification: Verification
    readiness: Readiness
    whatif: WhatIf
    as_of: dt.date
    variants: list[Path]


def demo_summary(demo: Demo, kind: str = "") -> dict[str, Any]:
    """summary.json of the demo's predict folder, or of the one beside it (`-readiness`...)."""
    folder = demo.out.parent / (demo.out.name + (f"-{kind}" if kind else ""))
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def runs(sample_demo: Demo) -> Iterator[Runs]:
    as_of = dt.date.fromisoformat(demo_summary(sample_demo, "readiness")["manifest"]["as_of"])
    variants = sorted((SAMPLE / "variants").glob("*.yaml"))
    with open_session(SAMPLE / "freeze", SAMPLE / "extract", SAMPLE / "scenario.yaml",
                      testload=SAMPLE / "testload") as session:
        yield Runs(session, session.predict(), session.verify(SAMPLE / "post-cutover"),
                   session.readiness(waivers=SAMPLE / "waivers.yaml", as_of=as_of),
                   session.whatif(variants), as_of, variants)


def records(relation: Any) -> list[dict[str, Any]]:
    """A relation's rows as dicts, through pandas (as a notebook reads them)."""
    frame = relation.df()
    return [{k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in row.items()}
            for row in frame.to_dict("records")]


# -- every call gives what the command line writes ------------------------------------------------

def test_predict_gives_the_demo_predictions_counts_and_findings(runs: Runs,
                                                                 sample_demo: Demo) -> None:
    summary = demo_summary(sample_demo)
    p = runs.prediction
    assert records(p.counts) == summary["counts"]
    assert [(f["id"], f["severity"], f["count"], f["sample_keys"]) for f in records(p.findings)] \
        == [(f["id"], f["severity"], f["count"], f["sample_keys"]) for f in summary["findings"]]
    assert (p.records, p.blockers, p.warnings) == (summary["ledger"]["rows"], 3, 13)
    assert p.verdict == summary["verdict"]


def test_the_prediction_ledger_is_the_demo_ledger(runs: Runs, sample_demo: Demo) -> None:
    ledger = runs.prediction.ledger.order("side, entity, record_key")
    written = runs.session.sql(
        f"select * from read_parquet('{sample_demo.out / 'ledger.parquet'}')")
    assert ledger.columns == written.columns
    assert ledger.fetchall() == written.fetchall()
    assert ledger.to_arrow_table().num_rows == 18562


def test_explain_decides_as_the_ledger_says(runs: Runs) -> None:
    [ex] = runs.session.explain("users", "P00011")
    assert (ex.entity, ex.record_key, ex.decision, ex.outcome) == \
        ("alma.users", "P00011", "users.public", "removed")
    steps = records(ex.rules)
    assert [s["step"] for s in steps] == list(range(1, 9))
    assert [s["rule_id"] for s in steps if s["decides"]] == ["users.public"]
    [(rule, outcome)] = runs.prediction.ledger.filter(
        "entity = 'users' and record_key = 'P00011'").select("rule_id, outcome").fetchall()
    assert (rule, outcome) == (ex.decision, ex.outcome)


def test_verify_gives_the_demo_verification(runs: Runs, sample_demo: Demo) -> None:
    summary = demo_summary(sample_demo, "verify-cutover")
    v = runs.verification
    folder = sample_demo.out.parent / f"{sample_demo.out.name}-verify-cutover"
    written = runs.session.sql(
        f"select * from read_parquet('{folder / 'discrepancies.parquet'}')").fetchall()
    assert v.discrepancies.fetchall() == written
    assert len(written) == 8
    assert records(v.counts) == summary["counts"]
    assert [(f["id"], f["severity"], f["count"], f["class"], f["budget"])
            for f in records(v.findings)] == \
        [(f["id"], f["severity"], f["count"], f["class"], f["budget"])
         for f in summary["findings"]]
    assert (v.verdict, v.failed, v.stage) == (summary["verdict"], True, "cutover")
    assert v.ledger.count("*").fetchall() == [(18562,)]


def test_readiness_gives_the_demo_review(runs: Runs, sample_demo: Demo) -> None:
    summary = demo_summary(sample_demo, "readiness")
    r = runs.readiness
    assert [(f["id"], f["severity"], f["area"], f["count"], f["unwaived"], f["status"])
            for f in records(r.findings)] == \
        [(f["id"], f["severity"], f["area"], f["count"], f["unwaived"], f["status"])
         for f in summary["findings"]]
    folder = sample_demo.out.parent / f"{sample_demo.out.name}-readiness"
    with (folder / "findings.csv").open(encoding="utf-8", newline="") as f:
        listed = [(row["finding_id"], row["entity"]) for row in csv.DictReader(f)]
    assert r.records.select("finding_id, entity").fetchall() == listed
    assert len(listed) == 470
    assert {s.pop("area"): s for s in records(r.scores)} == summary["scores"]
    assert [e["id"] for e in records(r.runbook)] == [e["id"] for e in summary["runbook"]]
    assert (r.verdict, r.open_blockers, r.as_of) == (summary["verdict"], 2, runs.as_of)
    assert r.notes == summary["notes"]


def test_whatif_gives_the_demo_transitions(runs: Runs, sample_demo: Demo) -> None:
    summary = demo_summary(sample_demo, "whatif")
    w = runs.whatif
    assert w.variants == ["convert-staff", "later-freeze", "retain-funds"]
    assert records(w.totals) == [
        {"variant": v["name"], **v["transitions"], "new_blockers": v["new_blockers"],
         "cleared_blockers": v["cleared_blockers"]} for v in summary["variants"]]
    assert w.transitions.count("*").fetchall() == [(summary["transitions"]["rows"],)]
    assert w.transitions.count("*").fetchall() == [(929,)]
    for run in [summary["base"], *summary["variants"]]:
        assert records(w.counts.filter(f"variant = '{run['name']}'").select(
            "side, entity, outcome, count")) == run["counts"]
        assert [f["id"] for f in records(w.findings.filter(f"variant = '{run['name']}'"))] \
            == [f["id"] for f in run["findings"]]
    assert w.ledger("retain-funds").count("*").fetchall() == [(18562,)]
    assert w.ledger().fetchall() == runs.prediction.ledger.fetchall()


def test_an_unknown_variant_ledger_is_named(runs: Runs) -> None:
    with pytest.raises(UserError) as e:
        runs.whatif.ledger("retain-fund")
    assert str(e.value) == ("variant: 'retain-fund' is not a variant of this run (known: base, "
                            "convert-staff, later-freeze, retain-funds) (did you mean "
                            "'retain-funds'?)")


# -- the run folders are the command line's -------------------------------------------------------

def contents(folder: Path) -> dict[str, bytes]:
    """Every file of a run folder, its run's timestamp (ISO, and compact in runbook.ics)
    replaced, so two runs of the same inputs compare equal."""
    stamp = json.loads((folder / "summary.json").read_text(encoding="utf-8"))["manifest"][
        "timestamp"]
    compact = re.sub(r"[-:]", "", stamp.removesuffix("+00:00")) + "Z"
    return {p.relative_to(folder).as_posix():
            p.read_bytes().replace(stamp.encode(), b"TIME").replace(compact.encode(), b"TIME")
            for p in sorted(folder.rglob("*")) if p.is_file()}


def cutover(command: list[str], monkeypatch: pytest.MonkeyPatch) -> Result:
    """`command` (`cutover ...`) run by the command line, recording it as its own."""
    monkeypatch.setattr(sys, "argv", command)
    return CliRunner().invoke(app, ["--quiet", *command[1:]])


@pytest.mark.parametrize(("kind", "code"), [("prediction", 1), ("verification", 1),
                                            ("readiness", 1), ("whatif", 0)])
def test_a_written_folder_is_the_one_its_recorded_command_writes(
        runs: Runs, kind: str, code: int, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "run"
    assert getattr(runs, kind).write(out) == out
    by_api = out.rename(tmp_path / "api")
    command = json.loads((by_api / "summary.json").read_text(encoding="utf-8"))["manifest"][
        "command"]
    assert command[:2] == ["cutover", {"prediction": "predict", "verification": "verify"}.get(
        kind, kind)]
    result = cutover(command, monkeypatch)
    assert result.exit_code == code, result.output
    api, cli = contents(by_api), contents(out)
    assert sorted(api) == sorted(cli)
    assert [name for name in api if api[name] != cli[name]] == []


def test_the_recorded_commands_name_every_input_and_option(runs: Runs, tmp_path: Path) -> None:
    inputs = ["--pre", str(SAMPLE / "freeze"), "--extract", str(SAMPLE / "extract"),
              "--scenario", str(SAMPLE / "scenario.yaml"), "--testload", str(SAMPLE / "testload")]
    out = tmp_path / "r"
    runs.readiness.write(out, csv="never", show_pii=True)
    assert json.loads((out / "summary.json").read_text())["manifest"]["command"] == [
        "cutover", "readiness", *inputs, "--waivers", str(SAMPLE / "waivers.yaml"),
        "--as-of", runs.as_of.isoformat(), "--csv", "never", "--show-pii", "--out", str(out)]
    assert not (out / "ledger.csv").exists()
    runs.whatif.write(tmp_path / "w", csv="always")
    assert json.loads((tmp_path / "w" / "summary.json").read_text())["manifest"]["command"] == [
        "cutover", "whatif", *inputs, *(a for v in runs.variants for a in ("--variant", str(v))),
        "--csv", "always", "--out", str(tmp_path / "w")]


def test_verify_options_are_recorded(world: World, tmp_path: Path) -> None:
    world.pre = {"users": [user("u1")], "user_roles": [role("u1")]}
    pre, extract, scenario, _ = world.write()
    post = write_snapshot(tmp_path / "post", "golive", {"users": [user("u1")]})
    budgets = tmp_path / "budgets.yaml"
    budgets.write_text("budgets: []\n", encoding="utf-8")
    with open_session(pre, extract, scenario, memory_limit="1GB") as session:
        v = session.verify(post, stage="golive", budgets=budgets, entities=["users"])
        v.write(tmp_path / "v")
    assert json.loads((tmp_path / "v" / "summary.json").read_text())["manifest"]["command"] == [
        "cutover", "verify", "--pre", str(pre), "--extract", str(extract), "--scenario",
        str(scenario), "--memory-limit", "1GB", "--post", str(post), "--stage", "golive",
        "--budgets", str(budgets), "--entity", "users", "--out", str(tmp_path / "v")]


# -- results stay what they were; a stale one is not written --------------------------------------

def tiny(world: World, tmp_path: Path) -> tuple[Session, Path, Path]:
    """A session over a tiny institution, and two post snapshots: one with its user, one
    without (a discrepancy)."""
    world.pre = {"users": [user("u1"), user("u2", "STAFF")],
                 "user_roles": [role("u1"), role("u2")]}
    pre, extract, scenario, _ = world.write()
    kept = write_snapshot(tmp_path / "post-kept", "cutover",
                          {"users": [user("u2", "STAFF")], "user_roles": [role("u2")]})
    lost = write_snapshot(tmp_path / "post-lost", "cutover", {})
    return open_session(pre, extract, scenario), kept, lost


def test_a_later_verify_leaves_an_earlier_result_as_it_was(world: World, tmp_path: Path) -> None:
    session, kept, lost = tiny(world, tmp_path)
    with session:
        first = session.verify(kept)
        discrepancies = first.discrepancies
        second = session.verify(lost)
        assert discrepancies.fetchall() == first.discrepancies.fetchall() == []
        assert second.discrepancies.select("entity, record_key, class").fetchall() == [
            ("user_roles", "u2|Patron|TST", "lost_unexpectedly"),
            ("users", "u2", "lost_unexpectedly")]
        with pytest.raises(UserError) as e:
            first.write(tmp_path / "out")
        assert str(e.value) == (
            "a later verify() on this session replaced the tables this result is "
            "written from: write a result before the next verify(), or call verify() again")
        assert not (tmp_path / "out").exists()
        assert second.write(tmp_path / "out") == tmp_path / "out"


def test_a_later_readiness_makes_an_earlier_one_unwritable(world: World, tmp_path: Path) -> None:
    session, _, _ = tiny(world, tmp_path)
    with session:
        first = session.readiness(as_of="2026-03-01")
        session.readiness(as_of=dt.date(2026, 3, 1))
        with pytest.raises(UserError, match=r"a later readiness\(\) on this session"):
            first.write(tmp_path / "out")


def test_a_closed_session_refuses_calls_and_writes(world: World, tmp_path: Path) -> None:
    session, _, _ = tiny(world, tmp_path)
    with session:
        prediction = session.predict()
    for call in (session.predict, lambda: prediction.write(tmp_path / "out")):
        with pytest.raises(UserError) as e:
            call()
        assert str(e.value) == "the session is closed: open a new one"


# -- bad input: the command line's problems, raised once ------------------------------------------

def problems_of_cli(result: Result) -> list[str]:
    assert result.exit_code == 2, result.output
    return [line.removeprefix("error ") for line in result.stderr.splitlines()
            if line.startswith("error ")]


def test_bad_inputs_raise_the_command_lines_problems(world: World, tmp_path: Path) -> None:
    world.pre = {"users": [user("u1")]}
    pre, extract, scenario, _ = world.write()
    scenario.write_text(scenario.read_text() + "optionz: {}\n", encoding="utf-8")
    with pytest.raises(UserError) as e:
        open_session(pre, tmp_path / "nowhere", scenario)
    cli = CliRunner().invoke(app, ["--quiet", "predict", "--pre", str(pre), "--extract",
                                   str(tmp_path / "nowhere"), "--scenario", str(scenario),
                                   "--out", str(tmp_path / "run")])
    assert [str(p) for p in e.value.problems] == problems_of_cli(cli)
    assert len(e.value.problems) == 2
    assert re.match(r".*scenario\.yaml:\d+:1: unknown key 'optionz'", str(e.value.problems[1]))
    assert str(e.value) == "\n".join(str(p) for p in e.value.problems)


def test_a_bad_variant_raises_its_located_problem(world: World, tmp_path: Path) -> None:
    world.pre = {"users": [user("u1")]}
    pre, extract, scenario, _ = world.write()
    variant = tmp_path / "v.yaml"
    variant.write_text("name: v\nassume:\n  - {entity: userz, delete: true}\n", encoding="utf-8")
    with open_session(pre, extract, scenario) as session, pytest.raises(UserError) as e:
        session.whatif([variant])
    cli = CliRunner().invoke(app, ["--quiet", "whatif", "--pre", str(pre), "--extract",
                                   str(extract), "--scenario", str(scenario), "--variant",
                                   str(variant), "--out", str(tmp_path / "w")])
    assert [str(p) for p in e.value.problems] == problems_of_cli(cli)
    assert str(e.value).startswith(f"{variant}:3:")


@pytest.mark.parametrize(("call", "message"), [
    (lambda s, t: s.explain("userz", "u1"), "ENTITY: unknown entity 'userz' (known: {known})"),
    (lambda s, t: s.explain("users", "nobody"),
     "KEY: no alma.users record with key 'nobody' (compared ignoring letter case)"),
    (lambda s, t: s.verify(t / "no-post"), "{t}/no-post: snapshot folder not found (--post)"),
    (lambda s, t: s.verify(t / "no-post", stage="later"),
     "--stage: must be one of cutover, fulfillment, golive, not 'later'"),
    (lambda s, t: s.readiness(as_of="March"),
     "--as-of: 'March' is not an ISO date (YYYY-MM-DD)"),
    (lambda s, t: s.whatif([]), "variants: give at least one variant file"),
    (lambda s, t: s.predict().write(t / "run", csv="sometimes"),
     "csv: must be one of auto, always, never, not 'sometimes'"),
    (lambda s, t: s.predict().write(t / "freeze" / "run"),
     "{t}/freeze/run: --out is inside the input folder {t}/freeze (--pre): choose a folder "
     "outside the inputs"),
])
def test_a_mistake_raises_one_user_error(world: World, tmp_path: Path, call: Any,
                                         message: str) -> None:
    world.pre = {"users": [user("u1")]}
    with open_session(*world.write()[:3]) as session:
        with pytest.raises(UserError) as e:
            call(session, tmp_path)
        known = ", ".join(sorted({x.id for x in default_pack().entities.values()}))
        assert str(e.value) == message.format(t=display_path(tmp_path), known=known)
        assert len(e.value.problems) == 1
        assert not (tmp_path / "run").exists()


def test_a_bad_memory_limit_is_refused_before_anything_opens(tmp_path: Path) -> None:
    with pytest.raises(UserError) as e:
        open_session(tmp_path / "a", tmp_path / "b", tmp_path / "c", memory_limit="lots")
    assert str(e.value) == ("memory_limit: 'lots' is not a memory size (write e.g. "
                            "1GB, 512MB or 1.5GiB)")


# -- the package ----------------------------------------------------------------------------------

def test_importing_simulator_stays_cheap_and_the_api_is_there_when_used() -> None:
    code = ("import sys, simulator; assert 'duckdb' not in sys.modules, 'duckdb'; "
            "assert 'simulator.api' not in sys.modules; "
            "f = simulator.open_session; assert 'simulator.api' in sys.modules; "
            "print(f.__module__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "simulator.api.session\n", "")


def test_the_public_names_are_the_apis() -> None:
    from simulator import api

    assert simulator.__all__ == api.__all__
    assert simulator.UserError is UserError
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        simulator.nothing  # noqa: B018
    assert set(api.__all__) <= set(dir(simulator))


# -- the recorded command line parses back to the values given ------------------------------------

paths = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)),
                min_size=1, max_size=12).map(Path)


@settings(max_examples=60, deadline=None)
@given(pre=paths, extract=paths, scenario=paths, testload=st.none() | paths,
       rules=st.lists(paths, max_size=3), memory_limit=st.none() | st.sampled_from(
           ["1GB", "512MB", "1.5GiB"]), out=paths,
       csv=st.none() | st.sampled_from(["always", "never"]), show_pii=st.booleans())
def test_a_recorded_command_line_parses_back_to_its_values(
        pre: Path, extract: Path, scenario: Path, testload: Path | None, rules: list[Path],
        memory_limit: str | None, out: Path, csv: str | None, show_pii: bool) -> None:
    from typer.main import get_command

    command = Given(pre, extract, scenario, testload, tuple(rules), memory_limit).command(
        "predict", ("--csv", csv), ("--show-pii", show_pii), ("--out", out))
    assert command[:2] == ["cutover", "predict"]
    predict = get_command(app).commands["predict"]
    params = predict.make_context("predict", command[2:]).params
    params["rules"] = list(params["rules"])
    assert {k: params[k] for k in ("pre", "extract", "scenario", "testload", "rules",
                                   "memory_limit", "out", "csv", "show_pii")} == {
        "pre": pre, "extract": extract, "scenario": scenario, "testload": testload,
        "rules": rules, "memory_limit": memory_limit, "out": out,
        "csv": csv or "auto", "show_pii": show_pii}
