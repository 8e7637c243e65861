"""The offline circulation check's report (`cutover offline-circ check`): its context objects.

Rendering goes through `reports.render.render` (the one jinja2 environment: autoescape on,
undefined names fail). Plain HTML, no script: the lines with problems, the predicted state at
go-live and the temporary bibs are tables, each cut at `limit` rows (the CSV files beside the
report hold every row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reports.render import render


@dataclass
class CheckRow:
    name: str
    severity: str
    title: str
    lines: int


@dataclass
class FileRow:
    file: str
    role: str
    lines: int
    ok: int
    warning: int
    error: int
    sha256: str

    @property
    def role_name(self) -> str:
        return "ILL file" if self.role == "ill" else "offline circulation file"


@dataclass
class LineRow:
    file: str
    line: int
    status: str
    problem: str


@dataclass
class StateRow:
    barcode: str
    before: str
    before_primary_id: str
    after: str
    after_primary_id: str
    change: str
    file: str
    line: int | None


@dataclass
class PatronRow:
    primary_id: str
    loans_before: int
    loans_after: int
    loaned: int
    returned: int


@dataclass
class BibRow:
    record: int
    title: str
    barcodes: str
    status: str
    problem: str


@dataclass
class OfflineCircReport:
    institution: str
    verdict: str
    clear: bool
    lines: dict[str, int]
    files: list[FileRow]
    checks: list[CheckRow]
    problems: list[LineRow]
    replay: dict[str, int]
    state: dict[str, int]
    changes: list[StateRow]
    patrons: list[PatronRow]
    load_order: list[str]
    manifest: dict[str, Any]
    bibs: dict[str, Any] | None = None
    bib_rows: list[BibRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    limit: int = 1000

    @property
    def not_ok(self) -> int:
        return self.lines["warning"] + self.lines["error"]

    def cut(self, rows: list[Any], total: int) -> str:
        """A note when a table shows fewer rows than there are."""
        return "" if len(rows) >= total else \
            f"The first {len(rows):,} of {total:,} rows; every one is in the CSV file."


def render_offline_circ(report: OfflineCircReport) -> str:
    return render("offline_circ.html", report)
