"""What a review says: summary.json's content, and the report's view built from plain data for
`reports.readiness_report` (which never imports simulator)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports import readiness_report as view
from simulator.commands.readiness import runbook
from simulator.commands.readiness.collect import RECORDS_SHOWN
from simulator.commands.readiness.findings import ReadyFinding, WaiverState, open_count
from simulator.commands.readiness.scores import BLOCKER_COST, WARNING_COST, AreaScore
from simulator.core.engine import Result
from simulator.core.session import Session
from simulator.errors import display_path
from simulator.inputs.snapshot import sha256
from simulator.output import runfolder
from simulator.privacy import shown_key


@dataclass
class Review:
    """Everything a review found, as the summary and the report show it."""

    findings: list[ReadyFinding]
    scores: list[AreaScore]
    waivers: list[WaiverState]
    events: list[runbook.Event]
    notes: list[str]
    verdict: tuple[str, str]  # level, sentence


def _finding_dict(f: ReadyFinding, show_pii: bool) -> dict[str, Any]:
    return {
        "id": f.id, "severity": f.severity, "area": f.area, "title": f.title, "count": f.count,
        "unwaived": f.unwaived, "status": f.status,
        "sample_keys": [shown_key(k, show_pii) for k in f.sample_keys],
        "fix": f.fix, "rule_id": f.rule_id or None, "entity": f.entity,
        "cite": f.cite, "confidence": f.confidence,
        "waivers": [w.waiver.number for w in f.waivers],
    }


def _waiver_dict(s: WaiverState) -> dict[str, Any]:
    w = s.waiver
    return {"number": w.number, "finding": w.finding, "records": list(w.records),
            "owner": w.owner, "reason": w.reason, "expires": w.expires.isoformat(),
            "state": s.state, "matched": s.matched, "missing_records": s.missing}


def summarise(session: Session, result: Result, review: Review, as_of: dt.date,
              waivers_path: Path | None, show_pii: bool,
              command: list[str] | None) -> dict[str, Any]:
    """summary.json (`kind: readiness`), before the run folder adds the ledger's files."""
    level, text = review.verdict
    manifest = runfolder.manifest(session.inputs, session.pack, command, show_pii)
    manifest["as_of"] = as_of.isoformat()
    manifest["waivers"] = ({"path": display_path(waivers_path), "sha256": sha256(waivers_path)}
                           if waivers_path else None)
    return {
        "kind": "readiness",
        "institution": session.scenario.institution,
        "verdict": text,
        "verdict_level": level,
        "open_blockers": open_count(review.findings, "blocker"),
        "scores": {s.area: {k: v for k, v in s.__dict__.items() if k != "area"}
                   for s in review.scores},
        "findings": [_finding_dict(f, show_pii) for f in review.findings],
        "waivers": [_waiver_dict(s) for s in review.waivers],
        "runbook": [e.as_dict() for e in review.events],
        "notes": review.notes,
        "counts": result.counts,
        "manifest": manifest,
    }


def _waiver_view(s: WaiverState, show_pii: bool) -> view.WaiverView:
    w = s.waiver
    return view.WaiverView(w.number, w.finding, [shown_key(k, show_pii) for k in w.records],
                           w.scope, w.owner, w.reason, w.expires.isoformat(), s.state, s.matched,
                           [shown_key(k, show_pii) for k in s.missing])


def _finding_view(f: ReadyFinding, show_pii: bool) -> view.FindingView:
    return view.FindingView(
        id=f.id, severity=f.severity, area=f.area, title=f.title, fix=f.fix, cite=f.cite,
        entity=f.entity, source=f.source, confidence=f.confidence, count=f.count,
        unwaived=f.unwaived, status=f.status,
        waivers=[_waiver_view(s, show_pii) for s in f.waivers],
        records=[view.RecordView(r.entity, shown_key(r.key, show_pii),
                                 shown_key(r.detail, show_pii), r.waived) for r in f.records])


def report_view(stage: str, summary: dict[str, Any], review: Review, files: dict[str, bool],
                show_pii: bool) -> view.ReadinessReport:
    """The report's context: plain data only."""
    return view.ReadinessReport(
        institution=summary["institution"],
        stage=stage,
        scenario=summary["manifest"]["scenario"],
        as_of=summary["manifest"]["as_of"],
        verdict=summary["verdict"],
        verdict_level=summary["verdict_level"],
        areas=[view.AreaView(s.area, s.score, s.status, s.blockers, s.warnings, s.info,
                             s.waived) for s in review.scores],
        findings=[_finding_view(f, show_pii) for f in review.findings],
        waivers=[_waiver_view(s, show_pii) for s in review.waivers],
        events=[view.EventView(e.id, e.start, e.end, e.days, e.kind, e.label, e.title, e.detail,
                               e.who, e.cite) for e in review.events],
        notes=review.notes,
        manifest=summary["manifest"],
        files=files,
        show_pii=show_pii,
        records_shown=RECORDS_SHOWN,
        costs=(BLOCKER_COST, WARNING_COST),
    )
