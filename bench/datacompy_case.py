"""datacompy (polars backend) on the users reconciliation: expected vs actual users.

Runs in the bench's own environment (`.venv/bench`, bench/requirements.txt: datacompy pins an
older pandas than the project's), so it imports nothing from the project. Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(prepared: Path, backend: str = "polars") -> None:
    import datacompy
    import polars as pl

    start = time.perf_counter()
    steps = []
    compare: datacompy.BaseCompare
    if backend == "polars":
        expected = pl.read_parquet(prepared / "expected.parquet")
        actual = pl.read_parquet(prepared / "actual.parquet")
        steps.append(["reading", time.perf_counter() - start])
        t = time.perf_counter()
        compare = datacompy.PolarsCompare(expected, actual, join_columns=["match_key"],
                                          df1_name="expected", df2_name="actual")
    else:
        import pandas as pd

        expected_pd = pd.read_parquet(prepared / "expected.parquet")
        actual_pd = pd.read_parquet(prepared / "actual.parquet")
        steps.append(["reading", time.perf_counter() - start])
        t = time.perf_counter()
        compare = datacompy.PandasCompare(expected_pd, actual_pd, join_columns=["match_key"],
                                          df1_name="expected", df2_name="actual")
    result = {
        "backend": backend,
        "only_expected": len(compare.df1_unq_rows),
        "only_actual": len(compare.df2_unq_rows),
        "mismatched": len(compare.all_mismatch()),
    }
    steps.append(["comparing", time.perf_counter() - t])
    t = time.perf_counter()
    report = compare.report()
    steps.append(["report", time.perf_counter() - t])
    result.update(seconds=time.perf_counter() - start, steps=steps, report_chars=len(report),
                  datacompy=datacompy.__version__, polars=pl.__version__)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), *sys.argv[2:3])
