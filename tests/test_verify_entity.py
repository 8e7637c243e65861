"""`cutover verify --entity`: a run limited to some entities reports exactly what the full run
reports for them, says that it is partial, validates only the post tables it reads, and refuses
names it does not know.
"""

from __future__ import annotations

import csv
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from conftest import World, role, user, write_snapshot
from typer.testing import CliRunner, Result

from simulator.cli import app
from simulator.commands import verify
from simulator.commands.predict import predict
from simulator.core.session import Session
from simulator.errors import UserError
from simulator.inputs import bundle, reading
from simulator.synth import sample

Pair = tuple[str, str]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def invoke(args: list[str], monkeypatch: pytest.MonkeyPatch) -> Result:
    monkeypatch.setattr(sys, "argv", ["cutover", *args])
    return CliRunner().invoke(app, args)


def summary(run: verify.Run) -> dict[str, Any]:
    return dict(json.loads((run.out / "summary.json").read_text(encoding="utf-8")))


def junit_cases(run: verify.Run) -> dict[tuple[str | None, str | None], str]:
    root = ET.parse(run.out / "junit.xml").getroot()
    return {(c.get("classname"), c.get("name")): ET.tostring(c, encoding="unicode")
            for c in root.iter("testcase")}


def _sample_run(root: Path, prediction: Path, stage: str, name: str,
                entities: list[str] | None = None) -> verify.Run:
    base = sample.sample_dir()
    fulfillment = stage == "fulfillment"
    return verify.run_saved(
        prediction, base / f"post-{stage}", root / name, stage=stage,
        baseline=base / "post-cutover" if fulfillment else None,
        cutover_extract=base / "extract" if fulfillment else None,
        command=["cutover", "verify"], entities=entities)


def predicted(inputs: bundle.Inputs, out: Path) -> Path:
    """A predict run folder of `inputs`."""
    with Session(inputs) as session:
        predict(session, out, command=["cutover", "predict"])
    return out


@pytest.fixture(scope="module")
def sample_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path,
                                                                  dict[str, verify.Run]]:
    """The sample's prediction and its full verify run at each stage."""
    base = sample.sample_dir()
    root = tmp_path_factory.mktemp("entity")
    inputs = bundle.open_inputs(base / "freeze", base / "extract", base / "scenario.yaml",
                                base / "testload")
    prediction = predicted(inputs, root / "predict")
    full = {stage: _sample_run(root, prediction, stage, f"full-{stage}")
            for stage in verify.STAGES}
    return root, prediction, full


@pytest.mark.slow
@pytest.mark.parametrize(("stage", "names", "checked"), [
    ("cutover", ["users"], {("alma", "users"), ("extract", "patrons"), ("post", "users")}),
    ("cutover", ["alma.users"], {("alma", "users")}),
    ("cutover", ["user_roles"], {("alma", "user_roles"), ("post", "user_roles")}),
    ("cutover", ["configuration", "Orders"], {("alma", "configuration"),
                                              ("post", "configuration"),
                                              ("extract", "orders")}),
    ("fulfillment", ["items"], {("alma", "items"), ("extract", "items"), ("post", "items")}),
    ("golive", ["vendors", "alma.jobs"], {("alma", "vendors"), ("extract", "vendors"),
                                          ("post", "vendors"), ("alma", "jobs")}),
], ids=["users", "alma.users", "user_roles", "configuration+orders", "fulfillment-items",
        "golive-vendors+jobs"])
def test_filtered_run_reports_exactly_the_full_runs_rows(
        sample_runs: tuple[Path, Path, dict[str, verify.Run]], stage: str, names: list[str],
        checked: set[Pair]) -> None:
    root, prediction, full = sample_runs
    part = _sample_run(root, prediction, stage, f"{stage}-{'-'.join(names)}", names)
    mine, theirs = summary(part), summary(full[stage])
    assert {tuple(c.split(".")) for c in mine["scope"]["checked"]} == checked

    def kept(side: str, entity: str) -> bool:
        return (side, entity) in checked

    rows = read_csv(part.out / "discrepancies.csv")
    assert rows == [r for r in read_csv(full[stage].out / "discrepancies.csv")
                    if kept(r["side"], r["entity"])]
    assert mine["counts"] == [c for c in theirs["counts"] if kept(c["side"], c["entity"])]
    assert mine["matrix"] == [m for m in theirs["matrix"] if kept(m["side"], m["entity"])]
    assert mine["findings"] == [f for f in theirs["findings"]
                                if kept(*f["entity"].split(".", 1))]
    assert mine["actions"] == [a for a in theirs["actions"]
                               if kept(*a["entity"].split(".", 1))]
    assert junit_cases(part) == {k: v for k, v in junit_cases(full[stage]).items()
                                 if k[0] is not None and kept(*k[0].split(".", 1))}
    ledger = pq.read_table(part.out / "ledger.parquet").to_pylist()
    assert ledger == [r for r in pq.read_table(full[stage].out / "ledger.parquet").to_pylist()
                      if kept(r["side"], r["entity"])]
    assert mine["ledger"]["rows"] == len(ledger)


@pytest.mark.slow
def test_users_filter_keeps_the_samples_users_surprises(
        sample_runs: tuple[Path, Path, dict[str, verify.Run]]) -> None:
    """Not vacuous: the users run has the sample's user surprises, including the one that needs
    the user's roles (read from post user_roles) and the patron loaded into users."""
    root, prediction, _ = sample_runs
    run = _sample_run(root, prediction, "cutover", "users-again", ["users"])
    found = {(r["class"], f"{r['side']}.{r['entity']}", r["record_key"])
             for r in read_csv(run.out / "discrepancies.csv")}
    assert found == {
        ("state_mismatch", "alma.users", "P02405"),
        ("state_mismatch", "extract.patrons", "P02405"),
        ("lost_unexpectedly", "extract.patrons", "N00007"),
        ("unexpected", "post.users", "TEMP-LOADER"),
    }


@pytest.mark.slow
def test_partial_run_says_so(sample_runs: tuple[Path, Path, dict[str, verify.Run]]) -> None:
    root, prediction, full = sample_runs
    run = _sample_run(root, prediction, "cutover", "users-note", ["users"])
    note = ("Entities checked: users (alma.users, extract.patrons, post.users; filtered with "
            "--entity)")
    written = summary(run)
    assert written["scope"] == {
        "partial": True, "entities": ["users"],
        "checked": ["alma.users", "extract.patrons", "post.users"], "note": note}
    assert written["manifest"]["entity_filter"] == ["users"]
    assert summary(full["cutover"])["scope"] == {"partial": False}
    assert "entity_filter" not in summary(full["cutover"])["manifest"]
    assert f"\n{note}\n" in (run.out / "summary.md").read_text(encoding="utf-8")
    html = (run.out / "report.html").read_text(encoding="utf-8")
    assert f'<p class="meta partial" id="scope">{note}</p>' in html
    assert 'id="scope"' not in (full["cutover"].out / "report.html").read_text(encoding="utf-8")


def test_unknown_entity_is_a_usage_error(world: World, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    world.pre = {"users": [user("Staff1", "STAFF")]}
    pred = tmp_path / "predict"
    predicted(world.inputs(), pred)
    post = write_snapshot(tmp_path / "post", "cutover", {"users": [user("Staff1", "STAFF")]})
    out = tmp_path / "verify"
    result = invoke(["--quiet", "verify", "--prediction", str(pred), "--post", str(post),
                     "--out", str(out), "--entity", "users", "--entity", "user",
                     "--entity", "extract.users"], monkeypatch)
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "error --entity: unknown entities 'user' (did you mean 'users'?), "
        "'extract.users' (did you mean 'extract.orders'?); valid names: analytics_reports, "
        "authorities, citations, code_tables, collections, configuration, course_instructors, "
        "courses, forms, fund_transactions, funds, invoices, items, jobs, libraries, licenses, "
        "loans, locations, orders, parameters, patrons, reading_lists, requests, rs_partners, "
        "sets, user_identifiers, user_roles, users, vendors, webhooks; or one side of an entity: "
        "alma.NAME or extract.NAME as the ledger names it (extract.patrons), post.NAME for the "
        "rows in no input record\n"
        "1 problem; nothing was written.\n")
    assert not out.exists()


def test_only_the_post_tables_read_are_validated(world: World, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """users reads users and (for its expectations) user_roles; a bad vendors file and an empty
    sets file do not stop it, but they stop a run that reads them."""
    world.pre = {"users": [user("Staff1", "STAFF")], "user_roles": [role("Staff1", "Cataloger")],
                 "vendors": [{"code": "V1"}]}
    pred = tmp_path / "predict"
    predicted(world.inputs(), pred)
    post = write_snapshot(tmp_path / "post", "cutover", {
        "users": [user("Staff1", "STAFF")], "user_roles": [role("Staff1", "Cataloger")],
        "vendors": [{"code": "V1", "status": "ACTIF"}]})
    (post / "sets.csv").write_text("", encoding="utf-8")
    args = ["--quiet", "verify", "--prediction", str(pred), "--post", str(post)]
    ok = invoke([*args, "--out", str(tmp_path / "users"), "--entity", "users"], monkeypatch)
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.splitlines()[-3:] == [
        "Entities checked: users (alma.users, extract.patrons, post.users; filtered with "
        "--entity)",
        "Confirmed: for the entities checked, Alma holds exactly what the prediction said.",
        f"run folder: {tmp_path / 'users'}"]
    for name, problem in (
            ("vendors", f"{post / 'vendors.csv'}:2:3: column status: 'ACTIF' is not one of "
                        "ACTIVE, INACTIVE"),
            ("sets", f"{post / 'sets.csv'}:1:1: empty file: expected a header row naming the "
                     "columns")):
        out = tmp_path / name
        bad = invoke([*args, "--out", str(out), "--entity", name], monkeypatch)
        assert bad.exit_code == 2, bad.output
        assert problem in bad.stderr
        assert not out.exists()


def test_inline_prediction_with_a_filter(world: World, tmp_path: Path) -> None:
    """Predicting inline, the filtered run equals the filtered run from a saved prediction."""
    world.pre = {"users": [user("Staff1", "STAFF"), user("Pub1")],
                 "user_roles": [role("Staff1", "Cataloger")], "vendors": [{"code": "V1"}]}
    world.extract = {"patrons": [{"primary_id": "new1"}], "vendors": [{"code": "V1"}]}
    post = write_snapshot(tmp_path / "post", "cutover", {
        "users": [user("Staff1", "STAFF"), user("Pub1"), user("Extra", "STAFF")],
        "user_roles": [role("Staff1", "Cataloger")]})
    inputs = world.inputs()
    pred = tmp_path / "predict"
    predicted(inputs, pred)
    with Session(inputs) as session:
        inline = verify.run(session, post, tmp_path / "inline", entities=["users"])
    saved = verify.run_saved(pred, post, tmp_path / "saved", entities=["users"])
    rows = read_csv(inline.out / "discrepancies.csv")
    assert {(r["side"], r["entity"], r["record_key"], r["class"]) for r in rows} == {
        ("alma", "users", "Pub1", "survived_unexpectedly"),
        ("extract", "patrons", "new1", "lost_unexpectedly"),
        ("post", "users", "Extra", "unexpected")}
    assert rows == read_csv(saved.out / "discrepancies.csv")
    for key in ("counts", "matrix", "findings", "verdict", "scope"):
        assert summary(inline)[key] == summary(saved)[key], key
    assert pq.read_table(inline.out / "ledger.parquet").to_pylist() == \
        pq.read_table(saved.out / "ledger.parquet").to_pylist()


def test_unchanged_inputs_are_read_only_where_the_checked_rules_read_them(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checking users against a saved prediction reads, of the inputs predict validated, only
    what the users rules' expectations read (the extract's patrons); an input changed since
    is read and validated whole."""
    world.pre = {"users": [user("Staff1", "STAFF")], "vendors": [{"code": "V1"}]}
    world.extract = {"patrons": [{"primary_id": "new1", "user_group": "UG"}],
                     "vendors": [{"code": "V1"}]}
    inputs = world.inputs()
    pred = predicted(inputs, tmp_path / "predict")
    post = write_snapshot(tmp_path / "post", "cutover", {
        "users": [user("Staff1", "STAFF"), user("new1", user_group="UG")],
        "user_roles": [role("new1")], "vendors": [{"code": "V1"}]})
    read: dict[str, set[str]] = {}
    real = reading.attach

    def spy(con: Any, schema: str, snap: Any, side: str, tables: Any = None) -> Any:
        read.setdefault(schema, set()).update(snap.files if snap is not None else ())
        return real(con, schema, snap, side, tables)

    monkeypatch.setattr(reading, "attach", spy)
    run = verify.run_saved(pred, post, tmp_path / "v1", entities=["users"])
    assert summary(run)["counts"] == [
        {"side": "alma", "entity": "users", "class": "confirmed", "count": 1},
        {"side": "extract", "entity": "patrons", "class": "confirmed", "count": 1}]
    assert read == {"pre": set(), "extract": {"patrons"}, "testload": set(),
                    "post": {"users", "user_roles"}}
    (inputs.pre.path / "vendors.csv").write_text("code,status\nV1,SLEEPING\n", encoding="utf-8")
    read.clear()
    with pytest.raises(UserError) as e:
        verify.run_saved(pred, post, tmp_path / "v2", entities=["users"])
    assert f"{inputs.pre.path / 'vendors.csv'}:2:2: column status: 'SLEEPING' is not one of " \
           "ACTIVE, INACTIVE" in str(e.value)
    assert read["pre"] == {"users", "vendors"}
    assert not (tmp_path / "v2").exists()


def test_a_snapshot_hashes_its_files_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """verify checks the inputs against the prediction's hashes and then writes them in its own
    manifest: the same snapshot reads each file once for that; a snapshot made of some of its
    tables (`only`) reads its own files again."""
    from simulator.inputs import snapshot

    folder = write_snapshot(tmp_path / "freeze", "freeze", {"users": [user("U1")],
                                                             "user_roles": [role("U1")]})
    hashed: list[str] = []
    real = snapshot.sha256
    monkeypatch.setattr(snapshot, "sha256", lambda p: hashed.append(p.name) or real(p))
    snap = snapshot.open_snapshot(folder)
    first = snap.file_hashes()
    assert snap.file_hashes() == first and sorted(hashed) == sorted(first)
    part = snapshot.only(snap, {"users"})
    assert part.file_hashes() == {k: v for k, v in first.items() if k != "user_roles.csv"}
    assert len(hashed) == len(first) + 2  # users.csv and snapshot.yaml again
