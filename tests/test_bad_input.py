"""Bad input (docs/formats/snapshots.md and docs/formats/exit-codes.md): every class gives its
exact located message, exit 2, no run folder, untouched inputs; the tolerated oddities (BOM,
CRLF, quoted newlines, header-only files, absent tables, stray files, Parquet) are read as data."""

from __future__ import annotations

import hashlib
import re
import string
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from simulator import db
from simulator.cli import app
from simulator.errors import Problem
from simulator.inputs import reading, snapshot, validate
from simulator.inputs.snapshot import MAX_LINE_BYTES

ROW = "2026-02-01T10:00:00"
MANIFEST = "format_version: 1\ninstitution: TST\nstage: {stage}\ntaken_at: 2026-03-02T07:00:00Z\n"
SCENARIO = """\
institution: TST
dates:
  freeze_start: 2026-03-02
  clean_data_delivered: 2026-03-11
  go_live: 2026-03-16
"""
USERS = ("primary_id,record_type,origin,internal_id,created_at,updated_at\n"
         f"JSmith,PUBLIC,MIGRATED,I-1,{ROW},{ROW}\n"
         f"S1,STAFF,MIGRATED,I-2,{ROW},{ROW}\n")
ROLES = "primary_id,role_type,scope,status\nJSmith,Patron,TST,ACTIVE\nS1,Cataloger,TST,ACTIVE\n"
PATRONS = "primary_id,user_group\nP1,UNDERGRAD\njsmith,UNDERGRAD\n"
BASE = {
    "freeze": {"snapshot.yaml": MANIFEST.format(stage="freeze"), "users.csv": USERS,
               "user_roles.csv": ROLES},
    "extract": {"snapshot.yaml": MANIFEST.format(stage="extract"), "patrons.csv": PATRONS},
}


def write(folder: Path, files: dict[str, str | bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (folder / name).write_bytes(data)


def write_institution(root: Path) -> Path:
    """A small valid institution in `root`: freeze/, extract/, scenario.yaml."""
    for stage, files in BASE.items():
        write(root / stage, dict(files))
    (root / "scenario.yaml").write_text(SCENARIO, encoding="utf-8")
    return root


@pytest.fixture
def inst(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small valid institution in the working folder."""
    monkeypatch.chdir(tmp_path)
    return write_institution(tmp_path)


def hashes(root: Path) -> dict[str, str]:
    """Every input file's hash (run folders, named run*, are outputs)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file() and not p.relative_to(root).parts[0].startswith("run")}


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, ["--quiet", *args])


def predict(out: str = "run", pre: str = "freeze", extract: str = "extract",
            scenario: str = "scenario.yaml") -> Result:
    return invoke("predict", "--pre", pre, "--extract", extract, "--scenario", scenario,
                  "--out", out)


def lines(result: Result, kind: str) -> list[str]:
    prefix = kind + " "
    return [line[len(prefix):] for line in result.stderr.splitlines() if line.startswith(prefix)]


def assert_rejected(result: Result, problems: list[str]) -> None:
    """Exit 2, exactly these problems (in the CLI's order), a count, no traceback."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert lines(result, "error") == problems, result.stderr
    n = len(problems)
    # "; nothing was written" from the commands that write (snapshot validate only reads)
    assert re.fullmatch(rf"{n} problems?(; nothing was written)?\.",
                        result.stderr.rstrip().splitlines()[-1]), result.stderr


def assert_nothing_written(root: Path, before: dict[str, str], out: str = "run") -> None:
    assert not (root / out).exists()
    assert not [p.name for p in root.iterdir() if p.name.startswith(f".{out}.")]
    assert hashes(root) == before


def ledger(run: Path) -> dict[tuple[str, str, str], str]:
    con = db.connect()
    try:
        rows = con.rows("select side, entity, record_key, rule_id from read_parquet($p)",
                        {"p": str(run / "ledger.parquet")})
    finally:
        con.close()
    return {(s, e, k): r for s, e, k, r in rows}


# --- every bad input class: exact message, exit 2, nothing written, nothing changed ----------


@dataclass(frozen=True)
class Bad:
    id: str
    folder: str  # freeze | extract
    files: dict[str, str | bytes]
    problems: list[str]
    remove: tuple[str, ...] = field(default=())


BIG = "x" * 10_000_000
BAD = [
    Bad("missing-required-column", "freeze",
        {"users.csv": "primary_id,origin\nJSmith,MIGRATED\nS1,MIGRATED\n"},
        ["freeze/users.csv:1:1: missing required column 'record_type' (the header has: "
         "primary_id, origin)"]),
    Bad("column-name-in-other-case", "freeze",
        {"users.csv": "primary_id,Record_Type\nJSmith,PUBLIC\nS1,STAFF\n"},
        ["freeze/users.csv:1:2: missing required column 'record_type' (the header has: "
         "primary_id, Record_Type; 'Record_Type' is not 'record_type': column names are lower "
         "case)"]),
    Bad("int-abc", "freeze",
        {"items.csv": "barcode,library_code,loan_count\nB1,MAIN,3\nB2,MAIN,abc\nB3,MAIN,1.5\n"},
        ["freeze/items.csv:3:3: column loan_count: 'abc' is not a whole number",
         "freeze/items.csv:4:3: column loan_count: '1.5' is not a whole number"]),
    Bad("timestamp-yesterday", "freeze",
        {"users.csv": USERS + "T1,STAFF,CREATED,I-3,yesterday,2026-02-30\n"},
        ["freeze/users.csv:4:5: column created_at: 'yesterday' is not an ISO date or timestamp "
         "(YYYY-MM-DD[THH:MM:SS])",
         "freeze/users.csv:4:6: column updated_at: '2026-02-30': 2026-02-30 is not a day of the "
         "calendar (2026-02 has days 01 to 28)"]),
    Bad("bool-maybe", "freeze",
        {"licenses.csv": "license_code,name,linked_to_einventory\nL1,Big Deal,true\n"
                         "L2,Small Deal,maybe\n"},
        ["freeze/licenses.csv:3:3: column linked_to_einventory: 'maybe' is not true or false"]),
    Bad("outside-domain", "freeze",
        {"users.csv": USERS.replace("S1,STAFF", "S1,PUBLICK")},
        ["freeze/users.csv:3:2: column record_type: 'PUBLICK' is not one of PUBLIC, STAFF, "
         "CONTACT (did you mean 'PUBLIC'?)"]),
    Bad("required-value-empty", "freeze",
        {"users.csv": USERS + f",PUBLIC,MIGRATED,I-3,{ROW},{ROW}\n"},
        ["freeze/users.csv:4:1: column primary_id: no value, but the column is required"]),
    Bad("required-value-blank", "freeze",
        {"users.csv": USERS + f"\"  \",PUBLIC,MIGRATED,I-3,{ROW},{ROW}\n"},
        ["freeze/users.csv:4:1: column primary_id: '  ' is blank, but the column is required"]),
    Bad("duplicate-key", "freeze",
        {"sets.csv": "set_id,name,set_type\nS-1,Weeding,ITEMIZED\nS-2,New,LOGICAL\n"
                     "S-1,Weeding again,ITEMIZED\n"},
        ["freeze/sets.csv:4:1: column set_id: 'S-1' is not a unique key (set_id): row 2 has "
         "'S-1'"]),
    Bad("case-only-duplicate-users", "freeze",
        {"users.csv": USERS + f"jsmith,PUBLIC,MIGRATED,I-3,{ROW},{ROW}\n"},
        ["freeze/users.csv:4:1: column primary_id: 'jsmith' is not a unique key (primary_id): "
         "row 2 has 'JSmith' (Primary IDs match ignoring letter case)"]),
    Bad("case-only-duplicate-patrons", "extract",
        {"patrons.csv": PATRONS + "JSMITH,STAFF\nJSmith,STAFF\n"},
        ["extract/patrons.csv:4:1: column primary_id: 'JSMITH' is not a unique key "
         "(primary_id): row 3 has 'jsmith' (Primary IDs match ignoring letter case)",
         "extract/patrons.csv:5:1: column primary_id: 'JSmith' is not a unique key "
         "(primary_id): row 3 has 'jsmith' (Primary IDs match ignoring letter case)"]),
    Bad("composite-key-duplicate", "freeze",
        {"user_roles.csv": ROLES + "jsmith,Patron,TST,INACTIVE\nS1,Cataloger,OTHER,ACTIVE\n"},
        ["freeze/user_roles.csv:4:1: column primary_id: 'jsmith|Patron|TST' is not a unique key "
         "(primary_id|role_type|scope): row 2 has 'JSmith|Patron|TST' (Primary IDs match "
         "ignoring letter case)"]),
    Bad("reference-user-roles-to-users", "freeze",
        {"user_roles.csv": ROLES + "ghost,Cataloger,TST,ACTIVE\n"},
        ["freeze/user_roles.csv:4:1: column primary_id: 'ghost' is not a primary_id present in "
         "users (users.csv)"]),
    Bad("reference-to-absent-table", "freeze", {}, [
        "freeze/user_roles.csv: column primary_id refers to users, but the snapshot has no "
        "users table"], remove=("users.csv",)),
    Bad("empty-file", "freeze", {"webhooks.csv": b""},
        ["freeze/webhooks.csv:1:1: empty file: expected a header row naming the columns"]),
    Bad("latin-1", "freeze",
        {"libraries.csv": b"code,name\nMAIN,Main Library\nLAW,Biblioth\xe8que de droit\n"},
        ["freeze/libraries.csv:3:2: column name: 'Biblioth\\xe8que de droit' is not valid "
         "UTF-8 text (Latin-1 or Windows bytes?): save the file as UTF-8"]),
    Bad("latin-1-after-quoted-newline", "extract",
        {"patrons.csv": b'primary_id,user_group,email\nP1,"UNDER\nGRAD",a@x\nP2,GRAD,\xe9@x\n'},
        ["extract/patrons.csv:3:3: column email: '\\xe9@x' is not valid UTF-8 text (Latin-1 or "
         "Windows bytes?): save the file as UTF-8"]),
    Bad("latin-1-header", "freeze",
        {"libraries.csv": b"code,n\xe4me\nMAIN,Main\n"},
        ["freeze/libraries.csv:1:2: column name 'n\\xe4me' is not valid UTF-8 text (Latin-1 or "
         "Windows bytes?): save the file as UTF-8"]),
    Bad("utf-16", "freeze",
        {"libraries.csv": "code,name\nMAIN,Main\n".encode("utf-16")},
        ['freeze/libraries.csv:1:1: the file is UTF-16 (Excel "Unicode Text"): save it as CSV '
         "UTF-8"]),
    Bad("quoted-newline-keeps-record-rows", "freeze",
        {"webhooks.csv": 'profile_id,name,status\nW1,"two\nline name",ACTIVE\nW2,x,ON\n'},
        ["freeze/webhooks.csv:3:3: column status: 'ON' is not one of ACTIVE, INACTIVE"]),
    Bad("ten-megabyte-field", "freeze",
        {"collections.csv": f"collection_id,name\nC1,ok\nC2,\"{BIG}\"\nC3,ok\n"},
        [f"freeze/collections.csv:3:1: a row is longer than {MAX_LINE_BYTES:,} bytes (the most "
         "a row may hold): is a quote left open, or a field holding a whole document?"]),
    Bad("quote-never-closed", "freeze",
        {"collections.csv": 'collection_id,name\nC1,"never closed\nC2,ok\n'},
        ['freeze/collections.csv:2:2: a quoted field is never closed (a " opens it, another " '
         "must close it)"]),
    Bad("ragged-too-many-fields", "freeze",
        {"libraries.csv": "code,name\nMAIN,Main\nLAW,Law, and Order\n"},
        ["freeze/libraries.csv:3:3: row has 3 fields but the header names 2 (a value holding a "
         "comma must be in double quotes)"]),
    Bad("ragged-too-few-fields", "freeze",
        {"jobs.csv": "job_id,name,job_type\nJ1,Export\nJ2,Import,MANUAL\n"},
        ["freeze/jobs.csv:2:3: row has 2 fields but the header names 3 (is a value missing, or "
         "the row broken in two?)"]),
    Bad("ragged-after-blank-lines", "freeze",
        {"jobs.csv": "job_id,name,job_type\nJ1,Export,MANUAL\n\n\nJ2,Import\n"},
        ["freeze/jobs.csv:5:3: row has 2 fields but the header names 3 (is a value missing, or "
         "the row broken in two?)"]),
    Bad("header-stray-quote", "freeze",
        {"users.csv": USERS.replace("updated_at\n", 'updated_at,"note"s\n')},
        ["freeze/users.csv:1:1: the header row is not valid CSV (',' expected after '\"'): quote "
         "a column name whole, and never across lines"]),
    Bad("blank-lines-count-as-rows", "extract",
        {"patrons.csv": "primary_id,user_group\nP1,GRAD\n\nP2,GRAD\n\n\np2,GRAD\n\n"},
        ["extract/patrons.csv:7:1: column primary_id: 'p2' is not a unique key (primary_id): "
         "row 4 has 'P2' (Primary IDs match ignoring letter case)"]),
    Bad("mixed-line-ends", "extract",
        {"patrons.csv": "primary_id,user_group\r\nP1,GRAD\r\nP2,GRAD\nP3,GRAD\r\n"},
        ["extract/patrons.csv:3:8: the file mixes line ends (Windows CRLF and Unix LF): this "
         "line ends in LF, the first line in CRLF; save it again with one kind"]),
    Bad("header-column-twice", "freeze",
        {"parameters.csv": "name,value,Value\na,b,c\n"},
        ["freeze/parameters.csv:1:3: column 'Value' appears twice in the header (as 'value'; "
         "letter case does not count)"]),
    Bad("table-twice", "freeze",
        {"libraries.parquet": b"PAR1", "libraries.csv": "code,name\nMAIN,Main\n"},
        ["freeze/libraries.parquet: table 'libraries' is given twice (libraries.csv and "
         "libraries.parquet): keep one"]),
    Bad("not-parquet", "freeze", {"libraries.parquet": "code,name\nMAIN,Main\n"},
        ["freeze/libraries.parquet: cannot read Parquet file: not a Parquet file (no Parquet "
         "magic bytes): is it a CSV file named .parquet?"]),
    Bad("malformed-manifest-yaml", "freeze",
        {"snapshot.yaml": "format_version: 1\ninstitution: [TST\nstage: freeze\n"},
        ["freeze/snapshot.yaml:3:6: malformed YAML: expected ',' or ']', but got ':' (while "
         "parsing a flow sequence, which starts at line 2, column 14)"]),
    Bad("manifest-values", "freeze",
        {"snapshot.yaml": "format_version: 2\ninstitution: TST\nstage: frozen\n"
                          "taken_at: last tuesday\n"},
        ["freeze/snapshot.yaml:1:17: format_version 2 is not supported (expected 1)",
         "freeze/snapshot.yaml:3:8: unknown stage 'frozen' (expected one of testload, freeze, "
         "cutover, fulfillment, golive, extract, fulfillment_extract)",
         "freeze/snapshot.yaml:4:11: taken_at: 'last tuesday' is not an ISO timestamp "
         "(YYYY-MM-DDTHH:MM:SSZ)"]),
    Bad("manifest-missing", "freeze", {}, [
        "freeze: no snapshot.yaml in this folder (see docs/formats/snapshots.md)"],
        remove=("snapshot.yaml",)),
    Bad("form-file-missing", "extract",
        {"snapshot.yaml": MANIFEST.format(stage="extract") + "forms:\n  migration_form: mf.xlsx\n"},
        ["extract/snapshot.yaml:6:19: form file 'mf.xlsx' not found in the snapshot"]),
]


def _setup(inst: Path, bad: Bad) -> dict[str, str]:
    write(inst / bad.folder, bad.files)
    for name in bad.remove:
        (inst / bad.folder / name).unlink()
    return hashes(inst)


@pytest.mark.parametrize("bad", BAD, ids=[b.id for b in BAD])
def test_snapshot_validate_rejects(inst: Path, bad: Bad) -> None:
    before = _setup(inst, bad)
    result = invoke("snapshot", "validate", bad.folder)
    assert_rejected(result, bad.problems)
    assert hashes(inst) == before


@pytest.mark.parametrize("bad", BAD, ids=[b.id for b in BAD])
def test_predict_rejects_and_writes_nothing(inst: Path, bad: Bad) -> None:
    before = _setup(inst, bad)
    problems = bad.problems
    if bad.id == "manifest-missing":
        problems = ["freeze: no snapshot.yaml in this folder (--pre) "
                    "(see docs/formats/snapshots.md)"]
    result = predict()
    assert_rejected(result, problems)
    assert_nothing_written(inst, before)


def test_predict_out_in_a_new_folder_leaves_no_parent_behind(inst: Path) -> None:
    write(inst / "freeze", {"users.csv": USERS.replace("S1,STAFF", "S1,PUBLICK")})
    before = hashes(inst)
    result = predict(out="runs/today/run")
    assert result.exit_code == 2, result.output
    assert not (inst / "runs").exists()
    assert hashes(inst) == before


# --- the whole snapshot in one run --------------------------------------------------------------


def test_problems_of_many_files_and_both_snapshots_come_in_one_run(inst: Path) -> None:
    write(inst / "freeze", {
        "users.csv": USERS + f"jsmith,PUBLICK,MIGRATED,I-3,{ROW},{ROW}\n",
        "items.csv": "barcode,loan_count\nB1,abc\n",
        "jobs.csv": "job_id,name\nJ1,Export\n",
    })
    write(inst / "extract", {"patrons.csv": PATRONS + "p1,GRAD\n",
                             "orders.csv": "order_id,vendor_code\nO1,\n"})
    before = hashes(inst)
    expected = [
        "extract/orders.csv:2:2: column vendor_code: no value, but the column is required",
        "extract/patrons.csv:4:1: column primary_id: 'p1' is not a unique key (primary_id): row 2 "
        "has 'P1' (Primary IDs match ignoring letter case)",
        "freeze/items.csv:2:2: column loan_count: 'abc' is not a whole number",
        "freeze/jobs.csv:1:1: missing required column 'job_type' (the header has: job_id, name)",
        "freeze/users.csv:4:1: column primary_id: 'jsmith' is not a unique key (primary_id): row "
        "2 has 'JSmith' (Primary IDs match ignoring letter case)",
        "freeze/users.csv:4:2: column record_type: 'PUBLICK' is not one of PUBLIC, STAFF, CONTACT "
        "(did you mean 'PUBLIC'?)",
    ]
    assert_rejected(predict(), expected)
    assert_nothing_written(inst, before)
    assert_rejected(invoke("snapshot", "validate", "freeze"),
                    [p for p in expected if p.startswith("freeze/")])


def test_unreadable_files_are_reported_together(inst: Path) -> None:
    write(inst / "freeze", {
        "webhooks.csv": b"",
        "libraries.csv": b"code,name\nM\xc9D,Medicine\n",
        "jobs.csv": "job_id,name,job_type\nJ1,Export\n",
    })
    expected = [
        "freeze/jobs.csv:2:3: row has 2 fields but the header names 3 (is a value missing, or the "
        "row broken in two?)",
        "freeze/libraries.csv:2:1: column code: 'M\\xc9D' is not valid UTF-8 text (Latin-1 or "
        "Windows bytes?): save the file as UTF-8",
        "freeze/webhooks.csv:1:1: empty file: expected a header row naming the columns",
    ]
    assert_rejected(invoke("snapshot", "validate", "freeze"), expected)
    assert_rejected(predict(), expected)


def test_unreadable_and_invalid_files_are_reported_together(inst: Path) -> None:
    write(inst / "freeze", {"webhooks.csv": b"", "items.csv": "barcode,loan_count\nB1,abc\n"})
    assert_rejected(invoke("snapshot", "validate", "freeze"), [
        "freeze/items.csv:2:2: column loan_count: 'abc' is not a whole number",
        "freeze/webhooks.csv:1:1: empty file: expected a header row naming the columns",
    ])


def test_library_validation_collects_every_file(tmp_path: Path) -> None:
    """The library (not only the CLI) collects: attach() then validate() on every table."""
    write(tmp_path / "freeze", {**BASE["freeze"], "webhooks.csv": b"",
                                "items.csv": "barcode,loan_count\nB1,abc\n",
                                "libraries.csv": b"code,name\nM\xc9D,Medicine\n"})
    snap = snapshot.open_snapshot(tmp_path / "freeze")
    con = db.connect()
    try:
        found = reading.attach(con, "pre", snap, snap.side)
        found += validate.validate(con, "pre", snap)
        # unreadable tables are attached empty, typed and queryable
        assert con.one("select count(*) from pre.libraries") == 0
        assert con.one("select count(*) from pre.webhooks") == 0
    finally:
        con.close()
    assert snap.unreadable == {"libraries", "webhooks"}
    assert [(p.loc.path.rsplit("/", 1)[-1], p.loc.line, p.loc.col) for p in sorted(found)] == [
        ("items.csv", 2, 2), ("libraries.csv", 2, 1), ("webhooks.csv", 1, 1)]


# --- stage and institution across inputs --------------------------------------------------------


def test_extract_folder_given_as_pre(inst: Path) -> None:
    before = hashes(inst)
    result = predict(pre="extract", extract="freeze")
    assert_rejected(result, [
        "extract/snapshot.yaml:3:8: stage 'extract' is an extract-side snapshot, but --pre "
        "expects an alma-side one (stage testload, freeze, cutover, fulfillment, golive): are two "
        "folders swapped?",
        "freeze/snapshot.yaml:3:8: stage 'freeze' is an alma-side snapshot, but --extract "
        "expects an extract-side one (stage extract, fulfillment_extract): are two folders "
        "swapped?",
    ])
    assert_nothing_written(inst, before)


def test_institution_mismatch(inst: Path) -> None:
    (inst / "scenario.yaml").write_text(SCENARIO.replace("TST", "NFU"), encoding="utf-8")
    before = hashes(inst)
    result = predict()
    assert result.exit_code == 2, result.output
    errors = lines(result, "error")
    assert len(errors) == 2, result.stderr
    for folder, line in zip(("extract", "freeze"), errors, strict=True):
        assert f"{folder}/snapshot.yaml:2:14: institution 'TST' differs" in line
        assert line.endswith("institution 'TST' differs from the scenario's 'NFU' "
                             "(scenario.yaml:1:14)")
    assert_nothing_written(inst, before)


def test_missing_folders_and_scenario(inst: Path) -> None:
    result = predict(pre="nowhere", extract="freeze/users.csv", scenario="none.yaml")
    assert_rejected(result, ["freeze/users.csv: is a file, expected a snapshot folder (--extract)",
                             "none.yaml: file not found",
                             "nowhere: snapshot folder not found (--pre)"])
    assert not (inst / "run").exists()


def test_out_that_is_not_a_run_folder_is_refused_and_kept(inst: Path) -> None:
    write(inst / "precious", {"thesis.txt": "do not delete"})
    before = hashes(inst)
    assert_rejected(predict(out="precious"),
                    ["precious: --out exists and is not a run folder; choose a new folder"])
    assert hashes(inst) == before


# --- tolerated input: read as data --------------------------------------------------------------


def _predict_ok(inst: Path, out: str = "run") -> dict[tuple[str, str, str], str]:
    result = predict(out=out)
    assert result.exit_code in (0, 1), result.output
    assert not lines(result, "error")
    return ledger(inst / out)


def test_absent_tables_are_empty(inst: Path) -> None:
    (inst / "freeze" / "user_roles.csv").unlink()
    result = invoke("snapshot", "validate", "freeze")
    assert result.exit_code == 0, result.output
    assert "1 tables, 2 rows, valid." in result.stdout
    rows = _predict_ok(inst)
    assert not [k for k in rows if k[1] == "user_roles"]
    assert rows[("alma", "users", "JSmith")] == "users.public"


def test_header_only_file_is_valid_and_empty(inst: Path) -> None:
    write(inst / "freeze", {"webhooks.csv": "profile_id,name,status,url\n",
                            "jobs.csv": "job_id,name,job_type,status"})  # no final newline
    result = invoke("snapshot", "validate", "freeze")
    assert result.exit_code == 0, result.output
    assert "4 tables, 4 rows, valid." in result.stdout
    assert not [k for k in _predict_ok(inst) if k[1] in ("webhooks", "jobs")]


WEBHOOKS = ('profile_id,name,status\nW1,"Line one\nline two, with comma",ACTIVE\n'
            'W2,"quote "" inside",INACTIVE\n')


def test_bom_crlf_and_quoted_newlines_read_like_plain_csv(inst: Path) -> None:
    write(inst / "freeze", {"webhooks.csv": WEBHOOKS})
    plain = _predict_ok(inst, "run-plain")

    def windows(text: str) -> bytes:
        return b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")

    write(inst / "freeze", {"users.csv": windows(USERS), "user_roles.csv": windows(ROLES),
                            "webhooks.csv": windows(WEBHOOKS)})
    write(inst / "extract", {"patrons.csv": windows(PATRONS)})
    before = hashes(inst)
    result = invoke("snapshot", "validate", "freeze")
    assert result.exit_code == 0, result.output  # a kept '\r' would spoil updated_at and status
    assert _predict_ok(inst, "run-windows") == plain
    assert {k[2] for k in plain if k[1] == "webhooks"} == {"W1", "W2"}
    con = db.connect()
    try:
        snap = snapshot.open_snapshot(inst / "freeze")
        assert snap.files["users"].header[0] == "primary_id"
        assert not reading.attach(con, "pre", snap, "alma")
        # rows count records, not lines: W2 is row 3 although it starts on line 4
        assert con.rows("select name, _row from pre.webhooks order by _row") == [
            ("Line one\r\nline two, with comma", 2), ('quote " inside', 3)]
        assert con.rows("select distinct status from pre.user_roles") == [("ACTIVE",)]
    finally:
        con.close()
    assert hashes(inst) == before


@pytest.mark.parametrize("evil", [
    "x'); drop table users; --",
    "Robert'); DROP TABLE patrons;--",
    'a"; drop view pre.users; --',
    "1; select 1/0",
])
def test_sql_in_values_is_data(inst: Path, evil: str) -> None:
    quoted = '"' + evil.replace('"', '""') + '"'
    write(inst / "freeze", {
        "users.csv": USERS + f"{quoted},PUBLIC,MIGRATED,I-9,{ROW},{ROW}\n"
                             f"Plain,PUBLIC,MIGRATED,I-8,{ROW},{ROW}\n",
        "user_roles.csv": ROLES + f"{quoted},Patron,TST,ACTIVE\nPlain,Patron,TST,ACTIVE\n",
    })
    write(inst / "extract", {"patrons.csv": PATRONS + f"{quoted},GRAD\nPlain2,GRAD\n"})
    before = hashes(inst)
    rows = _predict_ok(inst)
    # classified exactly like a plain record with the same values
    assert rows[("alma", "users", evil)] == rows[("alma", "users", "Plain")]
    assert (rows[("alma", "user_roles", f"{evil}|Patron|TST")]
            == rows[("alma", "user_roles", "Plain|Patron|TST")])
    assert rows[("extract", "patrons", evil)] == rows[("extract", "patrons", "Plain2")]
    # and nothing was dropped
    assert {k[2] for k in rows if k[1] == "users"} == {"JSmith", "S1", evil, "Plain"}
    assert {k[2] for k in rows if k[1] == "patrons"} == {"P1", "jsmith", evil, "Plain2"}
    assert len([k for k in rows if k[1] == "user_roles"]) == 4
    assert hashes(inst) == before


def test_sql_in_values_is_quoted_back_in_messages(inst: Path) -> None:
    evil = "Robert'); DROP TABLE patrons;--"
    write(inst / "extract", {"patrons.csv": PATRONS + f"{evil},GRAD\n{evil.lower()},GRAD\n"})
    before = hashes(inst)
    assert_rejected(predict(), [
        "extract/patrons.csv:5:1: column primary_id: \"robert'); drop table patrons;--\" is not "
        "a unique key (primary_id): row 4 has \"Robert'); DROP TABLE patrons;--\" (Primary IDs "
        "match ignoring letter case)"])
    assert_nothing_written(inst, before)


def test_sql_in_column_names_is_an_ignored_extra_column(inst: Path) -> None:
    write(inst / "freeze", {"users.csv": USERS.replace(
        "updated_at\n", 'updated_at,"x""); drop table users; --"\n').replace(
        f"{ROW}\n", f"{ROW},1\n")})
    rows = _predict_ok(inst)
    assert rows[("alma", "users", "S1")] == "users.non-public"


def test_markup_like_values_are_printed_as_text(inst: Path) -> None:
    write(inst / "freeze", {"users.csv": USERS + f"[/x],PUBLIC,MIGRATED,I-9,{ROW},{ROW}\n"
                                                 f"[/X],PUBLIC,MIGRATED,I-8,{ROW},{ROW}\n"})
    assert_rejected(invoke("snapshot", "validate", "freeze"), [
        "freeze/users.csv:5:1: column primary_id: '[/X]' is not a unique key (primary_id): row 4 "
        "has '[/x]' (Primary IDs match ignoring letter case)"])


def test_stray_files_are_named_in_warnings_and_ignored(inst: Path) -> None:
    write(inst / "freeze", {"notes.csv": b"\xff not even text", "patrons.csv": "primary_id\n",
                            "README.md": "# freeze", "users.csv.bak": "x"})
    (inst / "freeze" / "old").mkdir()
    write(inst / "extract", {"users.csv": "garbage"})
    before = hashes(inst)
    result = invoke("snapshot", "validate", "freeze")
    assert result.exit_code == 0, result.output
    assert lines(result, "warning") == [
        "freeze/README.md: not a table file (.csv or .parquet); ignored",
        "freeze/notes.csv: no table named 'notes' in an alma-side snapshot; ignored",
        "freeze/old: not a table file (.csv or .parquet); ignored",
        "freeze/patrons.csv: patrons is an extract-side table, not part of an alma-side "
        "snapshot; ignored",
        "freeze/users.csv.bak: not a table file (.csv or .parquet); ignored",
    ]
    assert "notes" not in result.stdout
    result = predict()
    assert result.exit_code in (0, 1), result.output
    assert ("extract/users.csv: users is an alma-side table, not part of an extract-side "
            "snapshot; ignored") in lines(result, "warning")
    assert (inst / "run" / "summary.json").is_file()
    assert hashes(inst) == before


# --- Parquet ------------------------------------------------------------------------------------


def _to_parquet(folder: Path, keep: tuple[str, ...] = ()) -> None:
    """Rewrite every table of a snapshot folder as Parquet (all columns text, as in the CSV)."""
    con = db.connect()
    try:
        for csv_file in sorted(folder.glob("*.csv")):
            if csv_file.name in keep:
                continue
            target = csv_file.with_suffix(".parquet")
            con.execute(f"copy (select * from read_csv({db.literal(str(csv_file))}, header = true,"
                        f" all_varchar = true)) to {db.literal(str(target))} (format parquet)")
            csv_file.unlink()
    finally:
        con.close()


def test_parquet_snapshot_validates_and_predicts_like_csv(inst: Path) -> None:
    sample = Path(__file__).resolve().parent.parent / "sample_data"
    for stage in ("freeze", "extract"):
        for f in (sample / stage).iterdir():
            write(inst / "csv" / stage, {f.name: f.read_bytes()})
            write(inst / "pq" / stage, {f.name: f.read_bytes()})
        _to_parquet(inst / "pq" / stage, keep=("field-mapping-form.csv",))  # a form, no table
    (inst / "scenario.yaml").write_bytes((sample / "scenario.yaml").read_bytes())
    assert not list((inst / "pq" / "freeze").glob("*.csv"))
    said = {}
    for fmt in ("csv", "pq"):
        result = invoke("snapshot", "validate", f"{fmt}/freeze")
        assert result.exit_code == 0, result.output
        said[fmt] = result.stdout.split(";", 1)[1]  # "25 tables, 6,751 rows, valid."
    assert said["pq"] == said["csv"]
    runs = {}
    for fmt in ("csv", "pq"):
        result = predict(out=f"run-{fmt}", pre=f"{fmt}/freeze", extract=f"{fmt}/extract")
        assert result.exit_code == 1, result.output  # the sample has blockers
        runs[fmt] = ledger(inst / f"run-{fmt}")
    assert runs["pq"] == runs["csv"]
    assert len(runs["csv"]) > 10_000


def test_bad_value_in_parquet_is_reported_with_its_row(inst: Path) -> None:
    con = db.connect()
    try:
        con.execute(
            "copy (select * from (values ('JSmith', 'PUBLIC', 1::bigint), ('S1', 'STAFF', 2), "
            "('jsmith', 'PUBLICK', 3)) t(primary_id, record_type, internal_id)) to "
            f"{db.literal(str(inst / 'freeze' / 'users.parquet'))} (format parquet)")
        con.execute(
            "copy (select * from (values ('B1', 4::bigint), ('B2', -1)) t(barcode, loan_count)) "
            f"to {db.literal(str(inst / 'freeze' / 'items.parquet'))} (format parquet)")
        con.execute(
            "copy (select * from (values ('S-1', 'ITEMIZED', 'soon')) t(set_id, set_type, "
            f"created_at)) to {db.literal(str(inst / 'freeze' / 'sets.parquet'))} "
            "(format parquet)")
    finally:
        con.close()
    (inst / "freeze" / "users.csv").unlink()
    before = hashes(inst)
    # Parquet has no header row: its rows count from 1.
    expected = [
        "freeze/sets.parquet:1:3: column created_at: 'soon' is not an ISO date or timestamp "
        "(YYYY-MM-DD[THH:MM:SS])",
        "freeze/users.parquet:3:1: column primary_id: 'jsmith' is not a unique key "
        "(primary_id): row 1 has 'JSmith' (Primary IDs match ignoring letter case)",
        "freeze/users.parquet:3:2: column record_type: 'PUBLICK' is not one of PUBLIC, STAFF, "
        "CONTACT (did you mean 'PUBLIC'?)",
    ]
    assert_rejected(invoke("snapshot", "validate", "freeze"), expected)
    assert_rejected(predict(), expected)
    assert_nothing_written(inst, before)


# --- properties ---------------------------------------------------------------------------------

ID_CHARS = string.ascii_letters + string.digits + "-_."


@st.composite
def case_variants(draw: st.DrawFn) -> tuple[str, str]:
    base = draw(st.text(ID_CHARS, min_size=1, max_size=12))
    flips = draw(st.lists(st.booleans(), min_size=len(base), max_size=len(base)))
    other = "".join(c.swapcase() if f else c for c, f in zip(base, flips, strict=True))
    return base, other


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pair=case_variants(),
    table=st.sampled_from(["users", "patrons"]),
    fillers=st.lists(st.integers(0, 999), max_size=5, unique=True),
    first_at=st.integers(0, 5),
    gap=st.integers(0, 5),
)
def test_primary_id_uniqueness_ignores_case(pair: tuple[str, str], table: str,
                                            fillers: list[int], first_at: int, gap: int) -> None:
    first, second = pair
    ids = [f"filler #{n}" for n in fillers]  # '#' and ' ' keep fillers apart from the pair
    i = min(first_at, len(ids))
    ids.insert(i, first)
    j = min(i + 1 + gap, len(ids))
    ids.insert(j, second)
    stage = "freeze" if table == "users" else "extract"
    extra = ",PUBLIC" if table == "users" else ""
    text = f"primary_id{',record_type' if extra else ''}\n" + "".join(
        f"{pid}{extra}\n" for pid in ids)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / stage
        write(folder, {"snapshot.yaml": MANIFEST.format(stage=stage), f"{table}.csv": text})
        problems = _validate(folder)
    row_first, row_second = i + 2, j + 2  # the header is row 1
    wanted = (f"column primary_id: {second!r} is not a unique key (primary_id): "
              f"row {row_first} has {first!r}")
    if first != second:
        wanted += " (Primary IDs match ignoring letter case)"
    assert [(p.loc.line, p.loc.col, p.message) for p in problems] == [(row_second, 1, wanted)]


def _validate(folder: Path) -> list[Problem]:
    snap = snapshot.open_snapshot(folder)
    con = db.connect()
    try:
        problems = reading.attach(con, "s", snap, snap.side)
        return sorted(problems + validate.validate(con, "s", snap))
    finally:
        con.close()



PIECES = [b",", b'"', b"\n", b"\r\n", b"\r", b"JSmith", b"jsmith", b"PUBLIC", b"\xe9", b"\x00",
          b"\xef\xbb\xbf", b" ", b"primary_id", b"record_type", b"_row", b"2026-01-01", b"'", b";"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.lists(st.sampled_from(PIECES), max_size=40).map(b"".join),
       with_header=st.booleans())
@example(body=b"primary_id,\x00", with_header=False)  # a NUL as a column name
def test_any_bytes_in_a_table_file_are_data_or_a_located_problem(body: bytes,
                                                                 with_header: bool) -> None:
    """Garbage never crashes the reader: it is read, or reported with its file (never exit 3)."""
    if with_header:
        body = b"primary_id,record_type\n" + body
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "freeze"
        write(folder, {"snapshot.yaml": MANIFEST.format(stage="freeze"), "users.csv": body})
        problems = _validate(folder)
    assert all(p.loc.path.endswith("users.csv") for p in problems), problems


def test_a_control_character_in_a_column_name_is_located() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "freeze"
        write(folder, {"snapshot.yaml": MANIFEST.format(stage="freeze"),
                       "users.csv": b"primary_id,record_type,\x00\nU1,PUBLIC,x\n"})
        problems = _validate(folder)
    assert [(p.loc.line, p.loc.col, p.message) for p in problems] == [
        (1, 3, "column name '\\x00' holds a control character: a column name is text")]


# A fact used as a value: the role of the record's user. A second role of one user makes it two
# rows: a rule author's mistake, located at the fact (exit 2), whether the subquery is read from
# a grouped join (tied to the record by one equality) or stays as written (not tied to it).
ROLE_FACT = {
    "tied": "(select r.role_type from pre.user_roles r "
            "where lower(r.primary_id) = lower(users.primary_id))",
    "as written": "(select r.role_type from pre.user_roles r where r.scope = 'TST')",
}


def _role_layer(root: Path, shape: str) -> None:
    write(root / "pack", {"users.yaml": (
        "entity: users\nfacts:\n"
        f"  role: \"{ROLE_FACT[shape]}\"\n"
        "rules:\n  - id: users.cataloger\n    after: users.created-during-freeze\n"
        "    when: role = 'Cataloger'\n    outcome: removed\n    reason: r\n    cite: c\n")})


def _predict_with_layer() -> Result:
    return invoke("predict", "--pre", "freeze", "--extract", "extract", "--scenario",
                  "scenario.yaml", "--rules", "pack", "--out", "run")


TWO_ROWS = ("pack/users.yaml:3:9: fact role: its subquery finds more than one row for some "
            "users records, but a fact used as a value must find at most one; narrow its where "
            "clause, or aggregate (max(...), any_value(...))")


@pytest.mark.parametrize("shape", ROLE_FACT)
def test_a_value_fact_finding_two_rows_is_located_at_the_fact(inst: Path, shape: str) -> None:
    _role_layer(inst, shape)
    write(inst / "freeze", {"user_roles.csv": ROLES + "JSmith,Cataloger,TST,ACTIVE\n"})
    before = hashes(inst)
    assert_rejected(_predict_with_layer(), [TWO_ROWS])
    assert_nothing_written(inst, before)
    assert_rejected(invoke("explain", "--pre", "freeze", "--extract", "extract", "--scenario",
                           "scenario.yaml", "--rules", "pack", "users", "JSmith"), [TWO_ROWS])


def test_a_value_fact_finding_one_row_a_record_decides(inst: Path) -> None:
    _role_layer(inst, "tied")
    assert _predict_with_layer().exit_code in (0, 1)
    ledger = db.connect().rows("select record_key, rule_id from 'run/ledger.parquet' "
                               "where entity = 'users' order by all")
    assert ledger == [("JSmith", "users.public"), ("S1", "users.cataloger")]
