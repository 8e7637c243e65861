"""The plan file of `cutover plan` (docs/commands/plan.md, "The plan file"): what it reads, its
defaults, and every mistake located with its exact message."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from simulator.errors import UserError
from simulator.inputs import plan

D = dt.date
EXAMPLE = """\
consortium: CASCADE
clusters:                     # in order
  - name: "1"
    freeze: 2026-06-01
    institutions: [UWX, OSX]
  - name: "2"
    freeze: 2026-06-12
    institutions: [LCX, RCX, WCX]
"""


def load(tmp_path: Path, text: str) -> plan.Plan:
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return plan.load(path)


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(UserError) as e:
        load(tmp_path, text)
    return [f"{p.loc.line}:{p.loc.col}: {p.message}" for p in e.value.problems]


def test_the_issue_example_reads_with_the_seed_defaults(tmp_path: Path) -> None:
    p = load(tmp_path, EXAMPLE)
    assert p.consortium == "CASCADE"
    assert p.clusters == (plan.Cluster("1", D(2026, 6, 1), ("UWX", "OSX")),
                          plan.Cluster("2", D(2026, 6, 12), ("LCX", "RCX", "WCX")))
    assert p.offsets == {"technical_freeze": (0, 0), "clean_data": (7, 11),
                         "staff_targeted_work": (12, 14), "offline_circulation": (12, 14),
                         "final_circulation_load": (13, 14), "go_live": (14, 14)}
    assert (p.timezone, p.cutoff_time, p.fulfillment_freeze) == ("UTC", dt.time(0),
                                                                 "technical_freeze")
    assert p.first.name == "1"
    assert p.institutions()[2] == (p.clusters[1], "LCX")


def test_offsets_given_replace_only_those_milestones(tmp_path: Path) -> None:
    p = load(tmp_path, EXAMPLE + "offsets:\n  clean_data: [6, 10]\n  go_live: 15\n"
                                 "timezone: Europe/Berlin\ncutoff_time: \"18:30\"\n"
                                 "fulfillment_freeze: offline_circulation\n")
    assert p.offsets["clean_data"] == (6, 10)
    assert p.offsets["go_live"] == (15, 15)
    assert p.offsets["staff_targeted_work"] == (12, 14)
    assert (p.timezone, p.cutoff_time, p.fulfillment_freeze) == ("Europe/Berlin",
                                                                 dt.time(18, 30),
                                                                 "offline_circulation")
    assert p.as_dict()["cutoff_time"] == "18:30"


def test_start_and_stagger_days_place_every_cluster(tmp_path: Path) -> None:
    p = load(tmp_path, "consortium: C\nstart: 2026-06-01\nstagger_days: 11\nclusters:\n"
                       "  - {institutions: [A]}\n  - {institutions: [B]}\n"
                       "  - {name: last, institutions: [C, D]}\n")
    assert [(c.name, c.freeze) for c in p.clusters] == [
        ("1", D(2026, 6, 1)), ("2", D(2026, 6, 12)), ("last", D(2026, 6, 23))]


def test_freezes_not_in_increasing_order(tmp_path: Path) -> None:
    text = ("consortium: C\nclusters:\n"
            "  - name: \"1\"\n    freeze: 2026-06-12\n    institutions: [A]\n"
            "  - name: \"2\"\n    freeze: 2026-06-12\n    institutions: [B]\n"
            "  - name: \"3\"\n    freeze: 2026-06-01\n    institutions: [C]\n")
    assert problems(tmp_path, text) == [
        "7:13: cluster '2' freezes on 2026-06-12, not after cluster '1' (2026-06-12): list the "
        "clusters in the order they freeze, each on a later day",
        "10:13: cluster '3' freezes on 2026-06-01, not after cluster '1' (2026-06-12): list the "
        "clusters in the order they freeze, each on a later day",
    ]


def test_an_institution_in_two_clusters_or_twice_in_one(tmp_path: Path) -> None:
    text = ("consortium: C\nclusters:\n"
            "  - name: \"1\"\n    freeze: 2026-06-01\n    institutions: [A, B, A]\n"
            "  - name: \"2\"\n    freeze: 2026-06-12\n    institutions: [C, B]\n")
    assert problems(tmp_path, text) == [
        "5:26: institution 'A' is listed twice in cluster '1'",
        "8:23: institution 'B' is in cluster '1' and cluster '2': an institution moves with "
        "one cluster",
    ]


def test_an_empty_cluster(tmp_path: Path) -> None:
    text = ("consortium: C\nclusters:\n"
            "  - name: \"1\"\n    freeze: 2026-06-01\n    institutions: []\n"
            "  - name: \"2\"\n    freeze: 2026-06-12\n")
    assert problems(tmp_path, text) == [
        "5:19: cluster '1' has no institutions: give institutions: [CODE, ...]",
        "6:5: cluster '2' has no institutions: give institutions: [CODE, ...]",
    ]


def test_a_cluster_without_a_freeze_and_a_day_that_does_not_exist(tmp_path: Path) -> None:
    text = ("consortium: C\nclusters:\n"
            "  - name: \"1\"\n    institutions: [A]\n"
            "  - name: \"2\"\n    freeze: 2026-06-31\n    institutions: [B]\n")
    assert problems(tmp_path, text) == [
        "3:5: cluster '1' has no freeze: give freeze: YYYY-MM-DD, or start: and stagger_days: "
        "for all clusters",
        "6:13: freeze must be a day (YYYY-MM-DD), not '2026-06-31'",
    ]


ONE = "consortium: C\nclusters:\n  - {name: \"1\", freeze: 2026-06-01, institutions: [A]}\n"


def test_offsets_out_of_order(tmp_path: Path) -> None:
    text = ONE + ("offsets:\n  clean_data: [7, 13]\n  offline_circulation: [14, 15]\n"
                  "  go_live: 14\n")
    assert problems(tmp_path, text) == [
        "5:15: offsets out of order: staff_targeted_work starts (day 12) comes before "
        "clean_data ends (day 13); staff work on the clean data",
        "6:24: offsets out of order: final_circulation_load starts (day 13) comes before "
        "offline_circulation starts (day 14); the final circulation data is extracted once "
        "circulation goes offline",
        "7:12: offsets out of order: go_live (day 14) comes before offline_circulation ends "
        "(day 15); go-live ends the cutover",
    ]


@pytest.mark.parametrize(("offsets", "message"), [
    ("  final_circulation_load: [9, 10]\n", [
        "5:27: offsets out of order: final_circulation_load starts (day 9) comes before "
        "clean_data ends (day 11); the final circulation data is loaded onto the clean data",
        "5:27: offsets out of order: final_circulation_load starts (day 9) comes before "
        "offline_circulation starts (day 12); the final circulation data is extracted once "
        "circulation goes offline"]),
    ("  staff_targeted_work: [12, 15]\n", [
        "5:24: offsets out of order: go_live (day 14) comes before staff_targeted_work ends "
        "(day 15); go-live ends the cutover"]),
    ("  final_circulation_load: [13, 16]\n", [
        "5:27: offsets out of order: go_live (day 14) comes before final_circulation_load ends "
        "(day 16); go-live ends the cutover"]),
])
def test_each_order_of_the_offsets(tmp_path: Path, offsets: str, message: list[str]) -> None:
    assert problems(tmp_path, ONE + "offsets:\n" + offsets) == message


def test_offsets_in_order_at_their_limits_are_accepted(tmp_path: Path) -> None:
    p = load(tmp_path, ONE + "offsets:\n  clean_data: [1, 1]\n  staff_targeted_work: [1, 2]\n"
                             "  offline_circulation: [1, 1]\n  final_circulation_load: [1, 2]\n"
                             "  go_live: 2\n")
    assert p.offsets["go_live"] == (2, 2)


def test_offsets_of_the_wrong_shape(tmp_path: Path) -> None:
    text = ONE + ("offsets:\n  clean_data: [11, 7]\n  staff_targeted_work: 12\n"
                  "  final_circ_load: [13, 14]\n  go_live: 0\n")
    assert problems(tmp_path, text) == [
        "5:15: clean_data ends on day 7, before it starts (day 11)",
        "6:24: staff_targeted_work must be [first, last]: whole numbers of days after the "
        "freeze (at least 1), not 12",
        "7:3: unknown milestone 'final_circ_load' (did you mean 'final_circulation_load'?): "
        "expected clean_data, staff_targeted_work, offline_circulation, "
        "final_circulation_load, go_live",
        "8:12: go_live must be a whole number of days after the freeze (at least 1), not 0",
    ]
    assert problems(tmp_path, ONE + "offsets: [7, 11]\n") == [
        "4:10: offsets must be a mapping of milestone: days from the freeze, not a list"]


def test_unknown_keys_and_bad_settings(tmp_path: Path) -> None:
    text = ("consortium: [x]\nclustres: []\ntimezone: Europe/Berln\ncutoff_time: 18:00\n"
            "fulfillment_freeze: offline\n")
    assert problems(tmp_path, text) == [
        "1:1: missing required key 'clusters'",
        "1:13: consortium must be the consortium's name or code, not a list",
        "2:1: unknown key 'clustres' (did you mean 'clusters'?): expected consortium, "
        "clusters, start, stagger_days, offsets, timezone, cutoff_time, fulfillment_freeze",
        "3:11: unknown time zone 'Europe/Berln' (did you mean 'Europe/Berlin'?): give an IANA "
        "name such as Europe/Berlin or UTC",
        "4:14: cutoff_time must be in quotes (\"18:00\"): YAML reads an unquoted 18:00 as a "
        "number",
        "5:21: fulfillment_freeze must be one of technical_freeze, offline_circulation, not "
        "'offline'",
    ]
    assert problems(tmp_path, ONE + "cutoff_time: \"24:00\"\nunused: 1\n") == [
        "4:14: cutoff_time must be a time of day HH:MM (00:00 to 23:59), not '24:00'",
        "5:1: unknown key 'unused': expected consortium, clusters, start, stagger_days, "
        "offsets, timezone, cutoff_time, fulfillment_freeze",
    ]


def test_start_with_freezes_codes_and_names(tmp_path: Path) -> None:
    text = ("consortium: C\nstart: 2026-06-01\nclusters:\n"
            "  - {name: \"1\", freeze: 2026-06-01, institutions: [A]}\n"
            "  - {institutions: [B, \"01 X\", 12], size: large}\n")
    assert problems(tmp_path, text) == [
        "2:1: start: needs stagger_days: too (the days from one cluster's freeze to the next)",
        "4:17: cluster '1' has a freeze, but start: and stagger_days: place every cluster: "
        "give one or the other",
        "5:24: '01 X' is not an institution code (letters, digits and _ . - only, starting "
        "with a letter or digit; write a code of digits in quotes)",
        "5:32: 12 is not an institution code (letters, digits and _ . - only, starting with a "
        "letter or digit; write a code of digits in quotes)",
        "5:37: unknown key 'size': expected name, freeze, institutions",
    ]
    text = ("consortium: C\nstart: 2026-06-01T10:00:00\nstagger_days: 0\nclusters:\n"
            "  - {name: 1, institutions: [A]}\n  - {name: 1, institutions: [B]}\n")
    assert problems(tmp_path, text) == [
        "2:8: start must be a day (YYYY-MM-DD), not '2026-06-01T10:00:00'",
        "3:15: stagger_days must be a whole number of days, at least 1, not 0",
        "6:12: two clusters are named '1'",
    ]
    assert problems(tmp_path, "consortium: C\nstagger_days: 7\nclusters: [{institutions: "
                              "[A]}]\n") == [
        "2:1: stagger_days: needs start: too (the first cluster's freeze)"]


def test_a_plan_that_is_no_mapping_or_has_no_clusters(tmp_path: Path) -> None:
    assert problems(tmp_path, "- a\n- b\n") == [
        "1:1: a plan is a mapping with consortium: and clusters: (docs/commands/plan.md)"]
    assert problems(tmp_path, "consortium: C\nclusters:\n") == [
        "2:10: clusters must be a list of clusters, each with name, freeze and institutions"]
    assert problems(tmp_path, "consortium: C\nclusters: [7]\n") == [
        "2:12: cluster 1 must be a mapping with name, freeze and institutions, not 7"]
