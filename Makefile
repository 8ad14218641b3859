# PartnerHub — the two commands of the quickstart are `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install assets demo test lint typecheck architecture unit bench clean
VENDOR := partnerhub/web/static/vendor
ASSETS := $(VENDOR)/.installed

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create the virtualenv and install PartnerHub with its pinned dependencies.

# Front-end assets, pinned in package.json / package-lock.json, served by the app itself.
$(ASSETS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css \
	   node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js $(VENDOR)/
	cp -r node_modules/govuk-frontend/dist/govuk/assets $(VENDOR)/
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css $(VENDOR)/
	cp node_modules/vega/build/vega.min.js node_modules/vega-lite/build/vega-lite.min.js \
	   node_modules/vega-embed/build/vega-embed.min.js node_modules/axe-core/axe.min.js $(VENDOR)/
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
	   node_modules/swagger-ui-dist/favicon-32x32.png node_modules/redoc/bundles/redoc.standalone.js \
	   $(VENDOR)/
	touch $(ASSETS)

assets: $(ASSETS) ## GOV.UK Frontend, Leaflet, Vega-Lite, Swagger UI, ReDoc (npm, pinned) into the app's static folder.

demo: $(STAMP) $(ASSETS) ## Generate a synthetic partnership and run every step built so far.
	$(BIN)/partnerhub demo

lint: $(STAMP) ## ruff (lint + format check).
	$(BIN)/ruff check partnerhub tests benchmarks
	$(BIN)/ruff format --check partnerhub tests benchmarks

typecheck: $(STAMP) ## mypy on the package.
	$(BIN)/mypy

architecture: $(STAMP) ## import-linter: imports point down the layers of DESIGN.md.
	$(BIN)/lint-imports

unit: $(STAMP) $(ASSETS) ## The test suite only.
	$(BIN)/python -m pytest -q --durations=20

test: lint typecheck architecture unit ## Everything CI runs.

bench: $(STAMP) ## Benchmarks (not part of make test); results go to BENCHMARKS.md.
	rm -rf build/bench-1m
	$(BIN)/python benchmarks/synth.py build/bench-1m
	$(BIN)/python benchmarks/ingest.py build/bench-1m
	$(BIN)/python benchmarks/indicators.py build/bench-1m build/bench-1m-indicators
	$(BIN)/python benchmarks/link.py build/bench-1m build/bench-1m-link
	$(BIN)/python benchmarks/api.py build/bench-api

clean:
	rm -rf $(VENV) demo-data .pytest_cache .mypy_cache .ruff_cache node_modules $(VENDOR)
