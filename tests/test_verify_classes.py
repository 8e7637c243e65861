"""The registry of discrepancy classes (simulator/commands/verify/classes.py): each class is one
declaration, and a class declared once (in the registry, or by a rule's `golive_check` in a
pack layer) is known to budgets, findings, discrepancies, the matrix and junit.xml."""

from __future__ import annotations

import csv
import dataclasses
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from conftest import World, default_pack, write_snapshot

from simulator.commands import verify
from simulator.commands.verify import budgets, classes, stages
from simulator.commands.verify.classes import CHECKLISTS, DiscrepancyClass
from simulator.core import engine
from simulator.core.session import Session
from simulator.errors import UserError
from simulator.rules.loader import load_pack

PARAMETERS = [{"name": name, "value": "true"} for name in stages.GOLIVE_PARAMETERS]
# A layer whose vendors rule declares a go-live check of its own.
LAYER = """\
entity: vendors
side: alma
rules:
  - id: vendors.retained
    when: true
    outcome: retained
    reason: Vendors are kept, and must be active again at go-live.
    cite: Vendors at go-live
    golive_check:
      class: {klass}
      title: {title}
      expect: coalesce(status, 'ACTIVE') = 'ACTIVE'
      expected: ACTIVE
      observed: coalesce(status, 'empty')
"""


def layer(root: Path, klass: str = "vendor_not_active",
          title: str = "vendor not active at go-live", text: str = LAYER) -> Path:
    folder = root / f"layer-{klass}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vendors.yaml").write_text(text.format(klass=klass, title=title), encoding="utf-8")
    return folder


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def junit_failures(out: Path) -> dict[tuple[str | None, str | None], str | None]:
    root = ET.parse(out / "junit.xml").getroot()
    return {(c.get("classname"), c.get("name")): f.get("message")
            for c in root.iter("testcase") if (f := c.find("failure")) is not None}


def golive(world: World, out: Path, rules: list[Path] | None = None, **kw: Any) -> verify.Run:
    """V1 inactive and V2 active after go-live; the parameters as they should be."""
    world.pre = {"vendors": [{"code": "V1"}, {"code": "V2"}], "parameters": PARAMETERS}
    post = write_snapshot(world.root / "post", "golive", {
        "vendors": [{"code": "V1", "status": "INACTIVE"}, {"code": "V2", "status": "ACTIVE"}],
        "parameters": PARAMETERS})
    with Session(world.inputs(), rules=rules) as session:
        return verify.run(session, post, out, stage="golive", **kw)


# -- the registry ------------------------------------------------------------------------------


def test_each_class_is_declared_once_with_everything_about_it() -> None:
    found = verify.registry(default_pack())
    assert len(set(found.names)) == len(found.names)
    assert found.names[:4] == ("survived_unexpectedly", "lost_unexpectedly", "unexpected",
                               "state_mismatch")
    for klass in found:
        assert klass.title and klass.cite and klass.fix, klass.name
        # Stage checks come with the function that finds them; the others with reconcile.py.
        assert (klass.check is not None) == klass.stage_check, klass.name
        assert klass.stage in (None, "fulfillment", "golive"), klass.name
    assert [k.name for k in found.at("fulfillment")] == [
        "changed_at_fulfillment", "loan_count_changed", "item_status_mismatch",
        "instructor_unlinked", "form_changed"]
    assert [k.name for k in found.at("golive")] == [
        "still_scrubbed", "parameter_not_enabled", "job_not_enabled"]
    assert found.at("cutover") == []
    assert [k.name for k in found if k.blocker] == ["form_changed"]
    assert found.budget_classes == ("confirmed", *found.names)


def test_the_packs_declared_class_is_titled_by_its_yaml() -> None:
    pack = default_pack()
    declared = [(e, r) for e, r in pack.rules() if r.golive_check is not None]
    assert declared  # the default pack declares one (scheduled jobs left off at go-live)
    found = verify.registry(pack)
    for _, rule in declared:
        assert rule.golive_check is not None
        klass = found[rule.golive_check.klass]
        assert (klass.title, klass.stage, klass.cite, klass.fix) == (
            rule.golive_check.title, "golive", rule.cite, CHECKLISTS)
        assert klass.name not in classes.BUILT_IN  # declared in YAML only


def test_a_layers_golive_check_class_is_known(tmp_path: Path) -> None:
    pack = engine.checked_pack(load_pack([layer(tmp_path)]))
    found = verify.registry(pack)
    assert found["vendor_not_active"].title == "vendor not active at go-live"
    assert found["vendor_not_active"].cite == "Vendors at go-live"
    assert "vendor_not_active" in found.budget_classes
    assert "vendor_not_active" not in verify.registry(default_pack())


# -- a class declared in a pack layer, everywhere ----------------------------------------------


def test_a_layers_class_in_budgets_findings_discrepancies_and_junit(world: World,
                                                                   tmp_path: Path) -> None:
    path = tmp_path / "budgets.yaml"
    # 1 of the 2 vendors after go-live: 50 % of the table's rows (a stage check's share).
    path.write_text("budgets:\n  - {entity: vendors, class: vendor_not_active, warn: 40%, "
                    "fail: 60%}\n", encoding="utf-8")
    run = golive(world, tmp_path / "out", [layer(tmp_path)], budgets_path=path)
    assert [(r["side"], r["entity"], r["record_key"], r["class"], r["expected"], r["observed"],
             r["rule_id"]) for r in read_csv(run.out / "discrepancies.csv")] == [
        ("alma", "vendors", "V1", "vendor_not_active", "ACTIVE", "INACTIVE", "vendors.retained")]
    [finding] = run.summary["findings"]
    assert {k: finding[k] for k in ("id", "severity", "title", "fix", "cite", "class",
                                    "budget", "sample_keys")} == {
        "id": "verify.vendor_not_active.alma.vendors.vendors.retained",
        "severity": "warning",
        "title": "alma.vendors: 1 vendor not active at go-live (rule vendors.retained)",
        "fix": CHECKLISTS, "cite": "Vendors at go-live", "class": "vendor_not_active",
        "budget": "> 40%", "sample_keys": ["V1"]}
    assert run.summary["verdict"] == "1 discrepancy, none over a fail budget."
    assert not run.failed
    matrix = {m["rule_id"]: m for m in run.summary["matrix"]}
    assert (matrix["vendors.retained"]["confirmed"], matrix["vendors.retained"]["by_class"]) == (
        1, {"vendor_not_active": 1})
    assert junit_failures(run.out) == {
        ("alma.vendors", "vendors.retained"): "1 vendor not active"}
    written = json.loads((run.out / "summary.json").read_text(encoding="utf-8"))
    assert {(c["class"], c["count"]) for c in written["counts"] if c["entity"] == "vendors"} \
        == {("confirmed", 1), ("vendor_not_active", 1)}


def test_a_budget_may_name_a_layers_class_only_with_that_layer(world: World,
                                                               tmp_path: Path) -> None:
    path = tmp_path / "budgets.yaml"
    path.write_text("budgets:\n  - {entity: vendors, class: vendor_not_active, warn: 0}\n",
                    encoding="utf-8")
    with pytest.raises(UserError, match="unknown class 'vendor_not_active'"):
        golive(world, tmp_path / "out", budgets_path=path)
    assert not (tmp_path / "out").exists()
    known = verify.registry(engine.checked_pack(load_pack([layer(tmp_path)]))).budget_classes
    assert [b.klass for b in budgets.load(path, known)] == ["vendor_not_active"]
    assert [b.klass for b in budgets.load(path, None)] == ["vendor_not_active"]  # no pack


def test_a_layers_class_may_not_be_one_of_verifys_own(world: World, tmp_path: Path) -> None:
    with pytest.raises(UserError) as e:
        golive(world, tmp_path / "out", [layer(tmp_path, "state_mismatch")])
    assert "rule 'vendors.retained' golive_check: class 'state_mismatch' is one of verify's " \
           "own classes; choose another name" in str(e.value)
    assert not (tmp_path / "out").exists()


def test_one_class_is_titled_once(world: World, tmp_path: Path) -> None:
    two_rules = LAYER + (
        "  - id: vendors.inactive\n"
        "    before: vendors.retained\n"
        "    when: status = 'INACTIVE'\n"
        "    outcome: retained\n"
        "    reason: Inactive vendors are kept too.\n"
        "    cite: Vendors at go-live\n"
        "    golive_check:\n"
        "      class: {klass}\n"
        "      title: another title\n"
        "      expect: status = 'ACTIVE'\n"
        "      expected: ACTIVE\n"
        "      observed: status\n")
    with pytest.raises(UserError) as e:
        golive(world, tmp_path / "out", [layer(tmp_path, text=two_rules)])
    assert "golive_check: class 'vendor_not_active' is titled" in str(e.value)


# -- a class declared in the registry, everywhere ----------------------------------------------


def _renamed(ctx: stages.Context) -> None:
    """A made-up stage check: vendors whose name starts with X."""
    ctx.insert("""
        select 'alma', 'vendors', code, 'vendor_renamed', 'the name at cutover', name, null
        from post.vendors where name like 'X%'""")


RENAMED = DiscrepancyClass("vendor_renamed", "vendor renamed at go-live", "Vendors at go-live",
                           "Rename the vendor back.", "golive", _renamed)


@pytest.mark.parametrize("blocker", [False, True])
def test_a_class_declared_once_is_known_everywhere(world: World, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   blocker: bool) -> None:
    declared = dataclasses.replace(RENAMED, blocker=blocker)
    monkeypatch.setattr(classes, "CLASSES", (*classes.CLASSES, declared))
    assert "vendor_renamed" in verify.registry(default_pack()).budget_classes
    world.pre = {"vendors": [{"code": "V1", "name": "One"}, {"code": "V2", "name": "Two"}],
                 "parameters": PARAMETERS}
    after: dict[str, list[dict[str, Any]]] = {
        "vendors": [{"code": "V1", "name": "Xone"}, {"code": "V2", "name": "Two"}],
        "parameters": PARAMETERS}
    post = write_snapshot(world.root / "post", "golive", after)
    path = tmp_path / "budgets.yaml"
    path.write_text("budgets:\n  - {entity: alma.vendors, class: vendor_renamed, warn: 60%}\n",
                    encoding="utf-8")
    with Session(world.inputs()) as session:
        run = verify.run(session, post, tmp_path / "out", stage="golive", budgets_path=path)
    assert [(r["record_key"], r["class"], r["observed"])
            for r in read_csv(run.out / "discrepancies.csv")] == [("V1", "vendor_renamed",
                                                                   "Xone")]
    [finding] = run.findings
    # 1 of 2 rows is within 60 %: information, unless the class is always a blocker.
    assert (finding.severity, finding.title, finding.fix, finding.cite, finding.rule_id) == (
        "blocker" if blocker else "info", "alma.vendors: 1 vendor renamed at go-live",
        "Rename the vendor back.", "Vendors at go-live", "vendor_renamed")
    assert finding.extra["class"] == "vendor_renamed"
    assert run.failed is blocker
    assert junit_failures(run.out) == {("alma.vendors", "vendor_renamed"): "1 vendor renamed"}
    # Other stages do not run it: the same tables taken after the cutover load.
    same = write_snapshot(world.root / "post-cutover", "cutover", after)
    with Session(world.inputs()) as session:
        other = verify.run(session, same, tmp_path / "cutover", stage="cutover")
    assert "vendor_renamed" not in {r["class"] for r in read_csv(other.out /
                                                                 "discrepancies.csv")}
