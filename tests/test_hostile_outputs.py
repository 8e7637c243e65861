"""Hostile values against what the tool writes and refuses (docs/formats/bad-input.md and
docs/formats/run-folder.md).

Three tables of cases, each one parametrised test; a new hostile case joins by adding one line:

- OUTPUTS: one institution full of hostile identifiers and addresses goes through every command
  once (predict, also pseudonymised and with --show-pii, readiness, whatif, verify, diff); each
  case names one file of those runs, what to read from it (a CSV cell, a Markdown line, a JSON
  value) and the exact text expected: formulas neutralised in every CSV, Markdown and HTML
  escaped in every summary.md, addresses masked, Primary IDs inside other keys pseudonymised;
- TEXTS: one value through one of the tool's own text functions (masking e-mail addresses, a
  runbook.csv cell);
- REFUSALS: a small institution with one hostile change, one command, and the exact located
  messages (errors or warnings) it must give.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import role, user, write_scenario, write_snapshot
from typer.testing import CliRunner, Result

from simulator import db
from simulator.cli import app
from simulator.commands.readiness import runbook
from simulator.privacy import mask_emails

# --- the hostile institution ------------------------------------------------------------------

FORMULA = '=HYPERLINK("http://evil.example","click")'
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
HOLD_CMD = "=cmd|' /C calc'!A0"
HOLD_IMG = "<img src=x onerror=alert(2)>"
KEY = "0123456789abcdef"  # the shortest pseudonym key accepted
ALLOWED = "ils-team@tst.example"
USERS = [
    user(FORMULA, email="admin@localhost"),
    user("+SUM(1)", email="x@uni.e"),
    user("-2+3", email='"john doe"@example.org'),
    user("\tTAB"),
    user("@cmd", "STAFF", email="jörg.müller@uni-münchen.de"),
    user(SCRIPT, "STAFF"),
    user(IMG, "STAFF", email="user@[192.168.0.1]"),
]
PRE = {
    "users": USERS,
    "user_roles": [role(u["primary_id"], "Cataloger" if u["record_type"] == "STAFF" else "Patron")
                   for u in USERS],
    "funds": [{"fund_code": "=1+1", "name": "fund", "status": "ACTIVE"}],
    "analytics_reports": [{"report_path": "/shared/TST/S0029/Report 09", "folder": "USER",
                           "owner_internal_id": "1", "owner_primary_id": "S0029"}],
}
EXTRACT = {
    "patrons": [{"primary_id": "P1", "user_group": "UNDERGRAD"}],
    "requests": [{"request_id": HOLD_CMD, "request_type": "HOLD", "status": "NEW"},
                 {"request_id": HOLD_IMG, "request_type": "HOLD", "status": "NEW"}],
}
# After the cutover load: the staff users @cmd and SCRIPT are missing (lost unexpectedly).
POST = {"users": [u for u in USERS if u["record_type"] == "STAFF"
                  and u["primary_id"] not in ("@cmd", SCRIPT)]}


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, ["--quiet", *args])


def inputs(root: Path, scenario: str = "scenario.yaml") -> list[str]:
    return ["--pre", str(root / "freeze"), "--extract", str(root / "extract"),
            "--scenario", str(root / scenario)]


def _write_institution(root: Path) -> None:
    write_snapshot(root / "freeze", "freeze", PRE)
    con = db.connect()  # a Parquet table: the only way a carriage return reaches a key
    try:
        con.execute("copy (select chr(13) || 'CR' as code, 'x' as name) to "
                    f"{db.literal(str(root / 'freeze' / 'libraries.parquet'))} (format parquet)")
    finally:
        con.close()
    write_snapshot(root / "extract", "extract", EXTRACT)
    write_snapshot(root / "post", "cutover", POST)
    for name, options in (("scenario.yaml", None), ("retain.yaml", {"retain_funds": True})):
        path = write_scenario(root / name, options)
        path.write_text(path.read_text(encoding="utf-8") + f"allowed_emails: [{ALLOWED}]\n",
                        encoding="utf-8")
    (root / "retain-funds.yaml").write_text("name: retain\noptions:\n  retain_funds: true\n",
                                            encoding="utf-8")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every command once over the hostile institution; their folders under one root."""
    root = tmp_path_factory.mktemp("hostile")
    _write_institution(root)
    commands = [
        ["predict", *inputs(root), "--out", str(root / "predict")],
        ["predict", *inputs(root), "--pseudonymize", KEY, "--out", str(root / "pseudo")],
        ["predict", *inputs(root), "--show-pii", "--out", str(root / "shown")],
        ["predict", *inputs(root, "retain.yaml"), "--out", str(root / "retain")],
        ["readiness", *inputs(root), "--as-of", "2026-03-02", "--out", str(root / "ready")],
        ["whatif", *inputs(root), "--variant", str(root / "retain-funds.yaml"),
         "--out", str(root / "whatif")],
        ["verify", "--prediction", str(root / "predict"), "--post", str(root / "post"),
         "--stage", "cutover", "--out", str(root / "verify")],
        ["diff", str(root / "predict"), str(root / "retain"), "--out", str(root / "diff")],
    ]
    for args in commands:
        result = cli(*args)
        assert result.exit_code in (0, 1), (args, result.output)
    return root


# --- what to read from a file -------------------------------------------------------------------

Read = Callable[[Path], Any]


def cells(column: str, **where: str) -> Read:
    """The cells of `column` in the CSV rows whose other cells equal `where`, sorted."""
    def read(path: Path) -> list[str]:
        with path.open(encoding="utf-8", newline="") as f:  # a carriage return is data
            rows = list(csv.DictReader(f))
        return sorted(r[column] for r in rows if all(r[k] == v for k, v in where.items()))
    return read


def parquet_cells(column: str, **where: str) -> Read:
    def read(path: Path) -> list[str]:
        con = db.connect()
        try:
            rows = con.rows(f"select * from read_parquet({db.literal(str(path))})")
            names = con.columns(f"read_parquet({db.literal(str(path))})")
        finally:
            con.close()
        found = [dict(zip(names, r, strict=True)) for r in rows]
        return sorted(r[column] for r in found if all(r[k] == v for k, v in where.items()))
    return read


def line_with(text: str) -> Read:
    """The one line of a text file that holds `text`."""
    def read(path: Path) -> str:
        found = [ln for ln in path.read_text(encoding="utf-8").splitlines() if text in ln]
        assert len(found) == 1, found
        return found[0]
    return read


def contains(text: str) -> Read:
    return lambda path: text in path.read_text(encoding="utf-8")


def json_at(*keys: str | int) -> Read:
    def read(path: Path) -> Any:
        value = json.loads(path.read_text(encoding="utf-8"))
        for k in keys:
            value = value[k]
        return value
    return read


def pseudonym(primary_id: str) -> str:
    digest = hashlib.sha256((KEY + "\0" + primary_id.lower()).encode("utf-8")).hexdigest()
    return "ps-" + digest[:16]


@dataclass(frozen=True)
class Output:
    id: str
    file: str  # relative to the runs' root
    read: Read
    expected: Any


USER_KEYS_CSV = sorted(["'" + FORMULA, "'+SUM(1)", "'-2+3", "'\tTAB", "'@cmd", SCRIPT, IMG])
USER_KEYS_RAW = sorted([FORMULA, "+SUM(1)", "-2+3", "\tTAB", "@cmd", SCRIPT, IMG])
EMAIL_DETAILS = sorted(['user e-mail "j•••@example.org', "user e-mail a•••@localhost",
                        "user e-mail j•••@uni-münchen.de", "user e-mail u•••@[192.168.0.1]",
                        "user e-mail x•••@uni.e"])
OUTPUTS = [
    # 4: spreadsheet formulas neutralised in every CSV file; Parquet keeps the values.
    Output("csv-ledger-keys", "predict/ledger.csv", cells("record_key", entity="users"),
           USER_KEYS_CSV),
    Output("csv-ledger-carriage-return", "predict/ledger.csv",
           cells("record_key", entity="libraries"), ["'\rCR"]),
    Output("csv-ledger-fund", "predict/ledger.csv", cells("record_key", entity="funds"),
           ["'=1+1"]),
    Output("parquet-ledger-raw", "predict/ledger.parquet",
           parquet_cells("record_key", entity="users"), USER_KEYS_RAW),
    Output("csv-readiness-ledger", "ready/ledger.csv", cells("record_key", entity="funds"),
           ["'=1+1"]),
    Output("csv-findings-keys", "ready/findings.csv",
           cells("record_key", finding_id="ready.unscrubbed-email"),
           sorted(["'" + FORMULA, "'+SUM(1)", "'-2+3", "'@cmd", IMG])),
    Output("csv-findings-hold", "ready/findings.csv",
           cells("record_key", finding_id="requests.unfulfilled"), sorted(["'" + HOLD_CMD,
                                                                            HOLD_IMG])),
    Output("csv-export-file", "ready/unfulfilled-holds.csv", cells("request_id"),
           sorted(["'" + HOLD_CMD, HOLD_IMG])),
    Output("csv-whatif-transitions", "whatif/transitions.csv", cells("record_key"), ["'=1+1"]),
    Output("csv-whatif-variant-ledger", "whatif/variants/retain/ledger.csv",
           cells("record_key", entity="funds"), ["'=1+1"]),
    Output("csv-diff-changes", "diff/changes.csv", cells("record_key"), ["'=1+1"]),
    Output("csv-verify-ledger", "verify/ledger.csv",
           cells("record_key", entity="users", outcome="retained"), sorted(["'@cmd", SCRIPT,
                                                                            IMG])),
    Output("csv-verify-discrepancies", "verify/discrepancies.csv",
           cells("record_key", entity="users", **{"class": "lost_unexpectedly"}),
           sorted(["'@cmd", SCRIPT])),
    # 5: Markdown and HTML escaped in every value of every summary.md.
    Output("md-predict-finding", "predict/summary.md", line_with("Unfulfilled hold"),
           "| warning | Unfulfilled hold requests will not be migrated | 2 | "
           "&lt;img src=x onerror=alert(2)&gt;, =cmd\\|' /C calc'!A0 | "
           "`requests.unfulfilled` |"),
    Output("md-predict-no-html", "predict/summary.md", contains("<img"), False),
    Output("md-readiness-finding", "ready/summary.md", line_with("neither scrubbed"),
           "| blocker | E-mail addresses in Alma that are neither scrubbed nor allowed | 5 | 5 | "
           "open | \"&gt;&lt;img src=x onerror=alert(1)&gt;, +SUM(1), -2+3, "
           "=HYPERLINK(\"http://evil.example\",\"click\"), @cmd | `ready.unscrubbed-email` |"),
    Output("md-readiness-no-html", "ready/summary.md", contains("<img"), False),
    Output("md-verify-discrepancy", "verify/summary.md", line_with("alma.users:"),
           "| blocker | alma.users: 2 lost unexpectedly (rule users.non-public) | 2 | "
           "&lt;script&gt;alert(1)&lt;/script&gt;, @cmd |"),
    Output("md-verify-no-html", "verify/summary.md", contains("<script"), False),
    # 6: addresses masked in report.html, findings.csv and summary.json, whatever their form.
    Output("mask-findings-csv", "ready/findings.csv",
           cells("detail", finding_id="ready.unscrubbed-email"), EMAIL_DETAILS),
    Output("mask-report-localhost", "ready/report.html", contains("admin@localhost"), False),
    Output("mask-report-idn", "ready/report.html", contains("müller"), False),
    Output("mask-report-ip-literal", "ready/report.html", contains("user@["), False),
    Output("mask-report-quoted", "ready/report.html", contains("john doe"), False),
    Output("mask-summary-allowed", "predict/summary.json",
           json_at("manifest", "scenario", "allowed_emails"), ["i•••@tst.example"]),
    Output("mask-readiness-allowed", "ready/summary.json",
           json_at("manifest", "scenario", "allowed_emails"), ["i•••@tst.example"]),
    Output("mask-whatif-allowed", "whatif/summary.json",
           json_at("manifest", "scenario", "allowed_emails"), ["i•••@tst.example"]),
    Output("mask-verify-allowed", "verify/summary.json",
           json_at("manifest", "scenario", "allowed_emails"), ["i•••@tst.example"]),
    Output("show-pii-allowed", "shown/summary.json",
           json_at("manifest", "scenario", "allowed_emails"), [ALLOWED]),
    # 7: a Primary ID inside another key (a user folder's report path) is pseudonymised too.
    Output("pseudonym-report-path", "pseudo/ledger.csv",
           cells("record_key", entity="analytics_reports"),
           [f"/shared/TST/{pseudonym('S0029')}/Report 09"]),
    Output("pseudonym-user", "pseudo/ledger.csv", cells("record_key", entity="users",
                                                        rule_id="users.non-public"),
           sorted(pseudonym(u) for u in ("@cmd", SCRIPT, IMG))),
]


@pytest.mark.parametrize("case", OUTPUTS, ids=lambda c: c.id)
def test_hostile_output(runs: Path, case: Output) -> None:
    assert case.read(runs / case.file) == case.expected


# --- one value through one text function --------------------------------------------------------


@dataclass(frozen=True)
class Text:
    id: str
    function: Callable[[str], str]
    value: str
    expected: str


def runbook_csv(title: str) -> str:
    """The title cell of a runbook.csv step titled `title`."""
    import datetime as dt
    day = dt.date(2026, 3, 2)
    event = runbook.Event("freeze", day, day, "freeze", title, "detail", "library", "cite")
    return next(csv.DictReader(io.StringIO(runbook.to_csv([event]))))["title"]


TEXTS = [
    Text("mask-plain", mask_emails, "mail jane.doe@uni.edu now", "mail j•••@uni.edu now"),
    Text("mask-no-dot", mask_emails, "admin@localhost", "a•••@localhost"),
    Text("mask-one-letter-tld", mask_emails, "x@uni.e", "x•••@uni.e"),
    Text("mask-idn", mask_emails, "jörg.müller@uni-münchen.de", "j•••@uni-münchen.de"),
    Text("mask-ip-literal", mask_emails, "user@[192.168.0.1]", "u•••@[192.168.0.1]"),
    Text("mask-ipv6-literal", mask_emails, "user@[IPv6:2001:db8::1]", "u•••@[IPv6:2001:db8::1]"),
    Text("mask-quoted-local", mask_emails, '"john doe"@example.org', '"j•••@example.org'),
    Text("mask-apostrophe", mask_emails, "o'brien@uni.edu", "o•••@uni.edu"),
    Text("mask-plus-tag", mask_emails, "a+b=c@uni.edu", "a•••@uni.edu"),
    Text("mask-in-json", mask_emails, '{"email":"p1@scrubbed.invalid"}',
         '{"email":"p•••@scrubbed.invalid"}'),
    Text("mask-keeps-sentence-dot", mask_emails, "write to a@b.org.", "write to a•••@b.org."),
    Text("mask-not-an-address", mask_emails, "@cmd and S1|x", "@cmd and S1|x"),
    Text("csv-runbook-formula", runbook_csv, "=1+1", "'=1+1"),
    Text("csv-runbook-plain", runbook_csv, "Freeze begins", "Freeze begins"),
]


@pytest.mark.parametrize("case", TEXTS, ids=lambda c: c.id)
def test_hostile_text(case: Text) -> None:
    assert case.function(case.value) == case.expected


# --- refused, located ---------------------------------------------------------------------------

RULE = ("  - id: users.x\n    when: {when}\n    outcome: removed\n    reason: r\n    cite: c\n"
        "    before: users.non-public\n")
NOT_ALLOWED = ("pack/users.yaml:4:11: rule 'users.x': function {}() is not allowed in rules "
               "(rules may call only the deterministic functions listed in docs/rules.md)")


def rule_layer(when: str) -> dict[str, str]:
    """A layer adding the users rule `users.x`, its `when` at pack/users.yaml:4:11."""
    return {"pack/users.yaml": "entity: users\nrules:\n" + RULE.format(when=when)}


def nested_parquet(select: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        con = db.connect()
        try:
            con.execute(f"copy ({select}) to "
                        f"{db.literal(str(root / 'freeze' / 'libraries.parquet'))} "
                        "(format parquet)")
        finally:
            con.close()
    return make


def fifo(name: str) -> Callable[[Path], None]:
    return lambda root: os.mkfifo(root / "freeze" / name)


@dataclass(frozen=True)
class Refusal:
    id: str
    args: list[str]  # after the command; "{inputs}" expands to --pre, --extract, --scenario
    expected: list[str]  # the lines on stderr after "error " (or "warning " when `warns`)
    files: dict[str, str] = field(default_factory=dict)
    make: Callable[[Path], None] | None = None
    warns: bool = False
    exit_code: int = 2


PREDICT = ["predict", "{inputs}", "--out", "run"]
VALIDATE = ["snapshot", "validate", "freeze"]
REFUSALS = [
    # 7: a pseudonym key short enough to be found by trying.
    *[Refusal(f"pseudonym-key-{len(key)}", [*PREDICT, "--pseudonymize", key],
              [f"--pseudonymize: the key must be at least 16 characters long, this one "
               f"has {len(key)} (a short key can be found by trying keys against known Primary "
               "IDs)"]) for key in ("", "k", "0123456789abcde")],
    # 8: only deterministic scalar functions in rule expressions.
    *[Refusal(f"rule-{name}", ["rules", "lint", "--rules", "pack"], [NOT_ALLOWED.format(name)],
              rule_layer(when)) for when, name in (
        ("uuidv4() is not null", "uuidv4"),
        ("random() < 0.5", "random"),
        ("now() > created_at", "now"),
        ("current_query() <> ''", "current_query"),
        ("version() <> ''", "version"),
        ("current_user <> ''", "current_user"),
        ("txid_current() > 0", "txid_current"),
        ("length(repeat('x', 1000000000)) > 0", "repeat"),
    )],
    Refusal("rule-allowed-functions", ["rules", "lint", "--rules", "pack"], [], rule_layer(
        "lower(trim(primary_id)) like 'x%' and regexp_matches(coalesce(email, ''), '@') "
        "and date_diff('day', created_at, $go_live) > 3 and length(username) between 1 and 20 "
        "and cast(internal_id as varchar) is not null and exists (select count(*) from "
        "pre.user_roles r where lower(r.primary_id) = lower(users.primary_id) group by "
        "r.scope)"), exit_code=0),
    # 10: nested Parquet types, named with their column.
    Refusal("parquet-list", VALIDATE,
            ["freeze/libraries.parquet:1:1: column code has the nested type VARCHAR[]: a table "
             "file holds one plain value per field (text, a number, a date or true/false)"],
            make=nested_parquet("select ['WH1', 'y'] as code, 'x' as name")),
    Refusal("parquet-struct", VALIDATE,
            ["freeze/libraries.parquet:1:2: column name has the nested type STRUCT(a INTEGER): "
             "a table file holds one plain value per field (text, a number, a date or "
             "true/false)"],
            make=nested_parquet("select 'MAIN' as code, {'a': 1} as name")),
    # 11: the smaller messages.
    Refusal("csv-too-many-fields", VALIDATE,
            ["freeze/libraries.csv:3:3: row has 5 fields but the header names 2 (a value "
             "holding a comma must be in double quotes)"],
            {"freeze/libraries.csv": "code,name\nMAIN,Main\nLAW,Law,a,b,c\n"}),
    Refusal("csv-one-field", VALIDATE,
            ["freeze/jobs.csv:2:2: row has 1 field but the header names 3 (is a value missing, "
             "or the row broken in two?)"],
            {"freeze/jobs.csv": "job_id,name,job_type\nJ1\nJ2,Import,MANUAL\n"}),
    Refusal("csv-mixed-line-ends", ["snapshot", "validate", "extract"],
            ["extract/patrons.csv:3:8: the file mixes line ends (Windows CRLF and Unix LF): "
             "this line ends in LF, the first line in CRLF; save it again with one kind"],
            {"extract/patrons.csv": "primary_id,user_group\r\nP1,GRAD\r\nP2,GRAD\nP3,GRAD\r\n"}),
    Refusal("fifo-is-not-a-folder", VALIDATE,
            ["freeze/libraries.csv: not a regular file (a named pipe or a device); ignored"],
            make=fifo("libraries.csv"), warns=True, exit_code=0),
]


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small valid institution in the working folder: freeze/, extract/, scenario.yaml."""
    monkeypatch.chdir(tmp_path)
    write_snapshot(tmp_path / "freeze", "freeze", {"users": [user("S1", "STAFF")],
                                                   "user_roles": [role("S1", "Cataloger")]})
    write_snapshot(tmp_path / "extract", "extract", {"patrons": [{"primary_id": "P1"}]})
    write_scenario(tmp_path / "scenario.yaml")
    return tmp_path


@pytest.mark.parametrize("case", REFUSALS, ids=lambda c: c.id)
def test_hostile_input_refused(small: Path, case: Refusal) -> None:
    for name, text in case.files.items():
        (small / name).parent.mkdir(parents=True, exist_ok=True)
        (small / name).write_bytes(text.encode("utf-8"))
    if case.make is not None:
        case.make(small)
    args = [a for arg in case.args
            for a in (["--pre", "freeze", "--extract", "extract", "--scenario", "scenario.yaml"]
                      if arg == "{inputs}" else [arg])]
    result = cli(*args)
    assert result.exit_code == case.exit_code, result.output
    assert "Traceback" not in result.output
    prefix = "warning " if case.warns else "error "
    found = [ln[len(prefix):] for ln in result.stderr.splitlines() if ln.startswith(prefix)]
    assert found == case.expected, result.stderr
    assert not (small / "run").exists()
