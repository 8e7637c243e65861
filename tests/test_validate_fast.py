"""Validation's fast path: one pandera check (one query) per valid table, and the check-by-check
fallback that reports every problem of a table that fails."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import db
from simulator.inputs import reading, snapshot, validate

ROOT = Path(__file__).resolve().parent.parent

ROW = "2026-02-01T10:00:00"
MANIFEST = "format_version: 1\ninstitution: TST\nstage: freeze\ntaken_at: 2026-03-02T07:00:00Z\n"
USERS = ("primary_id,record_type,account_type,status,origin,internal_id,created_at,updated_at\n"
         f"JSmith,PUBLIC,INTERNAL,ACTIVE,MIGRATED,I-1,{ROW},{ROW}\n"
         f"S1,STAFF,INTERNAL,ACTIVE,MIGRATED,I-2,{ROW},{ROW}\n")
ROLES = "primary_id,role_type,scope,status\nJSmith,Patron,TST,ACTIVE\nS1,Cataloger,TST,ACTIVE\n"
VALID = {
    "users.csv": USERS,
    "user_roles.csv": ROLES,
    "items.csv": "barcode,library_code,loan_count\nB1,MAIN,3\nB2,MAIN,0\n",
    "libraries.csv": "code,name\nMAIN,Main\nLAW,Law\n",
    "vendors.csv": "code,name,status,email\n",  # no rows
}
# users: 2 required, 4 domain, 2 timestamp checks and the key; user_roles: 2 required, 1 domain,
# the key and the reference to users; items: 1 required, 1 whole number and the key; libraries:
# 1 required and the key; vendors: 1 required, 1 domain and the key.
CHECKS = 9 + 5 + 3 + 2 + 3


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # messages name freeze/<file>
    return tmp_path / "freeze"


def _write(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "snapshot.yaml").write_text(MANIFEST, encoding="utf-8")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


@contextmanager
def _attached(folder: Path) -> Iterator[tuple[db.Connection, snapshot.Snapshot]]:
    snap = snapshot.open_snapshot(folder)
    con = db.connect()
    try:
        assert reading.attach(con, "pre", snap, snap.side) == []
        yield con, snap
    finally:
        con.close()


def _problems(folder: Path) -> list[str]:
    with _attached(folder) as (con, snap):
        return [str(p) for p in sorted(validate.validate(con, "pre", snap))]


def _queries(folder: Path) -> list[str]:
    """The data queries validation sends to DuckDB, from DuckDB's own query log (without the
    `describe` of each view and the settings)."""
    with _attached(folder) as (con, snap):
        con.execute("call enable_logging('QueryLog')")
        assert validate.validate(con, "pre", snap) == []
        logged = con.rows("select message from duckdb_logs where type = 'QueryLog'")
    skip = ("describe", "set ", "call ", "pragma")
    return [m for (m,) in logged if not m.lstrip().lower().startswith(skip)]


def test_valid_tables_have_no_problems(folder: Path) -> None:
    _write(folder, VALID)
    assert _problems(folder) == []


def test_a_valid_table_costs_one_query_whatever_its_checks(folder: Path) -> None:
    """One query per table, not one per check (pandera's way: a scan of the file each)."""
    _write(folder, VALID)
    queries = _queries(folder)
    assert len(queries) == len(VALID), queries
    assert len(VALID) < CHECKS


def test_many_problems_of_one_table_are_each_reported(folder: Path) -> None:
    """The fallback reports every failing check of a table, as the per-check schema does."""
    users = USERS + (f",PUBLIC,INTERNAL,ACTIVE,MIGRATED,I-3,{ROW},{ROW}\n"
                     f"S2,PUBLICK,INTERNAL,ACTIVE,MIGRATED,I-4,{ROW},{ROW}\n"
                     f"jsmith,STAFF,INTERNAL,ACTIVE,CREATED,I-5,yesterday,{ROW}\n")
    roles = ROLES + "ghost,Cataloger,TST,ACTIVE\njsmith,Patron,TST,GONE\n"
    _write(folder, {**VALID, "users.csv": users, "user_roles.csv": roles})
    assert _problems(folder) == [
        "freeze/user_roles.csv:4:1: column primary_id: 'ghost' is not a primary_id present in "
        "users (users.csv)",
        "freeze/user_roles.csv:5:1: column primary_id: 'jsmith|Patron|TST' is not a unique key "
        "(primary_id|role_type|scope): row 2 has 'JSmith|Patron|TST' (Primary IDs match "
        "ignoring letter case)",
        "freeze/user_roles.csv:5:4: column status: 'GONE' is not one of ACTIVE, INACTIVE, NEW",
        "freeze/users.csv:4:1: column primary_id: no value, but the column is required",
        "freeze/users.csv:5:2: column record_type: 'PUBLICK' is not one of PUBLIC, STAFF, "
        "CONTACT (did you mean 'PUBLIC'?)",
        "freeze/users.csv:6:1: column primary_id: 'jsmith' is not a unique key (primary_id): "
        "row 2 has 'JSmith' (Primary IDs match ignoring letter case)",
        "freeze/users.csv:6:7: column created_at: 'yesterday' is not an ISO date or timestamp "
        "(YYYY-MM-DD[THH:MM:SS])",
    ]


def test_a_missing_column_and_more_rows_than_listed_are_reported_as_before(folder: Path) -> None:
    items = "barcode,loan_count\nB1,3\nB1,abc\n" + "".join(f"B{n},x\n" for n in range(2, 23))
    roles = "primary_id,scope,status\nJSmith,TST,ACTIVE\nghost,TST,ACTIVE\n"
    _write(folder, {**VALID, "items.csv": items, "user_roles.csv": roles})
    listed = [f"freeze/items.csv:{n}:2: column loan_count: 'x' is not a whole number"
              for n in range(4, 4 + validate.MAX_CASES - 1)]
    assert _problems(folder) == [  # in file, row, column order
        "freeze/items.csv: column loan_count: only the first 20 rows failing 'a whole number' "
        "are listed",
        "freeze/items.csv:3:1: column barcode: 'B1' is not a unique key (barcode): row 2 has "
        "'B1'",
        "freeze/items.csv:3:2: column loan_count: 'abc' is not a whole number",
        *listed,
        "freeze/user_roles.csv:1:1: missing required column 'role_type' (the header has: "
        "primary_id, scope, status)",
        "freeze/user_roles.csv:3:1: column primary_id: 'ghost' is not a primary_id present in "
        "users (users.csv)",
    ]


TEXT = {"primary_id", "record_type", "account_type", "status", "origin", "internal_id"}


def _parquet_users(folder: Path, created_at: str) -> None:
    """users.parquet with `created_at` as the SQL expression given (from the CSV's text)."""
    _write(folder, {**VALID, "users.csv": USERS})
    con = db.connect()
    try:
        source = db.literal(str(folder / "users.csv"))
        con.execute(f"copy (select * replace ({created_at} as created_at) from read_csv("
                    f"{source}, all_varchar = true)) to "
                    f"{db.literal(str(folder / 'users.parquet'))} (format parquet)")
    finally:
        con.close()
    (folder / "users.csv").unlink()


def test_parquet_columns_of_the_catalogues_type_are_read_as_they_are(folder: Path) -> None:
    """A TIMESTAMP column needs no type check and no trip through text: its typed view reads
    the file, and validation checks the other columns only."""
    _parquet_users(folder, "cast(created_at as timestamp)")
    with _attached(folder) as (con, snap):
        assert snap.files["users"].native == {"created_at", *TEXT}  # updated_at is text
        view = con.one("select sql from duckdb_views() where schema_name = 'pre' "
                       "and view_name = 'users'")
        assert "read_parquet" in view and "raw_pre" not in view
        assert con.rows("select primary_id, created_at from pre.users order by _row") == [
            ("JSmith", dt.datetime(2026, 2, 1, 10)), ("S1", dt.datetime(2026, 2, 1, 10))]
        checks, _ = validate._checks(snap.files["users"], list(snap.files["users"].header), snap,
                                     lambda t: None, "raw_pre")
        assert [c.column for c in checks if c.kind == "value"] == ["updated_at"]
        assert validate.validate(con, "pre", snap) == []


@pytest.mark.parametrize("created_at", [
    "'yesterday'",  # text in the file: checked as in a CSV file
    "cast(created_at as timestamptz)",  # another type: read through text, as before
])
def test_parquet_columns_of_another_type_are_checked_through_text(folder: Path,
                                                                   created_at: str) -> None:
    _parquet_users(folder, created_at)
    with _attached(folder) as (con, snap):
        assert snap.files["users"].native == TEXT
        problems = [str(p) for p in validate.validate(con, "pre", snap)]
    if created_at == "'yesterday'":
        assert problems == [
            f"freeze/users.parquet:{row}:7: column created_at: 'yesterday' is not an ISO date "
            "or timestamp (YYYY-MM-DD[THH:MM:SS])" for row in (1, 2)]  # no header row
    else:
        assert problems == []


def test_valid_snapshots_never_import_pandera_or_ibis(folder: Path) -> None:
    """pandera, pandas and ibis are loaded only to report a failing table: a fresh process
    validating good files does without them, one with a bad file uses them."""
    _write(folder, VALID)
    script = ("import pathlib, sys; from simulator.inputs import reading, snapshot, validate; "
              "from simulator import db; s = snapshot.open_snapshot(pathlib.Path(sys.argv[1])); "
              "c = db.connect(); reading.attach(c, 'pre', s, s.side); "
              "n = len(validate.validate(c, 'pre', s)); "
              "print(n, *(m in sys.modules for m in ('pandera', 'pandas', 'ibis')))")
    run = [sys.executable, "-c", script, str(folder)]
    assert subprocess.run(run, capture_output=True, text=True, check=True,
                          cwd=ROOT).stdout.split() == ["0", "False", "False", "False"]
    _write(folder, {**VALID, "libraries.csv": "code,name\nMAIN,Main\nMAIN,Law\n"})
    assert subprocess.run(run, capture_output=True, text=True, check=True,
                          cwd=ROOT).stdout.split() == ["1", "True", "True", "True"]


# Key values that are equal, equal but for letter case, blank in each of the ways the required
# check knows (space, tab, line ends, vertical tab, form feed), or absent (None: an empty field);
# and text whose first character is below or just above the space.
KEYS = st.sampled_from(["a", "A", " a", "a ", "b", "\u00e9", "\u00c9", "", " ", "\t", "\r\n",
                        "\x0b", "\x0c ", "\x1fa", "!", None])


def _csv_text(header: list[str], rows: list[list[str | None]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return out.getvalue()


def _as_parquet(folder: Path) -> None:
    """The snapshot's CSV files as Parquet files of the same values (read as the CSV reader
    reads them): the verdict of a Parquet table judges required values by statistics."""
    with _attached(folder) as (con, snap):
        for name, tf in snap.files.items():
            columns = ", ".join(f'"{h}"' for h in tf.header)
            con.execute(f"copy (select {columns} from raw_pre.{name} order by _row) "
                        f"to '{tf.path.with_suffix('.parquet')}' (format parquet)")
            tf.path.unlink()


def _verdicts(folder: Path) -> dict[str, tuple[bool, bool | None]]:
    """Each table's verdict, and whether the check-by-check validation finds nothing (None:
    not asked, for Parquet files, whose check-by-check validation reads the same raw view)."""
    out = {}
    with _attached(folder) as (con, snap), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # as validate.validate does
        backend = ibis.duckdb.from_connection(con.raw)

        def table_of(t: str) -> Any:
            return backend.table(t, database="raw_pre")

        for name in ("users", "user_roles"):
            tf = snap.files[name]
            header = [h for h in con.columns(f"raw_pre.{name}") if h != "_row"]
            checks, _ = validate._checks(tf, header, snap, table_of, "raw_pre")
            verdict = validate._valid(con, f"raw_pre.{name}", header, checks, tf.table,
                                      parquet=tf.format == "parquet")
            clean = None if tf.format == "parquet" else not validate._failed(
                con, "raw_pre", tf, checks, table_of(name))
            out[name] = (verdict, clean)
    return out


@settings(max_examples=40, deadline=None)
@given(ids=st.lists(KEYS, max_size=6), roles=st.lists(st.tuples(KEYS, KEYS), max_size=6))
def test_the_verdict_is_true_exactly_when_no_check_fails(ids: list[str | None],
                                                         roles: list[tuple[str | None, ...]],
                                                         ) -> None:
    """The one-query verdict (hashed keys, blank by search, required values of a Parquet file
    by its statistics) against the check-by-check validation that names each problem: a table
    passes the first exactly when the second finds nothing, for keys of one column and of
    three, blank in every way, and equal ignoring case; as CSV and as Parquet, alike."""
    users = [[pid, "PUBLIC", "INTERNAL", "ACTIVE", "MIGRATED", "I", ROW, ROW] for pid in ids]
    user_roles = [[pid, role, "TST", "ACTIVE"] for pid, role in roles]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "freeze"
        _write(folder, {"users.csv": _csv_text(USERS.split("\n")[0].split(","), users),
                        "user_roles.csv": _csv_text(["primary_id", "role_type", "scope",
                                                     "status"], user_roles)})
        as_csv = _verdicts(folder)
        _as_parquet(folder)
        as_parquet = _verdicts(folder)
    for name, (verdict, clean) in as_csv.items():
        assert verdict == clean, name
        assert as_parquet[name][0] == verdict, name


def test_keys_that_only_hash_alike_cost_a_slower_run_not_a_wrong_one(
        folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A verdict that fails for no reason (as two keys of the same hash would make it) sends
    the table to the check-by-check validation, which compares the keys themselves."""
    _write(folder, VALID)
    unique = validate._unique
    monkeypatch.setattr(validate, "_unique", lambda t, low: (unique(t, low)[0], "false"))
    assert _problems(folder) == []


@given(value=st.text(alphabet=" \t\n\r\x0b\x0c\x1fa\u00e9\u3000", max_size=5))
@settings(max_examples=60, deadline=None)
def test_a_required_value_is_blank_when_it_holds_only_what_strip_removes(value: str) -> None:
    """The required check searches for a character outside ibis's trim set instead of trimming;
    both agree on every mix of those characters with others (a unit separator and an
    ideographic space are not blank to either)."""
    import ibis

    t = ibis.table({"v": "string"}, name="t")
    sql = ibis.to_sql(t.select(searched=validate._has_text(t.v), trimmed=t.v.strip() != ""),
                      dialect="duckdb")
    con = db.connect()
    try:
        con.execute("create table t as select cast($v as varchar) as v", {"v": value})
        assert con.rows(sql) == [(value.strip(" \t\n\r\x0b\x0c") != "",) * 2]
    finally:
        con.close()


@pytest.mark.parametrize("col_type", ["int", "decimal", "bool", "timestamp"])
@given(value=st.one_of(st.none(), st.sampled_from(
    ["1", " 2 ", "-3", "+4", "1.5", "0x10", "1e3", "abc", "", "true", "f", "yes", "2026-02-01",
     "2026-02-01T10:00:00", "2026-02-30", "99999999999999999999"]), st.text(max_size=6)))
@settings(max_examples=40, deadline=None)
def test_a_typed_check_says_the_same_in_its_sql_and_in_ibis(col_type: str,
                                                            value: str | None) -> None:
    """The verdict's SQL of a type check and the ibis expression pandera reports with agree on
    every value (a whole number is digits only: DuckDB casts '1.5' to 2)."""
    fn, sql = validate._typed("v", col_type)
    t = ibis.table({"v": "string"}, name="t")
    ibis_sql = ibis.to_sql(t.select(ok=fn(t)["v"]), dialect="duckdb")
    con = db.connect()
    try:
        con.execute("create table t as select cast($v as varchar) as v", {"v": value})
        assert con.rows(f"select {sql} from t") == con.rows(ibis_sql)
    finally:
        con.close()
