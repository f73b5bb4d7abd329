"""Package ecosystems: their canonical names, whether they are an operating system's, and version order."""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from mergeguard.vulns.versioncmp import apk_compare, rpm_compare
from mergeguard.vulns.versionkeys import dpkg_key, generic_key, pep440_key, semver_key


class Ordering(enum.StrEnum):
    """Whose rules order an ecosystem's versions. GENERIC is a guess, used where no rule is known."""

    PEP440 = "pep440"  # Python (packaging.version)
    DPKG = "dpkg"  # Debian, Ubuntu (python-debian, checked against dpkg --compare-versions)
    APK = "apk"  # Alpine, Wolfi (apk-tools' version.c)
    RPM = "rpm"  # Red Hat and the other RPM distributions (rpmvercmp with epoch and release)
    SEMVER = "semver"  # npm, Go, Cargo (Semantic Versioning 2.0.0, an optional leading "v")
    GENERIC = "generic"  # anything else: numbers as numbers, words alphabetically (see generic_key)


@dataclass(frozen=True, slots=True)
class Ecosystem:
    """An ecosystem as mergeguard knows it: its canonical name, version order, and whether its packages
    come from an operating system's package database (in an image: the base image's)."""

    name: str
    ordering: Ordering
    os: bool = False


_KNOWN: dict[str, tuple[Ordering, bool, tuple[str, ...]]] = {
    # canonical name: (ordering, OS packages, the names Trivy's `Type`, Grype's purl type or
    # `artifact.type`, pip-audit and Safety give it)
    "pypi": (Ordering.PEP440, False, ("pip", "pipenv", "poetry", "uv", "pdm", "python", "python-pkg")),
    "npm": (Ordering.SEMVER, False, ("yarn", "pnpm", "node-pkg", "bun")),
    "go": (Ordering.SEMVER, False, ("gomod", "gobinary", "golang", "go-module")),
    "cargo": (Ordering.SEMVER, False, ("rust-binary", "rust-crate", "crates.io")),
    "maven": (Ordering.GENERIC, False, ("jar", "pom", "gradle", "sbt", "java-archive")),
    "gem": (Ordering.GENERIC, False, ("gemspec", "bundler", "rubygems")),
    "composer": (Ordering.GENERIC, False, ("composer-vendor", "php-composer", "packagist")),
    "nuget": (Ordering.GENERIC, False, ("dotnet-core", "packages-props", "dotnet-deps")),
    **{name: (Ordering.DPKG, True, ()) for name in ("debian", "ubuntu", "deb")},
    **{name: (Ordering.APK, True, ()) for name in ("alpine", "wolfi", "chainguard", "apk")},
    **{name: (Ordering.RPM, True, ()) for name in ("rpm", "redhat", "centos", "rocky", "amazon", "oracle")},
    **{name: (Ordering.RPM, True, ()) for name in ("fedora", "photon", "cbl-mariner", "azurelinux")},
    "alma": (Ordering.RPM, True, ("almalinux",)),
    "opensuse": (Ordering.RPM, True, ("opensuse.leap", "opensuse.tumbleweed")),
    "sles": (Ordering.RPM, True, ("suse linux enterprise server", "suse linux enterprise micro")),
    # Operating systems whose version rules mergeguard does not implement.
    **{name: (Ordering.GENERIC, True, ()) for name in ("alpm", "archlinux", "bottlerocket", "echo")},
    **{name: (Ordering.GENERIC, True, ()) for name in ("minimos", "portage", "linux-kernel")},
}
_ALIASES = {alias: name for name, (_, _, aliases) in _KNOWN.items() for alias in (name, *aliases)}


@functools.lru_cache(maxsize=1024)  # asked once per finding by the fix plan, of a few names
def ecosystem(reported: str | None) -> Ecosystem:
    """The ecosystem a tool named (any case); an unknown one keeps its name and gets the generic order."""
    raw = " ".join((reported or "").lower().split()) or "unknown"
    name = _ALIASES.get(raw, raw)
    ordering, os_packages, _ = _KNOWN.get(name, (Ordering.GENERIC, False, ()))
    return Ecosystem(name, ordering, os_packages)


def sort_key(ordering: Ordering, versions: Iterable[str]) -> tuple[Ordering, Callable[[str], Any]]:
    """A sort key ordering every one of `versions` by `ordering`, and the ordering it follows: the
    generic key (GENERIC) when one of them is not a valid version under the ecosystem's rules, so that
    a whole package is ordered by one rule, never by two."""
    key = _KEYS[ordering]
    try:
        for version in versions:
            key(version)
    except ValueError:
        return Ordering.GENERIC, generic_key
    return ordering, key


_KEYS: dict[Ordering, Callable[[str], Any]] = {
    **{  # a fix plan asks the same versions many times: each is parsed once
        ordering: functools.lru_cache(maxsize=65_536)(key)
        for ordering, key in (
            (Ordering.PEP440, pep440_key),
            (Ordering.DPKG, dpkg_key),
            (Ordering.APK, functools.cmp_to_key(apk_compare)),
            (Ordering.RPM, functools.cmp_to_key(rpm_compare)),
            (Ordering.SEMVER, semver_key),
        )
    },
    Ordering.GENERIC: generic_key,
}
