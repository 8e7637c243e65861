"""`cutover generate`: a synthetic consortium that validates, predicts, and surprises verify."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from simulator import db
from simulator.cli import app
from simulator.inputs.tables import STAGE_SIDE, TABLES
from simulator.synth import generate
from simulator.synth.generate import MARKER, SNAPSHOTS

ROOT = Path(__file__).resolve().parent.parent
USERS = 3000


def cli(*args: str) -> Any:
    return CliRunner().invoke(app, ["--quiet", *args])


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generate") / "consortium"
    result = cli("generate", "--users", str(USERS), "--institutions", "3", "--seed", "11",
                 "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def con() -> Iterator[db.Connection]:
    c = db.connect()
    yield c
    c.close()


def count(con: db.Connection, path: Path) -> int:
    return int(con.one(f"select count(*) from read_parquet({db.literal(str(path))})"))


def test_writes_four_parquet_snapshots_a_scenario_and_a_manifest(data: Path) -> None:
    assert sorted(p.name for p in data.iterdir()) == sorted(
        [*SNAPSHOTS, "scenario.yaml", MARKER])
    for stage in SNAPSHOTS:
        manifest = yaml.safe_load((data / stage / "snapshot.yaml").read_text())
        assert manifest["stage"] == stage and manifest["institution"] == "CNS"
        side = STAGE_SIDE[stage]
        files = [p for p in (data / stage).iterdir() if p.suffix == ".parquet"]
        assert files and all(side in TABLES[p.stem].sides for p in files)
    meta = json.loads((data / MARKER).read_text())
    assert (meta["users"], meta["institutions"], meta["seed"]) == (USERS, 3, 11)
    assert meta["rows"]["freeze"]["users"] == USERS


@pytest.mark.parametrize("stage", SNAPSHOTS)
def test_every_snapshot_is_valid(data: Path, stage: str) -> None:
    result = cli("snapshot", "validate", str(data / stage))
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_the_shares_follow_the_profile(data: Path, con: db.Connection) -> None:
    rows = json.loads((data / MARKER).read_text())["rows"]
    assert 2.7 * USERS <= rows["freeze"]["user_roles"] <= 3.3 * USERS
    assert 0.66 * USERS <= rows["extract"]["patrons"] <= 0.74 * USERS
    assert rows["extract"]["items"] == 2 * USERS
    assert rows["extract"]["loans"] == round(0.4 * USERS)
    kinds = dict(con.rows(
        "select record_type, count(*) from read_parquet($p) group by all",
        {"p": str(data / "freeze" / "users.parquet")}))
    assert 0.01 * USERS < kinds["STAFF"] < 0.03 * USERS
    assert kinds["PUBLIC"] > 0.95 * USERS and kinds["CONTACT"] > 0
    # Three institutions: Primary IDs, libraries and role scopes carry their codes.
    insts = con.rows("select distinct left(primary_id, 3) from read_parquet($p) order by 1",
                     {"p": str(data / "freeze" / "users.parquet")})
    assert [r[0] for r in insts] == ["I01", "I02", "I03"]


def test_predict_runs_and_every_user_case_is_there(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = cli("predict", "--pre", str(data / "freeze"), "--extract", str(data / "extract"),
                 "--testload", str(data / "testload"), "--scenario", str(data / "scenario.yaml"),
                 "--out", str(out))
    assert result.exit_code == 1, result.output  # the deliberate missing vendor and location
    summary = json.loads((out / "summary.json").read_text())
    rules = {f["rule_id"] for f in summary["findings"]}
    assert {"vendors.missing-in-alma", "locations.missing-in-alma",
            "orders.vendor-missing", "patrons.staff-conversion"} <= rules
    con = db.connect()
    try:
        decided = {r[0] for r in con.rows("select distinct rule_id from read_parquet($p)",
                                          {"p": str(out / "ledger.parquet")})}
    finally:
        con.close()
    users_rules = {"users.created-during-freeze", "users.changed-during-freeze",
                   "users.non-public", "users.public-staff-created-matched",
                   "users.public-staff-matched", "users.public-staff-unmatched",
                   "users.public", "patrons.staff-conversion", "patrons.refreshes-public-staff",
                   "patrons.load", "user_roles.user-created-during-freeze",
                   "user_roles.non-public-user", "user_roles.staff-role-kept",
                   "user_roles.patron-role-refreshed", "user_roles.public-user-removed",
                   "sets.itemized", "sets.logical", "configuration.collection-link",
                   "analytics.owner-deleted", "analytics.owner-id-changed",
                   "requests.hold-shelf", "requests.unfulfilled", "loans.historical",
                   "code_tables.merged", "code_tables.source-only"}
    assert users_rules <= decided, users_rules - decided


def test_verify_finds_exactly_the_deliberate_surprises(data: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    cli("predict", "--pre", str(data / "freeze"), "--extract", str(data / "extract"),
        "--testload", str(data / "testload"), "--scenario", str(data / "scenario.yaml"),
        "--out", str(run))
    result = cli("verify", "--prediction", str(run), "--post", str(data / "cutover"),
                 "--out", str(tmp_path / "verify"))
    assert result.exit_code in (0, 1), result.output
    con = db.connect()
    try:
        found = con.rows("select distinct entity, record_key from read_parquet($p)",
                         {"p": str(tmp_path / "verify" / "discrepancies.parquet")})
    finally:
        con.close()
    keys = {k.split("|")[0].lower() for _, k in found}
    entities = {e for e, _ in found}
    meta = json.loads((data / MARKER).read_text())
    for surprise in meta["surprises"]:
        assert surprise["count"] >= 1, surprise
        for key in surprise.get("sample_keys", []):
            assert key.lower() in keys, (surprise, sorted(keys)[:20])
    # Nothing else: every discrepancy belongs to an entity with a deliberate surprise.
    assert entities <= {s["entity"] for s in meta["surprises"]} | {"patrons"}, entities


def test_the_same_seed_gives_the_same_data_another_seed_other_data(tmp_path: Path) -> None:
    a = generate.generate(tmp_path / "a", 400, 2, seed=5)
    b = generate.generate(tmp_path / "b", 400, 2, seed=5)
    generate.generate(tmp_path / "c", 400, 2, seed=6)
    assert a.rows == b.rows

    def content(folder: Path) -> list[Any]:
        con = db.connect()
        try:
            return con.rows("select * from read_parquet($p) order by all",
                            {"p": str(folder / "freeze" / "users.parquet")})
        finally:
            con.close()

    assert content(tmp_path / "a") == content(tmp_path / "b")
    assert content(tmp_path / "a") != content(tmp_path / "c")


def test_an_out_that_cannot_be_made_is_refused_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    result = cli("generate", "--users", "100", "--out", str(tmp_path / "notes.txt" / "gen"))
    assert result.exit_code == 2
    assert (f"{tmp_path / 'notes.txt' / 'gen'}: cannot write --out: {tmp_path / 'notes.txt'} "
            "is a file, not a folder; choose another --out") in result.output
    assert "Traceback" not in result.output
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_refuses_a_folder_it_did_not_write_and_replaces_one_it_did(tmp_path: Path) -> None:
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    result = cli("generate", "--users", "100", "--out", str(other))
    assert result.exit_code == 2
    assert "not a folder written by `cutover generate`" in result.output
    assert (other / "notes.txt").read_text() == "keep me"
    out = tmp_path / "gen"
    assert cli("generate", "--users", "100", "--institutions", "1", "--out", str(out)
               ).exit_code == 0
    assert cli("generate", "--users", "200", "--institutions", "1", "--out", str(out)
               ).exit_code == 0
    assert json.loads((out / MARKER).read_text())["users"] == 200


@pytest.mark.parametrize("args, message", [
    (["--users", "10"], "at least 100 users"),
    (["--institutions", "0"], "between 1 and 99 institutions"),
    (["--memory-limit", "lots"], "not a memory size"),
])
def test_bad_arguments_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = cli("generate", *args, "--out", str(tmp_path / "x"))
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "x").exists()


def test_only_simulator_db_imports_duckdb_and_no_row_loops() -> None:
    """All SQL goes through simulator.db; rows come from range() in SQL, not Python loops."""
    source = (ROOT / "simulator" / "synth" / "generate.py").read_text()
    tree = ast.parse(source)
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom)}
    assert not any(name.startswith("duckdb") for name in imported)
    assert "range($n)" in source and "executemany" not in source
