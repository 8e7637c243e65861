"""`cutover verify` (issue 4): presence classes, expect_after state checks, the fulfillment and
go-live stage checks, the prediction mode, the outputs and the sample's deliberate surprises.

Loss budgets are tested in test_budgets.py.
"""

from __future__ import annotations

import csv
import json
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from hashlib import sha256
from html.parser import HTMLParser
from itertools import count
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from conftest import BEFORE, DURING, World, default_pack, role, user, write_snapshot
from typer.testing import CliRunner, Result

from simulator.cli import app
from simulator.commands import verify
from simulator.commands.predict import predict
from simulator.commands.verify.stages import GOLIVE_PARAMETERS, PREFERRED_TERM_PARAMETER
from simulator.core.engine import LEDGER_COLUMNS
from simulator.core.session import Session
from simulator.errors import UserError
from simulator.inputs import bundle, validate
from simulator.inputs.tables import TABLES, post_table
from simulator.output.junit import Case, junit_xml
from simulator.synth import sample, sample_post

Tables = dict[str, list[dict[str, Any]]]
Key = tuple[str, str, str, str]  # side, entity, record_key, class
NOT_IN_INPUT = "absent (in no input record)"
# The classes the fulfillment and go-live checks find (the registry's stage checks).
STAGE_CLASSES = {k.name for k in verify.registry(default_pack()) if k.stage_check}
_seq = count()


# -- helpers ---------------------------------------------------------------------------------


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@dataclass
class Verified:
    run: verify.Run
    rows: list[dict[str, str]]  # discrepancies.csv

    @property
    def out(self) -> Path:
        return self.run.out

    @property
    def summary(self) -> dict[str, Any]:
        return dict(json.loads((self.out / "summary.json").read_text(encoding="utf-8")))

    def keys(self, *classes: str) -> set[Key]:
        return {(r["side"], r["entity"], r["record_key"], r["class"]) for r in self.rows
                if not classes or r["class"] in classes}

    def row(self, side: str, entity: str, key: str, klass: str) -> dict[str, str]:
        found = [r for r in self.rows
                 if (r["side"], r["entity"], r["record_key"], r["class"]) == (side, entity, key,
                                                                             klass)]
        assert len(found) == 1, (side, entity, key, klass, self.rows)
        return found[0]

    def detail(self, side: str, entity: str, key: str, klass: str) -> tuple[str, str, str]:
        """(expected, observed, rule_id) of one discrepancy."""
        r = self.row(side, entity, key, klass)
        return r["expected"], r["observed"], r["rule_id"]

    def counts(self) -> dict[tuple[str, str, str], int]:
        return {(c["side"], c["entity"], c["class"]): c["count"] for c in self.summary["counts"]}

    def matrix(self) -> dict[str, dict[str, Any]]:
        return {m["rule_id"]: m for m in self.summary["matrix"]}


def check(world: World, post: Tables, stage: str = "cutover", **kw: Any) -> Verified:
    """Write `post` as the Alma snapshot after the load and verify the world's inputs against it."""
    n = next(_seq)
    folder = write_snapshot(world.root / f"post-{n}", stage, post)
    run = inline(world.inputs(), folder, world.root / f"verify-{n}", stage=stage,
                 command=["cutover", "verify"], **kw)
    return Verified(run, read_csv(run.out / "discrepancies.csv"))


def inline(inputs: bundle.Inputs, post: Path, out: Path, **kw: Any) -> verify.Run:
    """Verify predicting inline: on a Session over `inputs`, classified by the run."""
    with Session(inputs) as session:
        return verify.run(session, post, out, **kw)


def predicted(inputs: bundle.Inputs, out: Path, **kw: Any) -> Path:
    """A predict run folder of `inputs` (`kw`: the Session's options)."""
    with Session(inputs, **kw) as session:
        predict(session, out, command=["cutover", "predict"])
    return out


def invoke(args: list[str], monkeypatch: pytest.MonkeyPatch) -> Result:
    monkeypatch.setattr(sys, "argv", ["cutover", *args])
    return CliRunner().invoke(app, args)


def inline_args(world: World) -> list[str]:
    pre, extract, scenario, _ = world.write()
    return ["--pre", str(pre), "--extract", str(extract), "--scenario", str(scenario)]


def observed(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """A post row as verify's `observed` JSON shows it: every column, typed, empty as null."""
    out: dict[str, Any] = {}
    for col in TABLES[table].columns:
        value = row.get(col.name)
        if value is None or value == "":
            out[col.name] = None
        elif col.type == "timestamp":
            out[col.name] = str(value).replace("T", " ")
        elif col.type == "int":
            out[col.name] = int(value)
        elif col.type == "bool":
            out[col.name] = value if isinstance(value, bool) else str(value).lower() == "true"
        else:
            out[col.name] = str(value)
    return out


def staff(pid: str, **kw: Any) -> dict[str, Any]:
    return user(pid, "STAFF", **kw)


# -- presence classes ------------------------------------------------------------------------


def test_confirmed_when_alma_holds_what_was_predicted(world: World) -> None:
    world.pre = {"users": [staff("Staff1"), user("Cont1", "CONTACT"), user("Pub1")],
                 "user_roles": [role("Staff1", "Cataloger")],
                 "vendors": [{"code": "V1"}],
                 "sets": [{"set_id": "LS1", "set_type": "LOGICAL"},
                          {"set_id": "IS1", "set_type": "ITEMIZED"}],
                 "jobs": [{"job_id": "J1", "job_type": "MANUAL"}]}
    world.extract = {"patrons": [{"primary_id": "new1", "user_group": "UG"}],
                     "vendors": [{"code": "V1"}]}
    v = check(world, {"users": [staff("Staff1"), user("Cont1", "CONTACT"),
                                user("new1", user_group="UG")],
                      "user_roles": [role("Staff1", "Cataloger"), role("new1")],
                      "vendors": [{"code": "V1"}],
                      "sets": [{"set_id": "LS1", "set_type": "LOGICAL"}],
                      "jobs": [{"job_id": "J1", "job_type": "MANUAL"}]})
    assert v.rows == []
    # Present records predicted present and absent records predicted absent are both confirmed.
    assert v.counts() == {
        ("alma", "users", "confirmed"): 3, ("alma", "user_roles", "confirmed"): 1,
        ("alma", "vendors", "confirmed"): 1, ("alma", "sets", "confirmed"): 2,
        ("alma", "jobs", "confirmed"): 1, ("extract", "patrons", "confirmed"): 1,
        ("extract", "vendors", "confirmed"): 1}
    assert v.summary["verdict"] == "Confirmed: Alma holds exactly what the prediction said."
    assert v.summary["findings"] == [] and not v.run.failed
    assert v.matrix()["sets.itemized"] == {
        "rule_id": "sets.itemized", "side": "alma", "entity": "sets", "outcome": "removed",
        "predicted": 1, "confirmed": 1, "surprises": 0, "by_class": {}}


def test_lost_unexpectedly(world: World) -> None:
    world.pre = {"users": [staff("Staff1"), staff("Staff2"), user("Pub1")]}
    world.extract = {"patrons": [{"primary_id": "new1"}, {"primary_id": "new2"}]}
    v = check(world, {"users": [staff("Staff2"), user("new2")]})
    assert v.keys() == {("alma", "users", "Staff1", "lost_unexpectedly"),
                        ("extract", "patrons", "new1", "lost_unexpectedly")}
    assert v.detail("alma", "users", "Staff1", "lost_unexpectedly") == (
        "present (retained)", "absent", "users.non-public")
    assert v.detail("extract", "patrons", "new1", "lost_unexpectedly") == (
        "present (added)", "absent", "patrons.load")
    # Staff2 and new2 are there, Pub1 is gone as predicted.
    assert v.counts()[("alma", "users", "confirmed")] == 2
    assert v.counts()[("extract", "patrons", "confirmed")] == 1
    assert v.run.failed


def test_survived_unexpectedly(world: World) -> None:
    world.pre = {"sets": [{"set_id": "IS1", "set_type": "ITEMIZED"},
                          {"set_id": "IS2", "set_type": "ITEMIZED"}],
                 "users": [user("Pub1")], "vendors": [{"code": "V1"}]}
    world.extract = {
        "vendors": [{"code": "V9"}],
        "loans": [{"loan_id": "L1", "item_barcode": "B1", "primary_id": "p1",
                   "returned_at": BEFORE}],
        "requests": [{"request_id": "R1", "request_type": "HOLD", "status": "IN_PROCESS"}],
    }
    v = check(world, {
        "sets": [{"set_id": "IS1", "set_type": "ITEMIZED"}],
        "users": [user("Pub1")], "vendors": [{"code": "V1"}, {"code": "V9"}],
        "loans": [{"loan_id": "L1", "item_barcode": "B1", "primary_id": "p1",
                   "returned_at": BEFORE}],
        "requests": [{"request_id": "R1", "request_type": "HOLD", "status": "IN_PROCESS"}],
    })
    # Removed, rejected and not_migrated records that are present; none of them "unexpected".
    assert v.keys() == {("alma", "sets", "IS1", "survived_unexpectedly"),
                        ("alma", "users", "Pub1", "survived_unexpectedly"),
                        ("extract", "vendors", "V9", "survived_unexpectedly"),
                        ("extract", "loans", "L1", "survived_unexpectedly"),
                        ("extract", "requests", "R1", "survived_unexpectedly")}
    assert v.detail("alma", "sets", "IS1", "survived_unexpectedly") == (
        "absent (removed)", "present", "sets.itemized")
    assert v.detail("alma", "users", "Pub1", "survived_unexpectedly") == (
        "absent (removed)", "present", "users.public")
    assert v.detail("extract", "vendors", "V9", "survived_unexpectedly") == (
        "absent (rejected)", "present", "vendors.missing-in-alma")
    assert v.detail("extract", "loans", "L1", "survived_unexpectedly") == (
        "absent (not_migrated)", "present", "loans.historical")
    assert v.detail("extract", "requests", "R1", "survived_unexpectedly") == (
        "absent (not_migrated)", "present", "requests.unfulfilled")
    assert v.counts()[("alma", "sets", "confirmed")] == 1  # IS2 is gone as predicted


def test_unexpected_but_not_the_patron_roles_the_load_gives(world: World) -> None:
    world.pre = {"users": [staff("Staff1")]}
    world.extract = {"patrons": [{"primary_id": "new1"}, {"primary_id": "NEW2"}]}
    v = check(world, {
        "users": [staff("Staff1"), user("new1"), user("new2"), staff("Extra"), user("Ghost")],
        "user_roles": [role("new1"), role("new2", "200", "NFU"),  # implied by the load
                       role("new1", "Cataloger"),  # a staff role nobody predicted
                       role("Ghost")],  # the patron role of a user that is no loaded patron
    })
    assert v.keys() == {("post", "users", "Extra", "unexpected"),
                        ("post", "users", "Ghost", "unexpected"),
                        ("post", "user_roles", "new1|Cataloger|TST", "unexpected"),
                        ("post", "user_roles", "Ghost|Patron|TST", "unexpected")}
    assert v.detail("post", "users", "Extra", "unexpected") == (NOT_IN_INPUT, "present", "")
    assert v.counts()[("extract", "patrons", "confirmed")] == 2
    assert v.counts()[("post", "user_roles", "unexpected")] == 2


def test_removed_public_user_whose_patron_is_loaded_again_is_confirmed(world: World) -> None:
    world.pre = {"users": [user("JDoe"), user("Late", created_at=DURING)],
                 "user_roles": [role("JDoe")]}
    world.extract = {"patrons": [{"primary_id": "jdoe"}, {"primary_id": "late"}]}
    assert {k: r.rule_id for k, r in world.ledger().items() if k[1] == "users"} == {
        ("alma", "users", "JDoe"): "users.public",
        ("alma", "users", "Late"): "users.created-during-freeze"}
    v = check(world, {"users": [user("jdoe"), user("late")],
                      "user_roles": [role("jdoe"), role("late")]})
    assert v.rows == []
    assert v.counts() == {("alma", "users", "confirmed"): 2,
                          ("alma", "user_roles", "confirmed"): 1,
                          ("extract", "patrons", "confirmed"): 2}
    # Without the patron, the removed user that is still there did survive unexpectedly.
    world.extract = {"patrons": [{"primary_id": "late"}]}
    v = check(world, {"users": [user("jdoe"), user("late")],
                      "user_roles": [role("jdoe"), role("late")]})
    assert v.keys() == {("alma", "users", "JDoe", "survived_unexpectedly"),
                        ("alma", "user_roles", "JDoe|Patron|TST", "survived_unexpectedly")}


def test_orders_and_invoices_are_unverifiable(world: World) -> None:
    world.pre = {"vendors": [{"code": "V1"}]}
    world.extract = {"vendors": [{"code": "V1"}],
                     "orders": [{"order_id": "O1", "vendor_code": "V1"},
                                {"order_id": "O2", "vendor_code": "V1"}],
                     "invoices": [{"invoice_id": "I1", "vendor_code": "V1"}]}
    v = check(world, {"vendors": [{"code": "V1"}]})
    assert v.rows == []
    assert v.counts() == {("alma", "vendors", "confirmed"): 1,
                          ("extract", "vendors", "confirmed"): 1,
                          ("extract", "orders", "unverifiable"): 2,
                          ("extract", "invoices", "unverifiable"): 1}
    orders = [m for m in v.summary["matrix"] if m["entity"] == "orders"]
    assert [(m["predicted"], m["confirmed"], m["surprises"]) for m in orders] == [(2, 0, 0)]
    assert not v.run.failed


def test_primary_ids_match_case_insensitively_and_only_they(world: World) -> None:
    world.pre = {"users": [staff("JSmith")], "user_roles": [role("JSmith", "Cataloger")],
                 "sets": [{"set_id": "SetA", "set_type": "LOGICAL"}]}
    world.extract = {"patrons": [{"primary_id": "MDoe"}]}
    v = check(world, {"users": [staff("jsmith"), user("mdoe")],
                      "user_roles": [role("jsmith", "Cataloger"), role("MDOE")],
                      "sets": [{"set_id": "seta", "set_type": "LOGICAL"}]})
    assert v.counts()[("alma", "users", "confirmed")] == 1
    assert v.counts()[("alma", "user_roles", "confirmed")] == 1
    assert v.counts()[("extract", "patrons", "confirmed")] == 1
    # A set id is no Primary ID: another spelling is another set.
    assert v.keys() == {("alma", "sets", "SetA", "lost_unexpectedly"),
                        ("post", "sets", "seta", "unexpected")}


def test_role_200_and_patron_are_one_role(world: World) -> None:
    world.pre = {"users": [staff("Staff1"), staff("Staff2")],
                 "user_roles": [role("Staff1", "200"), role("Staff2", "Patron"),
                                role("Staff1", "Cataloger")]}
    v = check(world, {"users": [staff("Staff1"), staff("Staff2")],
                      "user_roles": [role("Staff1", "Patron"), role("Staff2", "200"),
                                     role("Staff1", "Circulation Desk Operator")]})
    assert v.counts()[("alma", "user_roles", "confirmed")] == 2
    # Other roles are compared by name.
    assert v.keys() == {
        ("alma", "user_roles", "Staff1|Cataloger|TST", "lost_unexpectedly"),
        ("post", "user_roles", "Staff1|Circulation Desk Operator|TST", "unexpected")}


# -- expect_after: every rule of the default pack, positive and negative --------------------


@dataclass
class StateCase:
    """Two records decided by `rule`: the post row of `good` meets expect_after, `bad`'s not."""

    rule: str
    pre: Tables
    extract: Tables
    post: Tables
    good: str
    bad: str
    options: dict[str, bool] = field(default_factory=dict)


def _public_staff(origin: str, *, bad_roles: bool, bad_group: bool) -> dict[str, Tables]:
    """Public users with a staff role, matched by a patron; Bad's post row breaks the rule."""
    return {
        "pre": {"users": [user("Good", origin=origin), user("Bad", origin=origin)],
                "user_roles": [role("Good"), role("Good", "Cataloger"), role("Bad"),
                               role("Bad", "Cataloger")]},
        "extract": {"patrons": [{"primary_id": "good", "user_group": "UG"},
                                {"primary_id": "bad", "user_group": "UG"}]},
        "post": {"users": [user("good", user_group="UG"),
                           user("bad", user_group="GRAD" if bad_group else "UG")],
                 "user_roles": [role("good"), role("good", "Cataloger"), role("bad")]
                 + ([] if bad_roles else [role("bad", "Cataloger")])},
    }


_RETAIN_FUNDS = {"retain_funds": True, "reload_acquisitions": False}

STATE_CASES = [
    StateCase("users.changed-during-freeze",
              {"users": [staff("Good", updated_at=DURING), staff("Bad", updated_at=DURING)]}, {},
              {"users": [staff("Good", updated_at=BEFORE), staff("Bad", updated_at=DURING)]},
              "Good", "Bad"),
    StateCase("users.non-public",
              {"users": [staff("Good"), user("Bad", "CONTACT")]}, {},
              {"users": [staff("Good"), user("Bad", "PUBLIC")]}, "Good", "Bad"),
    StateCase("users.public-staff-created-matched",
              **_public_staff("CREATED", bad_roles=False, bad_group=True), good="Good", bad="Bad"),
    StateCase("users.public-staff-matched",
              **_public_staff("MIGRATED", bad_roles=True, bad_group=False), good="Good",
              bad="Bad"),
    StateCase("patrons.refreshes-public-staff",
              **_public_staff("MIGRATED", bad_roles=False, bad_group=True), good="good",
              bad="bad"),
    StateCase("patrons.load", {},
              {"patrons": [{"primary_id": "good", "user_group": "UG"},
                           {"primary_id": "bad", "user_group": "UG"}]},
              {"users": [user("good", user_group="UG"), user("bad", user_group="STAFF_GROUP")]},
              "good", "bad"),
    StateCase("sets.changed-during-freeze",
              {"sets": [{"set_id": "Good", "set_type": "LOGICAL", "updated_at": DURING},
                        {"set_id": "Bad", "set_type": "LOGICAL", "updated_at": DURING}]}, {},
              {"sets": [{"set_id": "Good", "set_type": "LOGICAL", "updated_at": BEFORE},
                        {"set_id": "Bad", "set_type": "LOGICAL", "updated_at": DURING}]},
              "Good", "Bad"),
    StateCase("jobs.scheduled",
              {"jobs": [{"job_id": "Good", "job_type": "SCHEDULED", "status": "ENABLED"},
                        {"job_id": "Bad", "job_type": "SCHEDULED", "status": "ENABLED"}]}, {},
              {"jobs": [{"job_id": "Good", "job_type": "SCHEDULED", "status": "DISABLED"},
                        {"job_id": "Bad", "job_type": "SCHEDULED", "status": "ENABLED"}]},
              "Good", "Bad"),
    StateCase("webhooks.already-inactive",
              {"webhooks": [{"profile_id": "Good", "status": "INACTIVE"},
                            {"profile_id": "Bad", "status": "INACTIVE"}]}, {},
              {"webhooks": [{"profile_id": "Good", "status": "INACTIVE"},
                            {"profile_id": "Bad", "status": "ACTIVE"}]}, "Good", "Bad"),
    StateCase("webhooks.inactive",
              {"webhooks": [{"profile_id": "Good", "status": "ACTIVE"},
                            {"profile_id": "Bad", "status": "ACTIVE", "name": "Hook"}]}, {},
              {"webhooks": [{"profile_id": "Good", "status": "INACTIVE"},
                            {"profile_id": "Bad", "status": "ACTIVE", "name": "Hook"}]},
              "Good", "Bad"),
    StateCase("funds.retained-fiscal-period-differs",
              {"funds": [{"fund_code": "Good", "fiscal_period": "2025"},
                         {"fund_code": "Bad", "fiscal_period": "2025"}]},
              {"funds": [{"fund_code": "Good", "fiscal_period": "2026"},
                         {"fund_code": "Bad", "fiscal_period": "2026"}]},
              {"funds": [{"fund_code": "Good", "fiscal_period": "2025"},
                         {"fund_code": "Bad", "fiscal_period": "2025"}],
               "fund_transactions": [{"transaction_id": "T1", "fund_code": "Bad",
                                      "transaction_type": "ALLOCATION", "amount": "10"}]},
              "Good", "Bad", _RETAIN_FUNDS),
    StateCase("funds.retained",
              {"funds": [{"fund_code": "Good"}, {"fund_code": "Bad"}]}, {},
              {"funds": [{"fund_code": "Good"}, {"fund_code": "Bad"}],
               "fund_transactions": [{"transaction_id": "T1", "fund_code": "Bad"}]},
              "Good", "Bad", _RETAIN_FUNDS),
    StateCase("reading_lists.retained-without-citations",
              {"courses": [{"course_code": "C1"}],
               "reading_lists": [{"list_id": "Good", "course_code": "C1"},
                                 {"list_id": "Bad", "course_code": "C1"}],
               "citations": [{"citation_id": "CI1", "list_id": "Good"},
                             {"citation_id": "CI2", "list_id": "Bad"}]}, {},
              {"courses": [{"course_code": "C1"}],
               "reading_lists": [{"list_id": "Good", "course_code": "C1"},
                                 {"list_id": "Bad", "course_code": "C1"}],
               "citations": [{"citation_id": "CI2", "list_id": "Bad"}]},
              "Good", "Bad", {"retain_courses": True}),
    StateCase("licenses.retained-einventory",
              {"licenses": [{"license_code": "Good", "linked_to_einventory": "true"},
                            {"license_code": "Bad", "linked_to_einventory": "true"}]}, {},
              {"licenses": [{"license_code": "Good", "linked_to_einventory": "false"},
                            {"license_code": "Bad", "linked_to_einventory": "true"}]},
              "Good", "Bad", {"retain_licenses": True}),
    StateCase("configuration.changed-during-freeze-linked",
              {"configuration": [
                  {"area": "letters", "item_id": "Good", "collection_id": "COL1",
                   "updated_at": DURING},
                  {"area": "letters", "item_id": "Bad", "collection_id": "COL1",
                   "updated_at": DURING}]}, {},
              {"configuration": [
                  {"area": "letters", "item_id": "Good", "updated_at": BEFORE},
                  {"area": "letters", "item_id": "Bad", "collection_id": "COL1",
                   "updated_at": BEFORE}]},
              "letters|Good", "letters|Bad"),
    StateCase("configuration.changed-during-freeze",
              {"configuration": [{"area": "letters", "item_id": "Good", "updated_at": DURING},
                                 {"area": "letters", "item_id": "Bad", "updated_at": DURING}]},
              {},
              {"configuration": [{"area": "letters", "item_id": "Good", "updated_at": BEFORE},
                                 {"area": "letters", "item_id": "Bad", "updated_at": DURING}]},
              "letters|Good", "letters|Bad"),
    StateCase("configuration.collection-link",
              {"configuration": [
                  {"area": "digitization_profile", "item_id": "Good", "collection_id": "COL1"},
                  {"area": "digitization_profile", "item_id": "Bad", "collection_id": "COL1"}]},
              {},
              {"configuration": [
                  {"area": "digitization_profile", "item_id": "Good"},
                  {"area": "digitization_profile", "item_id": "Bad", "collection_id": "COL1"}]},
              "digitization_profile|Good", "digitization_profile|Bad"),
    StateCase("items.load", {},
              {"items": [{"barcode": "Good", "loan_count": "5"},
                         {"barcode": "Bad", "loan_count": "5"}]},
              {"items": [{"barcode": "Good", "loan_count": "5"},
                         {"barcode": "Bad", "loan_count": "6"}]},
              "Good", "Bad"),
]


def test_every_rule_with_expect_after_has_a_case() -> None:
    with_expect = {r.id for _, r in default_pack().rules() if r.expect_after}
    assert with_expect == {c.rule for c in STATE_CASES}
    assert len(STATE_CASES) == len(with_expect)


@pytest.mark.parametrize("case", STATE_CASES, ids=lambda c: c.rule)
def test_expect_after(case: StateCase, tmp_path: Path) -> None:
    found = default_pack().find_rule(case.rule)
    assert found is not None
    entity, rule = found
    target = post_table(entity.side, entity.name)
    assert target is not None and rule.expect_after
    world = World(tmp_path, pre=case.pre, extract=case.extract, options=case.options)
    v = check(world, case.post)
    # Both records were decided by the rule and are present; one breaks its expectation.
    assert v.matrix()[case.rule] | {"by_class": None} == {
        "rule_id": case.rule, "side": entity.side, "entity": entity.name,
        "outcome": rule.outcome, "predicted": 2, "confirmed": 1, "surprises": 1,
        "by_class": None}
    assert v.matrix()[case.rule]["by_class"] == {"state_mismatch": 1}
    mine = [r for r in v.rows if r["rule_id"] == case.rule]
    assert [(r["side"], r["entity"], r["record_key"], r["class"]) for r in mine] == [
        (entity.side, entity.name, case.bad, "state_mismatch")]
    assert mine[0]["expected"] == rule.expect_after
    bad_row = next(row for row in case.post[target]
                   if "|".join(str(row.get(k, "")) for k in TABLES[target].key).lower()
                   == case.bad.lower())
    shown = json.loads(mine[0]["observed"])
    assert shown == observed(target, bad_row)
    assert list(shown) == list(TABLES[target].column_names)


def test_expectations_are_checked_only_after_the_cutover_load(world: World) -> None:
    case = next(c for c in STATE_CASES if c.rule == "webhooks.inactive")
    world.pre = case.pre
    for stage in ("fulfillment", "golive"):
        v = check(world, case.post, stage=stage)
        assert v.keys("state_mismatch") == set(), stage


@pytest.mark.parametrize("patrons", [0, 30])
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_state_mismatch_shows_the_row_it_failed_on(world: World, fmt: str,
                                                     patrons: int) -> None:
    """The failing rows are found first and read whole afterwards, by their row in the file:
    among rows in any order, CSV or Parquet, each failing record shows its own row, whether
    its rule decided a few of the table's rows (found through the keys matched already: the
    staff users among 30 patrons) or many (the patrons, or the staff users alone)."""
    world.pre = {"users": [staff(f"S{i}") for i in range(6)]}
    world.extract = {"patrons": [{"primary_id": f"p{i}", "user_group": "UG"}
                                 for i in range(patrons)]}
    loaded = [user(f"p{i}", user_group="OTHER" if i == 7 else "UG") for i in range(patrons)]
    post = [staff("S5"), user("s3", "PUBLIC", user_group="G3"), *loaded, staff("S0"),
            user("S1", "PUBLIC", user_group="G1"), staff("S2"), staff("S4")]
    n = next(_seq)
    folder = write_snapshot(world.root / f"post-{n}", "cutover", {"users": post})
    if fmt == "parquet":
        from pyarrow import csv as pa_csv
        text = pa_csv.read_csv(folder / "users.csv", convert_options=pa_csv.ConvertOptions(
            column_types={c: "string" for c in TABLES["users"].column_names},
            strings_can_be_null=True))
        pq.write_table(text, folder / "users.parquet", row_group_size=4)
        (folder / "users.csv").unlink()
    run = inline(world.inputs(), folder, world.root / f"verify-{n}")
    rows = read_csv(run.out / "discrepancies.csv")
    assert [(r["entity"], r["record_key"], r["class"], r["rule_id"], json.loads(r["observed"]))
            for r in rows] == [
        ("users", "S1", "state_mismatch", "users.non-public", observed("users", post[3 + patrons])),
        ("users", "S3", "state_mismatch", "users.non-public", observed("users", post[1])),
        *([("patrons", "p7", "state_mismatch", "patrons.load", observed("users", loaded[7]))]
          if patrons else [])]
    counts = json.loads(run.out.joinpath("summary.json").read_text())["counts"]
    assert counts == [
        {"side": "alma", "entity": "users", "class": "confirmed", "count": 4},
        {"side": "alma", "entity": "users", "class": "state_mismatch", "count": 2},
        *([{"side": "extract", "entity": "patrons", "class": "confirmed", "count": patrons - 1},
           {"side": "extract", "entity": "patrons", "class": "state_mismatch", "count": 1}]
          if patrons else [])]


# -- the fulfillment load ------------------------------------------------------------------


def _loan(loan_id: str, barcode: str, returned: str | None = None) -> dict[str, Any]:
    return {"loan_id": loan_id, "item_barcode": barcode, "primary_id": "P1",
            "loan_date": BEFORE, "returned_at": returned}


def _item(barcode: str, status: str, loan_count: int) -> dict[str, Any]:
    return {"barcode": barcode, "status": status, "loan_count": str(loan_count)}


def _request(request_id: str, status: str, request_type: str = "MOVE") -> dict[str, Any]:
    return {"request_id": request_id, "request_type": request_type, "status": status}


AFTER_CUTOVER: Tables = {
    "users": [staff("Staff1"), staff("Staff2"), staff("Staff3"), user("P1")],
    "vendors": [{"code": "V1"}],
    "sets": [{"set_id": "LS1", "set_type": "LOGICAL"}],
    "webhooks": [{"profile_id": "WH1", "status": "ACTIVE"}],
    "items": [_item("B1", "IN_PLACE", 3), _item("B2", "IN_PLACE", 0), _item("B3", "ON_LOAN", 1),
              _item("B4", "ON_LOAN", 1), _item("B5", "IN_PLACE", 2)],
    "loans": [_loan("L3", "B3"), _loan("L4", "B4")],
    "requests": [_request("R1", "ON_HOLD_SHELF", "HOLD"), _request("R2", "IN_PROCESS"),
                 _request("R3", "IN_PROCESS")],
    "course_instructors": [{"course_code": "CRS1", "instructor_primary_id": "Staff1"}],
}
AFTER_FULFILLMENT: Tables = {
    # Staff2 became public, Staff3 is gone; a new patron P2 is fine.
    "users": [staff("Staff1"), user("Staff2"), user("P1"), user("P2")],
    "vendors": [{"code": "V1"}, {"code": "V9"}],  # V9 is new
    "sets": [],  # LS1 is gone
    "webhooks": [{"profile_id": "WH1", "status": "ACTIVE"}],  # no state checks at this stage
    # B1's loan count changed; B2 is on loan without a loan, B3 has a loan but is in place;
    # B4 and B5 follow their loans.
    "items": [_item("B1", "IN_PLACE", 4), _item("B2", "ON_LOAN", 0), _item("B3", "IN_PLACE", 1),
              _item("B4", "ON_LOAN", 1), _item("B5", "IN_PLACE", 2)],
    "loans": [_loan("L3", "B3"), _loan("L4", "B4"), _loan("L5", "B5", returned=DURING)],
    # Hold-shelf requests may change (R1 picked up, R4 new); R2 and R3 may not.
    "requests": [_request("R2", "COMPLETED"), _request("R4", "ON_HOLD_SHELF", "HOLD")],
    "course_instructors": [{"course_code": "CRS1", "instructor_primary_id": "STAFF1"},
                           {"course_code": "CRS1", "instructor_primary_id": "S0099"}],
}


def test_fulfillment_stage(world: World) -> None:
    world.pre = {"users": [staff("Staff1")], "webhooks": [{"profile_id": "WH1",
                                                           "status": "ACTIVE"}]}
    baseline = write_snapshot(world.root / "post-cutover", "cutover", AFTER_CUTOVER)
    v = check(world, AFTER_FULFILLMENT, stage="fulfillment", baseline=baseline)
    stage_rows = {(r["side"], r["entity"], r["record_key"], r["class"]):
                  (r["expected"], r["observed"], r["rule_id"])
                  for r in v.rows if r["class"] in STAGE_CLASSES}
    changed, after = "changed_at_fulfillment", "after the fulfillment load"
    assert stage_rows == {
        ("alma", "vendors", "V9", changed): ("absent as at cutover", f"present {after}", ""),
        ("alma", "sets", "LS1", changed): ("present as at cutover", f"absent {after}", ""),
        ("alma", "users", "Staff2", changed): ("staff user as at cutover", "PUBLIC", ""),
        ("alma", "users", "Staff3", changed): ("staff user as at cutover", "absent", ""),
        ("alma", "requests", "R2", changed): ("request as at cutover (IN_PROCESS)", "COMPLETED",
                                              ""),
        ("alma", "requests", "R3", changed): ("request as at cutover (IN_PROCESS)", "absent", ""),
        ("alma", "items", "B1", "loan_count_changed"): ("loan_count 3", "loan_count 4", ""),
        ("alma", "items", "B2", "item_status_mismatch"): ("not ON_LOAN (no active loan)",
                                                          "ON_LOAN", ""),
        ("alma", "items", "B3", "item_status_mismatch"): ("ON_LOAN (active loan)", "IN_PLACE",
                                                          ""),
        ("alma", "course_instructors", "CRS1|S0099", "instructor_unlinked"): (
            "a user with this Primary ID", "no such user", ""),
    }
    assert v.keys("state_mismatch") == set()
    assert {f["id"] for f in v.summary["findings"]} >= {
        "verify.changed_at_fulfillment.alma.vendors", "verify.item_status_mismatch.alma.items"}
    assert v.summary["warnings"] == [
        "no --cutover-extract: the migration and field mapping forms were not compared with the "
        "cutover's"]
    # Without the snapshot after the cutover only the checks within the snapshot are made, and
    # the report says which were not.
    v = check(world, AFTER_FULFILLMENT, stage="fulfillment")
    assert {k for k in v.keys() if k[3] in STAGE_CLASSES} == {
        ("alma", "items", "B2", "item_status_mismatch"),
        ("alma", "items", "B3", "item_status_mismatch"),
        ("alma", "course_instructors", "CRS1|S0099", "instructor_unlinked")}
    assert v.summary["warnings"][1:] == [
        "no --baseline: what changed since the cutover load (other tables, staff users, "
        "requests, loan counts) was not checked"]


def _add_forms(folder: Path, forms: dict[str, str]) -> Path:
    manifest = folder / "snapshot.yaml"
    text = manifest.read_text(encoding="utf-8") + "forms:\n"
    for name, content in forms.items():
        (folder / f"{name}.txt").write_text(content, encoding="utf-8")
        text += f"  {name}: {name}.txt\n"
    manifest.write_text(text, encoding="utf-8")
    return folder


def test_fulfillment_forms_must_hash_as_at_cutover(world: World) -> None:
    world.pre = {"vendors": [{"code": "V1"}]}
    world.extract = {"vendors": [{"code": "V1"}]}
    pre, extract, scenario, _ = world.write()
    same, old, new = "source,target\na,b\n", "version 1\n", "version 2\n"
    _add_forms(extract, {"migration_form": new, "field_mapping_form": same})
    cutover_extract = _add_forms(
        write_snapshot(world.root / "cutover-extract", "extract", world.extract),
        {"migration_form": old, "field_mapping_form": same, "retired_form": old})
    post = write_snapshot(world.root / "post", "fulfillment", {"vendors": [{"code": "V1"}]})
    run = inline(bundle.open_inputs(pre, extract, scenario), post, world.root / "out",
                 stage="fulfillment", cutover_extract=cutover_extract)
    rows = read_csv(run.out / "discrepancies.csv")

    def digest(text: str) -> str:
        return "sha256 " + sha256(text.encode()).hexdigest()

    assert [(r["side"], r["entity"], r["record_key"], r["class"], r["expected"], r["observed"])
            for r in rows] == [
        ("extract", "forms", "migration_form", "form_changed", digest(old), digest(new)),
        ("extract", "forms", "retired_form", "form_changed", digest(old), "missing"),
    ]
    assert [f.severity for f in run.findings] == ["blocker"]
    assert run.summary["warnings"] == [
        "no --baseline: what changed since the cutover load (other tables, staff users, "
        "requests, loan counts) was not checked"]
    # The same forms: nothing to report.
    same_forms = _add_forms(
        write_snapshot(world.root / "cutover-extract-2", "extract", world.extract),
        {"migration_form": new, "field_mapping_form": same})
    run = inline(bundle.open_inputs(pre, extract, scenario), post, world.root / "out-2",
                 stage="fulfillment", cutover_extract=same_forms)
    assert read_csv(run.out / "discrepancies.csv") == []


# -- go-live ---------------------------------------------------------------------------------


def test_golive_stage(world: World) -> None:
    world.pre = {
        "users": [staff("Staff1")],
        "vendors": [{"code": "V1"}, {"code": "V2"}],
        "rs_partners": [{"code": "R1"}, {"code": "R2"}],
        "jobs": [{"job_id": "J1", "job_type": "SCHEDULED", "status": "ENABLED"},
                 {"job_id": "J2", "job_type": "SCHEDULED", "status": "DISABLED"},
                 {"job_id": "J3", "job_type": "MANUAL", "status": "ENABLED"},
                 {"job_id": "J4", "job_type": "SCHEDULED", "status": "ENABLED"}],
        "webhooks": [{"profile_id": "WH1", "name": "Hook one", "status": "ACTIVE"},
                     {"profile_id": "WH2", "name": "Hook two", "status": "INACTIVE"},
                     {"profile_id": "WH3", "name": "Hook three", "status": "ACTIVE"},
                     {"profile_id": "WH4", "status": "ACTIVE"}],
        "parameters": [{"name": "acquisition_solr_indexing_enabled", "value": "false"},
                       {"name": "acquisition_solr_save_enabled", "value": "false"}],
    }
    world.extract = {"patrons": [{"primary_id": "P1"}, {"primary_id": "P2"}]}
    v = check(world, {
        "users": [staff("Staff1", email="staff1@scrubbed.invalid"),
                  user("P1", email="p1@uni.example"), user("P2")],
        "vendors": [{"code": "V1", "email": "orders@scrubbed.invalid"},
                    {"code": "V2", "email": "orders@vendor.example"}],
        "rs_partners": [{"code": "R1", "email": "ill@scrubbed.invalid"},
                        {"code": "R2", "email": "ill@partner.example"}],
        "jobs": [{"job_id": "J1", "job_type": "SCHEDULED", "status": "DISABLED"},
                 {"job_id": "J2", "job_type": "SCHEDULED", "status": "DISABLED"},
                 {"job_id": "J3", "job_type": "MANUAL", "status": "DISABLED"},
                 {"job_id": "J4", "job_type": "SCHEDULED", "status": "ENABLED"}],
        "webhooks": [{"profile_id": "WH1", "name": "Hook one", "status": "INACTIVE"},
                     {"profile_id": "WH2", "name": "Hook two", "status": "INACTIVE"},
                     {"profile_id": "WH3", "name": "Hook three", "status": "ACTIVE"},
                     {"profile_id": "WH4", "status": "INACTIVE"}],
        "parameters": [{"name": "acquisition_solr_indexing_enabled", "value": "TRUE"}],
    }, stage="golive")
    stage_rows = {(r["entity"], r["record_key"], r["class"]): (r["expected"], r["observed"],
                                                               r["rule_id"])
                  for r in v.rows if r["class"] in STAGE_CLASSES}
    assert stage_rows == {
        ("users", "Staff1", "still_scrubbed"): ("a real address", "staff1@scrubbed.invalid", ""),
        ("vendors", "V1", "still_scrubbed"): ("a real address", "orders@scrubbed.invalid", ""),
        ("rs_partners", "R1", "still_scrubbed"): ("a real address", "ill@scrubbed.invalid", ""),
        # J2 was disabled before the load and J3 is no scheduled job: neither is expected on.
        ("jobs", "J1", "job_not_enabled"): ("ENABLED", "DISABLED", "jobs.scheduled"),
        ("parameters", "acquisition_solr_save_enabled", "parameter_not_enabled"): (
            "true", "absent", ""),
    }
    assert {r["side"] for r in v.rows if r["class"] in STAGE_CLASSES} == {"alma"}
    assert v.keys("state_mismatch") == set()
    # Webhooks the load switched off and that are still off; WH2 was off before the load.
    assert v.summary["actions"] == [
        {"entity": "alma.webhooks", "key": "WH1",
         "action": "Activate webhook Hook one by hand: go-live leaves webhooks inactive."},
        {"entity": "alma.webhooks", "key": "WH4",
         "action": "Activate webhook WH4 by hand: go-live leaves webhooks inactive."},
    ]


SOLR_INDEX, SOLR_SAVE = GOLIVE_PARAMETERS
PREFERRED = PREFERRED_TERM_PARAMETER


@pytest.mark.parametrize("option,values,expected", [
    (False, {SOLR_INDEX: "true", SOLR_SAVE: "true"}, set()),
    (False, {SOLR_INDEX: "true", SOLR_SAVE: "True", PREFERRED: "false"}, set()),
    (False, {SOLR_INDEX: "false", PREFERRED: "true"},
     {(SOLR_INDEX, "true", "false"), (SOLR_SAVE, "true", "absent"), (PREFERRED, "false", "true")}),
    (True, {SOLR_INDEX: "true", SOLR_SAVE: "true", PREFERRED: "true"}, set()),
    (True, {SOLR_INDEX: "true", SOLR_SAVE: "true"}, {(PREFERRED, "true", "absent")}),
    (True, {SOLR_INDEX: "true", SOLR_SAVE: "true", PREFERRED: "false"},
     {(PREFERRED, "true", "false")}),
], ids=["solr-on", "preferred-off", "all-wrong", "preferred-on", "preferred-missing",
        "preferred-not-switched-on"])
def test_golive_parameters(world: World, option: bool, values: dict[str, str],
                           expected: set[tuple[str, str, str]]) -> None:
    world.options = {"authority_preferred_term_correction": option}
    v = check(world, {"parameters": [{"name": k, "value": x} for k, x in values.items()]},
              stage="golive")
    assert {(r["record_key"], r["expected"], r["observed"]) for r in v.rows
            if r["class"] == "parameter_not_enabled"} == expected


# -- prediction mode -----------------------------------------------------------------------


def _funds_world(world: World) -> Tables:
    """Scenario options and dates both matter to this world's expectations."""
    world.options = _RETAIN_FUNDS
    world.pre = {"funds": [{"fund_code": "F1"}, {"fund_code": "F2"}],
                 "users": [staff("Staff1", updated_at=DURING), staff("Staff2")],
                 "sets": [{"set_id": "IS1", "set_type": "ITEMIZED"}]}
    world.extract = {"patrons": [{"primary_id": "p1"}], "funds": [{"fund_code": "F3"}]}
    return {"funds": [{"fund_code": "F1"}, {"fund_code": "F2"}],
            "fund_transactions": [{"transaction_id": "T1", "fund_code": "F2"}],
            "users": [staff("Staff1", updated_at=DURING), staff("Staff2"), user("p1"),
                      staff("Extra")],
            "sets": [{"set_id": "IS1", "set_type": "ITEMIZED"}]}


def test_prediction_mode_equals_inline(world: World, tmp_path: Path) -> None:
    post_tables = _funds_world(world)
    inputs = world.inputs()
    pred = tmp_path / "predict-1"
    predicted(inputs, pred)
    post = write_snapshot(tmp_path / "post", "cutover", post_tables)
    by_prediction = verify.run_saved(pred, post, tmp_path / "v1")
    by_inline = inline(inputs, post, tmp_path / "v2")
    rows = read_csv(by_prediction.out / "discrepancies.csv")
    assert {(r["entity"], r["record_key"], r["class"], r["rule_id"]) for r in rows} == {
        ("users", "Staff1", "state_mismatch", "users.changed-during-freeze"),
        ("funds", "F2", "state_mismatch", "funds.retained"),
        ("sets", "IS1", "survived_unexpectedly", "sets.itemized"),
        ("users", "Extra", "unexpected", ""),
        ("fund_transactions", "T1", "unexpected", ""),
    }
    assert (by_prediction.out / "discrepancies.csv").read_bytes() == \
        (by_inline.out / "discrepancies.csv").read_bytes()
    for key in ("counts", "matrix", "findings", "verdict", "actions"):
        assert by_prediction.summary[key] == by_inline.summary[key], key
    manifest = by_prediction.summary["manifest"]
    assert manifest["prediction"]["path"] == str(pred)
    assert manifest["prediction"]["rule_pack_hash"] == manifest["rule_pack_hash"]
    assert manifest["scenario"] == by_inline.summary["manifest"]["scenario"]
    assert by_prediction.summary["warnings"] == []
    # The prediction's ledger is kept in its order (not sorted again), as inline runs sort it.
    assert pq.read_table(by_prediction.out / "ledger.parquet").to_pylist() == \
        pq.read_table(by_inline.out / "ledger.parquet").to_pylist() == \
        pq.read_table(pred / "ledger.parquet").to_pylist()
    # Every record is checked: the prediction's file is copied, not written again.
    assert (by_prediction.out / "ledger.parquet").read_bytes() == \
        (pred / "ledger.parquet").read_bytes()
    # A changed input is named: the prediction no longer describes it.
    vendors = inputs.pre.path / "vendors.csv"
    vendors.write_text("code\nV1\n", encoding="utf-8")
    again = verify.run_saved(pred, post, tmp_path / "v3")
    assert again.summary["warnings"] == [
        f"{inputs.pre.path}: files changed since the prediction was made"]


def test_a_prediction_ledger_with_other_columns_is_written_again(world: World,
                                                                  tmp_path: Path) -> None:
    """A ledger file with a column of its own (edited by hand, or by another tool) is not
    copied: the run folder's ledger has the ledger's columns and the prediction's rows."""
    post_tables = _funds_world(world)
    pred = predicted(world.inputs(), tmp_path / "predict-1")
    table = pq.read_table(pred / "ledger.parquet")
    pq.write_table(table.append_column("note", [["x"] * table.num_rows]), pred / "ledger.parquet")
    post = write_snapshot(tmp_path / "post", "cutover", post_tables)
    run = verify.run_saved(pred, post, tmp_path / "v1")
    kept = pq.read_table(run.out / "ledger.parquet")
    assert kept.column_names == list(LEDGER_COLUMNS)
    assert kept.to_pylist() == table.to_pylist()


def test_inputs_unchanged_since_the_prediction_are_not_validated_again(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    post_tables = _funds_world(world)
    inputs = world.inputs()
    pred = tmp_path / "predict-1"
    predicted(inputs, pred)
    post = write_snapshot(tmp_path / "post", "cutover", post_tables)
    validated: list[str] = []
    real = validate.validate
    monkeypatch.setattr(validate, "validate",
                        lambda con, schema, snap, tables=None: validated.append(schema)
                        or real(con, schema, snap, tables))
    verify.run_saved(pred, post, tmp_path / "v1")
    assert validated == ["post"]  # predict validated these very files (their hashes match)
    # A changed input is validated again, and a problem in it stops verify.
    (inputs.pre.path / "vendors.csv").write_text("code,status\nV1,SLEEPING\n", encoding="utf-8")
    validated.clear()
    with pytest.raises(UserError) as e:
        verify.run_saved(pred, post, tmp_path / "v2")
    assert validated == ["pre"]
    assert "column status: 'SLEEPING' is not one of" in str(e.value)
    assert not (tmp_path / "v2").exists()


def test_pseudonymised_prediction_is_refused(world: World, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    world.pre = {"users": [staff("Staff1")]}
    pred = tmp_path / "predict-ps"
    predicted(world.inputs(), pred, pseudonymize="s3cret")
    post = write_snapshot(tmp_path / "post", "cutover", {"users": [staff("Staff1")]})
    out = tmp_path / "verify"
    result = invoke(["--quiet", "verify", "--prediction", str(pred), "--post", str(post),
                     "--out", str(out)], monkeypatch)
    assert result.exit_code == 2, result.output
    assert (f"{pred}: the prediction was pseudonymised; verify needs the real keys (predict "
            "again without --pseudonymize)") in result.stderr
    assert not out.exists()


def test_prediction_must_be_a_predict_run(world: World, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    world.pre = {"users": [staff("Staff1")]}
    post = write_snapshot(tmp_path / "post", "cutover", {"users": [staff("Staff1")]})
    empty = tmp_path / "empty"
    empty.mkdir()
    earlier = tmp_path / "verify-0"
    ok = invoke(["--quiet", "verify", *inline_args(world), "--post", str(post), "--out",
                 str(earlier)], monkeypatch)
    assert ok.exit_code == 0, ok.output  # nothing over a budget: exit 0
    for folder, message in (
            (empty, f"{empty}: --prediction: not a run folder (no summary.json)"),
            (earlier, f"{earlier / 'summary.json'}: a 'verify' run, not a predict run")):
        out = tmp_path / "verify"
        result = invoke(["--quiet", "verify", "--prediction", str(folder), "--post", str(post),
                         "--out", str(out)], monkeypatch)
        assert result.exit_code == 2, result.output
        assert message in result.stderr
        assert not out.exists()


def test_prediction_and_inline_inputs_are_exclusive(world: World, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    world.pre = {"users": [staff("Staff1")]}
    pred = tmp_path / "predict-1"
    predicted(world.inputs(), pred)
    post = write_snapshot(tmp_path / "post", "cutover", {"users": [staff("Staff1")]})
    out = tmp_path / "verify"
    args = inline_args(world)
    for extra, message in (
            (["--prediction", str(pred), *args],
             "give either --prediction or --pre/--extract/--scenario, not both"),
            (["--prediction", str(pred), args[0], args[1]],
             "give either --prediction or --pre/--extract/--scenario, not both"),
            (args[:4], "give --prediction RUN, or all of --pre, --extract and --scenario")):
        result = invoke(["--quiet", "verify", *extra, "--post", str(post), "--out", str(out)],
                        monkeypatch)
        assert result.exit_code == 2, result.output
        assert message in result.stderr
        assert not out.exists()


def test_bad_post_snapshot_exits_2_and_writes_nothing(world: World, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    world.pre = {"users": [staff("Staff1")]}
    pred = tmp_path / "predict-1"
    predicted(world.inputs(), pred)
    post = write_snapshot(tmp_path / "post", "cutover",
                          {"users": [staff("Staff1"), user("P1", "PUBLICK")]})
    before = {p: p.read_bytes() for p in post.iterdir()}
    out = tmp_path / "verify"
    result = invoke(["--quiet", "verify", "--prediction", str(pred), "--post", str(post),
                     "--out", str(out)], monkeypatch)
    assert result.exit_code == 2, result.output
    assert (f"{post / 'users.csv'}:2:2: column record_type: 'PUBLICK' is not one of PUBLIC, "
            "STAFF, CONTACT (did you mean 'PUBLIC'?)") in result.stderr
    assert "nothing was written" in result.stderr
    assert not out.exists()
    assert {p: p.read_bytes() for p in post.iterdir()} == before
    # The library call raises the same located problem.
    with pytest.raises(UserError, match=r"users\.csv:2:2: column record_type"):
        verify.run_saved(pred, post, out)
    assert not out.exists()


def test_a_broken_prediction_is_reported_with_the_other_inputs(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    path = tmp_path / "budgets.yaml"
    path.write_text("budgets:\n  - {entity: userz, fail: 0}\n", encoding="utf-8")
    missing = tmp_path / "no-such-post"
    with pytest.raises(UserError) as e:
        verify.run_saved(empty, missing, tmp_path / "out", budgets_path=path,
                         entities=["userz"])
    found = [str(p) for p in e.value.problems]
    assert len(found) == 4, found
    assert {f"{empty}: --prediction: not a run folder (no summary.json)",
            f"{missing}: snapshot folder not found (--post)",
            f"{path}:2:14: unknown entity 'userz'"} < set(found)
    assert any(p.startswith("--entity: unknown entity 'userz' (did you mean 'users'?)")
               for p in found)
    assert not (tmp_path / "out").exists()


def test_verify_leaves_the_sessions_ledger_to_the_other_commands(world: World,
                                                                  tmp_path: Path) -> None:
    """`cutover demo` runs predict, verify, readiness and what-if on one Session: verify reads
    the classification (or a saved ledger) through a view of its own."""
    world.pre = {"users": [staff("Staff1"), user("Pub1")], "vendors": [{"code": "V1"}]}
    world.extract = {"patrons": [{"primary_id": "new1"}]}
    post = write_snapshot(tmp_path / "post", "cutover", {
        "users": [staff("Staff1"), user("new1")], "user_roles": [role("new1")]})

    def ledger(session: Session) -> tuple[Any, ...]:
        return (session.con.one("select count(*) from ledger"),
                session.con.one("select sql from duckdb_views() where view_name = 'ledger'"))

    with Session(world.inputs()) as session:
        predict(session, tmp_path / "predict", command=["cutover", "predict"])
        before = ledger(session)
        assert before[0] == session.classification.rows == 4
        saved = verify.open_prediction(tmp_path / "predict")
        by_saved = verify.run(session, post, tmp_path / "v1", prediction=saved,
                              entities=["vendors"])
        assert ledger(session) == before
        by_inline = verify.run(session, post, tmp_path / "v2", entities=["users"])
        assert ledger(session) == before
    assert {r["entity"] for r in pq.read_table(by_saved.out / "ledger.parquet").to_pylist()} \
        == {"vendors"}
    assert json.loads((by_saved.out / "summary.json").read_text(encoding="utf-8"))[
        "ledger"]["rows"] == 1
    written = json.loads((by_inline.out / "summary.json").read_text(encoding="utf-8"))
    assert written["ledger"]["rows"] == 3  # Staff1, Pub1 and the patron new1
    assert by_inline.summary["verdict"] == "Confirmed: for the entities checked, Alma holds " \
                                           "exactly what the prediction said."


def test_a_pseudonymising_session_is_refused(world: World, tmp_path: Path) -> None:
    post = write_snapshot(tmp_path / "post", "cutover", {})
    with Session(world.inputs(), pseudonymize="s3cret") as session, \
            pytest.raises(UserError, match="verify needs the real keys"):
        verify.run(session, post, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unknown_stage_is_refused(world: World, tmp_path: Path) -> None:
    post = write_snapshot(tmp_path / "post", "cutover", {})
    with pytest.raises(UserError, match="--stage: must be one of cutover, fulfillment, golive"):
        inline(world.inputs(), post, tmp_path / "out", stage="testload")
    assert not (tmp_path / "out").exists()


def test_post_snapshot_of_another_stage_is_refused(world: World, tmp_path: Path) -> None:
    """The stage verified is the post snapshot's; another one given is an error, not a run
    full of false discrepancies (the command line's messages: test_verify_inputs.py)."""
    world.pre = {"vendors": [{"code": "V1"}]}
    post = write_snapshot(tmp_path / "post", "golive", {"vendors": [{"code": "V1"}]})
    with pytest.raises(UserError) as e:
        inline(world.inputs(), post, tmp_path / "out", stage="cutover")
    assert str(e.value) == (f"{post}: --post: a snapshot of stage 'golive', but --stage is "
                            "'cutover'; leave --stage out to verify the golive stage")
    assert not (tmp_path / "out").exists()
    run = inline(world.inputs(), post, tmp_path / "out")
    assert (run.summary["stage"], run.summary["warnings"]) == ("golive", [])


# -- outputs ---------------------------------------------------------------------------------


MIXED_PRE: Tables = {
    "users": [staff("Staff1", email="jane.doe@uni.example"), staff("Staff2"), user("Pub1")],
    "user_roles": [role("Staff1", "Cataloger")],
    "sets": [{"set_id": "IS1", "set_type": "ITEMIZED"}, {"set_id": "LS1", "set_type": "LOGICAL"}],
    "webhooks": [{"profile_id": "WH1", "status": "ACTIVE"}],
    "vendors": [{"code": "V1"}],
}
MIXED_EXTRACT: Tables = {"patrons": [{"primary_id": "new1"}], "vendors": [{"code": "V1"}],
                         "orders": [{"order_id": "O1", "vendor_code": "V1"}]}
MIXED_POST: Tables = {
    "users": [user("Staff1", email="jane.doe@uni.example"), user("Pub1"), staff("Extra")],
    "user_roles": [role("Staff1", "Cataloger")],
    "sets": [{"set_id": "IS1", "set_type": "ITEMIZED"}, {"set_id": "LS1", "set_type": "LOGICAL"}],
    "webhooks": [{"profile_id": "WH1", "status": "ACTIVE"}],
    "vendors": [{"code": "V1"}],
}
MIXED_KEYS = {
    ("alma", "users", "Staff1", "state_mismatch"),  # users.non-public: now PUBLIC
    ("alma", "users", "Staff2", "lost_unexpectedly"),
    ("alma", "users", "Pub1", "survived_unexpectedly"),
    ("alma", "sets", "IS1", "survived_unexpectedly"),
    ("alma", "webhooks", "WH1", "state_mismatch"),
    ("extract", "patrons", "new1", "lost_unexpectedly"),
    ("post", "users", "Extra", "unexpected"),
}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Verified:
    world = World(tmp_path_factory.mktemp("mixed"), pre=MIXED_PRE, extract=MIXED_EXTRACT)
    return check(world, MIXED_POST)


@pytest.fixture(scope="module")
def mixed_pii(tmp_path_factory: pytest.TempPathFactory) -> Verified:
    world = World(tmp_path_factory.mktemp("mixed-pii"), pre=MIXED_PRE, extract=MIXED_EXTRACT)
    return check(world, MIXED_POST, show_pii=True)


def test_run_folder_files(mixed: Verified) -> None:
    assert {p.name for p in mixed.out.iterdir()} == {
        "ledger.parquet", "ledger.csv", "summary.json", "summary.md", "report.html",
        "discrepancies.parquet", "discrepancies.csv", "junit.xml", ".cutover-run"}
    assert mixed.keys() == MIXED_KEYS
    summary = mixed.summary
    assert summary["kind"] == "verify" and summary["stage"] == "cutover"
    assert summary["verdict"] == "7 discrepancies; 7 over a fail budget."
    assert summary["manifest"]["snapshots"]["post"]["stage"] == "cutover"
    assert set(summary["manifest"]["snapshots"]) == {"pre", "extract", "post"}
    assert [f["severity"] for f in summary["findings"]] == ["blocker"] * 7
    # Each record in one class: a record present but in the wrong state is not confirmed.
    assert mixed.counts() == {
        ("alma", "users", "lost_unexpectedly"): 1, ("alma", "users", "state_mismatch"): 1,
        ("alma", "users", "survived_unexpectedly"): 1, ("alma", "user_roles", "confirmed"): 1,
        ("alma", "sets", "confirmed"): 1, ("alma", "sets", "survived_unexpectedly"): 1,
        ("alma", "webhooks", "state_mismatch"): 1, ("alma", "vendors", "confirmed"): 1,
        ("extract", "patrons", "lost_unexpectedly"): 1, ("extract", "vendors", "confirmed"): 1,
        ("extract", "orders", "unverifiable"): 1, ("post", "users", "unexpected"): 1}
    finding = next(f for f in summary["findings"]
                   if f["id"] == "verify.state_mismatch.alma.users.users.non-public")
    assert finding["sample_keys"] == ["Staff1"] and finding["count"] == 1
    assert finding["details"][0]["expected"] == "record_type in ('STAFF', 'CONTACT')"


def test_discrepancies_parquet_equals_csv(mixed: Verified) -> None:
    table = pq.read_table(mixed.out / "discrepancies.parquet")
    assert table.column_names == ["side", "entity", "record_key", "class", "expected",
                                  "observed", "rule_id"]
    from_parquet = [{k: "" if v is None else v for k, v in row.items()}
                    for row in table.to_pylist()]
    assert from_parquet == mixed.rows
    assert len(mixed.rows) == len(MIXED_KEYS)
    order = [(r["side"], r["entity"], r["record_key"], r["class"]) for r in mixed.rows]
    assert order == sorted(order)


def test_junit_xml(mixed: Verified) -> None:
    root = ET.parse(mixed.out / "junit.xml").getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    cases = [(s.get("name"), c) for s in suites for c in s.findall("testcase")]
    assert [c.tag for c in root.iter() if c.tag not in ("testsuites", "testsuite", "testcase",
                                                         "failure")] == []
    # One testcase per rule × entity that decided records, plus one per class of post rows.
    expected_cases = {(f"{m['side']}.{m['entity']}", m["rule_id"])
                      for m in mixed.summary["matrix"]} | {("post.users", "unexpected")}
    assert {(c.get("classname"), c.get("name")) for _, c in cases} == expected_cases
    assert len(cases) == len(expected_cases)
    assert all(name == c.get("classname") for name, c in cases)
    assert root.get("tests") == str(len(cases))
    failing = {(c.get("classname"), c.get("name")): c.find("failure") for _, c in cases
               if c.find("failure") is not None}
    assert root.get("failures") == str(len(failing)) == "6"
    for suite in suites:
        tests = suite.findall("testcase")
        assert suite.get("tests") == str(len(tests))
        assert suite.get("failures") == str(sum(1 for t in tests
                                                if t.find("failure") is not None))
        for attr in ("errors", "skipped", "time"):
            assert suite.get(attr) is not None
    assert {k: (f.get("message"), f.text) for k, f in failing.items()} == {
        ("alma.users", "users.non-public"): ("1 lost unexpectedly, 1 state mismatch",
                                             "lost_unexpectedly: Staff2\nstate_mismatch: Staff1"),
        ("alma.users", "users.public"): ("1 survived unexpectedly",
                                         "survived_unexpectedly: Pub1"),
        ("alma.sets", "sets.itemized"): ("1 survived unexpectedly", "survived_unexpectedly: IS1"),
        ("alma.webhooks", "webhooks.inactive"): ("1 state mismatch", "state_mismatch: WH1"),
        ("extract.patrons", "patrons.load"): ("1 lost unexpectedly", "lost_unexpectedly: new1"),
        ("post.users", "unexpected"): ("1 unexpected", "unexpected: Extra"),
    }


def test_junit_xml_truncates_samples_and_escapes() -> None:
    keys = [f"<K{i}>" for i in range(3)]
    xml = junit_xml([Case("alma.sets", "sets.itemized", [("survived_unexpectedly", 12, keys)]),
                     Case("alma.sets", "sets.logical"), Case("alma.jobs", "jobs.other")])
    root = ET.fromstring(xml)
    assert (root.get("tests"), root.get("failures")) == ("3", "1")
    assert [s.get("name") for s in root] == ["alma.jobs", "alma.sets"]
    failure = root.find("testsuite[@name='alma.sets']/testcase[@name='sets.itemized']/failure")
    assert failure is not None
    assert failure.get("message") == "12 survived unexpectedly"
    assert failure.text == "survived_unexpectedly: <K0>, <K1>, <K2> …"
    assert b"&lt;K0&gt;" in xml


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Element | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.parts: list[str] = []

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())


class Page(HTMLParser):
    """Every element with its attributes, parent and text."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, dict(attrs), self._open[-1] if self._open else None)
        self.elements.append(el)
        if tag not in self.VOID:
            self._open.append(el)

    def handle_endtag(self, tag: str) -> None:
        while self._open and self._open.pop().tag != tag:
            pass

    def handle_data(self, data: str) -> None:
        for el in self._open:
            el.parts.append(data)

    def find(self, tag: str, **attrs: str) -> list[Element]:
        return [e for e in self.elements
                if e.tag == tag and all(e.attrs.get(k.rstrip("_").replace("_", "-")) == v
                                        for k, v in attrs.items())]

    def children(self, parent: Element, tag: str) -> list[Element]:
        return [e for e in self.elements if e.parent is parent and e.tag == tag]


def test_report_shows_the_verdict_and_the_rule_matrix(mixed: Verified) -> None:
    page = Page((mixed.out / "report.html").read_text(encoding="utf-8"))
    verdict = page.find("p", id="verdict")
    assert len(verdict) == 1
    assert verdict[0].attrs["class"] == "verdict blocker"
    assert verdict[0].text == "7 discrepancies; 7 over a fail budget."
    rows = {tr.attrs["data-rule"]: [td.text for td in page.children(tr, "td")]
            for tr in page.find("tr")
            if (tr.attrs.get("class") or "").startswith("rule-row")}
    assert set(rows) == {m["rule_id"] for m in mixed.summary["matrix"]}
    assert rows["users.non-public"] == ["users.non-public", "alma.users", "retained", "2", "0",
                                        "2", "1 lost unexpectedly, 1 state mismatch"]
    assert rows["users.public"] == ["users.public", "alma.users", "removed", "1", "0", "1",
                                    "1 survived unexpectedly"]
    assert rows["sets.logical"] == ["sets.logical", "alma.sets", "retained", "1", "1", "0", ""]
    surprising = {tr.attrs["data-rule"] for tr in page.find("tr", class_="rule-row surprise")}
    assert surprising == {"users.non-public", "users.public", "sets.itemized",
                          "webhooks.inactive", "patrons.load"}
    articles = {a.attrs["id"] for a in page.find("article")}
    assert "finding-verify.unexpected.post.users" in articles
    assert page.find("a", href="discrepancies.csv") and page.find("a", href="junit.xml")


def test_a_state_mismatch_is_expected_in_words_with_its_sql_a_click_away(
        mixed: Verified) -> None:
    found = {f["id"]: f for f in mixed.summary["findings"]}
    [detail] = found["verify.state_mismatch.alma.users.users.non-public"]["details"]
    assert (detail["expected"], detail["expected_in_words"]) == (
        "record_type in ('STAFF', 'CONTACT')", "the user is still a staff or contact user")
    # Other classes say what they expected in words already.
    assert [d for f in found.values() if f["class"] != "state_mismatch"
            for d in f["details"] if "expected_in_words" in d] == []
    page = Page((mixed.out / "report.html").read_text(encoding="utf-8"))

    def expected_cell(finding: str) -> Element:
        [article] = page.find("article", id=f"finding-{finding}")
        cells = [td for td in page.find("td") if _inside(td, article)]
        return cells[1]  # key, expected, found

    cell = expected_cell("verify.state_mismatch.alma.users.users.non-public")
    [words] = [e for e in page.find("span", class_="expected") if _inside(e, cell)]
    assert words.text == "the user is still a staff or contact user"
    [sql] = [e for e in page.find("details", class_="sql") if e.parent is cell]
    assert "open" not in sql.attrs
    assert [e.text for e in page.children(sql, "summary")] == ["SQL"]
    assert [e.text for e in page.children(sql, "code")] == ["record_type in ('STAFF', 'CONTACT')"]
    cell = expected_cell("verify.lost_unexpectedly.alma.users.users.non-public")
    assert cell.text == "present (retained)"
    assert [e.tag for e in page.elements if e.parent is cell] == ["code"]


def _inside(element: Element, ancestor: Element) -> bool:
    parent = element.parent
    while parent is not None and parent is not ancestor:
        parent = parent.parent
    return parent is ancestor


def test_report_masks_emails_unless_asked(mixed: Verified, mixed_pii: Verified) -> None:
    assert "jane.doe@uni.example" in (mixed.out / "discrepancies.csv").read_text(encoding="utf-8")
    html = (mixed.out / "report.html").read_text(encoding="utf-8")
    assert "jane.doe@uni.example" not in html
    observed_cells = [e.text for e in Page(html).find("code", class_="observed")]
    assert any('"email":"j•••@uni.example"' in text for text in observed_cells)
    assert "jane.doe" not in (mixed.out / "summary.md").read_text(encoding="utf-8")
    shown = (mixed_pii.out / "report.html").read_text(encoding="utf-8")
    assert any('"email":"jane.doe@uni.example"' in e.text
               for e in Page(shown).find("code", class_="observed"))


# -- the sample: each deliberate surprise, by key --------------------------------------------

# The surprises listed in simulator/synth/sample_post.py's docstring, in its order:
# (class, entity, key).
LISTED = {
    "cutover": [
        ("state_mismatch", "alma.users", "P02405"),
        ("lost_unexpectedly", "extract.patrons", "N00007"),
        ("survived_unexpectedly", "alma.sets", "SET007"),
        ("state_mismatch", "alma.webhooks", "WH1"),
        ("unexpected", "post.users", "TEMP-LOADER"),
        ("state_mismatch", "alma.configuration", "digitization_profile|DIG001"),
    ],
    "fulfillment": [
        ("changed_at_fulfillment", "alma.vendors", "V099"),
        ("loan_count_changed", "alma.items", "3100000010"),
        ("item_status_mismatch", "alma.items", "3100000020"),
        ("instructor_unlinked", "alma.course_instructors", "CRS005|S0099"),
    ],
    "golive": [
        ("still_scrubbed", "alma.vendors", "V005"),
        ("job_not_enabled", "alma.jobs", "J003"),
        ("parameter_not_enabled", "alma.parameters", "acquisition_solr_save_enabled"),
    ],
}
# What follows from them.
FOLLOWS = {
    "cutover": {
        # P02405's staff role itself was lost, and the patron refreshing P02405 expects it too.
        ("lost_unexpectedly", "alma.user_roles", "P02405|General System Administrator|NFU"),
        ("state_mismatch", "extract.patrons", "P02405"),
    },
    "fulfillment": {
        # V099 and the instructor link of S0099 are in no input either.
        ("unexpected", "post.vendors", "V099"),
        ("unexpected", "post.course_instructors", "CRS005|S0099"),
    },
    "golive": set(),
}
# The later snapshots start from the one after the cutover: what was missing or extra then still
# is. Expectations (state_mismatch) are checked after the cutover load only.
CARRIED = {
    ("lost_unexpectedly", "alma.user_roles", "P02405|General System Administrator|NFU"),
    ("lost_unexpectedly", "extract.patrons", "N00007"),
    ("survived_unexpectedly", "alma.sets", "SET007"),
    ("unexpected", "post.users", "TEMP-LOADER"),
}


def _docstring_items() -> dict[str, list[tuple[str, str]]]:
    """(line, class) of each surprise listed in sample_post's docstring, per stage."""
    heads = {"after the cutover load": "cutover", "after the fulfillment load": "fulfillment",
             "at go-live": "golive"}
    items: dict[str, list[tuple[str, str]]] = {}
    stage = None
    for line in (sample_post.__doc__ or "").splitlines():
        for head, name in heads.items():
            if line.startswith(head):
                stage = name
        m = re.match(r"- (.*\S)\s{2,}(\w+)$", line)
        if m and stage:
            items.setdefault(stage, []).append((m.group(1), m.group(2)))
    return items


def test_listed_surprises_are_the_docstrings() -> None:
    doc = _docstring_items()
    assert list(doc) == list(LISTED)
    for stage, listed in LISTED.items():
        assert [klass for _, klass in doc[stage]] == [klass for klass, _, _ in listed], stage
        for (line, _), (_, _, key) in zip(doc[stage], listed, strict=True):
            for part in key.split("|"):
                assert part in line or part.replace("_", " ") in line, (line, key)


@pytest.fixture(scope="module")
def sample_verified(tmp_path_factory: pytest.TempPathFactory) -> dict[str, verify.Run]:
    base = sample.sample_dir()
    root = tmp_path_factory.mktemp("sample")
    inputs = bundle.open_inputs(base / "freeze", base / "extract", base / "scenario.yaml",
                                base / "testload")
    prediction = root / "predict"
    runs = {}
    # As `cutover demo` runs them: predict, then each stage on the same Session.
    with Session(inputs) as session:
        predict(session, prediction, command=["cutover", "predict"])
        predicted = verify.open_prediction(prediction)
        for stage in verify.STAGES:
            fulfillment = stage == "fulfillment"
            runs[stage] = verify.run(
                session, base / f"post-{stage}", root / f"verify-{stage}", prediction=predicted,
                stage=stage, baseline=base / "post-cutover" if fulfillment else None,
                cutover_extract=base / "extract" if fulfillment else None)
    return runs


@pytest.mark.slow
@pytest.mark.parametrize("stage", verify.STAGES)
def test_sample_surprises_exactly(sample_verified: dict[str, verify.Run], stage: str) -> None:
    run = sample_verified[stage]
    rows = read_csv(run.out / "discrepancies.csv")
    found = Counter((r["class"], f"{r['side']}.{r['entity']}", r["record_key"]) for r in rows)
    expected = set(LISTED[stage]) | FOLLOWS[stage] | (CARRIED if stage != "cutover" else set())
    assert set(found) == expected
    assert all(n == 1 for n in found.values()), found
    assert run.summary["warnings"] == []
    assert all(f.severity == "blocker" for f in run.findings) and run.failed
    # Every rule's records add up: confirmed or one surprise each (orders and invoices aside).
    for m in run.summary["matrix"]:
        if m["entity"] not in ("orders", "invoices"):
            assert m["predicted"] == m["confirmed"] + m["surprises"], m
    if stage == "cutover":  # each ledger record in exactly one class
        written = json.loads((run.out / "summary.json").read_text(encoding="utf-8"))
        assert sum(c["count"] for c in written["counts"] if c["side"] != "post") == \
            written["ledger"]["rows"]


@pytest.mark.slow
def test_sample_details(sample_verified: dict[str, verify.Run]) -> None:
    def detail(stage: str, entity: str, key: str, klass: str) -> tuple[str, str, str]:
        rows = read_csv(sample_verified[stage].out / "discrepancies.csv")
        (r,) = [r for r in rows if (f"{r['side']}.{r['entity']}", r["record_key"], r["class"])
                == (entity, key, klass)]
        return r["expected"], r["observed"], r["rule_id"]

    assert detail("cutover", "alma.sets", "SET007", "survived_unexpectedly") == (
        "absent (removed)", "present", "sets.itemized")
    expected, shown, rule_id = detail("cutover", "alma.webhooks", "WH1", "state_mismatch")
    assert (expected, json.loads(shown)["status"], rule_id) == (
        "status = 'INACTIVE'", "ACTIVE", "webhooks.inactive")
    _, shown, rule_id = detail("cutover", "alma.configuration", "digitization_profile|DIG001",
                               "state_mismatch")
    assert (json.loads(shown)["collection_id"], rule_id) == ("COL01",
                                                             "configuration.collection-link")
    assert detail("cutover", "alma.users", "P02405", "state_mismatch")[2] == \
        "users.public-staff-matched"
    assert detail("cutover", "extract.patrons", "P02405", "state_mismatch")[2] == \
        "patrons.refreshes-public-staff"
    assert detail("fulfillment", "alma.items", "3100000020", "item_status_mismatch")[:2] == (
        "not ON_LOAN (no active loan)", "ON_LOAN")
    assert detail("golive", "alma.jobs", "J003", "job_not_enabled") == (
        "ENABLED", "DISABLED", "jobs.scheduled")
    assert detail("golive", "alma.parameters", "acquisition_solr_save_enabled",
                  "parameter_not_enabled")[:2] == ("true", "false")
    # WH1 was left active (a surprise after the cutover); WH3 was inactive before the load.
    assert [a["key"] for a in sample_verified["golive"].summary["actions"]] == ["WH2"]
