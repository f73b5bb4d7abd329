"""Ecosystem names and version order: each ecosystem's own test vectors, and dpkg itself if installed."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from mergeguard.vulns.ecosystems import Ordering, ecosystem, sort_key
from mergeguard.vulns.versioncmp import apk_compare, rpm_compare, rpmvercmp
from mergeguard.vulns.versionkeys import generic_key

VECTORS = Path(__file__).parent / "fixtures" / "versions"
SIGN = {"<": -1, "=": 0, ">": 1}


def compare(ordering: Ordering, a: str, b: str) -> int:
    used, key = sort_key(ordering, [a, b])
    assert used is ordering, f"{a!r} or {b!r} is not a valid {ordering} version"
    result: int = (key(a) > key(b)) - (key(a) < key(b))
    return result


# --- names -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reported", "name", "ordering", "os"),
    [
        # Trivy's result `Type`s, as in tests/fixtures/reports/trivy
        ("debian", "debian", Ordering.DPKG, True),
        ("alpine", "alpine", Ordering.APK, True),
        ("redhat", "redhat", Ordering.RPM, True),
        ("pip", "pypi", Ordering.PEP440, False),
        ("uv", "pypi", Ordering.PEP440, False),
        ("python-pkg", "pypi", Ordering.PEP440, False),
        ("gobinary", "go", Ordering.SEMVER, False),
        ("jar", "maven", Ordering.GENERIC, False),
        ("SUSE Linux Enterprise Server", "sles", Ordering.RPM, True),
        # Grype's purl types, pip-audit's and Safety's name
        ("rpm", "rpm", Ordering.RPM, True),
        ("deb", "deb", Ordering.DPKG, True),
        ("apk", "apk", Ordering.APK, True),
        ("npm", "npm", Ordering.SEMVER, False),
        ("golang", "go", Ordering.SEMVER, False),
        ("pypi", "pypi", Ordering.PEP440, False),
        # unknown: kept, ordered generically, not an OS
        ("conan", "conan", Ordering.GENERIC, False),
        (None, "unknown", Ordering.GENERIC, False),
        ("", "unknown", Ordering.GENERIC, False),
    ],
)
def test_reported_names_map_to_one_ecosystem(
    reported: str | None, name: str, ordering: Ordering, os: bool
) -> None:
    eco = ecosystem(reported)
    assert (eco.name, eco.ordering, eco.os) == (name, ordering, os)


# --- apk: apk-tools' own test vectors --------------------------------------------------------------


def apk_rows() -> list[tuple[str, str, str]]:
    rows = []
    for line in (VECTORS / "apk-tools-version.data").read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].split()
        if text:
            rows.append((text[0], text[1], text[2]))
    return rows


def test_apk_orders_every_row_of_apk_tools_test_data_both_ways() -> None:
    rows = apk_rows()
    assert len(rows) == 733
    wrong = [
        (a, op, b) for a, op, b in rows if (apk_compare(a, b), apk_compare(b, a)) != (SIGN[op], -SIGN[op])
    ]
    assert wrong == []


# Rows the current apk-tools added to its vectors (test/unit/version.data, seen in the copy vendored
# at braam-os/core @ 05223c302d38529469114939533bdf6ce39b2f06): leading zeros compare as text, and
# `~hash` commit suffixes.
@pytest.mark.parametrize(
    ("a", "op", "b"),
    [
        ("8.2.0", "<", "8.2.001"),
        ("8.2.0015", "<", "8.2.002"),
        ("1.0~1234", "<", "1.0~2345"),
        ("1.0~1234-r1", "<", "1.0~2345-r0"),
        ("1.0~1234-r1", ">", "1.0~1234-r0"),
        ("1.1.1c-r0", "<", "1.1.1d-r0"),  # the Alpine fixture's openssl
        ("1.1.1d-r0", "<", "1.1.1d-r2"),
    ],
)
def test_apk_newer_rules(a: str, op: str, b: str) -> None:
    assert compare(Ordering.APK, a, b) == SIGN[op]


# --- dpkg ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "op", "b"),
    [
        ("2.0.5-1", "<", "2.0.5-1+deb10u1"),  # the Debian fixture's libidn2-0 fix
        ("1.0~rc1", "<", "1.0"),  # `~` sorts before everything, even the end
        ("1.0~rc1", ">", "1.0~~"),
        ("1:0.1", ">", "9.9"),  # the epoch first
        ("1.0-1", "<", "1.0-1.1"),
        ("1.0a", "<", "1.0.1"),  # letters before other characters
        ("5.0-4", "=", "0:5.0-4"),
    ],
)
def test_dpkg_known_orderings(a: str, op: str, b: str) -> None:
    assert compare(Ordering.DPKG, a, b) == SIGN[op]


def dpkg_says(a: str, b: str) -> int | None:
    """dpkg's own answer, or None when dpkg calls either version invalid (it warns on stderr)."""
    runs = [
        subprocess.run(["dpkg", "--compare-versions", a, op, b], capture_output=True, check=False)
        for op in ("lt", "eq")
    ]
    if any(run.stderr for run in runs):
        return None
    return -1 if runs[0].returncode == 0 else 0 if runs[1].returncode == 0 else 1


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="dpkg is not installed (not a Debian machine)")
def test_dpkg_agrees_with_dpkg_compare_versions() -> None:
    chars = "0123456789.~+ab"
    rng = random.Random(20260115)  # noqa: S311  # reproducible test data

    def part(n: int) -> str:
        return "".join(rng.choice(chars) for _ in range(rng.randint(0, n)))

    def version() -> str:
        text = (
            str(rng.randint(0, 3))
            + part(5)
            + (("-" + rng.choice("0123456789") + part(3)) * (rng.random() < 0.5))
        )
        return f"{rng.randint(0, 2)}:{text}" if rng.random() < 0.2 else text

    checked = 0
    for _ in range(300):
        a, b = version(), version()
        expected = dpkg_says(a, b)
        used, _key = sort_key(Ordering.DPKG, [a, b])
        if expected is None or used is not Ordering.DPKG:
            continue
        assert compare(Ordering.DPKG, a, b) == expected, (a, b)
        checked += 1
    assert checked > 150


# --- rpm: rpm's own test vectors --------------------------------------------------------------------


# rpm-software-management/rpm tests/rpmvercmp.at @ 0920d3339b706049d26e8cc18d8bf966616c2f32, every
# RPMVERCMP row (each also checked the other way round), plus the caret rule of rpm 4.15's docs.
RPMVERCMP = """
1.0 1.0 0|1.0 2.0 -1|2.0.1 2.0.1 0|2.0 2.0.1 -1|2.0.1a 2.0.1a 0|2.0.1a 2.0.1 1|5.5p1 5.5p1 0|5.5p1 5.5p2 -1
5.5p10 5.5p10 0|5.5p1 5.5p10 -1|10xyz 10.1xyz -1|xyz10 xyz10 0|xyz10 xyz10.1 -1|xyz.4 xyz.4 0|xyz.4 8 -1
xyz.4 2 -1|5.5p2 5.6p1 -1|5.6p1 6.5p1 -1|6.0.rc1 6.0 1|10b2 10a1 1|10a2 10b2 -1|1.0aa 1.0aa 0|1.0a 1.0aa -1
10.0001 10.0001 0|10.0001 10.1 0|10.0001 10.0039 -1|4.999.9 5.0 -1|20101121 20101121 0|20101121 20101122 -1
2_0 2_0 0|2.0 2_0 0|a a 0|a+ a+ 0|a+ a_ 0|+a +a 0|+a _a 0|+_ +_ 0|_+ +_ 0|_+ _+ 0|+ _ 0
1.0~rc1 1.0~rc1 0|1.0~rc1 1.0 -1|1.0~rc1 1.0~rc2 -1|1.0~rc1~git123 1.0~rc1~git123 0|1.0~rc1~git123 1.0~rc1 -1
1.0^ 1.0 1|1.0^git1 1.0 1|1.0^git1 1.0.1 -1|1.0^git1 1.0^git2 -1|1.0~rc1^git1 1.0~rc1 1|1.0~rc1^git1 1.0 -1
"""


@pytest.mark.parametrize("row", [r.strip() for r in RPMVERCMP.replace("\n", "|").split("|") if r.strip()])
def test_rpmvercmp_vectors(row: str) -> None:
    a, b, expected = row.split()
    assert (rpmvercmp(a, b), rpmvercmp(b, a)) == (int(expected), -int(expected))


@pytest.mark.parametrize(
    ("a", "op", "b"),
    [
        ("2.1.0-10.el7_3", "<", "0:2.1.0-14.el7_9"),  # Grype's rhel7 fixture: fixed version with an epoch
        ("2:1.26-35.el7", ">", "1.27-1.el7"),  # tar's epoch 2
        ("4.2.46-33.el7", "<", "4.2.46-34.el7"),
        ("1.0-1", "=", "0:1.0-1"),
    ],
)
def test_rpm_epoch_version_release(a: str, op: str, b: str) -> None:
    assert (rpm_compare(a, b), compare(Ordering.RPM, a, b)) == (SIGN[op], SIGN[op])


# --- PEP 440, SemVer, the generic fallback ---------------------------------------------------------


def test_pep440_order() -> None:
    versions = ["1.0.dev0", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0.post1", "1.1", "1!0.1"]
    _, key = sort_key(Ordering.PEP440, versions)
    assert sorted(reversed(versions), key=key) == versions
    assert compare(Ordering.PEP440, "2.0", "2.0.0") == 0


def test_semver_precedence_of_the_spec() -> None:
    """SemVer 2.0.0, item 11's example, with a Go-style `v` and build metadata (ignored)."""
    versions = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2"]
    versions += ["1.0.0-beta.11", "1.0.0-rc.1", "v1.0.0", "1.0.1+build.5", "1.10.0"]
    _, key = sort_key(Ordering.SEMVER, versions)
    assert sorted(reversed(versions), key=key) == versions


@pytest.mark.parametrize(
    ("a", "op", "b"),
    [
        ("1.2-rc1", "<", "1.2"),  # a word where the other ended: a pre-release
        ("1.2", "<", "1.2.1"),  # a number where the other ended: newer
        ("1.9", "<", "v1.10"),  # numbers as numbers; a leading v dropped
        ("2.0.0.Final", "<", "2.0.0.1"),  # a number after a word at the same place
        ("1.0.0-SNAPSHOT", "<", "1.0.0"),
    ],
)
def test_generic_order(a: str, op: str, b: str) -> None:
    assert (generic_key(a) > generic_key(b)) - (generic_key(a) < generic_key(b)) == SIGN[op]


@pytest.mark.parametrize(
    ("ordering", "versions"),
    [
        (Ordering.PEP440, ["1.0", "not a version"]),
        (Ordering.DPKG, ["1.0", ""]),
        (Ordering.SEMVER, ["1.0.0", "1.0"]),  # not three numbers
    ],
)
def test_one_invalid_version_orders_the_whole_package_generically(
    ordering: Ordering, versions: list[str]
) -> None:
    used, key = sort_key(ordering, versions)
    assert used is Ordering.GENERIC
    assert key is generic_key
    assert sort_key(ordering, versions[:1])[0] is ordering
