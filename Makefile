# Two commands for users (see README): `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup lint format docs clean browser report

$(STAMP): requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required (looked for $(PYTHON))."; exit 1; }
	@echo "==> Creating the virtual environment in $(VENV) and installing pinned dependencies"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $(STAMP)

setup: $(STAMP)

## The main job: demo data, dbt build, validation, summary.
run: $(STAMP)
	$(BIN)/python -m kam run

## The whole test suite: lint, unit tests, dbt build + tests on demo and real data, validation.
test: $(STAMP) browser
	$(BIN)/python -m kam lint
	$(BIN)/python -m pytest

## The portfolio review (HTML) from the published warehouse.
report: $(STAMP)
	$(BIN)/python -m kam report

lint: $(STAMP)
	$(BIN)/python -m kam lint

format: $(STAMP)
	$(BIN)/ruff format kam tests_py
	$(BIN)/ruff check --fix kam tests_py

docs: $(STAMP)
	$(BIN)/dbt docs generate --profiles-dir .

clean:
	rm -rf target target_* logs warehouse/*.duckdb* warehouse/dev warehouse/versions warehouse/build warehouse/exports warehouse/tmp reports build

## Headless Chromium for the report's browser test (tests_py/test_report.py): Debian's package,
## installed once (needs root, or passwordless sudo). KAM_SKIP_BROWSER=1 skips the check on purpose.
CHROMIUM ?= chromium
browser:
	@command -v $(CHROMIUM) >/dev/null 2>&1 || [ "$$KAM_SKIP_BROWSER" = 1 ] || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=sudo; \
	  else echo "The report test needs a headless Chromium: run 'sudo apt-get install chromium'" \
	    "(or set KAM_SKIP_BROWSER=1 to skip the browser check)."; exit 1; fi; \
	  echo "==> Installing Chromium (headless browser for the report test)"; \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || { \
	    echo "Could not install Chromium with apt-get: install it by hand (apt-get install chromium)."; \
	    exit 1; }; }
