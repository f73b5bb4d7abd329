"""What Checkov's secrets framework adds to detect-secrets, Gitleaks and Trivy, and what skipping it saves.

Usage: .venv/bin/python benchmarks/secrets_overlap.py [PATH ...]
(default: tests/fixtures and examples/demo-app; docs/performance.md's figures add three vulnerable-app trees)

Each tree is gated twice with the offline scanners, Checkov's secrets framework on (as before) and
off, with the `secret-agreement` rule off (`--agreement`: on). Printed per tree: Checkov's secret findings
and how many of them another secret scanner also reported on the same line; what the two gates
differ in (findings by path, line and kind; fingerprints; severities; verdict); Checkov's time.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from mergeguard.core import config
from mergeguard.scan import overlap, pipeline
from mergeguard.scan.registry import REGISTRY

REPO = Path(__file__).resolve().parent.parent
SCANNERS = ("hadolint", "trivy-config", "trivy-secret", "checkov", "bandit", "detect-secrets", "gitleaks")
DEFAULT_TREES = (
    REPO / "tests" / "fixtures",
    REPO / "examples" / "demo-app",
)
OTHER_SECRET_TOOLS = frozenset({"detect-secrets", "gitleaks", "trivy-secret"})


def gate(path: Path, skip: bool, agreement: bool) -> pipeline.ScanResult:
    overlap.SKIP_COVERED = "always" if skip else "never"
    settings = replace(config.resolve(None, path, REGISTRY.keys()), secret_agreement=agreement)
    return pipeline.scan(pipeline.ScanRequest(path, None, SCANNERS), settings)


def summary(result: pipeline.ScanResult) -> dict[str, set[tuple[str, ...]]]:
    found = [a.finding for a in result.decision.assessed]
    return {
        "problems": {(f.location.path, str(f.location.start_line), f.kind.value) for f in found},
        "fingerprints": {(f.fingerprint,) for f in found},
        "severities": {(f.location.path, str(f.location.start_line), f.severity.name) for f in found},
    }


def checkov_secrets(result: pipeline.ScanResult) -> tuple[int, int]:
    """Checkov's secret reports, and how many another secret scanner also made on the same line."""
    reports = covered = 0
    for assessed in result.decision.assessed:
        f = assessed.finding
        tools = {f.tool, *(s.tool for s in f.also)}
        if "checkov" in tools and f.kind.value == "secret":
            reports += 1
            covered += bool(tools & OTHER_SECRET_TOOLS)
    return reports, covered


def seconds(result: pipeline.ScanResult, name: str) -> float:
    return next((o.duration_s for o in result.outcomes if o.scanner == name), 0.0)


def main(argv: list[str]) -> int:
    agreement = "--agreement" in argv  # the rule on: mergeguard keeps the framework; this shows why
    trees = [Path(a) for a in argv if a != "--agreement"] or [t for t in DEFAULT_TREES if t.is_dir()]
    for tree in trees:
        before, after = gate(tree, False, agreement), gate(tree, True, agreement)
        reports, covered = checkov_secrets(before)
        print(f"{tree}: {len(before.changes.files)} files (secret-agreement {'on' if agreement else 'off'})")
        print(f"  checkov secret findings: {reports}, also reported by another secret scanner: {covered}")
        old, new = summary(before), summary(after)
        for key in old:
            lost, gained = old[key] - new[key], new[key] - old[key]
            print(f"  {key}: {len(old[key])} before, lost {sorted(lost)}, gained {sorted(gained)}")
        print(f"  verdict: {before.decision.verdict.value} -> {after.decision.verdict.value}")
        print(
            f"  checkov: {seconds(before, 'checkov'):.1f}s with secrets, "
            f"{seconds(after, 'checkov'):.1f}s without"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
