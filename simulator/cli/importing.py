"""`cutover snapshot import SOURCE`: outside data in as a snapshot folder
(docs/formats/snapshots.md).
Importing this module registers the `import` sub-app on `snapshot`, with the `alma-api` source
(docs/alma-api.md); another source is another command on `import_app`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.common import Exit, exit_codes, step, term, warn
from simulator.cli.tools import snapshot_app

import_app = typer.Typer(no_args_is_help=True,
                         help="Turn outside data into a snapshot folder, validated.")
snapshot_app.add_typer(import_app, name="import")


@import_app.command("alma-api")
@exit_codes
def import_alma_api(
    raw_dir: Annotated[Path, typer.Argument(help="Raw folder of Alma API responses "
                                                 "(docs/alma-api.md).")],
    stage: Annotated[str, typer.Option(help="The snapshot's stage: testload, freeze, cutover, "
                                            "fulfillment or golive.", metavar="<stage>")],
    institution: Annotated[str, typer.Option(help="Institution code (as in the scenario).",
                                             metavar="<code>")],
    out: Annotated[Path, typer.Option("--out", help="Snapshot folder to write (replaced only if "
                                                    "an earlier import wrote it).")],
    code_table: Annotated[list[str] | None, typer.Option(
        "--code-table", help="AlmaName=snapshot_table: import another Alma code table "
                             "(repeatable).", metavar="<alma-name=table>")] = None,
) -> int:
    """Turn a raw folder of Alma API responses into a snapshot folder, validated."""
    from simulator.importers.alma_api.importer import import_alma_api as run_import

    done = run_import(raw_dir, out, stage=stage, institution=institution,
                      code_tables=code_table, progress=step)
    warn(done.warnings)
    rows = sum(done.rows.values())
    term.out.print(f"{out}: {len(done.rows)} tables, {rows:,} rows from {done.files:,} response "
                   f"files of {raw_dir}; valid.", markup=False)
    return Exit.OK
