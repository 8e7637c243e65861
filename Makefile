# Quick start: `make demo` runs the simulator on the bundled sample institution; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint sample docs clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# Then the sample's freeze as Alma API responses (sample_data/alma-api/) imported and predicted from
# alone, as a library with only API data would (docs/sample-data.md says what it cannot see),
# and the sample's extract as legacy ILS files (sample_data/legacy/) imported through their mapping
# and predicted from; predict exits 1 when it finds blockers, as it does on the sample. Last, the
# sample consortium's cutover plan (sample_data/consortium/): it exits 1 when legacy changes are lost.
# Then the sample's offline circulation and ILL files (sample_data/offline-circ/) are checked
# against Alma after the fulfillment load: exit 1, for the mistakes they hold on purpose.
demo: $(STAMP)
	$(BIN)/cutover demo --out runs/demo
	$(BIN)/cutover snapshot import alma-api sample_data/alma-api --stage freeze --institution NFU \
		--out runs/demo-alma-api/freeze
	$(BIN)/cutover predict --pre runs/demo-alma-api/freeze --extract sample_data/extract \
		--scenario sample_data/scenario.yaml --testload sample_data/testload \
		--out runs/demo-alma-api/predict || [ $$? -eq 1 ]
	$(BIN)/cutover snapshot import flat sample_data/legacy --mapping sample_data/legacy/mapping.yaml \
		--stage extract --institution NFU --taken-at 2026-03-03T18:00:00Z \
		--out runs/demo-legacy/extract
	$(BIN)/cutover predict --pre sample_data/freeze --extract runs/demo-legacy/extract \
		--scenario sample_data/scenario.yaml --testload sample_data/testload \
		--out runs/demo-legacy/predict || [ $$? -eq 1 ]
	$(BIN)/cutover plan sample_data/consortium/plan.yaml --changes sample_data/consortium/changes.csv \
		--out runs/demo-plan || [ $$? -eq 1 ]
	$(BIN)/cutover offline-circ check sample_data/offline-circ/OffCirc.dat \
		--ill sample_data/offline-circ/ILLcirc.dat --ill-bibs sample_data/offline-circ/temp-bibs.xml \
		--snapshot sample_data/post-fulfillment --scenario sample_data/offline-circ/scenario.yaml \
		--out runs/demo-offline-circ || [ $$? -eq 1 ]

test: $(STAMP)
	$(BIN)/pytest -q -n auto

# ruff's lint rules (E, W, F, I, B, UP, C901 at most 12; pyproject.toml) and mypy on the package. The code is not
# laid out by `ruff format`, so formatting is not checked.
lint: $(STAMP)
	$(BIN)/ruff check simulator reports tests bench docs/hooks.py docs/examples
	$(BIN)/mypy

sample: $(STAMP)
	$(BIN)/python -m simulator.synth.sample sample_data

# Benchmarks (docs/benchmarks.md): about an hour at 5M users on 2 cores; the generated data and
# the runs go to /tmp/cutover-bench, the results to docs/benchmarks.md. datacompy pins an older
# pandas than the project's, so it gets its own environment. BENCH_ARGS=--smoke: a tiny run.
BENCH_STAMP := $(VENV)/bench/.installed

$(BENCH_STAMP): bench/requirements.txt | $(STAMP)
	$(PYTHON) -m venv $(VENV)/bench
	$(VENV)/bench/bin/pip install --quiet -r bench/requirements.txt
	touch $(BENCH_STAMP)

bench: $(STAMP) $(BENCH_STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# docs/rules.md regenerated from the pack, then the documentation site (mkdocs.yml, docs/) built
# into site/; --strict makes any warning (a broken link or anchor, a page not in the nav) fail.
docs: $(STAMP)
	$(BIN)/cutover rules doc --out docs/rules.md
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) runs build dist site .pytest_cache .mypy_cache .ruff_cache .hypothesis
