"""trivy-image: the real Trivy on images built here (offline); a recorded report's findings re-anchored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mergeguard.cli.main import main
from mergeguard.core.changes import ChangeSet, Mode, collect
from mergeguard.core.config import Config
from mergeguard.core.model import Finding, Kind
from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.scan import fingerprints
from mergeguard.scan.runner import run_all
from mergeguard.scanners.base import Target, ToolOutput
from mergeguard.scanners.commands import find_executable, run_command
from mergeguard.scanners.trivy.image import NAME, ImagePart, TrivyImageScanner, image_jobs
from mergeguard.scanners.trivy.image import _anchor as read_anchor
from mergeguard.vulns.database import VulnDb
from mergeguard.vulns.images import ImageKind, ImageSpec, parse_spec
from mergeguard.vulns.records import image_path
from tests import trivydb
from tests.gitutil import GitTree
from tests.golden import FIXTURES
from tests.imagebuild import Image, Layer, docker_archive, oci_layout

HERE = FIXTURES / "trivy-image"
# Shaped like real credentials so Trivy's rules match; built from parts so no scanner of this
# repository reads them as one. Fake.
KEY_ID = "AKIA" + "QYLPMN5HHHFPZAM2"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "ab12cd34ef"
DOCKERFILE = f"""FROM alpine:3.18
ENV AWS_SECRET_ACCESS_KEY={SECRET}
RUN pip install flask==0.12
WORKDIR /app
COPY app/ /app/
CMD ["python3", "/app/config.py"]
"""
FROM, ENV, PIP_INSTALL, COPY = 1, 2, 3, 5
SITE_PACKAGES = "usr/lib/python3.11/site-packages"
CONFIG_PY = f'AWS_ACCESS_KEY_ID = "{KEY_ID}"\nAWS_SECRET_ACCESS_KEY = "{SECRET}"\n'
PLANTED = Image(
    layers=[
        Layer(
            {
                "etc/os-release": b'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.18.0\n',
                "etc/alpine-release": b"3.18.0\n",
                "lib/apk/db/installed": b"C:Q1abc=\nP:musl\nV:1.2.4-r0\nA:x86_64\nS:1\nI:1\nT:libc\n"
                b"U:https://musl.libc.org/\nL:MIT\no:musl\nm:x\nt:1\nc:abc\n\n",
            },
            "ADD alpine-minirootfs-3.18.0-x86_64.tar.gz / # buildkit",
        ),
        Layer(
            {f"{SITE_PACKAGES}/Flask-0.12.dist-info/METADATA": b"Name: Flask\nVersion: 0.12\n"},
            "RUN /bin/sh -c pip install flask==0.12 # buildkit",
        ),
        Layer(
            {"app/config.py": CONFIG_PY.encode()},
            "COPY app/ /app/ # buildkit",
        ),
    ],
    env=[f"AWS_SECRET_ACCESS_KEY={SECRET}"],
    empty_history=[(1, f"ENV AWS_SECRET_ACCESS_KEY={SECRET}"), (3, "WORKDIR /app"), (5, 'CMD ["python3"]')],
)


def _repo(tmp: Path) -> Path:
    """A checkout holding the Dockerfile that (by its history) built the planted image."""
    root = tmp / "repo"
    (root / "api").mkdir(parents=True)
    (root / "api" / "Dockerfile").write_text(DOCKERFILE)
    (root / "api" / "app.py").write_text("print('hello')\n")
    return root


@pytest.fixture(scope="module", params=[ImageKind.ARCHIVE, ImageKind.OCI])
def planted(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The planted image as a `docker save` tarball and as an OCI layout directory, named `api`."""
    if find_executable("trivy") is None:
        pytest.skip("trivy is not installed (make install)")
    tmp = tmp_path_factory.mktemp("image")
    yield (
        docker_archive(PLANTED, tmp / "api.tar")
        if request.param is ImageKind.ARCHIVE
        else oci_layout(PLANTED, tmp / "api")
    )


def _scan(image: Path, tmp: Path, settings: VulnDb) -> tuple[list[ScanOutcome], ChangeSet]:
    root = _repo(tmp)
    changes = collect(root, None, ())
    view = tmp / "view" / "src"
    view.mkdir(parents=True)
    spec = parse_spec(str(image), root)  # no pairing: the convention finds api/Dockerfile
    return run_all(image_jobs([spec], changes, view, Config(), settings, selected=True)), changes


@pytest.mark.scanner
class TestPlantedImage:
    """The Done-when test, offline: secrets and misconfigurations; vulnerabilities with the test database."""

    def test_secret_and_misconfiguration_offline_without_a_database(
        self, planted: Path, tmp_path: Path
    ) -> None:
        outcomes, _ = _scan(planted, tmp_path, VulnDb(cache_dir=tmp_path / "empty-cache", offline=True))
        vulns, secrets = outcomes
        assert vulns.status is Status.FAILED  # fail closed: no database, no "no vulnerabilities"
        assert f"image {planted}: vulnerabilities not checked: " in vulns.reason
        assert "is not in" in vulns.reason and "--offline forbids downloading it" in vulns.reason
        assert secrets.status is Status.OK, secrets.reason
        found = {(f.kind, f.rule_id): f for f in secrets.findings}
        key = found[(Kind.SECRET, "aws-access-key-id")]
        assert (key.location.path, key.location.start_line) == ("api/Dockerfile", COPY)
        assert "/app/config.py" in key.message and key.tool == NAME
        root_user = found[(Kind.MISCONFIGURATION, "DS-0002")]
        assert (root_user.location.path, root_user.location.start_line) == ("api/Dockerfile", FROM)
        env_secret = found[(Kind.MISCONFIGURATION, "DS-0031")]
        assert env_secret.location.start_line == ENV
        in_config = [f for f in secrets.findings if f.kind is Kind.SECRET and "configuration" in f.message]
        assert [f.location.start_line for f in in_config] == [ENV]  # in Env and in the history: one secret
        in_files = [f for f in secrets.findings if f.kind is Kind.SECRET and "/app/config.py" in f.message]
        assert sorted(f.rule_id for f in in_files) == ["aws-access-key-id", "aws-secret-access-key"]
        for finding in secrets.findings:  # no clear secret, and no path of the tarball on this machine
            assert SECRET not in json.dumps([finding.message, finding.title, finding.evidence])
            assert KEY_ID not in finding.message + finding.evidence
            assert str(planted.parent) not in finding.evidence

    def test_its_report_made_elsewhere_keeps_secrets_and_config_checks_at_the_image(
        self, planted: Path, tmp_path: Path
    ) -> None:
        """`--report trivy=` / `convert --tool trivy` of the same scan, run in an earlier CI step: the
        paths inside the image (`app/config.py`) are no files of the checkout; PR mode dropped them."""
        exe = find_executable("trivy")
        assert exe is not None
        target = Target(tmp_path, ("x",), tmp_path, workdir=tmp_path)
        command = TrivyImageScanner(parse_spec(str(planted), tmp_path), ImagePart.CONTENTS).command(
            exe, target
        )
        report = tmp_path / "image.json"
        report.write_text(run_command(command, tmp_path, 120).report)
        tree = GitTree(tmp_path / "repo")
        tree.write("Dockerfile", DOCKERFILE)
        tree.commit("base")
        tree.git("branch", "base")
        tree.write("app.py", "print('hello')\n")
        tree.commit("change")
        out = tmp_path / "pr.json"
        argv = ["scan", str(tree.root), "--base", "base", "--scanners", "none", "--report", f"trivy={report}"]
        assert main([*argv, "--json", str(out)]) == 1
        data = json.loads(out.read_text())
        assert data["findings_out_of_scope"] == 0
        assert {f["path"] for f in data["findings"]} == {image_path(str(planted))}
        found = sorted((f["kind"], f["rule_id"], f["blocking"]) for f in data["findings"])
        assert ("misconfiguration", "DS-0002", True) in found  # runs as root
        assert [(k, r) for k, r, _ in found if k == "secret"] == [  # each its own, not folded into one
            ("secret", "aws-access-key-id"),
            ("secret", "aws-secret-access-key"),  # in /app/config.py
            ("secret", "aws-secret-access-key"),  # in the configuration (ENV): once, not twice
        ]

    def test_vulnerabilities_with_the_test_database(self, planted: Path, tmp_path: Path) -> None:
        """Offline, against the real advisories of tests/trivydb.py (it has none for Alpine's musl)."""
        cache = trivydb.build(tmp_path / "trivy-cache")
        outcomes, _ = _scan(planted, tmp_path, VulnDb(cache_dir=cache, offline=True))
        vulns = outcomes[0]
        assert vulns.status is Status.OK, vulns.reason
        packages = [(f, f.package) for f in vulns.findings if f.package]
        found = {(f.rule_id, p.name, p.fixed, f.location.start_line) for f, p in packages}
        assert found == {
            ("CVE-2018-1000656", "Flask", "0.12.3", PIP_INSTALL),  # the layer the RUN line made
            ("CVE-2019-1010083", "Flask", "1.0", PIP_INSTALL),
        }
        assert {f.location.path for f in vulns.findings} == {"api/Dockerfile"}


def test_an_image_without_a_dockerfile_keeps_its_placeholder_and_no_tag() -> None:
    findings = _recorded(ImageSpec("registry.example:5000/shop/fluentd:2.0", ImageKind.DAEMON), None)
    assert {f.location.path for f in findings} == {"container-image/registry.example_5000/shop/fluentd"}
    assert {f.location.start_line for f in findings} == {1}


def test_os_packages_land_on_the_final_from_line_and_gems_on_the_run_line_that_installed_them() -> None:
    anchor = read_anchor(HERE, "fluentd-gems/Dockerfile")
    findings = _recorded(ImageSpec("shop/fluentd:1.0", ImageKind.DAEMON), anchor)
    where = {f.rule_id: (f.location.path, f.location.start_line) for f in findings}
    assert where == {
        "CVE-2019-18224": ("fluentd-gems/Dockerfile", 5),  # libidn2, from the base image's layer
        "CVE-2020-8165": ("fluentd-gems/Dockerfile", 9),  # activesupport, made by the RUN at line 9
    }
    assert all(f.message.startswith("In image shop/fluentd: ") for f in findings)


@pytest.mark.parametrize(
    "other",
    ["shop/fluentd:1.1", "shop/fluentd@sha256:" + "ab" * 32, "docker-daemon:shop/fluentd"],
)
def test_a_rebuilt_or_retagged_image_keeps_every_fingerprint(other: str) -> None:
    anchor = read_anchor(HERE, "fluentd-gems/Dockerfile")
    before = _fingerprints(_recorded(ImageSpec("shop/fluentd:1.0", ImageKind.DAEMON), anchor))
    after = _fingerprints(_recorded(parse_spec(other, HERE), anchor))
    assert before == after and len(before) == 2
    assert not any("fluentd" in f.evidence or ":" in f.evidence for f in _recorded_once(anchor))


def test_the_registry_instance_reads_a_report_as_an_image_without_a_dockerfile() -> None:
    report = (HERE / "fluentd-gems.report").read_text()
    findings = TrivyImageScanner().parse(ToolOutput(report), Target(HERE, ("x",), HERE))
    placeholder = "container-image/testdata/fixtures/images/fluentd-multiple-lockfiles.tar.gz"
    assert [(f.rule_id, f.location.path) for f in findings] == [
        ("CVE-2019-18224", placeholder),
        ("CVE-2020-8165", placeholder),
    ]


def test_the_command_lines_are_offline_and_never_read_a_trivy_yaml(tmp_path: Path) -> None:
    spec = ImageSpec(str(tmp_path / "api.tar"), ImageKind.ARCHIVE)
    settings = VulnDb(cache_dir=tmp_path, offline=True)
    (tmp_path / "db").mkdir()
    for name in ("trivy.db", "metadata.json"):
        (tmp_path / "db" / name).write_text("")
    target = Target(tmp_path, ("api/Dockerfile",), tmp_path, workdir=tmp_path / "work")
    vulns = TrivyImageScanner(spec, ImagePart.VULNERABILITIES, None, settings).command("trivy", target).argv
    secrets = TrivyImageScanner(spec, ImagePart.CONTENTS, None, settings).command("trivy", target).argv
    for argv in (vulns, secrets):
        assert argv[argv.index("--config") + 1] == "" and "--skip-version-check" in argv
        assert argv[-2:] == ("--input", spec.source)
    assert vulns[vulns.index("--scanners") + 1] == "vuln" and "--skip-db-update" in vulns
    assert vulns[vulns.index("--cache-dir") + 1] == str(tmp_path)
    assert secrets[secrets.index("--scanners") + 1] == "secret" and "--image-config-scanners" in secrets
    assert secrets[secrets.index("--cache-dir") + 1] == str(tmp_path / "work" / "trivy-cache")


@pytest.mark.parametrize(
    ("source", "offline", "tail"),
    [
        ("shop/api:1.2", False, ("--image-src", "docker,remote", "--", "shop/api:1.2")),
        ("shop/api:1.2", True, ("--image-src", "docker", "--", "shop/api:1.2")),
        ("docker://ghcr.io/shop/api:1.2", False, ("--image-src", "remote", "--", "ghcr.io/shop/api:1.2")),
    ],
)
def test_references_come_from_the_daemon_then_the_registry_unless_offline(
    source: str, offline: bool, tail: tuple[str, ...], tmp_path: Path
) -> None:
    spec = parse_spec(source, tmp_path)
    target = Target(tmp_path, ("x",), tmp_path, workdir=tmp_path)
    argv = (
        TrivyImageScanner(spec, ImagePart.CONTENTS, None, VulnDb(offline=offline))
        .command("trivy", target)
        .argv
    )
    assert argv[-len(tail) :] == tail


def test_offline_refuses_a_registry_image_and_names_it(tmp_path: Path) -> None:
    scanner = TrivyImageScanner(parse_spec("docker://ghcr.io/shop/api:1.2", tmp_path), ImagePart.CONTENTS)
    offline = TrivyImageScanner(scanner.spec, ImagePart.CONTENTS, None, VulnDb(offline=True))
    with pytest.raises(Exception, match=r"image ghcr.io/shop/api:1.2: secrets and configuration not checked"):
        offline.command("trivy", Target(tmp_path, ("x",), tmp_path, workdir=tmp_path))


def test_a_daemon_that_cannot_be_reached_is_a_scanner_error_naming_the_image() -> None:
    stderr = (HERE / "daemon-unreachable.stderr").read_text()
    scanner = TrivyImageScanner(ImageSpec("shop/api:1.2", ImageKind.DAEMON), ImagePart.CONTENTS)
    with pytest.raises(
        Exception, match=r"image shop/api:1.2: .*not checked: docker error: unable to inspect"
    ):
        scanner.parse(ToolOutput("", stderr, 1), Target(HERE, ("x",), HERE))


def test_no_images_is_one_skipped_outcome(tmp_path: Path) -> None:
    changes = ChangeSet(tmp_path, Mode.ALL, ())
    jobs = image_jobs([], changes, tmp_path, Config(), VulnDb(), selected=True)
    assert [(j.target, j.skip_reason) for j in jobs] == [
        (None, "no images given (--image, or the images input)")
    ]


def _recorded(spec: ImageSpec, anchor: object) -> list[Finding]:
    scanner = TrivyImageScanner(spec, ImagePart.VULNERABILITIES, anchor)  # type: ignore[arg-type]
    report = (HERE / "fluentd-gems.report").read_text()
    return scanner.parse(ToolOutput(report), Target(HERE, ("fluentd-gems/Dockerfile",), HERE))


def _recorded_once(anchor: object) -> list[Finding]:
    return _recorded(ImageSpec("shop/fluentd:1.0", ImageKind.DAEMON), anchor)


def _fingerprints(findings: list[Finding]) -> list[str]:
    return sorted(f.fingerprint for f in fingerprints.assign(findings, HERE))
