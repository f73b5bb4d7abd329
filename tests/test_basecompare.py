"""PR mode for manifests: an advisory whose package and version the base already pinned is pre-existing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mergeguard.cli.main import main
from mergeguard.core.packagenames import normalise
from tests.gitutil import GitTree

REPORT = (
    Path(__file__).parent / "fixtures" / "reports" / "trivy" / "schema2-fs-uv-lock.json"
)  # h11 0.14.0, setuptools 76.1.0
H11 = '[[package]]\nname = "h11"\nversion = "0.14.0"\nsource = { registry = "https://pypi.org/simple" }\n'
SETUPTOOLS = H11.replace('"h11"', '"setuptools"').replace("0.14.0", "76.1.0")
OLD_SETUPTOOLS = SETUPTOOLS.replace("76.1.0", "70.0.0")


def statuses(repo: GitTree, tmp_path: Path, target: str = "uv.lock") -> dict[str, str]:
    """The findings' statuses by package, with the report's findings placed in `target`."""
    out, report = tmp_path / "r.json", tmp_path / "trivy.json"
    report.write_text(REPORT.read_text().replace('"Target": "uv.lock"', json.dumps({"Target": target})[1:-1]))
    main(
        [
            "scan",
            str(repo.root),
            "--base",
            "base",
            "--scanners",
            "none",
            "--report",
            f"trivy={report}",
            "--json",
            str(out),
        ]
    )
    return {f["package"]["name"]: f["status"] for f in json.loads(out.read_text())["findings"]}


@pytest.fixture
def repo(tmp_path: Path) -> GitTree:
    tree = GitTree(tmp_path / "repo")
    tree.write("uv.lock", "version = 1\n\n" + H11 + "\n" + OLD_SETUPTOOLS)
    tree.commit("base")
    tree.git("branch", "base")
    return tree


def test_only_the_advisory_the_pull_request_brings_is_new(repo: GitTree, tmp_path: Path) -> None:
    repo.write(
        "uv.lock", "version = 1\n\n" + H11 + "\n" + SETUPTOOLS
    )  # setuptools bumped into a vulnerable version
    repo.commit("bump setuptools")
    assert statuses(repo, tmp_path) == {"h11": "pre-existing", "setuptools": "new"}


def test_a_downgrade_to_a_version_the_base_pin_starts_with_is_new(tmp_path: Path) -> None:
    tree = GitTree(tmp_path / "downgrade")
    tree.write(
        "uv.lock", "version = 1\n\n" + H11.replace("0.14.0", "0.14.01") + "\n" + SETUPTOOLS + "\n# 76.1.0\n"
    )
    tree.commit("base")
    tree.git("branch", "base")
    tree.write("uv.lock", "version = 1\n\n" + H11 + "\n" + SETUPTOOLS)  # h11 0.14.01 -> 0.14.0
    tree.commit("downgrade h11")
    assert statuses(tree, tmp_path) == {"h11": "new", "setuptools": "pre-existing"}


def test_a_file_renamed_into_a_manifest_pins_nothing_at_the_base(tmp_path: Path) -> None:
    """`git mv notes.txt requirements.txt`: the notes named versions, the base pinned nothing."""
    tree = GitTree(tmp_path / "notes")
    tree.write("notes.txt", "h11==0.14.0\nsetuptools==76.1.0\n")
    tree.commit("base")
    tree.git("branch", "base")
    tree.git("mv", "notes.txt", "requirements.txt")
    tree.commit("the notes become the requirements")
    assert statuses(tree, tmp_path, "requirements.txt") == {"h11": "new", "setuptools": "new"}


def test_a_pin_at_the_floor_of_the_bases_range_is_new(tmp_path: Path) -> None:
    """`h11>=0.14.0` -> `h11==0.14.0`: the base allowed 0.14.0 but did not pin it (the version
    anywhere near the name used to count, `>=0.14.0` too)."""
    tree = GitTree(tmp_path / "floor")
    tree.write("requirements.txt", "h11>=0.14.0\nsetuptools==76.1.0\n")
    tree.commit("base")
    tree.git("branch", "base")
    tree.write("requirements.txt", "h11==0.14.0\nsetuptools==76.1.0\n")
    tree.commit("pin the floor")
    assert statuses(tree, tmp_path, "requirements.txt") == {"h11": "new", "setuptools": "pre-existing"}


def test_a_range_in_the_lock_files_metadata_is_no_pin(tmp_path: Path) -> None:
    """uv.lock's project entry requires `h11>=0.14.0` near the name; the lock pinned h11 0.16.0.
    Locking the lowest version (0.14.0) brings its advisory."""
    app = (
        '[[package]]\nname = "app"\nversion = "1.0"\nsource = { editable = "." }\n'
        'dependencies = [\n    { name = "h11" },\n]\n\n'
        '[package.metadata]\nrequires-dist = [{ name = "h11", specifier = ">=0.14.0,<1" }]\n\n'
    )
    tree = GitTree(tmp_path / "lowest")
    tree.write("uv.lock", "version = 1\n\n" + app + H11.replace("0.14.0", "0.16.0") + "\n" + SETUPTOOLS)
    tree.commit("base")
    tree.git("branch", "base")
    tree.write("uv.lock", "version = 1\n\n" + app + H11 + "\n" + SETUPTOOLS)
    tree.commit("resolution-mode = lowest-direct")
    assert statuses(tree, tmp_path) == {"h11": "new", "setuptools": "pre-existing"}


def pipfile_lock(*packages: tuple[str, str]) -> str:
    """A Pipfile.lock as pipenv writes it: each package's hashes between its name and its version."""
    hashes = [f"sha256:{i:064x}" for i in range(6)]
    entries = {name: {"hashes": hashes, "index": "pypi", "version": f"=={v}"} for name, v in packages}
    return json.dumps({"_meta": {"pipfile-spec": 6}, "default": entries, "develop": {}}, indent=4) + "\n"


def test_an_edit_to_a_pipfile_lock_leaves_its_old_pins_pre_existing(tmp_path: Path) -> None:
    """A package added to Pipfile.lock: the untouched h11 and setuptools entries stay pre-existing
    (their versions, far below their names, used to go unseen and every advisory was new)."""
    tree = GitTree(tmp_path / "pipenv")
    tree.write("Pipfile.lock", pipfile_lock(("h11", "0.14.0"), ("setuptools", "76.1.0")))
    tree.commit("base")
    tree.git("branch", "base")
    tree.write(
        "Pipfile.lock", pipfile_lock(("gunicorn", "23.0.0"), ("h11", "0.14.0"), ("setuptools", "76.1.0"))
    )
    tree.commit("add gunicorn")
    assert statuses(tree, tmp_path, "Pipfile.lock") == {"h11": "pre-existing", "setuptools": "pre-existing"}


def test_a_new_manifest_makes_every_advisory_new(tmp_path: Path) -> None:
    tree = GitTree(tmp_path / "fresh")
    tree.write("README.md", "x\n")
    tree.commit("base")
    tree.git("branch", "base")
    tree.write("uv.lock", "version = 1\n\n" + H11 + "\n" + SETUPTOOLS)
    tree.commit("add a lock file")
    assert statuses(tree, tmp_path) == {"h11": "new", "setuptools": "new"}


def test_a_renamed_manifest_is_compared_with_its_old_copy(tmp_path: Path) -> None:
    """`git mv requirements.txt services/api/requirements.txt`: nothing new (the base copy used to
    be looked for under the new name, and every advisory of a moved manifest was new)."""
    tree = GitTree(tmp_path / "moved")
    tree.write("requirements.txt", "h11==0.14.0\nsetuptools==76.1.0\n")
    tree.commit("base")
    tree.git("branch", "base")
    (tree.root / "services" / "api").mkdir(parents=True)
    tree.git("mv", "requirements.txt", "services/api/requirements.txt")
    tree.commit("move")
    moved = statuses(tree, tmp_path, "services/api/requirements.txt")
    assert moved == {"h11": "pre-existing", "setuptools": "pre-existing"}


def test_a_manifest_replaced_by_a_lock_file_keeps_its_pins_pre_existing(tmp_path: Path) -> None:
    """`requirements.txt` deleted and a `uv.lock` pinning the same versions added (a move to uv, or a
    file moved and rewritten past git's rename detection): the base had them, nothing is new. A pin
    the deleted file did not have stays new."""
    tree = GitTree(tmp_path / "to-uv")
    tree.write("requirements.txt", "h11==0.14.0\nsetuptools==70.0.0\n")
    tree.commit("base")
    tree.git("branch", "base")
    tree.git("rm", "-q", "requirements.txt")
    tree.write("uv.lock", "version = 1\n\n" + H11 + "\n" + SETUPTOOLS)
    tree.commit("move to uv")
    assert statuses(tree, tmp_path) == {"h11": "pre-existing", "setuptools": "new"}


def test_a_manifest_deleted_elsewhere_lends_no_pins(tmp_path: Path) -> None:
    """A red team's: deleting a vulnerable test fixture's requirements made the same pins in a new
    service's requirements pre-existing."""
    tree = GitTree(tmp_path / "fixture")
    tree.write("tests/fixtures/vulnerable/requirements.txt", "h11==0.14.0\n")
    tree.commit("base")
    tree.git("branch", "base")
    tree.git("rm", "-q", "tests/fixtures/vulnerable/requirements.txt")
    tree.write("services/api/requirements.txt", "h11==0.14.0\nsetuptools==76.1.0\n")
    tree.commit("a new service")
    assert statuses(tree, tmp_path, "services/api/requirements.txt") == {"h11": "new", "setuptools": "new"}


@pytest.mark.parametrize(
    ("name", "norm"), [("Flask", "flask"), ("zope.interface", "zope-interface"), ("a__b-C", "a-b-c")]
)
def test_names_compare_as_pep_503_says(name: str, norm: str) -> None:
    assert normalise(name) == norm
