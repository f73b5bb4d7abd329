"""tools/release_action.py: a release's action.yml runs the published image by digest, and nothing else."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "release_action.py"
DIGEST = "sha256:" + "0123456789abcdef" * 4


def release(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True, check=False)


@pytest.fixture
def action(tmp_path: Path) -> Path:
    return Path(shutil.copy(ROOT / "action.yml", tmp_path / "action.yml"))


def test_the_digest_replaces_the_dockerfile_and_nothing_else(action: Path) -> None:
    before = action.read_text(encoding="utf-8")
    result = release(DIGEST, "--owner", "Octo-Org", "--action", str(action))
    assert result.returncode == 0, result.stderr
    after = action.read_text(encoding="utf-8")
    image = f"docker://ghcr.io/octo-org/mergeguard@{DIGEST}"  # ghcr.io names are lowercase
    assert yaml.safe_load(after)["runs"] == {"using": "docker", "image": image}
    changed = [(a, b) for a, b in zip(before.split("\n"), after.split("\n"), strict=True) if a != b]
    assert changed == [("  image: Dockerfile", f"  image: {image}")]
    checked = release("--check", "--owner", "octo-org", "--action", str(action))
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip() == f"{action}: runs {image}"


def test_a_release_can_move_to_a_new_digest(action: Path) -> None:
    assert release(DIGEST, "--owner", "octo", "--action", str(action)).returncode == 0
    newer = "sha256:" + "f" * 64
    assert release(newer, "--owner", "octo", "--action", str(action)).returncode == 0
    assert yaml.safe_load(action.read_text())["runs"]["image"] == f"docker://ghcr.io/octo/mergeguard@{newer}"


@pytest.mark.parametrize(
    "digest",
    [
        "latest",
        "v1.2.3",
        "sha256:" + "0" * 63,
        "sha256:" + "0" * 65,
        "sha256:" + "A" * 64,
        "sha512:" + "0" * 128,
        "0" * 64,
        f"{DIGEST}\n  using: node20",
        f"ghcr.io/octo/mergeguard@{DIGEST}",
    ],
)
def test_anything_but_a_sha256_digest_is_refused(action: Path, digest: str) -> None:
    before = action.read_text(encoding="utf-8")
    result = release(digest, "--owner", "octo", "--action", str(action))
    assert result.returncode == 2
    assert (
        result.stderr.startswith("release_action: digest ")
        and "not sha256:<64 lowercase hex>" in result.stderr
    )
    assert action.read_text(encoding="utf-8") == before


@pytest.mark.parametrize("owner", ["", "octo/evil", "-octo", "octo org", "a" * 40, "octo\n"])
def test_an_owner_that_is_no_github_name_is_refused(action: Path, owner: str) -> None:
    result = release(DIGEST, f"--owner={owner}", "--action", str(action))
    assert result.returncode == 2
    assert "not a GitHub user or organisation name" in result.stderr


def test_check_refuses_the_action_yml_that_builds_the_dockerfile() -> None:
    """The repository's own action.yml (as on a tag pushed without the release tool) fails the check."""
    result = release("--check", "--action", str(ROOT / "action.yml"))
    assert result.returncode == 1
    assert (
        "runs.image is 'Dockerfile', not docker://ghcr.io/OWNER/mergeguard@sha256:<digest>" in result.stderr
    )
    assert result.stdout == ""


@pytest.mark.parametrize(
    "image",
    [
        "docker://ghcr.io/octo/mergeguard:v1.2.3",
        "docker://ghcr.io/octo/other@" + DIGEST,
        "docker://docker.io/octo/mergeguard@" + DIGEST,
        "docker://ghcr.io/octo/mergeguard@sha256:abc",
    ],
)
def test_check_refuses_a_tag_another_image_or_registry(action: Path, image: str) -> None:
    action.write_text(action.read_text().replace("image: Dockerfile", f"image: {image}"), encoding="utf-8")
    result = release("--check", "--action", str(action))
    assert result.returncode == 1
    assert "not docker://ghcr.io/OWNER/mergeguard@sha256:<digest>" in result.stderr


def test_check_refuses_another_owners_image(action: Path) -> None:
    assert release(DIGEST, "--owner", "someone-else", "--action", str(action)).returncode == 0
    result = release("--check", "--owner", "octo", "--action", str(action))
    assert result.returncode == 1
    assert "belongs to 'someone-else', not 'octo'" in result.stderr


def test_an_action_without_one_runs_image_and_a_missing_file_are_refused(tmp_path: Path) -> None:
    two = tmp_path / "action.yml"
    two.write_text("name: x\nruns:\n  using: docker\n  image: Dockerfile\n  image: Dockerfile\n")
    result = release(DIGEST, "--owner", "octo", "--action", str(two))
    assert result.returncode == 2
    assert "expected one `image:` under `runs:`, found 2" in result.stderr
    nested = tmp_path / "nested.yml"
    nested.write_text("name: x\ninputs:\n  image:\n    default: Dockerfile\nruns:\n  using: node20\n")
    assert "found 0" in release("--check", "--action", str(nested)).stderr
    missing = release("--check", "--action", str(tmp_path / "absent.yml"))
    assert missing.returncode == 2
    assert "cannot be read: No such file or directory" in missing.stderr


def test_without_a_digest_or_an_owner_it_says_what_it_needs() -> None:
    result = release(DIGEST)
    assert result.returncode == 2
    assert result.stderr.strip() == "release_action: give DIGEST and --owner, or --check"
