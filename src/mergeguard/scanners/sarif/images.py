"""Trivy's SARIF of an image: its vulnerabilities placed at the image's placeholder, as its JSON is."""

from __future__ import annotations

import re
from typing import Any

from mergeguard.vulns.records import image_path

# Trivy's result message: "Package: NAME\nInstalled Version: VERSION\nVulnerability …".
_PACKAGE = re.compile(r"\APackage: (\S+)\s+Installed Version: (\S+)")


def image_of(run: dict[str, Any]) -> str:
    """The image a run is of: `properties.imageName`, which newer Trivy writes for an image scan
    (pkg/report/sarif.go); "" for any other run."""
    properties = run.get("properties")
    name = properties.get("imageName") if isinstance(properties, dict) else None
    return name.strip() if isinstance(name, str) else ""


def image_place(
    image: str, os_rules: frozenset[str], rule: dict[str, Any], result: dict[str, Any], *, advisory: bool
) -> str:
    """The placeholder of the image a result is a vulnerability of: the run's `image` for an advisory
    (`advisory`: its kind is vulnerability or dependency) or an OS package's result (its rule's name
    one of `os_rules`), else the image an OS package's artifact URI names (Trivy writes the image's
    repository, `rockylinux/rockylinux`); "" for any other result, which names a file."""
    os_package = rule.get("name") in os_rules
    if image and (advisory or os_package):
        return image_path(image)
    uri = _first_uri(result) if os_package else ""
    return image_path(uri) if uri else ""


def package_evidence(result: dict[str, Any]) -> str:
    """What identifies the package: Trivy's first location message ("rockylinux/rockylinux:
    platform-python@3.6.8-48.el8_7.rocky.0"), else the package and version its message starts with
    (older Trivy), so that the findings of one advisory in one image do not depend on their order."""
    said = _first_location(result).get("message")
    text = said.get("text") if isinstance(said, dict) else None
    if isinstance(text, str) and text.strip():
        return text.strip()
    message = result.get("message")
    body = message.get("text") if isinstance(message, dict) else None
    found = _PACKAGE.match(body) if isinstance(body, str) else None
    return f"{found[1]}@{found[2]}" if found else ""


def _first_location(result: dict[str, Any]) -> dict[str, Any]:
    locations = result.get("locations")
    first = locations[0] if isinstance(locations, list) and locations else None
    return first if isinstance(first, dict) else {}


def _first_uri(result: dict[str, Any]) -> str:
    physical = _first_location(result).get("physicalLocation")
    artifact = physical.get("artifactLocation") if isinstance(physical, dict) else None
    uri = artifact.get("uri") if isinstance(artifact, dict) else None
    return uri.strip() if isinstance(uri, str) else ""
