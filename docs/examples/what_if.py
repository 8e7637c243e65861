"""What if...: the sample institution's cutover predicted, its outcomes per entity plotted, and
one of its what-if variants tried, through the Python API (docs/python-api.md).

The plain-script twin of what-if.ipynb, for those without Jupyter:

    .venv/bin/python docs/examples/what_if.py [OUT]

prints the tables, and writes the plot (OUT/outcomes.png) and the variant's what-if folder
(OUT/whatif-retain-funds/, as `cutover whatif` writes it) into OUT (default:
runs/what-if-example).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no window

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from simulator import open_session, sample_folder  # noqa: E402


def outcome_shares(counts: pd.DataFrame) -> pd.DataFrame:
    """Per entity (rows, with their record counts), the share of each outcome in percent."""
    table = counts.pivot_table(index=["side", "entity"], columns="outcome", values="count",
                               fill_value=0, aggfunc="sum")
    totals = table.sum(axis=1)
    shares = table.div(totals, axis=0) * 100
    shares.index = [f"{side}.{entity} ({total:,})"
                    for (side, entity), total in zip(table.index, totals, strict=True)]
    return shares


def main(out: Path) -> None:
    sample = sample_folder()  # sample_data/ in a checkout
    with open_session(sample / "freeze", sample / "extract", sample / "scenario.yaml",
                      testload=sample / "testload") as session:
        prediction = session.predict()
        print(prediction.verdict)
        print(prediction.findings.df()[["severity", "title", "count"]].to_string(index=False))

        out.mkdir(parents=True, exist_ok=True)
        ax = outcome_shares(prediction.counts.df()).plot.barh(
            stacked=True, figsize=(11, 12), width=0.8, colormap="tab20")
        ax.invert_yaxis()
        ax.legend(title="outcome", loc="upper left", bbox_to_anchor=(1.01, 1))
        ax.set_xlabel("share of the entity's records (%)")
        ax.set_title(f"{session.institution}: predicted outcome per entity")
        ax.figure.tight_layout()
        ax.figure.savefig(out / "outcomes.png")
        plt.close(ax.figure)
        print(f"plot: {out / 'outcomes.png'}")

        variant = sample / "variants" / "retain-funds.yaml"
        whatif = session.whatif([variant])
        print(whatif.totals.df().to_string(index=False))
        transitions = whatif.transitions.df().fillna("(none)")
        print(pd.crosstab([transitions.side, transitions.entity, transitions.outcome_before],
                          transitions.outcome_after).to_string())
        funds = transitions[(transitions.side == "alma") & (transitions.entity == "funds")]
        print(funds[["record_key", "outcome_before", "outcome_after", "rule_after"]]
              .to_string(index=False))
        print(f"what-if folder: {whatif.write(out / 'whatif-retain-funds')}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("runs/what-if-example"))
