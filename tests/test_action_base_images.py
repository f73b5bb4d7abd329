"""`mergeguard action` with the base branch's image (inputs base-images, base-reports), end to end, offline.

The real Trivy scans a Debian image against the tiny database of real advisories (tests/trivydb.py):
with the same image given as the base branch's, every advisory is pre-existing and the gate passes.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mergeguard.scanners.commands import find_executable
from tests import debian_image, trivydb
from tests.github_server import serving
from tests.gitutil import GitTree
from tests.imagebuild import docker_archive
from tests.test_action_e2e import TOKEN, pr_event, run_action

pytestmark = pytest.mark.scanner


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if find_executable("trivy") is None:
        pytest.skip("trivy is not installed (make install)")
    return trivydb.build(tmp_path_factory.mktemp("trivy-cache"))


@pytest.fixture
def pull(tmp_path: Path) -> tuple[GitTree, str, str]:
    """A pull request that rewrites api/Dockerfile's FROM and RUN lines; the image it builds is api.tar."""
    tree = GitTree(tmp_path / "workspace")
    before = debian_image.DOCKERFILE.replace("bookworm-slim", "12.0-slim").replace(" curl", " curl wget")
    tree.write("api/Dockerfile", before)
    base = tree.commit("api")
    tree.write("api/Dockerfile", debian_image.DOCKERFILE)
    head = tree.commit("the pull request: every advisory of the image lands on a changed line")
    docker_archive(debian_image.image(), tree.root / "api.tar")
    return tree, base, head


def gate(tree: GitTree, cache: Path, event: str = "pull_request", **inputs: str) -> tuple[int, str, Any]:
    base, head = tree.git("rev-list", "--max-count=2", "HEAD").split()[::-1]
    payload = pr_event(base, head) if event == "pull_request" else {"before": "0" * 40, "after": head}
    image = f"docker-archive:{tree.root / 'api.tar'}=api/Dockerfile"  # `images` is read from the cwd
    with serving(TOKEN) as api:
        result = run_action(
            tree, api, event, payload, scanners="trivy-image", images=image, offline="true", comment="false",
            **{"vuln-db-dir": str(cache), "json-file": "r.json"}, **inputs,
        )  # fmt: skip
    assert "Traceback" not in result.stderr and TOKEN not in result.stdout + result.stderr
    report = tree.root / "r.json"
    return (
        result.returncode,
        result.stdout + result.stderr,
        json.loads(report.read_text()) if report.exists() else None,
    )


def statuses(report: dict[str, Any]) -> set[str]:
    return {f["status"] for f in report["findings"] if f["kind"] == "vulnerability"}


def test_without_the_base_image_the_image_advisories_are_new(
    pull: tuple[GitTree, str, str], cache: Path
) -> None:
    code, output, report = gate(pull[0], cache)
    assert code == 1, output
    assert statuses(report) == {"new"}


def test_with_the_base_branch_image_they_are_pre_existing(
    pull: tuple[GitTree, str, str], cache: Path
) -> None:
    code, output, report = gate(pull[0], cache, **{"base-images": "docker-archive:api.tar"})
    assert code == 0, output
    assert statuses(report) == {"pre-existing"}
    assert report["verdict"] == "pass"


def test_a_base_report_made_by_an_earlier_step_counts_the_same(
    pull: tuple[GitTree, str, str], cache: Path
) -> None:
    tree = pull[0]
    trivy = find_executable("trivy")
    assert trivy is not None
    made = subprocess.run(
        [trivy, "image", "--input", str(tree.root / "api.tar"), "--cache-dir", str(cache),
         "--skip-db-update", "--offline-scan", "--scanners", "vuln", "--format", "json",
         "--output", str(tree.root / "base.json")],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    code, output, report = gate(tree, cache, **{"base-reports": "trivy=base.json"})
    assert code == 0, output
    assert statuses(report) == {"pre-existing"}


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"base-reports": "trivy=../outside.json"}, "input base-reports: '../outside.json' resolves to"),
        ({"base-images": "docker-archive:../outside.tar"}, "input base-images: '../outside.tar' resolves to"),
        (
            {"base-reports": "nosuchtool=base.json"},
            "input base-reports: 'nosuchtool=base.json': expected TOOL=FILE",
        ),
    ],
)
def test_paths_outside_the_workspace_and_unknown_tools_are_refused(
    pull: tuple[GitTree, str, str], cache: Path, inputs: dict[str, str], message: str
) -> None:
    tree = pull[0]
    for name in ("outside.json", "outside.tar"):
        (tree.root.parent / name).write_text("{}")
    code, output, _ = gate(tree, cache, **inputs)
    assert code == 2, output
    assert message in output.strip().splitlines()[-1]


def test_the_base_inputs_need_a_pull_request(pull: tuple[GitTree, str, str], cache: Path) -> None:
    code, output, _ = gate(pull[0], cache, "push", scope="all", **{"base-images": "docker-archive:api.tar"})
    assert code == 2, output
    assert "they need `scope: changed` on a pull request" in output
