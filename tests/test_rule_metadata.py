"""Rule metadata (docs/rules.md, "Rule metadata"): each key loads, lint refuses unknown names and
bad SQL at the key's location, and the linted expressions stay on the pack."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_lint import entity, loaded, problems, rule, write_pack

from simulator.rules import vocabulary
from simulator.rules.loader import load_pack

FINDING = "    finding:\n      severity: info\n      title: t\n      fix: f\n"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def with_finding(extra: str, name: str = "requests", side: str = "extract") -> list[str]:
    """One rule with a finding and `extra` keys under it (from line 13), and a catch-all."""
    text = entity(name, rule(f"{name}.x", outcome="added", extra=FINDING + extra),
                  rule(f"{name}.all", outcome="added"), side=side)
    return problems(write_pack("pack", **{name: text}))


def test_every_finding_key_loads_and_the_detail_stays_parsed() -> None:
    extra = FINDING + (
        "      area: users\n      workload: holds\n      info_up_to: holds_threshold\n"
        "      export: my-holds.csv\n      checked_by: [ready.added-since-testload]\n"
        "      detail: select request_id as k, status as d from extract.requests\n")
    base = write_pack("pack", requests=entity(
        "requests", rule("requests.x", outcome="added", extra=extra),
        rule("requests.all", outcome="added"), side="extract"))
    spec = loaded(base).entities[("extract", "requests")].rules[0].finding
    assert spec is not None
    assert (spec.area, spec.workload, spec.info_up_to, spec.export, spec.checked_by) == (
        "users", "holds", "holds_threshold", "my-holds.csv", ("ready.added-since-testload",))
    assert spec.detail_tree is not None and spec.detail_tree.key == "select"


@pytest.mark.parametrize(("key", "value", "message"), [
    ("area", "money", "rule 'requests.x' finding area: unknown area 'money' (expected one of "
                      "acquisitions, communications, configuration, fulfillment, users)"),
    ("workload", "hold", "rule 'requests.x' finding workload: unknown workload 'hold' (did you "
                         "mean 'holds'?) (expected one of authorities, collection-links, "
                         "collections, holds, logical-sets, reports-at-risk, webhooks)"),
    ("info_up_to", "threshold", "rule 'requests.x' finding info_up_to: unknown info_up_to "
                                "'threshold' (did you mean 'holds_threshold'?) (expected one "
                                "of holds_threshold)"),
    ("checked_by", "[ready.nothing]", "rule 'requests.x' finding checked_by: unknown "
                                      "checked_by 'ready.nothing' (expected one of "
                                      "ready.added-since-testload, "
                                      "ready.itemized-could-be-logical)"),
])
def test_unknown_names_are_located_with_the_known_ones(key: str, value: str,
                                                       message: str) -> None:
    assert with_finding(f"      {key}: {value}\n") == [f"pack/requests.yaml:13:{9 + len(key)}: "
                                                       f"{message}"]


@pytest.mark.parametrize("name", ["ledger.csv", "Holds.csv", "holds.txt", "../x.csv"])
def test_an_export_must_be_a_new_plain_csv_name(name: str) -> None:
    [found] = with_finding(f"      export: {name}\n")
    assert found.startswith("pack/requests.yaml:13:15: rule 'requests.x' finding export: "
                            f"'{name}' must be a file name like unfulfilled-holds.csv")


def test_a_detail_must_be_one_select_that_binds() -> None:
    assert with_finding("      detail: request_id\n") == [
        "pack/requests.yaml:13:15: rule 'requests.x' finding detail: must be one SELECT query"]
    assert with_finding("      detail: select 1 as k, 2 as d; drop table x\n") == [
        "pack/requests.yaml:13:15: rule 'requests.x' finding detail: must be exactly one SQL "
        "expression, found 2 statements"]
    [found] = with_finding("      detail: select nothing as k, 1 as d from extract.requests\n")
    assert found.startswith("pack/requests.yaml:13:15: rule 'requests.x' finding detail: "
                            "Binder Error")
    [found] = with_finding("      detail: select request_id as key from extract.requests\n")
    assert found.startswith("pack/requests.yaml:13:15: rule 'requests.x' finding detail: ")
    assert '"k"' in found


def golive(extra: str, name: str = "jobs") -> list[str]:
    text = entity(name, rule(f"{name}.x", outcome="deactivated", extra=extra), rule(f"{name}.all"))
    return problems(write_pack("pack", **{name: text}))


CHECK = ("    golive_check:\n      class: job_off\n      title: job off at go-live\n"
         "      expect: {expect}\n      expected: ENABLED\n      observed: {observed}\n")


def test_a_golive_check_loads_parsed() -> None:
    base = write_pack("pack", jobs=entity("jobs", rule("jobs.x", outcome="deactivated",
                                                       extra=CHECK.format(
                                                           expect="status = 'ENABLED'",
                                                           observed="status")),
                                          rule("jobs.all")))
    check = loaded(base).entities[("alma", "jobs")].rules[0].golive_check
    assert check is not None and check.klass == "job_off"
    assert check.expect_tree is not None and check.observed_tree is not None


def test_a_golive_check_names_columns_of_its_table_and_is_boolean() -> None:
    assert golive(CHECK.format(expect="state = 'ENABLED'", observed="status")) == [
        "pack/jobs.yaml:11:15: rule 'jobs.x' golive_check expect: unknown column or fact "
        "'state' (did you mean 'status'?)"]
    assert golive(CHECK.format(expect="status", observed="status")) == [
        "pack/jobs.yaml:11:15: rule 'jobs.x' golive_check expect must be true or false, not "
        "VARCHAR"]
    assert golive(CHECK.format(expect="status = 'ENABLED'", observed="status")
                  .replace("job_off", "Job Off")) == [
        "pack/jobs.yaml:11:15: rule 'jobs.x' golive_check: class 'Job Off' must be a "
        "lower-case name with underscores (job_not_enabled)"]


def test_a_golive_check_needs_every_key() -> None:
    [found] = golive("    golive_check:\n      class: job_off\n      expect: status = 'x'\n")
    assert found == ("pack/jobs.yaml:9:7: golive_check needs class, title, expect, expected and "
                     "observed (text); missing or not text: title, expected, observed")


def test_go_live_metadata_only_on_alma_records_that_stay() -> None:
    action = "    golive_action:\n      when: 'true'\n      text: Do it for {name}.\n"
    assert golive(action.replace("{name}", "{owner}")) == [
        "pack/jobs.yaml:9:13: rule 'jobs.x' golive_action text: only {name} can be filled in, "
        "not {owner}"]
    text = entity("requests", rule("requests.x", outcome="added", extra=action),
                  rule("requests.all", outcome="added"), side="extract")
    assert problems(write_pack("extract-pack", requests=text)) == [
        "extract-pack/requests.yaml:10:13: rule 'requests.x' golive_action: only Alma-side "
        "records are checked at go-live"]
    removed = entity("jobs", rule("jobs.x", extra=action), rule("jobs.all"))
    assert problems(write_pack("removed-pack", jobs=removed)) == [
        "removed-pack/jobs.yaml:9:13: rule 'jobs.x' golive_action: a removed record is not "
        "there at go-live"]


def test_the_default_pack_uses_every_name_of_the_vocabulary() -> None:
    """A name no rule or check uses is a sign of a renamed rule: the vocabulary stays honest."""
    pack = load_pack()
    specs = [r.finding for _, r in pack.rules() if r.finding]
    assert {s.workload for s in specs if s.workload} <= set(vocabulary.WORKLOADS)
    assert {c for s in specs for c in s.checked_by} == set(vocabulary.CHECKED_BY)
    assert {s.info_up_to for s in specs if s.info_up_to} == set(vocabulary.READINESS_OPTIONS)
