"""The `cutover` command line: parses arguments, calls library functions, maps errors to exit codes.

`common` holds what every command shares (app, consoles, exit codes, options); `runs` the
commands on an institution's inputs, `tools` the rule-pack, snapshot and generator commands,
`demo` the sample walk-through, `progress` the stderr spinner. This module puts them together.
"""

from __future__ import annotations

import simulator.cli.flat  # noqa: F401  (registers `snapshot import flat`, `mapping-template`)
import simulator.cli.importing  # noqa: F401  (registers `snapshot import`)
import simulator.cli.pulling  # noqa: F401  (registers `snapshot pull`)
from simulator.cli import demo, offline, plan, runs, tools
from simulator.cli.common import Exit, app, term
from simulator.cli.demo import demo_readiness, demo_verify, demo_whatif

__all__ = ["Exit", "app", "demo_readiness", "demo_verify", "demo_whatif", "main"]

# Registered here, in the order `cutover --help` lists them.
for _command in (runs.predict, runs.explain, runs.verify, runs.readiness, demo.demo, runs.whatif,
                 runs.diff, plan.plan, tools.generate):
    app.command()(_command)
app.add_typer(tools.rules_app, name="rules")
app.add_typer(tools.snapshot_app, name="snapshot")
app.add_typer(offline.offline_app, name="offline-circ")

_state = term.options  # the global options, for tests that set them without the callback


def main() -> None:
    """The console script `cutover` (pyproject.toml) and `python -m simulator`."""
    app()
