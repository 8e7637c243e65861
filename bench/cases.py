"""One benchmark case per process: `python -m bench.cases CASE ARGS...`.

Each case does its work and prints one JSON line on stdout (its own timings and results); the
runner (`bench/run.py`, through `bench/measure.py`) times the whole process and reads its peak
RSS from the kernel, so every contender pays for its imports and its reading of the files alike.
The cases live beside their group (`bench/*_cases.py`, `bench/offline_circ.py`); this module is
their table.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import offline_circ
from bench.legacy_cases import case_legacy_data, case_legacy_profile
from bench.predict_cases import case_hand, case_predict, case_profile, case_render, case_same_ledger
from bench.users_cases import (
    case_rules_interleaved,
    case_same_users,
    case_users_pandas,
    case_users_sql,
)
from bench.verify_cases import case_expected_users, case_reconcile_sql, case_verify

CASES: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "predict": case_predict, "hand": case_hand, "profile": case_profile,
    "same-ledger": case_same_ledger,
    "users-sql": case_users_sql, "users-pandas": case_users_pandas,
    "same-users": case_same_users, "rules-interleaved": case_rules_interleaved,
    "expected-users": case_expected_users,
    "reconcile-sql": case_reconcile_sql, "render": case_render, "verify": case_verify,
    "legacy-data": case_legacy_data, "legacy-profile": case_legacy_profile,
    "offline-data": offline_circ.case_offline_data,
    "offline-profile": offline_circ.case_offline_profile,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cases")
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("--data", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--run", type=Path)
    parser.add_argument("--prepared", type=Path)
    parser.add_argument("--left", type=Path)
    parser.add_argument("--right", type=Path)
    parser.add_argument("--html", type=Path)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--rules", type=Path, action="append", default=[])
    parser.add_argument("--entity", action="append", default=[])
    parser.add_argument("--csv", default="never")
    parser.add_argument("--memory-limit", default=None)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=7)
    a = parser.parse_args(argv)
    result = CASES[a.case](a)
    sys.stdout.write(json.dumps(result, default=str) + "\n")


if __name__ == "__main__":
    main()
