"""The committed sample institution: generated, never edited by hand, covering what it claims."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import yaml

from simulator.core import engine
from simulator.core.session import Session
from simulator.inputs import bundle
from simulator.rules.loader import load_pack
from simulator.synth import sample

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
# The user families: every one of their rules must have records in the sample.
FAMILIES = (("alma", "users"), ("alma", "user_roles"), ("extract", "patrons"))


def test_sample_dir_in_a_checkout_is_the_committed_folder() -> None:
    assert sample.sample_dir() == SAMPLE


def test_committed_sample_equals_the_generator_byte_for_byte() -> None:
    expected = sample.files()
    on_disk = {p.relative_to(SAMPLE).as_posix(): p.read_bytes()
               for p in SAMPLE.rglob("*") if p.is_file()}
    assert sorted(on_disk) == sorted(expected), (
        "sample_data/ and simulator.synth.sample.files() name different files; "
        "regenerate with `make sample`")
    stale = [rel for rel, content in expected.items() if on_disk[rel] != sample.encoded(content)]
    assert not stale, f"sample_data/ differs from the generator in {stale}; run `make sample`"


def test_generator_is_deterministic_and_seeded() -> None:
    assert sample.files() == sample.files()
    other = sample.files(seed=sample.SEED + 1)
    assert other.keys() == sample.files().keys()
    assert other != sample.files()


def test_write_produces_the_same_bytes(tmp_path: Path) -> None:
    sample.write(tmp_path)
    for rel, content in sample.files().items():
        assert (tmp_path / rel).read_bytes() == sample.encoded(content), rel


@functools.cache
def demo_result() -> engine.Result:
    base = sample.sample_dir()
    inputs = bundle.open_inputs(base / "freeze", base / "extract", base / "scenario.yaml",
                                base / "testload")
    assert not inputs.warnings()
    with Session(inputs) as session:
        return session.classification


@pytest.mark.parametrize("side,entity", FAMILIES, ids=lambda v: str(v))
def test_sample_covers_every_rule_of_the_user_families(side: str, entity: str) -> None:
    pack = load_pack()
    rules = [r.id for e, r in pack.rules() if (e.side, e.name) == (side, entity)]
    assert rules, f"no rules for {side}.{entity}"
    counts = demo_result().rule_counts
    missing = [r for r in rules if not counts.get(r)]
    assert not missing, f"the sample has no {side}.{entity} records for {missing}"


def test_sample_has_findings_of_every_severity() -> None:
    result = demo_result()
    severities = {f.severity for f in result.findings}
    assert severities == {"blocker", "warning", "info"}
    assert result.blockers >= 1 and result.warnings >= 1


def test_sample_has_every_outcome_and_every_table() -> None:
    result = demo_result()
    outcomes = {c["outcome"] for c in result.counts}
    assert outcomes == {"retained", "refreshed", "merged", "added", "removed", "reverted",
                        "detached", "deactivated", "rejected", "not_migrated"}
    # Every table of the freeze and extract folders has records in the ledger.
    entities = {(c["side"], c["entity"]) for c in result.counts}
    for folder, side in (("freeze", "alma"), ("extract", "extract")):
        manifest = yaml.safe_load((SAMPLE / folder / "snapshot.yaml").read_text(encoding="utf-8"))
        forms = set((manifest.get("forms") or {}).values())
        tables = {p.stem for p in (SAMPLE / folder).glob("*.csv") if p.name not in forms}
        assert tables == {e for s, e in entities if s == side}, folder
