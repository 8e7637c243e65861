"""Turning a finished run into the report layer's context objects (the page never queries)."""

from __future__ import annotations

from typing import Any

from reports.render import EntitySection, PredictReport, RuleView
from simulator.core.engine import Result
from simulator.core.findings import level_of
from simulator.output.sampling import ROWS_PER_ENTITY, sample_ledger
from simulator.privacy import shown_key
from simulator.rules.model import Pack


def entity_sections(result: Result, pack: Pack, counts: list[dict[str, Any]],
                    show_pii: bool, limit: int | None = None) -> list[EntitySection]:
    sample = sample_ledger((((e.side, e.name), r.id, result.smallest.get(r.id, []))
                            for e, r in pack.rules()), result.rule_counts,
                           limit or ROWS_PER_ENTITY)
    outcomes: dict[tuple[str, str], dict[str, int]] = {}
    for c in counts:
        outcomes.setdefault((c["side"], c["entity"]), {})[c["outcome"]] = c["count"]
    sections = []
    for entity in pack.ordered():
        key = (entity.side, entity.name)
        if key not in outcomes:
            continue  # no records of this entity in the inputs
        index = {r.id: i for i, r in enumerate(entity.rules)}
        sections.append(EntitySection(
            id=entity.id,
            side=entity.side,
            name=entity.name,
            total=sum(outcomes[key].values()),
            outcomes=outcomes[key],
            rules=[RuleView(r.id, r.outcome, r.when, r.reason, r.cite, r.confidence)
                   for r in entity.rules],
            records=[(shown_key(k, show_pii), index[rule]) for k, rule in sample.get(key, [])],
        ))
    return sections


def mask_findings(findings: list[dict[str, Any]], show_pii: bool) -> list[dict[str, Any]]:
    """Findings as a report shows them: e-mail addresses masked unless asked otherwise."""
    out = []
    for f in findings:
        shown = {**f, "sample_keys": [shown_key(k, show_pii) for k in f["sample_keys"]]}
        if "details" in f:
            shown["details"] = [{k: shown_key(str(v), show_pii) for k, v in d.items()}
                                for d in f["details"]]
        out.append(shown)
    return out


def predict_report(result: Result, pack: Pack, stage: str, summary: dict[str, Any],
                   ledger_csv: bool, show_pii: bool = False,
                   pseudonymized: bool = False) -> PredictReport:
    findings = mask_findings(summary["findings"], show_pii)
    return PredictReport(
        institution=summary["institution"],
        stage=stage,
        scenario=summary["manifest"]["scenario"],
        verdict=summary["verdict"],
        verdict_level=level_of(findings),
        findings=findings,
        entities=entity_sections(result, pack, summary["counts"], show_pii),
        manifest=summary["manifest"],
        ledger_csv=ledger_csv,
        show_pii=show_pii,
        pseudonymized=pseudonymized,
    )
