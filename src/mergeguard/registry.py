"""The explicit, ordered registry of scanner adapters."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from mergeguard.scanners.bandit import BanditScanner
from mergeguard.scanners.base import Scanner
from mergeguard.scanners.checkov import CheckovScanner
from mergeguard.scanners.detect_secrets import DetectSecretsScanner
from mergeguard.scanners.gitleaks import GitleaksScanner
from mergeguard.scanners.hadolint import HadolintScanner
from mergeguard.scanners.trivy import TrivyConfigScanner, TrivySecretScanner

# Slowest first: scanners start in this order, as many at once as there are CPUs, so the one on
# the critical path (Checkov's start-up alone takes seconds) must not wait for a free worker.
_ALL: tuple[Scanner, ...] = (
    CheckovScanner(),
    TrivyConfigScanner(),
    DetectSecretsScanner(),
    BanditScanner(),
    GitleaksScanner(),
    TrivySecretScanner(),
    HadolintScanner(),
)

REGISTRY: Mapping[str, Scanner] = MappingProxyType({scanner.name: scanner for scanner in _ALL})
