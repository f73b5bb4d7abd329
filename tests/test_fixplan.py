"""The fix plan: recorded reports in, upgrades out; the branch rule; base image or application; the demo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mergeguard.core.model import Finding, Kind, Location, Package, Severity
from mergeguard.report.markdown import render_comment
from mergeguard.scan.imported import parse_file
from mergeguard.vulns import fixplan
from mergeguard.vulns.ecosystems import Ordering
from mergeguard.vulns.fixplan import FixEntry, Origin, PlannedAdvisory
from mergeguard.vulns.records import SKIPPED_RULE
from tests.report.test_fixplan_reports import NONE, result_of

REPORTS = Path(__file__).parent / "fixtures" / "reports"
ALPINE_IMAGE = "container-image/testdata/fixtures/images/alpine-310.tar.gz"


def plan_of(tool: str, name: str) -> dict[tuple[str, str], FixEntry]:
    path = REPORTS / name
    findings = parse_file(tool, path.read_text(encoding="utf-8"), path.parent, name)
    return {(e.package, e.installed): e for e in fixplan.build(findings)}


def ids(advisories: tuple[PlannedAdvisory, ...]) -> list[str]:
    return sorted(a.id for a in advisories)


# --- recorded reports --------------------------------------------------------------------------------


@pytest.mark.parametrize("package", ["libcrypto1.1", "libssl1.1"])
def test_alpine_image_apk_target_is_the_later_revision(package: str) -> None:
    """openssl's two advisories are fixed in 1.1.1d-r0 and 1.1.1d-r2: only -r2 fixes both."""
    entry = plan_of("trivy", "trivy/golden-image-alpine-310.json")[(package, "1.1.1c-r0")]
    assert (entry.ecosystem, entry.ordering, entry.origin) == ("alpine", Ordering.APK, Origin.BASE_IMAGE)
    assert entry.target == "1.1.1d-r2"
    assert ids(entry.fixes) == ["CVE-2019-1549", "CVE-2019-1551"]
    assert entry.unfixed == ()
    assert fixplan.summary(entry.fixes) == "2 medium"
    assert entry.path == ALPINE_IMAGE


def test_debian_image_fixed_and_affected() -> None:
    plan = plan_of("trivy", "trivy/golden-image-debian-buster.json")
    fixed, affected = plan[("libidn2-0", "2.0.5-1")], plan[("bash", "5.0-4")]
    assert (fixed.target, fixed.ordering, fixed.origin) == (
        "2.0.5-1+deb10u1",
        Ordering.DPKG,
        Origin.BASE_IMAGE,
    )
    assert fixplan.summary(fixed.fixes) == "1 critical"
    assert (affected.target, ids(affected.unfixed), affected.fixes) == (None, ["CVE-2019-18276"], ())
    assert next(iter(plan.values())) is fixed  # the most severe package first


def test_red_hat_will_not_fix_is_unfixed() -> None:
    entry = plan_of("trivy", "trivy/golden-image-ubi7-will-not-fix.json")[("bash", "4.2.46-33.el7")]
    assert (entry.ecosystem, entry.ordering, entry.origin) == ("redhat", Ordering.RPM, Origin.BASE_IMAGE)
    assert (entry.target, ids(entry.unfixed), fixplan.summary(entry.unfixed)) == (
        None,
        ["CVE-2019-18276"],
        "1 low",
    )


def test_old_list_report_several_unfixed_advisories_on_one_package() -> None:
    entry = plan_of("trivy", "trivy/list-form-pre-0.20-image-debian.json")[("bash", "5.0-4")]
    assert entry.target is None
    assert ids(entry.unfixed) == ["CVE-2019-18276", "TEMP-0841856-B18BAF"]
    assert entry.path == "container-image/debian"


def test_python_requirements_target_fixes_both_advisories() -> None:
    entry = plan_of("trivy", "trivy/golden-repo-pip-requirements.json")[("Werkzeug", "0.11")]
    assert (entry.ecosystem, entry.ordering, entry.origin) == ("pypi", Ordering.PEP440, Origin.APPLICATION)
    assert (entry.target, entry.path) == ("0.15.3", "requirements.txt")
    assert ids(entry.fixes) == ["CVE-2019-14806", "CVE-2020-28724"]
    assert fixplan.summary(entry.fixes) == "1 high, 1 medium"


def test_uv_lock_entries() -> None:
    plan = plan_of("trivy", "trivy/schema2-fs-uv-lock.json")
    assert plan[("h11", "0.14.0")].target == "0.16.0"
    assert plan[("setuptools", "76.1.0")].target == "78.1.1"
    assert [e.package for e in plan.values()] == ["h11", "setuptools"]  # critical before high


def test_grype_rpm_fix_with_an_epoch_is_newer() -> None:
    plan = plan_of("grype", "grype/v0.34.7-image-rhel7.json")
    assert plan[("expat", "2.1.0-10.el7_3")].target == "0:2.1.0-14.el7_9"
    assert plan[("tar", "2:1.26-35.el7")].target is None
    assert {e.origin for e in plan.values()} == {Origin.BASE_IMAGE}


def test_grype_go_module_two_advisories() -> None:
    entry = plan_of("grype", "grype/db-v6-windows-go-mod.json")[("code.gitea.io/gitea", "v1.9.0-dev")]
    assert (entry.ecosystem, entry.ordering, entry.target) == ("go", Ordering.SEMVER, "1.16.7")
    assert fixplan.summary(entry.fixes) == "2 high"


def test_maven_is_ordered_generically_and_says_so() -> None:
    entry = plan_of("grype", "grype/v0.114.0-file-leading-slash.json")[("jackson-core", "2.19.0")]
    assert (entry.ecosystem, entry.ordering, entry.target) == ("maven", Ordering.GENERIC, "2.21.1")


def test_pip_audit_and_safety() -> None:
    audit = plan_of("pip-audit", "pip-audit/v2.9.0-dependencies.json")
    assert audit[("urllib3", "1.26.20")].target == "2.5.0"
    assert (audit[("pip", "25.2")].target, ids(audit[("pip", "25.2")].unfixed)) == (
        None,
        ["GHSA-4xh5-x5gv-qwph"],
    )
    readme = plan_of("pip-audit", "pip-audit/readme-list-with-banner.txt")[("flask", "0.5")]
    assert (readme.target, ids(readme.fixes)) == ("1.0", ["PYSEC-2018-66", "PYSEC-2019-179"])
    safety = plan_of("safety", "safety/v3.7.0-check-json-banners.txt")[("gunicorn", "21.2.0")]
    assert (safety.target, ids(safety.unfixed)) == (None, ["71600", "76244"])


def test_reports_without_vulnerabilities_make_no_plan() -> None:
    assert plan_of("trivy", "trivy/v0.76.0-config-k8s.json") == {}
    assert plan_of("bandit", "bandit/v1.9.4-flask-app.json") == {}


# --- several fixed versions: the branch rule ----------------------------------------------------------


def finding(package: Package, rule: str, severity: Severity = Severity.HIGH, **kw: object) -> Finding:
    where = str(kw.get("path", "requirements.txt"))
    kind = kw.get("kind", Kind.DEPENDENCY)
    assert isinstance(kind, Kind)
    return Finding("trivy", rule, severity, rule, rule, Location(where), kind, package=package)


def target(ecosystem: str, installed: str, *fixed: str | None) -> str | None:
    findings = [finding(Package("p", installed, f, ecosystem), f"ADV-{i}") for i, f in enumerate(fixed)]
    (entry,) = fixplan.build(findings)
    return entry.target


@pytest.mark.parametrize(
    ("ecosystem", "installed", "fixed", "expected"),
    [
        # Go's stdlib and helm in a real Trivy report (kubriX-demo/kubriX-demo-oss
        # trivy-scan-reports/trivy_scan_summary_report.md @ 0a4ba6dda88190813ecc5cd84a9cd9e5ec1a964a):
        # 1.24.4 fixes the first advisory but is on the branch the others fix only in 1.24.6.
        ("gobinary", "v1.24.1", ["1.24.4", "1.23.12, 1.24.6", "1.23.12, 1.24.6"], "1.24.6"),
        ("gobinary", "v3.17.1", ["3.18.4, 3.17.4"], "3.17.4"),  # stays on its branch
        # Flask 0.12.2 and PYSEC-2018-66, PYSEC-2019-179, PYSEC-2023-62 (pypa/advisory-database)
        ("pip", "0.12.2", ["0.12.3", "1.0", "2.2.5, 2.3.2"], "2.2.5"),
        # urllib3: PYSEC-2023-192 (1.26.17, 2.0.6) and PYSEC-2023-212 (1.26.18, 2.0.7)
        ("pip", "1.23", ["1.26.17, 2.0.6", "1.26.18, 2.0.7"], "1.26.18"),
        ("pip", "2.0.5", ["1.26.17, 2.0.6", "1.26.18, 2.0.7"], "2.0.7"),
        ("pip", "2.0.5", ["1.26.18"], None),  # only an older branch's fix is known: not fixable here
        ("pip", "1.0", ["1.5", "2.0", None], "2.0"),  # one fixed version each: the newest
        ("pip", "1.0", ["2.0, 1.5"], "1.5"),  # Trivy does not sort its list
    ],
)
def test_target_across_branches(
    ecosystem: str, installed: str, fixed: list[str | None], expected: str | None
) -> None:
    assert target(ecosystem, installed, *fixed) == expected


def test_unfixed_lists_advisories_without_a_usable_fix() -> None:
    pkg = Package("p", "2.0.5", None, "pip")
    findings = [
        finding(Package("p", "2.0.5", "2.0.7", "pip"), "A", Severity.CRITICAL),
        finding(pkg, "B", Severity.LOW),
        finding(Package("p", "2.0.5", "1.26.18", "pip"), "C", Severity.MEDIUM),
    ]
    (entry,) = fixplan.build(findings)
    assert (entry.target, ids(entry.fixes), ids(entry.unfixed)) == ("2.0.7", ["A"], ["B", "C"])
    assert fixplan.summary(entry.unfixed) == "1 medium, 1 low"
    assert entry.severity is Severity.CRITICAL


def test_one_advisory_from_two_tools_counts_once_at_its_highest_severity() -> None:
    findings = [
        finding(Package("Werkzeug", "0.11", "0.15.3", "pip"), "CVE-2019-14806", Severity.MEDIUM),
        finding(Package("werkzeug", "0.11", "0.15.3", "pypi"), "CVE-2019-14806", Severity.HIGH),
    ]
    (entry,) = fixplan.build(findings)
    assert [(a.id, a.severity, a.fixed_in) for a in entry.fixes] == [
        ("CVE-2019-14806", Severity.HIGH, ("0.15.3",))
    ]


def test_places_and_versions_are_separate_entries() -> None:
    findings = [
        finding(Package("p", "1.0", "1.1", "npm"), "A", path="a/package-lock.json"),
        finding(Package("p", "1.0", "1.1", "npm"), "A", path="b/package-lock.json"),
        finding(Package("p", "0.9", "1.1", "npm"), "A", path="a/package-lock.json"),
    ]
    assert len(fixplan.build(findings)) == 3


def test_skipped_dependencies_and_other_kinds_are_not_advisories() -> None:
    skipped = finding(Package("flask", "0.12", None, "pypi"), SKIPPED_RULE)
    code = Finding("bandit", "B602", Severity.HIGH, "t", "m", Location("app.py"), Kind.CODE)
    assert fixplan.build([skipped, code]) == ()


@pytest.mark.parametrize(
    ("ecosystem", "kind", "origin"),
    [
        ("debian", Kind.VULNERABILITY, Origin.BASE_IMAGE),  # an OS package of the image
        ("python-pkg", Kind.VULNERABILITY, Origin.APPLICATION),  # a language package inside the image
        (None, Kind.VULNERABILITY, Origin.BASE_IMAGE),  # unknown ecosystem: the finding's kind decides
        (None, Kind.DEPENDENCY, Origin.APPLICATION),
        ("conan", Kind.VULNERABILITY, Origin.APPLICATION),  # a named ecosystem that is no OS's
    ],
)
def test_origin(ecosystem: str | None, kind: Kind, origin: Origin) -> None:
    found = finding(Package("p", "1.0", "1.1", ecosystem), "A", path="container-image/shop", kind=kind)
    (entry,) = fixplan.build([found])
    assert entry.origin is origin


# --- the demo app's README shows the plan mergeguard computes for its pins ---------------------------

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo-app"
# Every advisory of the PyPA advisory database (pypa/advisory-database, vulns/<package>/PYSEC-*.yaml,
# as stored up to its 2023 entries) whose affected versions list the demo's pin, with the fixed
# versions of its ECOSYSTEM ranges: what pip-audit reports for the pins (it sorts `fix_versions`).
# Older ids of the same CVEs (PYSEC-2018-53, PYSEC-2019-62, -63, -70, and the PYSEC-0000-CVE-* drafts)
# are left out: the same CVE on the same pin is one finding after dedupe.
DEMO_ADVISORIES: dict[tuple[str, str], list[tuple[str, list[str]]]] = {
    ("flask", "0.12.2"): [("PYSEC-2018-66", ["0.12.3"]), ("PYSEC-2019-179", ["1.0"]),
                          ("PYSEC-2023-62", ["2.2.5", "2.3.2"])],
    ("werkzeug", "0.14.1"): [("PYSEC-2019-140", ["0.15.3"]), ("PYSEC-2022-203", ["2.1.1"]),
                             ("PYSEC-2023-57", ["2.2.3"]), ("PYSEC-2023-58", ["2.2.3"]),
                             ("PYSEC-2023-221", ["3.0.1"])],
    ("jinja2", "2.10"): [("PYSEC-2019-217", ["2.10.1"]), ("PYSEC-2021-66", ["2.11.3"])],
    ("pyyaml", "5.3"): [("PYSEC-2020-96", ["5.3.1"]), ("PYSEC-2021-142", ["5.4"])],
    ("requests", "2.19.1"): [("PYSEC-2018-28", ["2.20.0"]), ("PYSEC-2023-74", ["2.31.0"])],
    ("urllib3", "1.23"): [("PYSEC-2019-132", ["1.24.3"]), ("PYSEC-2019-133", ["1.24.2"]),
                          ("PYSEC-2020-148", ["1.25.9"]), ("PYSEC-2021-108", ["1.26.5"]),
                          ("PYSEC-2023-192", ["1.26.17", "2.0.6"]), ("PYSEC-2023-207", ["1.24.2"]),
                          ("PYSEC-2023-212", ["1.26.18", "2.0.7"])],
    ("gunicorn", "19.9.0"): [],
    ("psycopg2-binary", "2.8.6"): [],
}  # fmt: skip


def demo_plan_markdown() -> str:
    """The fix-plan table of the PR comment for the demo's pins, from a pip-audit 2.x report of them."""
    dependencies = [
        {
            "name": name,
            "version": version,
            "vulns": [{"id": i, "fix_versions": f, "aliases": []} for i, f in vulns],
        }
        for (name, version), vulns in DEMO_ADVISORIES.items()
    ]
    text = json.dumps({"dependencies": dependencies, "fixes": []})
    comment = render_comment(result_of(parse_file("pip-audit", text, DEMO, "pip-audit.json")))
    section = comment[comment.index("#### Fix plan") :]
    return section[: section.index("\n\n", section.index("| ---"))] + "\n"


def test_demo_pins_are_the_requirements_file() -> None:
    pins = (DEMO / "api" / "requirements.txt").read_text(encoding="utf-8").split()
    assert pins == [f"{name}=={version}" for name, version in DEMO_ADVISORIES]


def test_demo_readme_shows_the_plan_mergeguard_computes() -> None:
    table = demo_plan_markdown()
    assert f"| urllib3 | 1.23 → **1.26.18** | 7 high | {NONE} | requirements.txt |" in table
    assert f"| flask | 0.12.2 → **2.2.5** | 3 high | {NONE} | requirements.txt |" in table
    assert table in (DEMO / "README.md").read_text(encoding="utf-8")
