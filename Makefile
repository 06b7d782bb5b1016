# Two commands for users (see README): `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup lint format docs clean

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
test: $(STAMP)
	$(BIN)/python -m kam lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/python -m kam lint

format: $(STAMP)
	$(BIN)/ruff format kam tests_py
	$(BIN)/ruff check --fix kam tests_py

docs: $(STAMP)
	$(BIN)/dbt docs generate --profiles-dir .

clean:
	rm -rf target target_* logs warehouse/*.duckdb* warehouse/dev warehouse/versions warehouse/build warehouse/exports warehouse/tmp reports build
