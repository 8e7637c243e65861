"""The Python API: the simulator's commands for notebooks and scripts (docs/python-api.md).

    from simulator import open_session

    with open_session("freeze/", "extract/", "scenario.yaml") as session:
        prediction = session.predict()
        prediction.findings.df()            # a DuckDB relation: .df(), .to_arrow_table(), .pl()
        prediction.write("runs/predict-1")  # the run folder `cutover predict` writes

Bad input raises one `UserError` listing every located problem (`problems`), as the command
line reports them before it exits 2.
"""

from simulator.api.results import (
    Explanation,
    Prediction,
    Readiness,
    Verification,
    WhatIf,
)
from simulator.api.session import Session, open_session, sample_folder
from simulator.db import Relation
from simulator.errors import Loc, Problem, UserError

__all__ = [
    "Explanation",
    "Loc",
    "Prediction",
    "Problem",
    "Readiness",
    "Relation",
    "Session",
    "UserError",
    "Verification",
    "WhatIf",
    "open_session",
    "sample_folder",
]
