"""The explicit, ordered registry of scanner adapters."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from mergeguard.errors import UsageError
from mergeguard.scanners.bandit import BanditScanner
from mergeguard.scanners.base import Scanner
from mergeguard.scanners.checkov import CheckovScanner
from mergeguard.scanners.detect_secrets import DetectSecretsScanner
from mergeguard.scanners.gitleaks import GitleaksScanner
from mergeguard.scanners.hadolint import HadolintScanner
from mergeguard.scanners.pip_audit_scanner import PipAuditScanner
from mergeguard.scanners.trivy import TrivyConfigScanner, TrivySecretScanner
from mergeguard.scanners.trivy_deps import TrivyDepsScanner
from mergeguard.scanners.trivy_image import TrivyImageScanner

# Slowest first: scanners start in this order, as many at once as there are CPUs, so the one on
# the critical path (Checkov's start-up alone takes seconds) must not wait for a free worker.
# trivy-image is here for its name and version only: its jobs, one per image, are made by
# `trivy_image.image_jobs` and start before all of these (an image scan takes tens of seconds).
# pip-audit asks PyPI once per dependency (seconds); trivy-deps reads a local database.
_ALL: tuple[Scanner, ...] = (
    TrivyImageScanner(),
    CheckovScanner(),
    PipAuditScanner(),
    TrivyConfigScanner(),
    TrivyDepsScanner(),
    DetectSecretsScanner(),
    BanditScanner(),
    GitleaksScanner(),
    TrivySecretScanner(),
    HadolintScanner(),
)

REGISTRY: Mapping[str, Scanner] = MappingProxyType({scanner.name: scanner for scanner in _ALL})


def select(text: str | None, source: str) -> tuple[str, ...] | None:
    """Scanner names from a comma- or newline-separated list (`none`: no scanner; empty: the config's).

    `source` names where the list came from (`--scanners`, `input scanners`) in the error.
    """
    if text is None or not text.strip():
        return None
    names = tuple(n.strip() for n in text.replace("\n", ",").split(",") if n.strip())
    if names == ("none",):
        return ()
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise UsageError(f"{source}: unknown {', '.join(unknown)} (known: {', '.join(REGISTRY)}, none)")
    return names
