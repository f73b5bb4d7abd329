"""A tiny Trivy vulnerability database (schema v2) of real advisories, written at test time.

Trivy reads `CACHE/db/trivy.db` (bbolt, written by `tests/bolt.py`) and `CACHE/db/metadata.json`
when run with `--skip-db-update --cache-dir CACHE` (mergeguard's `--offline --vuln-db-dir CACHE`).
The buckets are trivy-db's (aquasecurity/trivy-db `pkg/db`, `pkg/vulnsrc`):

* one bucket per data source: `debian 12` (Debian's security tracker) and
  `pip::GitHub Security Advisory Pip`, holding a bucket per package (Debian: the *source* package,
  PyPI: the normalised name), holding advisory id → `{"FixedVersion": …}` (Debian) or
  `{"PatchedVersions": […], "VulnerableVersions": […]}` (GHSA);
* `data-source`: data-source bucket name → `{"ID", "Name", "URL"}` (which vendor's severity counts);
* `vulnerability`: advisory id → its details (title, severity per vendor, references).

Each advisory is real; the comment above it names where its affected and fixed versions come from.
The bucket and data-source names are those Trivy reports from the real database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tests import bolt

DEBIAN = "debian 12"
PIP = "pip::GitHub Security Advisory Pip"
# Severity numbers as trivy-db stores them per vendor: 1 low, 2 medium, 3 high, 4 critical.
LOW, MEDIUM, HIGH, CRITICAL = 1, 2, 3, 4
SOURCES = {
    DEBIAN: {
        "ID": "debian",
        "Name": "Debian Security Tracker",
        "URL": "https://salsa.debian.org/security-tracker-team/security-tracker",
    },
    PIP: {
        "ID": "ghsa",
        "Name": "GitHub Security Advisory Pip",
        "URL": "https://github.com/advisories?query=type%3Areviewed+ecosystem%3Apip",
    },
}
# Written once, never refreshed: `--skip-db-update` only checks the schema version.
METADATA = {
    "Version": 2,
    "NextUpdate": "2024-06-02T00:00:00Z",
    "UpdatedAt": "2024-06-01T00:00:00Z",
    "DownloadedAt": "2024-06-01T00:00:00Z",
}


@dataclass(frozen=True)
class Advisory:
    """One advisory against one package of one data source."""

    source: str
    package: str  # Debian: the source package (libc6 and libc-bin are glibc's)
    id: str
    fixed: str  # "" = no fix (Debian's <unfixed>)
    title: str
    severity: int  # the vendor's rating (Debian's tracker, or GitHub's for GHSA)
    reference: str
    vulnerable: str = ""  # GHSA's affected range


# Debian's fixed versions were checked against the packages' own changelog.Debian (in the current
# bookworm .debs); the versions Debian 12.0 shipped are the entries before its release on 10 June 2023.
ADVISORIES = (
    # glibc changelog: 2.36-9+deb12u3 (bookworm-security, 30 Sep 2023) fixes CVE-2023-4911 ("Looney
    # Tunables", a buffer overflow in ld.so's GLIBC_TUNABLES); 12.0 shipped 2.36-9. NVD: 7.8 HIGH.
    Advisory(
        DEBIAN, "glibc", "CVE-2023-4911", "2.36-9+deb12u3",
        "glibc: buffer overflow in ld.so leading to privilege escalation", HIGH,
        "https://security-tracker.debian.org/tracker/CVE-2023-4911",
    ),
    # glibc changelog: 2.36-9+deb12u6 (bookworm-security, 19 Apr 2024) fixes CVE-2024-2961 (iconv
    # ISO-2022-CN-EXT out-of-bounds write, Debian bug #1069191).
    Advisory(
        DEBIAN, "glibc", "CVE-2024-2961", "2.36-9+deb12u6",
        "glibc: out of bounds write in iconv ISO-2022-CN-EXT", HIGH,
        "https://security-tracker.debian.org/tracker/CVE-2024-2961",
    ),
    # Debian's tracker: glob() resource exhaustion, <unfixed> (unimportant) in every suite; no
    # glibc changelog entry fixes it.
    Advisory(
        DEBIAN, "glibc", "CVE-2010-4756", "",
        "glibc: glob implementation can cause excessive CPU and memory consumption", LOW,
        "https://security-tracker.debian.org/tracker/CVE-2010-4756",
    ),
    # perl changelog: 5.36.0-7+deb12u1 (bookworm, 25 Nov 2023) fixes CVE-2023-47038 (write past
    # buffer end via an illegal user-defined Unicode property); 12.0 shipped 5.36.0-7.
    Advisory(
        DEBIAN, "perl", "CVE-2023-47038", "5.36.0-7+deb12u1",
        "perl: write past buffer end via illegal user-defined Unicode property", HIGH,
        "https://security-tracker.debian.org/tracker/CVE-2023-47038",
    ),
    # curl changelog: 7.88.1-10+deb12u4 (bookworm-security, 5 Oct 2023) fixes CVE-2023-38545 (SOCKS5
    # heap overflow) and CVE-2023-38546; 12.0 shipped 7.88.1-10. NVD: 9.8 CRITICAL.
    Advisory(
        DEBIAN, "curl", "CVE-2023-38545", "7.88.1-10+deb12u4",
        "curl: heap based buffer overflow in the SOCKS5 proxy handshake", CRITICAL,
        "https://security-tracker.debian.org/tracker/CVE-2023-38545",
    ),
    # The same curl entry: cookie injection with none file. NVD: 3.7 LOW.
    Advisory(
        DEBIAN, "curl", "CVE-2023-38546", "7.88.1-10+deb12u4",
        "curl: cookie injection with none file", LOW,
        "https://security-tracker.debian.org/tracker/CVE-2023-38546",
    ),
    # GHSA-562c-5r94-xh97 (PYSEC-2018-66): Flask before 0.12.3, memory use on JSON in a wrong
    # encoding; fixed in 0.12.3 (also in the recorded pip-audit report, reports/pip-audit/).
    Advisory(
        PIP, "flask", "CVE-2018-1000656", "0.12.3",
        "Flask is vulnerable to Denial of Service via incorrect encoding of JSON data", HIGH,
        "https://github.com/advisories/GHSA-562c-5r94-xh97", vulnerable="<0.12.3",
    ),
    # GHSA-5wv5-4vpf-pj6m (PYSEC-2019-179): Flask before 1.0, unexpected memory usage on crafted
    # JSON; fixed in 1.0 (also in the recorded pip-audit report).
    Advisory(
        PIP, "flask", "CVE-2019-1010083", "1.0",
        "Pallets Project Flask is vulnerable to Denial of Service via Unexpected memory usage", HIGH,
        "https://github.com/advisories/GHSA-5wv5-4vpf-pj6m", vulnerable="<1.0",
    ),
    # GHSA-gq9m-qvpx-68hc: Werkzeug before 0.15.3, guessable debugger PIN in Docker containers;
    # fixed in 0.15.3, HIGH (as Trivy reported it from the real database: trivy-deps/*.report).
    Advisory(
        PIP, "werkzeug", "CVE-2019-14806", "0.15.3",
        "Insufficient Randomness in Werkzeug", HIGH,
        "https://github.com/advisories/GHSA-gq9m-qvpx-68hc", vulnerable="<0.15.3",
    ),
    # GHSA-8q59-q68h-6hv4: PyYAML before 5.4, arbitrary code execution through full_load and
    # FullLoader (an incomplete fix of CVE-2020-1747); fixed in 5.4. NVD: 9.8 CRITICAL.
    Advisory(
        PIP, "pyyaml", "CVE-2020-14343", "5.4",
        "Improper Input Validation in PyYAML", CRITICAL,
        "https://github.com/advisories/GHSA-8q59-q68h-6hv4", vulnerable="<5.4",
    ),
)  # fmt: skip


def build(cache: Path, advisories: tuple[Advisory, ...] = ADVISORIES) -> Path:
    """`cache/db/trivy.db` and `cache/db/metadata.json` holding `advisories`; returns `cache`."""
    db = cache / "db"
    db.mkdir(parents=True, exist_ok=True)
    bolt.write(db / "trivy.db", _tree(advisories))
    (db / "metadata.json").write_text(json.dumps(METADATA))
    return cache


def _tree(advisories: tuple[Advisory, ...]) -> bolt.Tree:
    sources: dict[bytes, dict[bytes, dict[bytes, bytes]]] = {}
    details: dict[bytes, bytes] = {}
    for advisory in advisories:
        packages = sources.setdefault(advisory.source.encode(), {})
        packages.setdefault(advisory.package.encode(), {})[advisory.id.encode()] = _json(_fix(advisory))
        details[advisory.id.encode()] = _json(_detail(advisory))
    used = {name: _json(SOURCES[name]) for name in {a.source for a in advisories}}
    return {
        **sources,
        b"data-source": {name.encode(): value for name, value in used.items()},
        b"vulnerability": details,
    }


def _fix(advisory: Advisory) -> dict[str, object]:
    if advisory.source == DEBIAN:
        return {"FixedVersion": advisory.fixed} if advisory.fixed else {}
    return {"PatchedVersions": [advisory.fixed], "VulnerableVersions": [advisory.vulnerable]}


def _detail(advisory: Advisory) -> dict[str, object]:
    vendor = SOURCES[advisory.source]["ID"]
    rating = ("UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL")[advisory.severity]
    return {
        "Title": advisory.title,
        "Severity": rating,
        "VendorSeverity": {vendor: advisory.severity},
        "References": [advisory.reference],
    }


def _json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True).encode()
