"""The shared checks of YAML mappings: unknown keys with "did you mean", missing keys."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from simulator.errors import Collector, Loc
from simulator.inputs import yamlsrc
from simulator.inputs.yamlsrc import check_keys, closest, required, suggest

KEYS = ("entity", "class", "warn", "fail")


def mapping(text: str) -> yamlsrc.YMap:
    data = yamlsrc.load(Path("t.yaml"), text)
    assert isinstance(data, yamlsrc.YMap)
    return data


def messages(problems: Collector) -> list[str]:
    return [str(p) for p in sorted(problems.problems)]


def test_suggest_names_the_closest_choice() -> None:
    assert suggest("retain_fund", ("retain_funds", "retain_courses")) == \
        " (did you mean 'retain_funds'?)"
    assert closest("golive", ("testload", "go_live")) == "go_live"


def test_suggest_is_silent_when_nothing_is_close() -> None:
    assert suggest("colour", ("name", "options", "dates")) == ""
    assert suggest("anything", ()) == ""
    assert closest("colour", ("name",)) is None


def test_check_keys_reports_each_unknown_key_at_its_location() -> None:
    data = mapping("entity: users\nfial: 0\ncolour: red\n")
    problems = Collector()
    assert check_keys(data, KEYS, problems) == ["fial", "colour"]
    assert messages(problems) == [
        "t.yaml:2:1: unknown key 'fial' (did you mean 'fail'?): expected entity, class, warn, "
        "fail",
        "t.yaml:3:1: unknown key 'colour': expected entity, class, warn, fail",
    ]


def test_check_keys_is_quiet_when_every_key_is_allowed() -> None:
    problems = Collector()
    assert check_keys(mapping("entity: users\nfail: 0\n"), KEYS, problems) == []
    assert problems.problems == []


def test_check_keys_wordings() -> None:
    data = mapping("x: 1\n  # comment\nsumon: true\n")
    options = ("retain_funds", "summon")
    asked, listed, ignored, own = Collector(), Collector(), Collector(), Collector()
    check_keys(data, options, asked, what="option", template=yamlsrc.ASKED)
    check_keys(data, options, listed, what="option key", template=yamlsrc.LISTED,
               expected="one of retain_funds, summon")
    check_keys(data, options, ignored, template=yamlsrc.IGNORED)
    check_keys(data, ("waivers",), own, template="unknown {what} '{key}': expected only 'waivers'")
    assert messages(asked) == [
        "t.yaml:1:1: unknown option 'x': expected retain_funds, summon",
        "t.yaml:3:1: unknown option 'sumon': did you mean 'summon'? expected retain_funds, summon",
    ]
    assert messages(listed) == [
        "t.yaml:1:1: unknown option key 'x' (expected one of retain_funds, summon)",
        "t.yaml:3:1: unknown option key 'sumon' (expected one of retain_funds, summon)",
    ]
    assert messages(ignored) == ["t.yaml:1:1: unknown key 'x' ignored",
                                 "t.yaml:3:1: unknown key 'sumon' ignored"]
    assert messages(own) == ["t.yaml:1:1: unknown key 'x': expected only 'waivers'",
                             "t.yaml:3:1: unknown key 'sumon': expected only 'waivers'"]


def test_required_reports_missing_keys_at_the_mapping_or_where_told() -> None:
    data = mapping("# a comment first\nfinding: x\nowner: me\n")
    problems = Collector()
    assert required(data, ("finding", "owner", "reason", "expires"), problems,
                    template="waiver 1: missing '{key}'") == ["reason", "expires"]
    assert messages(problems) == ["t.yaml:2:1: waiver 1: missing 'expires'",
                                  "t.yaml:2:1: waiver 1: missing 'reason'"]
    top = Collector()
    assert required(data, ("stage",), top, at=Loc("t.yaml", 1, 1)) == ["stage"]
    assert messages(top) == ["t.yaml:1:1: missing required key 'stage'"]


def test_required_is_quiet_when_all_are_given() -> None:
    problems = Collector()
    assert required(mapping("finding: x\n"), ("finding",), problems) == []
    assert problems.problems == []


words = st.text(alphabet="abcdefgh_AB", max_size=12)


@given(words, st.lists(words, max_size=8))
def test_suggest_only_ever_names_one_of_the_choices(word: str, choices: list[str]) -> None:
    close = closest(word, choices)
    assert close is None or close in choices
    assert suggest(word, choices) == ("" if close is None else f" (did you mean '{close}'?)")


@given(words, st.lists(words, max_size=8), st.randoms(use_true_random=False))
def test_the_order_of_the_choices_does_not_matter(word: str, choices: list[str],
                                                  rnd: random.Random) -> None:
    shuffled = list(choices)
    rnd.shuffle(shuffled)
    assert closest(word, shuffled) == closest(word, choices)


@given(words, st.lists(words, max_size=8))
def test_a_word_among_the_choices_is_its_own_suggestion(word: str, choices: list[str]) -> None:
    # Letter case counts: 'USERS' is not close to 'users' (callers upper-case domain values).
    assert closest(word, [*choices, word]) == word
