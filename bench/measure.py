"""The runner's machinery: each case a child process, timed from outside, and what it yields.

Wall time is the parent's clock around the child process; peak RSS and CPU time are the
child's, from the kernel (`wait4`), so every contender pays for its start-up alike.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
SAMPLE = ROOT / "sample_data"
GB = 1 << 30
MB = 1 << 20


@dataclass
class Measure:
    """One child process: its wall time, peak RSS and the JSON it printed."""

    seconds: float
    rss: int
    result: dict[str, Any]
    stderr: str = ""
    cpu: float = 0.0  # user + system seconds of the process and its threads


@dataclass
class Target:
    name: str
    target: str
    measured: str
    ok: bool | None  # None: not measured here
    note: str = ""


@dataclass
class Results:
    args: argparse.Namespace
    started: dt.datetime
    targets: list[Target] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


RESUME: dict[str, bool] = {"on": False}


def child(argv: list[str], log: Path, python: str = sys.executable,
          env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)) -> Measure:
    """Run `python ARGV` in the repository; time it and read its peak RSS from the kernel.

    Each measure is saved beside its log; with --resume, a saved one is used instead of running
    the case again (an interrupted run goes on where it stopped)."""
    saved = log.with_suffix(".json")
    if RESUME["on"] and saved.is_file():
        data = json.loads(saved.read_text(encoding="utf-8"))
        return Measure(data["seconds"], data["rss"], data["result"], cpu=data.get("cpu", 0.0))
    log.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile() as out, log.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([python, *argv], cwd=ROOT, stdout=out, stderr=err,
                                env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    stderr = log.read_text(encoding="utf-8", errors="replace")
    if proc.returncode not in ok:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}); see {log}:\n"
                           f"{stderr[-3000:]}")
    lines = [ln for ln in text.splitlines() if ln.startswith("{")]
    result = json.loads(lines[-1]) if lines else {}
    measure = Measure(seconds, usage.ru_maxrss * 1024, result, stderr,
                      usage.ru_utime + usage.ru_stime)
    saved.write_text(json.dumps({"argv": argv, "seconds": seconds, "rss": measure.rss,
                                 "cpu": measure.cpu, "result": result}, default=str),
                     encoding="utf-8")
    return measure


def case(name: str, args: list[str], log: Path, **kw: Any) -> Measure:
    return child(["-m", "bench.cases", name, *args], log, **kw)


def generated(data: Path, users: int, institutions: int, seed: int) -> bool:
    try:
        meta = json.loads((data / "generated.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (meta.get("users"), meta.get("institutions"), meta.get("seed")) == (
        users, institutions, seed)


def ensure_data(r: Results, users: int) -> Path:
    a = r.args
    data = a.work / f"data-{users}"
    if a.regenerate or not generated(data, users, a.institutions, a.seed):
        m = child(["-m", "simulator", "--quiet", "generate", "--users", str(users),
                   "--institutions", str(a.institutions), "--seed", str(a.seed),
                   "--out", str(data)], a.work / "logs" / f"generate-{users}.log")
        r.raw.setdefault("generate", {})[str(users)] = {"seconds": m.seconds, "rss": m.rss}
    return data


def fmt_s(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds >= 10 else f"{seconds:.2f} s"


def fmt_b(n: float) -> str:
    return f"{n / GB:.2f} GB" if n >= GB else f"{n / MB:.0f} MB"


def rows_of(data: Path) -> dict[str, dict[str, int]]:
    meta = json.loads((data / "generated.json").read_text(encoding="utf-8"))
    rows: dict[str, dict[str, int]] = meta["rows"]
    return rows
