# Quick start: `make demo` runs the simulator on the bundled sample institution; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint sample docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/cutover demo --out runs/demo

test: $(STAMP)
	$(BIN)/pytest -q

# ruff's lint rules (E, W, F, I, B, UP; pyproject.toml) and mypy on the package. The code is not
# laid out by `ruff format`, so formatting is not checked.
lint: $(STAMP)
	$(BIN)/ruff check simulator reports tests
	$(BIN)/mypy

sample: $(STAMP)
	$(BIN)/python -m simulator.sample sample_data

docs: $(STAMP)
	$(BIN)/cutover rules doc --out docs/rules.md

clean:
	rm -rf $(VENV) runs build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
