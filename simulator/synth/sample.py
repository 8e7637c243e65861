"""The bundled sample institution: a fictional university, generated with a fixed seed.

`python -m simulator.synth.sample DIR` writes it; the committed `sample_data/` must equal the output
(tests/test_sample.py checks this). Every rule of the users, user_roles and patrons entities has
records here, and there are findings of every severity and records of every outcome. Other rules
may have none (most apply only under other scenario options, e.g. retained funds or courses);
every rule's own test builds a minimal fixture instead.
"""

from __future__ import annotations

from pathlib import Path

from simulator.inputs.writing import csv_text
from simulator.synth import (
    alma_api,
    legacy,
    sample_consortium,
    sample_post,
    sample_variants,
    texts,
)
from simulator.synth.offline_circ import files as offline_circ_files
from simulator.synth.sample_config import configuration
from simulator.synth.sample_fulfillment import fulfillment
from simulator.synth.sample_readiness import readiness_cases
from simulator.synth.sample_tables import INSTITUTION, Sample
from simulator.synth.sample_users import created_public_staff, users

SEED = 20260302

SCENARIO = texts.scenario_text(INSTITUTION, "Northfield University (fictional): the cutover "
                                            "scenario used by `make demo`.",
                               "ils-team@northfield.example")
# In the order they run: each continues the one random stream where the previous one left it.
BUILDERS = (users, configuration, fulfillment, created_public_staff, readiness_cases)


WAIVERS = """\
# Northfield University (fictional): risks accepted before the cutover, used by `make demo`
# (`cutover readiness --waivers sample_data/waivers.yaml`). A waiver holds through its expiry day.
waivers:
  - finding: vendors.missing-in-alma
    records: [V021]
    owner: Dana Okafor (acquisitions lead)
    reason: Vendor 21 is a one-off supplier; it is added to Alma after go-live.
    expires: 2026-03-31
  - finding: orders.vendor-missing
    owner: Dana Okafor (acquisitions lead)
    reason: The three orders on vendor 21 are keyed by hand after go-live.
    expires: 2026-03-31
  - finding: ready.unscrubbed-email
    records: [V007]
    owner: Sam Haddad (systems librarian)
    reason: The vendor's EDI test mailbox, agreed with the vendor for the cutover tests.
    expires: 2026-03-16
  - finding: requests.unfulfilled
    owner: Lena Novak (circulation)
    reason: Accepted for the test load only; the desk plans the re-creation for go-live.
    expires: 2026-02-27
"""


MANIFESTS = {stage: texts.manifest_text(INSTITUTION, stage, taken_at, forms=stage == "extract")
             for stage, taken_at in texts.TAKEN_AT.items()}
FORMS = texts.forms("fictional")


def files(seed: int = SEED) -> dict[str, str | bytes]:
    """Relative path -> content of every file of the sample: text, written as UTF-8, or bytes
    (a legacy file in its own encoding), written as they are."""
    g = Sample(seed)
    for build in BUILDERS:
        build(g)
    out: dict[str, str | bytes] = {"scenario.yaml": SCENARIO, "waivers.yaml": WAIVERS}
    for snap, tables in g.tables.items():
        out[f"{snap}/snapshot.yaml"] = MANIFESTS[snap]
        for table, rows in tables.items():
            out[f"{snap}/{table}.csv"] = csv_text(table, rows)
    for name, text in FORMS.items():
        out[f"extract/{name}"] = text
    out.update(alma_api.files(g.tables))
    out.update(legacy.files(g.tables["extract"]))
    for snap, tables in sample_post.post_snapshots(g.tables).items():
        out[f"{snap}/snapshot.yaml"] = sample_post.MANIFESTS[snap]
        for table, rows in tables.items():
            out[f"{snap}/{table}.csv"] = csv_text(table, rows)
    out.update(offline_circ_files(sample_post.post_snapshots(g.tables)["post-fulfillment"],
                                  SCENARIO))
    out.update(sample_variants.files())
    out.update(sample_consortium.files())
    return dict(sorted(out.items()))


def write(folder: Path, seed: int = SEED) -> None:
    for rel, content in files(seed).items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encoded(content))


def encoded(content: str | bytes) -> bytes:
    """A file's bytes: text as UTF-8, bytes as they are."""
    return content if isinstance(content, bytes) else content.encode("utf-8")


def sample_dir() -> Path:
    """The copy shipped inside the package, or the sample in a source checkout."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_sample", here.parent / "sample_data"):
        if (candidate / "scenario.yaml").is_file():
            return candidate
    raise FileNotFoundError("the sample institution is missing from this installation")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m simulator.synth.sample",
                                     description="Write the sample institution (make sample).")
    parser.add_argument("folder", nargs="?", type=Path, default=Path("sample_data"))
    write(parser.parse_args().folder)
