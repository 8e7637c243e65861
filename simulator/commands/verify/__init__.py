"""`cutover verify`: what Alma holds after a load, reconciled with the prediction record by
record (docs/commands/verify.md).

Modules, one job each: scope (which entities a run checks), prediction (a saved predict run
and a Session over its inputs), opening (verify's own inputs, every problem together),
reconcile (presence, expectations, the summary), classes (the registry of discrepancy
classes), stages (the fulfillment and go-live checks), findings (findings, verdict, junit
cases), budgets (loss budgets), folder (the run folder) and command (`run`).

    from simulator.commands import verify
    with Session.open(pre, extract, scenario) as session:
        verify.run(session, post, out)
"""

from simulator.commands.verify.classes import (
    STAGES,
    DiscrepancyClass,
    Registry,
    registry,
)
from simulator.commands.verify.command import Run, run, run_saved
from simulator.commands.verify.prediction import Prediction, open_prediction, prediction_session
from simulator.commands.verify.reconcile import VerifyResult
from simulator.commands.verify.scope import (
    EVERY_ENTITY,
    Scope,
    entity_names,
    resolve_scope,
    tables_needed,
)

__all__ = [
    "EVERY_ENTITY",
    "STAGES",
    "DiscrepancyClass",
    "Prediction",
    "Registry",
    "Run",
    "Scope",
    "VerifyResult",
    "entity_names",
    "open_prediction",
    "prediction_session",
    "registry",
    "resolve_scope",
    "run",
    "run_saved",
    "tables_needed",
]
