# PartnerHub — the two commands of the quickstart are `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint typecheck architecture unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create the virtualenv and install PartnerHub with its pinned dependencies.

demo: $(STAMP) ## Generate a synthetic partnership and run every step built so far.
	$(BIN)/partnerhub demo

lint: $(STAMP) ## ruff (lint + format check).
	$(BIN)/ruff check partnerhub tests benchmarks
	$(BIN)/ruff format --check partnerhub tests benchmarks

typecheck: $(STAMP) ## mypy on the package.
	$(BIN)/mypy

architecture: $(STAMP) ## import-linter: imports point down the layers of DESIGN.md.
	$(BIN)/lint-imports

unit: $(STAMP) ## The test suite only.
	$(BIN)/python -m pytest -q

test: lint typecheck architecture unit ## Everything CI runs.

bench: $(STAMP) ## Benchmarks (not part of make test); results go to BENCHMARKS.md.
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) demo-data .pytest_cache .mypy_cache .ruff_cache
