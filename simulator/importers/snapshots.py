"""What every importer shares: the marker of a snapshot folder an import wrote (a later import
may replace it, nothing else), the manifest it writes, and the check it makes before the folder
appears (`cutover snapshot validate`'s)."""

from __future__ import annotations

import json
from pathlib import Path

from simulator.errors import Problem
from simulator.inputs import snapshot, validate

MARKER = ".cutover-import"
WHAT = "a snapshot folder written by `cutover snapshot import`"


def manifest_text(institution: str, stage: str, taken_at: str) -> str:
    # JSON strings are YAML strings: a code like 123 or 'yes' stays text.
    return (f"format_version: {snapshot.FORMAT_VERSION}\ninstitution: {json.dumps(institution)}\n"
            f"stage: {stage}\ntaken_at: {taken_at}\n")


def check(folder: Path, memory_limit: str | None = None) -> list[Problem]:
    """What `cutover snapshot validate` finds in the snapshot folder."""
    snap = snapshot.open_snapshot(folder)
    return validate.check_snapshot(snap, memory_limit=memory_limit)[0]
