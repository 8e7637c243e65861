"""Rendering reports: the one place where jinja2 is set up.

Autoescaping is on for every HTML template, every value written into Markdown is escaped for
Markdown and HTML (`_md`, applied by the environment's `finalize`), and undefined names fail
loudly, so a missing value is a bug found in tests, never a blank in a report a project manager
reads. Each report kind has a typed context object; templates never query data themselves.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

# Stable colours per outcome, shared by every report.
OUTCOME_COLOURS = {
    "retained": "#2e7d32",
    "refreshed": "#00838f",
    "merged": "#5e35b1",
    "added": "#1565c0",
    "removed": "#c62828",
    "reverted": "#ef6c00",
    "detached": "#8d6e63",
    "deactivated": "#546e7a",
    "rejected": "#ad1457",
    "not_migrated": "#9e9e9e",
}
SEVERITY_ORDER = ("blocker", "warning", "info")


# Markdown (summary.md): every value is one line of plain text. HTML's own characters become
# entities, so no tag or entity of a value stays live; Markdown's inline characters (and a table
# cell's pipe) are escaped with a backslash; so is a first character that could start a block.
_MD_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
_MD_BLOCK_START = re.compile(r"^([#>+=-]|\d+(?=[.)]))")


def _md(value: Any) -> markupsafe.Markup:
    """A value as Markdown text that renders as exactly that text, on one line."""
    if isinstance(value, markupsafe.Markup):
        return value  # already Markdown (this filter, `code`)
    text = " ".join(str(value).split())
    text = "".join(_MD_HTML.get(ch, ch) for ch in text)
    text = _MD_BLOCK_START.sub(lambda m: "\\" + m.group(1) if not m.group(1).isdigit()
                               else m.group(1) + "\\", _MD_INLINE.sub(r"\\\1", text))
    return markupsafe.Markup(text)


def _md_code(value: Any) -> markupsafe.Markup:
    """A value as a Markdown code span: fenced by more backticks than it holds, pipes escaped
    (a table cell would end at one)."""
    text = " ".join(str(value).split()).replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return markupsafe.Markup(f"{fence}{pad}{text}{pad}{fence}")


@jinja2.pass_eval_context
def _finalize(ctx: jinja2.nodes.EvalContext, value: Any) -> Any:
    """Every value a template writes: HTML templates escape it themselves (autoescape);
    anything else (Markdown) gets `_md` unless a filter made it Markdown already."""
    return value if ctx.autoescape else _md(value)


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(disabled_extensions=("md",), default=True,
                                            default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    # Filters, in one block.
    env.filters["thousands"] = lambda n: f"{int(n):,}"
    env.filters["outcome_colour"] = lambda o: OUTCOME_COLOURS.get(str(o), "#999999")
    env.filters["md"] = _md
    env.filters["code"] = _md_code
    # Our own CSS and JS, inlined so the page works from a file with no network: trusted text.
    env.globals["static"] = lambda name: markupsafe.Markup((STATIC / name).read_text("utf-8"))
    return env


_ENV = _env()


@dataclass
class Segment:
    outcome: str
    count: int
    x: float
    width: float


@dataclass
class Bar:
    label: str
    anchor: str
    total: int
    y: int
    segments: list[Segment]


@dataclass
class Chart:
    """Horizontal bars per entity, split by outcome; each bar's width is its share."""

    bars: list[Bar]
    width: int
    height: int
    label_width: int
    bar_width: int


@dataclass
class RuleView:
    id: str
    outcome: str
    when: str
    reason: str
    cite: str
    confidence: str


@dataclass
class EntitySection:
    id: str  # side.entity, also the HTML id and the deep link prefix
    side: str
    name: str
    total: int
    outcomes: dict[str, int]
    rules: list[RuleView]
    records: list[tuple[str, int]]  # (record_key as shown, index into rules)

    @property
    def shown(self) -> int:
        return len(self.records)


@dataclass
class PredictReport:
    institution: str
    stage: str
    scenario: dict[str, Any]
    verdict: str
    verdict_level: str  # blocker | warning | clear
    findings: list[dict[str, Any]]
    entities: list[EntitySection]
    manifest: dict[str, Any]
    ledger_csv: bool
    show_pii: bool = False
    pseudonymized: bool = False
    outcomes: list[str] = field(default_factory=lambda: list(OUTCOME_COLOURS))

    @property
    def chart(self) -> Chart:
        return chart(self.entities)

    def severity_counts(self) -> dict[str, int]:
        return {s: sum(1 for f in self.findings if f["severity"] == s) for s in SEVERITY_ORDER}

    def data_json(self) -> str:
        """What the page's script needs, as JSON safe to embed in a script element."""
        payload = {
            "entities": {
                e.id: {
                    "id": e.id,
                    "rules": [r.__dict__ for r in e.rules],
                    "records": [list(rec) for rec in e.records],
                }
                for e in self.entities
            }
        }
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        # Inside <script>, only "</" and "<!--" can end or confuse the element.
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def chart(entities: list[EntitySection], bar_width: int = 560, label_width: int = 200) -> Chart:
    row = 22
    bars = []
    for i, e in enumerate(entities):
        x = 0.0
        segments = []
        for outcome in OUTCOME_COLOURS:
            n = e.outcomes.get(outcome, 0)
            if not n:
                continue
            w = bar_width * n / e.total if e.total else 0
            segments.append(Segment(outcome, n, round(label_width + x, 2), round(max(w, 0.5), 2)))
            x += w
        bars.append(Bar(e.id, e.id, e.total, i * row, segments))
    return Chart(bars, label_width + bar_width + 80, len(bars) * row + 4, label_width, bar_width)


def render(template: str, context: Any) -> str:
    return _ENV.get_template(template).render(r=context, colours=OUTCOME_COLOURS)


def render_predict(report: PredictReport) -> tuple[str, str]:
    """The HTML report and the Markdown summary."""
    return render("predict.html", report), render("summary.md", report)


VERIFY_CLASSES = ("confirmed", "lost_unexpectedly", "survived_unexpectedly", "unexpected",
                  "state_mismatch", "unverifiable")


@dataclass
class VerifyReport:
    institution: str
    stage: str
    verdict: str
    verdict_level: str
    findings: list[dict[str, Any]]
    counts: list[dict[str, Any]]  # side, entity, class, count
    matrix: list[dict[str, Any]]  # one row per rule
    actions: list[dict[str, Any]]
    warnings: list[str]
    manifest: dict[str, Any]
    scope_note: str = ""  # "Entities checked: ..." when --entity limited the run

    def severity_counts(self) -> dict[str, int]:
        return {s: sum(1 for f in self.findings if f["severity"] == s) for s in SEVERITY_ORDER}

    @property
    def classes(self) -> list[str]:
        seen = {c["class"] for c in self.counts}
        return [c for c in VERIFY_CLASSES if c in seen] + sorted(
            seen - set(VERIFY_CLASSES))

    def count_rows(self) -> list[dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        for c in self.counts:
            row = rows.setdefault(f"{c['side']}.{c['entity']}",
                                  {"entity": f"{c['side']}.{c['entity']}", "classes": {},
                                   "total": 0})
            row["classes"][c["class"]] = c["count"]
            row["total"] += c["count"]
        return [rows[k] for k in sorted(rows)]


def render_verify(report: VerifyReport) -> tuple[str, str]:
    return render("verify.html", report), render("verify.md", report)


# --- what-if and diff: two ledgers compared record by record --------------------------------

ABSENT = "absent"  # a record one of the two ledgers does not have
MATRIX_ORDER = (*OUTCOME_COLOURS, ABSENT)


def _script_json(payload: Any) -> str:
    """JSON safe to embed in a script element (only "</" and "<!--" could end it)."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@dataclass
class MatrixView:
    """Records of one entity by outcome before (rows) and after (columns)."""

    id: str  # side.entity
    rows: list[str]
    cols: list[str]
    cells: dict[str, dict[str, int]]
    changed: int
    appeared: int
    disappeared: int

    def cell(self, before: str, after: str) -> int:
        return self.cells.get(before, {}).get(after, 0)


def matrix_view(m: dict[str, Any]) -> MatrixView:
    """From a matrix as summary.json holds it (simulator.compare.matrices)."""
    cells: dict[str, dict[str, int]] = {}
    for c in m["cells"]:
        cells.setdefault(c["before"], {})[c["after"]] = int(c["count"])
    after = {a for row in cells.values() for a in row}
    return MatrixView(
        id=m["id"],
        rows=[o for o in MATRIX_ORDER if o in cells] + sorted(set(cells) - set(MATRIX_ORDER)),
        cols=[o for o in MATRIX_ORDER if o in after] + sorted(after - set(MATRIX_ORDER)),
        cells=cells,
        changed=int(m["changed"]),
        appeared=int(m["appeared"]),
        disappeared=int(m["disappeared"]),
    )


@dataclass
class ChangeTable:
    """Changed records embedded in a page, searched and filtered by the page's script."""

    group: str  # heading of the first column (e.g. "Variant"); empty: no such column
    rows: list[list[str]]  # group, entity id, key, before, after, rule before, rule after
    total: int  # changed records in all (the files beside the report hold every one)
    files: list[str]  # those files

    @property
    def shown(self) -> int:
        return len(self.rows)

    @property
    def groups(self) -> list[str]:
        return list(dict.fromkeys(r[0] for r in self.rows))

    @property
    def entities(self) -> list[str]:
        return sorted({r[1] for r in self.rows})

    def data_json(self) -> str:
        return _script_json({"group": self.group, "rows": self.rows})


@dataclass
class RunView:
    """One run of a what-if: the base or a variant, and how it differs from the base."""

    name: str
    file: str  # the variant file; empty for the base
    changes: list[str]  # scenario changes, patches and rule layers, in plain language
    verdict: str
    verdict_level: str
    blockers: int
    warnings: int
    counts: dict[str, dict[str, int]]  # entity id -> outcome -> records
    transitions: dict[str, int]  # changed, appeared, disappeared
    finding_changes: list[dict[str, Any]]
    matrices: list[MatrixView]  # entities with a changed record

    @property
    def totals(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for outcomes in self.counts.values():
            for o, n in outcomes.items():
                out[o] = out.get(o, 0) + n
        return out

    @property
    def is_base(self) -> bool:
        return not self.file

    def new_blockers(self) -> list[dict[str, Any]]:
        return [f for f in self.finding_changes if f["new_blocker"]]

    def cleared_blockers(self) -> list[dict[str, Any]]:
        return [f for f in self.finding_changes if f["cleared_blocker"]]


@dataclass
class WhatifReport:
    institution: str
    scenario: dict[str, Any]
    runs: list[RunView]  # the base first
    changes: ChangeTable
    manifest: dict[str, Any]
    transitions_csv: bool
    show_pii: bool = False
    outcomes: list[str] = field(default_factory=lambda: list(OUTCOME_COLOURS))

    @property
    def base(self) -> RunView:
        return self.runs[0]

    @property
    def variants(self) -> list[RunView]:
        return self.runs[1:]

    def changed_entities(self) -> list[str]:
        return sorted({m.id for r in self.variants for m in r.matrices})

    def date(self, name: str) -> str:
        """A date of the base scenario, without a midnight time."""
        value = str(self.scenario.get("dates", {}).get(name, "not set"))
        return value.removesuffix("T00:00:00")

    def entity_outcomes(self, entity: str) -> list[str]:
        seen = {o for r in self.runs for o in r.counts.get(entity, {})}
        return [o for o in self.outcomes if o in seen] + sorted(seen - set(self.outcomes))

    def total_outcomes(self) -> list[str]:
        seen = {o for r in self.runs for o in r.totals}
        return [o for o in self.outcomes if o in seen] + sorted(seen - set(self.outcomes))


def render_whatif(report: WhatifReport) -> str:
    return render("whatif.html", report)


@dataclass
class InputChange:
    """One input of two runs compared: the same, or what differs."""

    what: str
    same: bool
    details: list[str]


@dataclass
class DiffReport:
    a: dict[str, Any]  # path, kind, stage, institution, timestamp, verdict of each run
    b: dict[str, Any]
    inputs: list[InputChange]
    totals: dict[str, int]  # changed, appeared, disappeared
    matrices: list[MatrixView]  # entities with a changed record
    finding_changes: list[dict[str, Any]]
    discrepancy_changes: list[dict[str, Any]] | None  # verify runs: per entity and class
    changes: ChangeTable
    manifest: dict[str, Any]
    warnings: list[str]
    show_pii: bool = False
    outcomes: list[str] = field(default_factory=lambda: list(OUTCOME_COLOURS))

    @property
    def identical(self) -> bool:
        return not any(self.totals.values()) and not self.finding_changes and \
            not self.discrepancy_changes


def render_diff(report: DiffReport) -> str:
    return render("diff.html", report)
