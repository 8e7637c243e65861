"""The scenario file (docs/formats/scenario.md) and YAML sources: every mistake is reported with
its line and column, all at once, with exit 2 and no run folder; `yamlsrc` locations are
exact."""

from __future__ import annotations

import datetime as dt
import hashlib
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from simulator.cli import app
from simulator.errors import Loc, UserError
from simulator.inputs import scenario, yamlsrc

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
MANIFEST = "format_version: 1\ninstitution: TST\nstage: {stage}\ntaken_at: 2026-03-02T07:00:00Z\n"
GOOD = """\
institution: TST
dates:
  testload: 2025-09-15
  freeze_start: 2026-03-02
  clean_data_delivered: 2026-03-11
  fulfillment_freeze: 2026-03-13
  go_live: 2026-03-16
options:
  reload_acquisitions: false
  summon: true
allowed_emails: [ils-team@example.edu]
scrubbed_email_pattern: '@scrubbed\\.invalid$'
"""


@pytest.fixture
def inst(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for stage, table, text in (("freeze", "users.csv", "primary_id,record_type\nS1,STAFF\n"),
                               ("extract", "patrons.csv", "primary_id\nP1\n")):
        (tmp_path / stage).mkdir()
        (tmp_path / stage / "snapshot.yaml").write_text(MANIFEST.format(stage=stage))
        (tmp_path / stage / table).write_text(text)
    (tmp_path / "scenario.yaml").write_text(GOOD)
    return tmp_path


def hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def predict(scenario_file: str = "scenario.yaml", pre: str = "freeze") -> Result:
    return CliRunner().invoke(app, ["--quiet", "predict", "--pre", pre, "--extract", "extract",
                                    "--scenario", scenario_file, "--out", "run"])


def errors(result: Result) -> list[str]:
    return [line[6:] for line in result.stderr.splitlines() if line.startswith("error ")]


def assert_rejected(root: Path, before: dict[str, str], result: Result,
                    problems: list[str]) -> None:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert errors(result) == problems, result.stderr
    assert result.stderr.rstrip().endswith("nothing was written."), result.stderr
    assert not (root / "run").exists()
    assert not [p for p in root.iterdir() if p.name.startswith(".run.")]
    assert hashes(root) == before


# --- a good scenario ----------------------------------------------------------------------------


def test_good_scenario_is_read_whole(inst: Path) -> None:
    s = scenario.load(inst / "scenario.yaml")
    assert s.institution == "TST"
    assert s.dates["clean_data_delivered"] == dt.datetime(2026, 3, 11)
    assert s.options["summon"] is True and s.options["reload_acquisitions"] is False
    assert s.options["retain_funds"] is False  # default
    assert s.allowed_emails == ["ils-team@example.edu"]
    assert s.scrubbed_email_pattern == r"@scrubbed\.invalid$"
    assert s.institution_loc == Loc("scenario.yaml", 1, 14)
    params = s.params()
    assert params["freeze_start"] == dt.datetime(2026, 3, 2) and params["summon"] is True


def test_sample_scenario_and_timestamps(inst: Path) -> None:
    assert scenario.load(SAMPLE / "scenario.yaml").institution == "NFU"
    (inst / "s.yaml").write_text(
        "institution: TST\ndates:\n  freeze_start: 2026-03-02T08:00:00Z\n"
        "  clean_data_delivered: '2026-03-11 17:30'\n")
    s = scenario.load(inst / "s.yaml")
    assert s.dates == {"freeze_start": dt.datetime(2026, 3, 2, 8),
                       "clean_data_delivered": dt.datetime(2026, 3, 11, 17, 30)}


# --- every scenario mistake through the command line --------------------------------------------

BAD: list[tuple[str, str, list[str]]] = [
    ("malformed-flow", "institution: TST\ndates: [2026-03-02\noptions: {}\n", [
        "scenario.yaml:3:8: malformed YAML: expected ',' or ']', but got ':' (while parsing a flow "
        "sequence, which starts at line 2, column 8)"]),
    ("malformed-indent", "institution: TST\ndates:\n  freeze_start: 2026-03-02\n"
     "   clean_data_delivered: 2026-03-11\n", [
        "scenario.yaml:4:24: malformed YAML: mapping values are not allowed here"]),
    ("malformed-tab", "institution: TST\ndates:\n\tfreeze_start: 2026-03-02\n", [
        "scenario.yaml:3:1: malformed YAML: found character '\\t' that cannot start any token "
        "(while scanning for the next token); indent with spaces, not tabs"]),
    ("malformed-quote", "institution: 'TST\ndates: {}\n", [
        "scenario.yaml:3:1: malformed YAML: found unexpected end of stream (while scanning a "
        "quoted scalar, which starts at line 1, column 14)"]),
    ("two-documents", GOOD + "---\ninstitution: NFU\n", [
        "scenario.yaml:13:1: malformed YAML: found another document (expected a single document "
        "in the stream, which starts at line 1, column 1)"]),
    ("duplicate-keys", GOOD.replace("  summon: true\n", "  summon: true\n  summon: false\n")
     + "institution: NFU\n", [
        "scenario.yaml:11:3: duplicate key 'summon' (first given at line 10)",
        "scenario.yaml:14:1: duplicate key 'institution' (first given at line 1)"]),
    ("latin-1", "institution: T\xc9ST\n", [
        "scenario.yaml:1:15: not valid UTF-8 (byte 0xC9; Latin-1 or Windows bytes?): save the "
        "file as UTF-8"]),
    ("not-a-mapping", "- institution: TST\n", [
        "scenario.yaml:1:1: a scenario is a mapping (see docs/formats/scenario.md)"]),
    ("empty", "", ["scenario.yaml:1:1: a scenario is a mapping (see docs/formats/scenario.md)"]),
    ("unknown-keys-and-options",
     GOOD.replace("options:\n", "option:\n  x: 1\noptions:\n  retain_fund: true\n  sumon: false\n"),
     [
        "scenario.yaml:8:1: unknown key 'option': did you mean 'options'? expected "
        "allowed_emails, dates, ill_bibs, institution, options, scrubbed_email_pattern",
        "scenario.yaml:11:3: unknown option 'retain_fund': did you mean 'retain_funds'? expected "
        "reload_acquisitions, retain_funds, retain_licenses, retain_courses, "
        "authority_preferred_term_correction, summon",
        "scenario.yaml:12:3: unknown option 'sumon': did you mean 'summon'? expected "
        "reload_acquisitions, retain_funds, retain_licenses, retain_courses, "
        "authority_preferred_term_correction, summon"]),
    ("option-values", GOOD.replace("summon: true", "summon: yes please").replace(
        "reload_acquisitions: false", "reload_acquisitions: 1"), [
        "scenario.yaml:9:24: option reload_acquisitions must be true or false, not 1",
        "scenario.yaml:10:11: option summon must be true or false, not 'yes please'"]),
    ("bad-dates", GOOD.replace("2025-09-15", "yesterday").replace("2026-03-13", "2026-02-30")
     .replace("2026-03-16", "2026-03-16T25:00").replace("  go_live", "  golive"), [
        "scenario.yaml:3:13: testload: 'yesterday' is not an ISO date (YYYY-MM-DD or "
        "YYYY-MM-DDTHH:MM:SS)",
        "scenario.yaml:6:23: fulfillment_freeze: '2026-02-30': 2026-02-30 is not a day of the "
        "calendar (2026-02 has days 01 to 28)",
        "scenario.yaml:7:3: unknown date 'golive': did you mean 'go_live'? expected testload, "
        "freeze_start, clean_data_delivered, fulfillment_freeze, go_live"]),
    ("clean-data-before-freeze", GOOD.replace("2026-03-11", "2026-03-01"), [
        "scenario.yaml:5:25: clean_data_delivered (2026-03-01) must come after freeze_start "
        "(2026-03-02)"]),
    ("clean-data-on-freeze-day", GOOD.replace("2026-03-11", "2026-03-02"), [
        "scenario.yaml:5:25: clean_data_delivered (2026-03-02) must come after freeze_start "
        "(2026-03-02)"]),
    ("dates-out-of-order", GOOD.replace("2025-09-15", "2026-04-01").replace(
        "go_live: 2026-03-16", "go_live: 2026-03-12T09:00"), [
        "scenario.yaml:4:17: freeze_start (2026-03-02) must come after testload (2026-04-01)",
        "scenario.yaml:7:12: go_live (2026-03-12T09:00:00) must come on or after "
        "fulfillment_freeze (2026-03-13)"]),
    ("empty-values", "institution: TST\ndates:\noptions:\n  summon:\n", [
        "scenario.yaml:2:7: dates must be a mapping of name: ISO date, not nothing",
        "scenario.yaml:4:10: option summon must be true or false, not nothing"]),
    ("missing-dates", "institution: TST\ndates:\n  go_live: 2026-03-16\n", [
        "scenario.yaml:2:1: missing date 'clean_data_delivered'",
        "scenario.yaml:2:1: missing date 'freeze_start'"]),
    ("no-dates-no-institution", "options: {summon: true}\n", [
        "scenario.yaml:1:1: institution must be given as a code, e.g. institution: NFU",
        "scenario.yaml:1:1: missing key 'dates' (freeze_start and clean_data_delivered are "
        "required)"]),
    ("wrong-shapes", "institution: [TST]\ndates: 2026-03-02\noptions: [summon]\n"
     "allowed_emails: ils@example.edu\nscrubbed_email_pattern: 5\n", [
        "scenario.yaml:1:14: institution must be given as a code, e.g. institution: NFU",
        "scenario.yaml:2:8: dates must be a mapping of name: ISO date, not '2026-03-02'",
        "scenario.yaml:3:10: options must be a mapping of name: true/false, not a list",
        "scenario.yaml:4:17: allowed_emails must be a list of addresses",
        "scenario.yaml:5:25: scrubbed_email_pattern must be a regular expression in quotes, "
        "not 5"]),
    ("bad-list-items-and-pattern", GOOD.replace("[ils-team@example.edu]", "[ok@x.org, 7, '']")
     .replace("'@scrubbed\\.invalid$'", "'(['"), [
        "scenario.yaml:11:28: allowed_emails: 7 is not an address",
        "scenario.yaml:11:31: allowed_emails: '' is not an address",
        "scenario.yaml:12:25: scrubbed_email_pattern: '([' is not a regular expression "
        "(unterminated character set at position 1)"]),
]


@pytest.mark.parametrize(("text", "problems"), [(t, p) for _, t, p in BAD],
                         ids=[i for i, _, _ in BAD])
def test_scenario_mistakes(inst: Path, text: str, problems: list[str]) -> None:
    path = inst / "scenario.yaml"
    path.write_bytes(text.encode("latin-1") if "\xc9" in text else text.encode("utf-8"))
    before = hashes(inst)
    assert_rejected(inst, before, predict(), problems)
    with pytest.raises(UserError) as caught:
        scenario.load(path)
    assert [str(p) for p in caught.value.problems] == problems


def test_scenario_that_is_missing_or_a_folder(inst: Path) -> None:
    before = hashes(inst)
    assert_rejected(inst, before, predict("nope.yaml"), ["nope.yaml: file not found"])
    assert_rejected(inst, before, predict("freeze"), ["freeze: is a folder, expected a YAML file"])


def test_scenario_and_snapshot_problems_come_together(inst: Path) -> None:
    (inst / "scenario.yaml").write_text(GOOD.replace("summon: true", "summon: maybe"))
    (inst / "freeze" / "snapshot.yaml").write_text(MANIFEST.format(stage="extract"))
    before = hashes(inst)
    assert_rejected(inst, before, predict(), [
        "freeze/snapshot.yaml:3:8: stage 'extract' is an extract-side snapshot, but --pre "
        "expects an alma-side one (stage testload, freeze, cutover, fulfillment, golive): are "
        "two folders swapped?",
        "scenario.yaml:10:11: option summon must be true or false, not 'maybe'"])


def test_good_scenario_runs(inst: Path) -> None:
    result = predict()
    assert result.exit_code in (0, 1), result.output
    assert (inst / "run" / "summary.json").is_file()


# --- yamlsrc ------------------------------------------------------------------------------------


def test_yamlsrc_locations_are_one_based(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    data = yamlsrc.load(path, "# comment\nfirst: 1\nnested:\n  inner: [a, b]\n")
    assert data.key_loc("first") == Loc(str(path), 2, 1)
    assert data.value_loc("first") == Loc(str(path), 2, 8)
    inner = data["nested"]
    assert inner.key_loc("inner") == Loc(str(path), 4, 3)
    assert inner["inner"].item_locs == [Loc(str(path), 4, 11), Loc(str(path), 4, 14)]
    assert data.key_loc("absent") == data.loc == Loc(str(path), 2, 1)


def test_yamlsrc_keeps_impossible_dates_as_text(tmp_path: Path) -> None:
    data = yamlsrc.load(tmp_path / "x.yaml", "a: 2026-02-30\nb: 2026-02-28\n")
    assert data == {"a": "2026-02-30", "b": dt.date(2026, 2, 28)}


def test_yamlsrc_refuses_python_tags_and_complex_keys(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    with pytest.raises(UserError) as caught:
        yamlsrc.load(path, "a: !!python/object/apply:os.system ['echo hi']\n")
    assert [(p.loc.line, p.loc.col, p.message) for p in caught.value.problems] == [
        (1, 4, "unsupported tag 'tag:yaml.org,2002:python/object/apply:os.system'")]
    with pytest.raises(UserError) as caught:
        yamlsrc.load(path, "a: !!python/name:os.system\n")
    (problem,) = caught.value.problems
    assert (problem.loc.line, problem.loc.col) == (1, 4)
    assert "could not determine a constructor" in problem.message
    with pytest.raises(UserError) as caught:
        yamlsrc.load(path, "? [a, b]\n: 1\n? {c: d}\n: 2\n")
    assert [(p.loc.line, p.loc.col, p.message) for p in caught.value.problems] == [
        (1, 3, "keys must be plain text"), (3, 3, "keys must be plain text")]


RESERVED = {"yes", "no", "on", "off", "true", "false", "null", "y", "n"}
keys = st.text(string.ascii_lowercase + "_", min_size=1, max_size=8).filter(
    lambda k: k not in RESERVED)
scalars = st.one_of(st.integers(-10**6, 10**6), keys)
trees = st.recursive(
    scalars,
    lambda children: st.dictionaries(keys, children, min_size=1, max_size=4),
    max_leaves=12,
)


def _check_locations(node: Any, lines: list[str]) -> int:
    """Every key and scalar value found where its location says; returns the keys checked."""
    if not isinstance(node, yamlsrc.YMap):
        return 0
    checked = 0
    for key, value in node.items():
        loc = node.key_loc(key)
        at = lines[loc.line - 1][loc.col - 1:]
        assert at.startswith(key) or at.startswith(f"'{key}'"), (key, loc, at)
        vloc = node.value_loc(key)
        vat = lines[vloc.line - 1][vloc.col - 1:]
        if isinstance(value, yamlsrc.YMap):
            first = next(iter(value))
            assert vat.startswith(("{", first, f"'{first}'")), (key, vloc, vat)
        else:
            assert vat.startswith((str(value), f"'{value}'")), (key, vloc, vat)
        checked += 1 + _check_locations(value, lines)
    return checked


@settings(max_examples=200, deadline=None)
@given(tree=st.dictionaries(keys, trees, min_size=1, max_size=5),
       flow=st.sampled_from([False, True, None]), indent=st.integers(2, 6),
       preamble=st.lists(st.sampled_from(["# note", "", "   # indented note"]), max_size=3))
def test_yamlsrc_locations_point_at_keys_and_values(tree: dict[str, Any], flow: bool | None,
                                                    indent: int, preamble: list[str]) -> None:
    body = yaml.safe_dump(tree, default_flow_style=flow, indent=indent, sort_keys=False,
                          width=60)
    text = "".join(p + "\n" for p in preamble) + body
    data = yamlsrc.load(Path("gen.yaml"), text)
    assert data == tree
    assert data.loc.line >= len(preamble) + 1
    assert _check_locations(data, text.splitlines()) >= len(tree)
