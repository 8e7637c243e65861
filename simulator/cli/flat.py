"""Legacy ILS files in (docs/legacy-files.md): `cutover snapshot import flat` turns delimited
exports and a mapping file into an extract-side snapshot; `cutover snapshot mapping-template`
writes a starting mapping from the files. Importing this module registers both commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.common import Exit, MemoryLimit, check_options, exit_codes, step, term, warn
from simulator.cli.importing import import_app
from simulator.cli.tools import snapshot_app
from simulator.errors import Loc, Problem, UserError, display_path


@snapshot_app.command("mapping-template")
@exit_codes
def mapping_template(
    files_dir: Annotated[Path, typer.Argument(help="Folder of legacy files.")],
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write the mapping to this file (never overwritten) instead of stdout.")]
    = None,
) -> int:
    """Write a starting mapping for `snapshot import flat`, guessed from the files.

    Each file's headers, and guesses of its table, columns and date formats to check.
    """
    from simulator.importers.flat.template import mapping_template as make

    if out is not None and out.exists():
        raise UserError(Problem(Loc(display_path(out)), "--out exists: choose a new file (a "
                                                        "mapping is never overwritten)"))
    template = make(files_dir)
    warn(template.notes)
    if out is None:
        sys.stdout.write(template.text)
    else:
        out.write_text(template.text, encoding="utf-8")
        term.out.print(f"{out}: a starting mapping; check every guess, then run `cutover "
                       f"snapshot import flat {files_dir} --mapping {out} ...`", markup=False)
    return Exit.OK


@import_app.command("flat")
@exit_codes
def flat(
    files_dir: Annotated[Path, typer.Argument(help="Folder of legacy files.")],
    mapping: Annotated[Path, typer.Option("--mapping", help="The mapping file (YAML; "
                                                            "docs/legacy-files.md).")],
    institution: Annotated[str, typer.Option("--institution", help="Institution code.",
                                                              metavar="<code>")],
    out: Annotated[Path, typer.Option("--out", help="Snapshot folder to write (replaced only "
                                                    "if an earlier import wrote it).")],
    stage: Annotated[str, typer.Option("--stage", help="extract or fulfillment_extract.",
                                                  metavar="<stage>")]
    = "extract",
    taken_at: Annotated[str | None, typer.Option(
        "--taken-at", help="When the files were exported (ISO timestamp; default: now).",
                      metavar="<timestamp>")]
    = None,
    memory_limit: MemoryLimit = None,
) -> int:
    """Turn legacy ILS exports and a mapping file into an extract-side snapshot, validated.

    Files as the legacy system exports them; the mapping file: docs/legacy-files.md.
    """
    from simulator.importers.flat.importer import import_files

    check_options(memory_limit=memory_limit)
    done = import_files(files_dir, mapping, out, stage, institution, taken_at, memory_limit,
                        progress=step, warn=lambda line: warn([line]))
    for table, headers in done.dropped.items():
        term.err.print(f"{table}: not imported (not in the mapping): {', '.join(headers)}",
                       markup=False)
    tables = ", ".join(f"{name} {rows:,}" for name, rows in done.rows.items())
    term.out.print(f"{out}: extract-side snapshot of {institution}, stage {stage}; "
                   f"{len(done.rows)} tables ({tables} rows), valid.", markup=False)
    return Exit.OK
