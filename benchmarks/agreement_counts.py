"""Counts blocking findings with the secret agreement rule off and on, and checks no specific secret is lost.

Usage: .venv/bin/python benchmarks/agreement_counts.py PATH [PATH ...] [--scanners LIST]

Each tree is scanned twice (`--all-files`, its own `.mergeguard.yml` if any) with `secret-agreement`
false, then true. Printed per tree: blocking findings before and after, the secrets lowered, and every
blocking secret a provider-specific rule reported, which must block in both runs under the same
fingerprint (exit 1 otherwise). The numbers go in docs/scanners.md.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from mergeguard.core import config
from mergeguard.core.model import Finding, Kind
from mergeguard.scan import agreement, pipeline
from mergeguard.scan.registry import REGISTRY, select

OFFLINE = "hadolint,trivy-config,trivy-secret,checkov,bandit,detect-secrets,gitleaks"


def blocking(path: Path, scanners: tuple[str, ...] | None, on: bool) -> dict[str, Finding]:
    """The blocking findings of a full scan of `path`, by fingerprint."""
    settings = replace(config.resolve(None, path, REGISTRY), secret_agreement=on)
    result = pipeline.scan(pipeline.ScanRequest(path, scanners=scanners), settings)
    return {a.finding.fingerprint: a.finding for a in result.decision.blocking}


def specific(finding: Finding) -> bool:
    """A secret at least one provider-specific rule reported."""
    reports = [(finding.tool, finding.rule_id), *((s.tool, s.rule_id) for s in finding.also)]
    return finding.kind is Kind.SECRET and not all(agreement.heuristic(t, r) for t, r in reports)


def describe(finding: Finding) -> str:
    rules = ", ".join(dict.fromkeys(f"{s.tool} {s.rule_id}" for s in finding.also))
    where = f"{finding.location.path}:{finding.location.start_line}"
    return f"{where} {finding.tool} {finding.rule_id}" + (f" (+ {rules})" if rules else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--scanners", default=OFFLINE)
    args = parser.parse_args()
    scanners, lost = select(args.scanners, "--scanners"), 0
    for path in args.paths:
        before, after = blocking(path, scanners, False), blocking(path, scanners, True)
        print(f"{path}: {len(before)} blocking without agreement, {len(after)} with it")
        for fingerprint, finding in sorted(before.items(), key=lambda item: describe(item[1])):
            if finding.kind is not Kind.SECRET:
                continue
            kept, provider = fingerprint in after, specific(finding)
            lost += provider and not kept
            state = "kept" if kept else "LOST" if provider else "lowered"
            why = "provider-specific rule" if provider else "tools agree" if kept else "one tool's heuristic"
            print(f"  {state} ({why}): {describe(finding)}")
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
