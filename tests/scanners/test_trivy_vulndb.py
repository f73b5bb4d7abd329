"""The real Trivy, offline, against a tiny database of real advisories written here (tests/trivydb.py).

A Debian 12.0 image with curl installed by a RUN line fails the gate: each advisory lands on the
Dockerfile line whose layer brought the package, and the fix plan names the fixed Debian versions.
The demo app's pinned requirements are checked by trivy-deps with the same database.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mergeguard.cli.main import main
from mergeguard.core.outcome import Status
from mergeguard.scan.runner import run_job
from mergeguard.scanners.base import Job, Target
from mergeguard.scanners.commands import find_executable
from mergeguard.scanners.trivy.deps import TrivyDepsScanner
from mergeguard.vulns.database import VulnDb
from tests import bolt, debian_image, trivydb
from tests.debian_image import APT_GET, FROM
from tests.gitutil import GitTree
from tests.imagebuild import docker_archive

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-app"
pytestmark = pytest.mark.scanner


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if find_executable("trivy") is None:
        pytest.skip("trivy is not installed (make install)")
    return trivydb.build(tmp_path_factory.mktemp("trivy-cache"))


@pytest.fixture(scope="module")
def gated(cache: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any]]:
    """`mergeguard scan --image api.tar=api/Dockerfile --offline` on a checkout holding the Dockerfile."""
    tmp = tmp_path_factory.mktemp("debian")
    tree = GitTree(tmp / "repo")
    tree.write("api/Dockerfile", debian_image.DOCKERFILE)
    tree.commit("api")
    tar = docker_archive(debian_image.image(), tmp / "api.tar")
    out = tmp / "report.json"
    args = ["scan", str(tree.root), "--scanners", "trivy-image", "--image", f"{tar}=api/Dockerfile"]
    code = main([*args, "--offline", "--vuln-db-dir", str(cache), "--json", str(out)])
    return code, json.loads(out.read_text())


def test_the_image_fails_with_each_advisory_on_the_line_that_brought_its_package(
    gated: tuple[int, dict[str, Any]],
) -> None:
    code, report = gated
    assert code == 1 and report["verdict"] == "fail"
    image_scans = [s for s in report["scanners"] if s["name"] == "trivy-image"]
    assert [s["status"] for s in image_scans] == ["ok", "ok"], image_scans  # vulnerabilities, secrets
    found = [(f, f["package"]) for f in report["findings"] if f["kind"] == "vulnerability"]
    vulns = {
        (f["rule_id"], p["name"]): (f["path"], f["start_line"], p["fixed"], f["severity"]) for f, p in found
    }
    dockerfile = "api/Dockerfile"
    assert vulns[("CVE-2023-38545", "curl")] == (dockerfile, APT_GET, "7.88.1-10+deb12u4", "critical")
    assert vulns[("CVE-2023-38545", "libcurl4")] == (dockerfile, APT_GET, "7.88.1-10+deb12u4", "critical")
    assert vulns[("CVE-2023-4911", "libc6")] == (dockerfile, FROM, "2.36-9+deb12u3", "high")
    assert vulns[("CVE-2023-47038", "perl-base")] == (dockerfile, FROM, "5.36.0-7+deb12u1", "high")
    assert vulns[("CVE-2010-4756", "libc6")][:3] == (dockerfile, FROM, None)  # Debian: <unfixed>
    packages = {name for _, name in vulns}
    assert packages == {"curl", "libcurl4", "libc6", "libc-bin", "perl-base"}  # bash, tar, zlib1g: none
    blocking = {f["rule_id"] for f in report["findings"] if f["blocking"]}
    assert {"CVE-2023-38545", "CVE-2023-4911", "CVE-2024-2961", "CVE-2023-47038"} <= blocking
    assert "CVE-2010-4756" not in blocking and "CVE-2023-38546" not in blocking  # low


def test_the_fix_plan_names_the_fixed_debian_versions(gated: tuple[int, dict[str, Any]]) -> None:
    _, report = gated
    plan = {f["package"]: f for f in report["fixes"]}
    curl = plan["curl"]
    assert (curl["installed"], curl["target"]) == ("7.88.1-10", "7.88.1-10+deb12u4")
    assert (curl["path"], curl["ecosystem"]) == ("api/Dockerfile", "debian")
    assert sorted(curl["fixes"]) == ["CVE-2023-38545", "CVE-2023-38546"]
    libc = plan["libc6"]
    assert (libc["installed"], libc["target"]) == ("2.36-9", "2.36-9+deb12u6")  # fixes both glibc DSAs
    assert sorted(libc["fixes"]) == ["CVE-2023-4911", "CVE-2024-2961"]
    assert libc["unfixed"] == ["CVE-2010-4756"]
    assert (libc["ecosystem"], libc["origin"]) == ("debian", "base-image")
    assert plan["perl-base"]["target"] == "5.36.0-7+deb12u1"


def test_trivy_deps_finds_the_demo_apps_pinned_advisories_offline(cache: Path, tmp_path: Path) -> None:
    files = ("api/requirements.txt",)
    target = Target(DEMO, files, DEMO, workdir=tmp_path, vuln_db=VulnDb(cache_dir=cache, offline=True))
    outcome = run_job(Job(TrivyDepsScanner(), target, 120))
    assert outcome.status is Status.OK, outcome.reason
    packages = [(f, f.package) for f in outcome.findings if f.package]
    found = {(f.rule_id, p.name, f.location.start_line) for f, p in packages}
    pins = (DEMO / "api" / "requirements.txt").read_text().splitlines()
    flask, werkzeug, pyyaml = (
        pins.index(pin) + 1 for pin in ("flask==0.12.2", "werkzeug==0.14.1", "pyyaml==5.3")
    )
    assert found == {
        ("CVE-2018-1000656", "flask", flask),
        ("CVE-2019-1010083", "flask", flask),
        ("CVE-2019-14806", "werkzeug", werkzeug),
        ("CVE-2020-14343", "pyyaml", pyyaml),
    }
    assert len(packages) == len(outcome.findings)
    fixed = {f.rule_id: p.fixed for f, p in packages}
    assert fixed["CVE-2018-1000656"] == "0.12.3" and fixed["CVE-2020-14343"] == "5.4"


# Every Python dependency file under a name Trivy's pip analyzer skips (it reads only files named
# exactly requirements.txt): each is laid out as a requirements.txt of its own, its findings mapped
# back to the real file and line. The clean requirements.txt is listed by Trivy and has none.
NAMED_OTHERWISE = {
    "requirements/base.txt": "Werkzeug==0.15.2\nPyYAML==5.3.1\n",
    "requirements/edx/base.txt": "pyyaml==5.3.1\n    # via -r requirements/edx/base.in\n",
    "constraints/py38.txt": "flask<3\nflask==0.12.2\n",
    "dev-requirements.txt": "# dev\nflask==0.12.2\n",
    "requirements-dev.txt": "\ufeffwerkzeug==0.15.2 \\\n    --hash=sha256:aa\npyyaml==5.3.1\n",
    "reqs/prod.txt": "-r ../requirements.txt\npyyaml==5.3.1\n",
    "requirements.in": "flask==0.12.2\n",
    "pyproject.toml": (
        '[project]\nname = "svc"\ndependencies = [\n  "flask>=2",\n  "werkzeug==0.15.2",\n]\n\n'
        '[dependency-groups]\ndev = ["pytest>=8", "pyyaml==5.3.1"]\n'
    ),
    "svc/Pipfile": (
        '[packages]\nflask = "==0.12.2"\nrequests = "*"\n\n[dev-packages]\npyyaml = {version = "==5.3.1"}\n'
    ),
    # Poetry 2 writes PEP 508 strings with the version in parentheses.
    "api/pyproject.toml": '[project]\nname = "api"\ndependencies = [\n  "flask (==0.12.2)",\n]\n',
    # Poetry's own table, no lock: a bare version is an exact pin.
    "legacy/pyproject.toml": (
        '[tool.poetry.dependencies]\npython = "^3.7"\nWerkzeug = "0.15.2"\nflask = "^0.12"\n'
    ),
    # Trivy reads the default section where it is; the develop section is laid out.
    "svc/Pipfile.lock": (
        '{\n  "_meta": {"requires": {}},\n  "default": {\n    "werkzeug": {\n      "version": "==0.15.2"\n'
        '    }\n  },\n  "develop": {\n    "pyyaml": {\n      "version": "==5.3.1"\n    }\n  }\n}\n'
    ),
    "setup.cfg": "[metadata]\nname = svc\n\n[options]\ninstall_requires =\n    werkzeug==0.15.2\n",
    "pdm.lock": '[[package]]\nname = "pyyaml"\nversion = "5.3.1"\n',
    "requirements.lock": "# generated by rye\n\n-e file:.\nflask==0.12.2\n",  # Rye's lock, pip's format
    "requirements.txt": "flask==2.3.3\n",
}


def test_trivy_deps_audits_python_dependency_files_trivy_skips_by_name(cache: Path, tmp_path: Path) -> None:
    root, work = tmp_path / "view", tmp_path / "work"
    work.mkdir()
    for path, text in NAMED_OTHERWISE.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    files = tuple(NAMED_OTHERWISE)
    target = Target(root, files, root, workdir=work, vuln_db=VulnDb(cache_dir=cache, offline=True))
    outcome = run_job(Job(TrivyDepsScanner(), target, 120))
    assert outcome.status is Status.OK, outcome.reason
    assert not [f for f in outcome.findings if f.location.path.startswith("constraints/") and not f.package]
    found = {(f.location.path, f.location.start_line, f.rule_id) for f in outcome.findings if f.package}
    flask, werkzeug, pyyaml = ("CVE-2018-1000656", "CVE-2019-1010083"), "CVE-2019-14806", "CVE-2020-14343"
    assert found == {
        ("requirements/base.txt", 1, werkzeug),
        ("requirements/base.txt", 2, pyyaml),
        ("requirements/edx/base.txt", 1, pyyaml),
        *(("constraints/py38.txt", 2, cve) for cve in flask),
        *(("dev-requirements.txt", 2, cve) for cve in flask),
        ("requirements-dev.txt", 1, werkzeug),
        ("requirements-dev.txt", 3, pyyaml),
        ("reqs/prod.txt", 2, pyyaml),
        *(("requirements.in", 1, cve) for cve in flask),
        ("pyproject.toml", 5, werkzeug),
        ("pyproject.toml", 9, pyyaml),
        *(("svc/Pipfile", 2, cve) for cve in flask),
        ("svc/Pipfile", 6, pyyaml),
        *(("api/pyproject.toml", 4, cve) for cve in flask),
        ("legacy/pyproject.toml", 3, werkzeug),
        ("svc/Pipfile.lock", 4, werkzeug),
        ("svc/Pipfile.lock", 9, pyyaml),
        ("setup.cfg", 6, werkzeug),
        ("pdm.lock", 2, pyyaml),
        *(("requirements.lock", 4, cve) for cve in flask),
    }


# A uv.lock as uv writes it (cut down): Trivy lists its packages without Locations.
UV_LOCK = """\
version = 1
revision = 2
requires-python = ">=3.10"

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "flask" },
    { name = "pyyaml" },
]

[package.metadata]
requires-dist = [
    { name = "flask", specifier = "==0.12.2" },
    { name = "pyyaml", specifier = "==5.3.1" },
]

[[package]]
name = "flask"
version = "0.12.2"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pyyaml"
version = "5.3.1"
source = { registry = "https://pypi.org/simple" }
"""


def test_a_uv_lock_advisory_lands_on_its_packages_entry(cache: Path, tmp_path: Path) -> None:
    """Trivy gives no line for a uv.lock package: the finding goes on the `name = "…"` line of the
    package's `[[package]]` entry (not on line 1, which every change to the file would own)."""
    root, work = tmp_path / "view", tmp_path / "work"
    (root / "svc").mkdir(parents=True)
    work.mkdir()
    (root / "svc" / "uv.lock").write_text(UV_LOCK)
    target = Target(root, ("svc/uv.lock",), root, workdir=work, vuln_db=VulnDb(cache_dir=cache, offline=True))
    outcome = run_job(Job(TrivyDepsScanner(), target, 120))
    assert outcome.status is Status.OK, outcome.reason
    lines = UV_LOCK.splitlines()
    flask, pyyaml = (lines.index(f'name = "{name}"', 10) + 1 for name in ("flask", "pyyaml"))
    assert {(f.rule_id, f.location.path, f.location.start_line) for f in outcome.findings} == {
        ("CVE-2018-1000656", "svc/uv.lock", flask),
        ("CVE-2019-1010083", "svc/uv.lock", flask),
        ("CVE-2020-14343", "svc/uv.lock", pyyaml),
    }


# A project with a development dependency, locked by uv and by Poetry 2 (cut down): Trivy leaves
# out what it takes for development dependencies unless told to include them.
DEV_LOCKS = {
    "uv/pyproject.toml": (
        '[project]\nname = "demo"\nversion = "0.1.0"\ndependencies = ["click==8.1.7"]\n\n'
        '[dependency-groups]\ndev = ["werkzeug<0.15"]\n'
    ),
    "uv/uv.lock": (
        'version = 1\nrevision = 5\n\n[[package]]\nname = "click"\nversion = "8.1.7"\n'
        'source = { registry = "https://pypi.org/simple" }\n\n'
        '[[package]]\nname = "demo"\nversion = "0.1.0"\nsource = { virtual = "." }\n'
        'dependencies = [\n    { name = "click" },\n]\n\n[package.dev-dependencies]\n'
        'dev = [\n    { name = "werkzeug" },\n]\n\n'
        '[[package]]\nname = "werkzeug"\nversion = "0.14.1"\nsource = { registry = "https://x/simple" }\n'
    ),
    "poetry/pyproject.toml": (
        '[project]\nname = "svc"\nversion = "0.1.0"\ndependencies = ["click (>=8.1,<9.0)"]\n\n'
        '[tool.poetry.group.dev.dependencies]\nwerkzeug = "<0.15"\n'
    ),
    "poetry/poetry.lock": (
        '[[package]]\nname = "click"\nversion = "8.1.7"\noptional = false\ngroups = ["main"]\n\n'
        '[[package]]\nname = "werkzeug"\nversion = "0.14.1"\noptional = false\ngroups = ["dev"]\n\n'
        '[metadata]\nlock-version = "2.1"\npython-versions = ">=3.11"\n'
    ),
}


def test_development_dependencies_of_a_lock_are_audited(cache: Path, tmp_path: Path) -> None:
    """Trivy "suppressed dependencies for development and testing" (uv's groups, Poetry's dev group,
    an old poetry.lock whose names' case differs from the pyproject's): they passed unaudited."""
    root, work = tmp_path / "view", tmp_path / "work"
    work.mkdir()
    for path, text in DEV_LOCKS.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    target = Target(root, tuple(DEV_LOCKS), root, workdir=work, vuln_db=VulnDb(cache_dir=cache, offline=True))
    outcome = run_job(Job(TrivyDepsScanner(), target, 120))
    assert outcome.status is Status.OK, outcome.reason
    werkzeug = {
        path: text.splitlines().index('name = "werkzeug"') + 1
        for path, text in DEV_LOCKS.items()
        if path.endswith(".lock")
    }
    assert {(f.rule_id, f.location.path, f.location.start_line) for f in outcome.findings} == {
        ("CVE-2019-14806", path, line) for path, line in werkzeug.items()
    }


# A PEP 751 lock as `uv pip compile -o pylock.toml` writes it (cut down): Trivy reads it where it is,
# and lists its packages without Locations.
PYLOCK = """\
lock-version = "1.0"
created-by = "uv"

[[packages]]
name = "flask"
version = "0.12.2"
sdist = { url = "https://files.pythonhosted.org/packages/Flask-0.12.2.tar.gz", size = 548511 }

[[packages]]
name = "pyyaml"
version = "5.3.1"
wheels = [{ name = "PyYAML-5.3.1-cp38-cp38-manylinux1_x86_64.whl", url = "https://x/y.whl" }]
"""


def test_a_pylock_advisory_lands_on_its_packages_entry(cache: Path, tmp_path: Path) -> None:
    """pylock.toml (and pylock.NAME.toml) was of no kind: Trivy read it, but its findings were dropped
    as on a file of another kind, and the gate passed."""
    tree = GitTree(tmp_path / "repo")
    tree.write("pylock.toml", PYLOCK)
    flask_only = PYLOCK[: PYLOCK.index('\n[[packages]]\nname = "pyyaml"')]
    tree.write("docs/pylock.docs.toml", flask_only)
    tree.commit("locks")
    out = tmp_path / "report.json"
    args = ["scan", str(tree.root), "--all-files", "--scanners", "trivy-deps", "--offline"]
    assert main([*args, "--vuln-db-dir", str(cache), "--json", str(out)]) == 1
    report = json.loads(out.read_text())
    lines = PYLOCK.splitlines()
    flask, pyyaml = (lines.index(f'name = "{name}"') + 1 for name in ("flask", "pyyaml"))
    flask_cves = ("CVE-2018-1000656", "CVE-2019-1010083")
    assert {(f["rule_id"], f["path"], f["start_line"]) for f in report["findings"]} == {
        *((cve, path, flask) for cve in flask_cves for path in ("pylock.toml", "docs/pylock.docs.toml")),
        ("CVE-2020-14343", "pylock.toml", pyyaml),
    }


def test_the_demo_app_gate_plans_flask_1_0(cache: Path, tmp_path: Path) -> None:
    out = tmp_path / "demo.json"
    args = ["scan", str(DEMO), "--scanners", "trivy-deps", "--offline", "--vuln-db-dir", str(cache)]
    assert main([*args, "--json", str(out)]) == 1
    report = json.loads(out.read_text())
    plan = {f["package"]: (f["installed"], f["target"], f["path"]) for f in report["fixes"]}
    assert plan["flask"] == ("0.12.2", "1.0", "api/requirements.txt")  # both Flask advisories
    assert plan["pyyaml"] == ("5.3", "5.4", "api/requirements.txt")


def test_a_bucket_larger_than_a_page_is_read_through_its_overflow_pages(tmp_path: Path) -> None:
    if find_executable("trivy") is None:
        pytest.skip("trivy is not installed (make install)")
    flask = next(a for a in trivydb.ADVISORIES if a.id == "CVE-2018-1000656")
    long_title = " ".join(f"word{i}" for i in range(2000))  # about 14 KB: four pages' worth
    cache = trivydb.build(tmp_path / "cache", (replace(flask, title=long_title),))
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "requirements.txt").write_text("Flask==0.12\n")
    target = Target(tmp_path / "app", ("requirements.txt",), tmp_path / "app", workdir=tmp_path)
    outcome = run_job(Job(TrivyDepsScanner(), replace(target, vuln_db=VulnDb(cache, offline=True)), 120))
    assert outcome.status is Status.OK, outcome.reason
    assert [(f.rule_id, f.title) for f in outcome.findings] == [("CVE-2018-1000656", long_title)]


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"", 0xCBF29CE484222325), (b"a", 0xAF63DC4C8601EC8C), (b"foobar", 0x85944171F73967E8)],
)
def test_the_meta_checksum_is_fnv1a_64(data: bytes, expected: int) -> None:
    assert bolt.fnv1a64(data) == expected
