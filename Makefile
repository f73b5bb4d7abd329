# mergeguard: `make demo` and `make test` work on a fresh machine (Python >= 3.11, git).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_REPORTS := reports/demo

.PHONY: install dev demo test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip

# mergeguard itself plus every scanner of scanners.lock, each in its own venv, linked into .venv/bin.
install: $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	$(BIN)/python tools/install_scanners.py $(VENV)

dev: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'

# Scans the bundled example app; it is meant to fail, so the verdict's exit status is shown, not raised.
demo: install
	@mkdir -p $(DEMO_REPORTS)
	@$(BIN)/mergeguard scan examples/demo-app --all-files --json $(DEMO_REPORTS)/mergeguard.json; \
	  status=$$?; echo "mergeguard exited $$status (0 pass, 1 policy failed, 2 usage, 3 scanner error); reports in $(DEMO_REPORTS)/"; \
	  test $$status -eq 1 -o $$status -eq 0

test: dev
	$(BIN)/python -m pytest

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python benchmarks/bench_scan.py

clean:
	rm -rf $(VENV) reports build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
