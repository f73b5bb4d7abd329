"""One request builder: the CLI's flags and the Action's inputs become the same ScanRequest."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mergeguard.cli import options as cli
from mergeguard.cli import parser
from mergeguard.core.errors import UsageError
from mergeguard.core.model import Severity
from mergeguard.github import action
from mergeguard.github.context import from_env
from mergeguard.scan.request import RequestOptions, build_config, build_request, entries, policy_files
from tests.gitutil import GitTree

TRIVY_REPORT = Path(__file__).parent / "fixtures" / "reports" / "trivy" / "golden-image-debian-buster.json"


@pytest.fixture
def tree(tmp_path: Path) -> GitTree:
    tree = GitTree(tmp_path / "workspace")
    tree.write("app.py", "x = 1\n")
    tree.write(".mergeguard.yml", "fail-on: medium\n")
    tree.commit("base")
    tree.write("app.py", "x = 2\n")
    tree.commit("the pull request")
    return tree


def action_env(tree: GitTree, **inputs: str) -> dict[str, str]:
    base, head = tree.git("rev-list", "--max-count=2", "HEAD").split()[::-1]
    event = tree.root.parent / "event.json"
    event.write_text(
        json.dumps({"pull_request": {"number": 7, "base": {"sha": base}, "head": {"sha": head}}})
    )
    env = {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_WORKSPACE": str(tree.root),
    }
    return {**env, **{f"INPUT_{k.upper()}": v for k, v in inputs.items()}}


def test_the_cli_and_the_action_build_the_same_request(tree: GitTree) -> None:
    base = tree.git("rev-list", "--max-count=2", "HEAD").split()[-1]
    (tree.root / "base.json").write_text(TRIVY_REPORT.read_text())
    flags = ["scan", str(tree.root), "--base", base, "--scanners", "bandit,hadolint", "--fail-on", "high"]
    flags += ["--base-report", "trivy=base.json", "--offline"]
    args = parser.build().parse_args(flags)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tree.root)  # the CLI reads paths from the working directory, the Action from the workspace
        from_cli = cli.options(args, tree.root, base)
        ctx = from_env(
            action_env(
                tree, scanners="bandit,hadolint", **{"fail-on": "high", "base-reports": "trivy=base.json"},
                offline="true",
            )
        )  # fmt: skip
        from_action = action._options(ctx)
        requests = [build_request(o) for o in (from_cli, from_action)]
    assert requests[0] == requests[1]
    assert requests[0].scanners == ("bandit", "hadolint") and requests[0].base_ref == base
    assert [(r.tool, r.source) for r in requests[0].base_reports] == [("trivy", "base.json")]
    assert requests[0].vuln_db.offline
    configs = [build_config(o, policy_files(o)) for o in (from_cli, from_action)]
    assert configs[0] == configs[1] and configs[0].fail_on is Severity.HIGH


def test_fail_on_unknown_overrides_the_config_from_the_flag_and_the_input(tree: GitTree) -> None:
    """Found by a trial: `unknown` (0, falsy) was taken for "not given" and the config's level kept."""
    args = parser.build().parse_args(["scan", str(tree.root), "--fail-on", "unknown"])
    from_cli = cli.options(args, tree.root, None)
    from_action = action._options(from_env(action_env(tree, **{"fail-on": "unknown"})))
    for options in (from_cli, from_action):
        assert build_config(options, policy_files(options)).fail_on is Severity.UNKNOWN  # the file: medium


@pytest.mark.parametrize(
    ("side", "expected"),
    [
        ("cli", "--report 'bogus=x.json': expected TOOL=FILE with TOOL one of"),
        ("action", "input base-reports: 'bogus=x.json': expected TOOL=FILE with TOOL one of"),
    ],
)
def test_a_bad_report_entry_is_named_as_the_user_wrote_it(tree: GitTree, side: str, expected: str) -> None:
    names = cli.NAMES if side == "cli" else action.NAMES
    options = RequestOptions(tree.root, names, base="HEAD~1", base_reports=("bogus=x.json",))
    with pytest.raises(UsageError, match=re.escape(expected)):
        build_request(options)


@pytest.mark.parametrize(
    ("side", "expected"),
    [("cli", "they need --base REF"), ("action", "they need `scope: changed` on a pull request")],
)
def test_base_images_without_a_base_are_refused_in_the_callers_words(
    tree: GitTree, side: str, expected: str
) -> None:
    names = cli.NAMES if side == "cli" else action.NAMES
    (tree.root / "base.json").write_text(TRIVY_REPORT.read_text())
    options = RequestOptions(tree.root, names, base_reports=(f"trivy={tree.root / 'base.json'}",))
    with pytest.raises(UsageError, match=re.escape(expected)):
        build_request(options)


def test_with_a_workspace_a_base_report_outside_it_is_refused(tree: GitTree, tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text(TRIVY_REPORT.read_text())
    options = RequestOptions(
        tree.root, action.NAMES, base="HEAD~1", base_reports=(f"trivy={outside}",), workspace=tree.root
    )
    with pytest.raises(UsageError, match=r"input base-reports: .* outside"):
        build_request(options)
    unconfined = RequestOptions(tree.root, cli.NAMES, base="HEAD~1", base_reports=(f"trivy={outside}",))
    assert build_request(unconfined).base_reports[0].source == str(outside)  # the CLI user's own file


def test_a_relative_vuln_db_dir_is_in_the_workspace_only_for_the_action(tree: GitTree) -> None:
    confined = RequestOptions(tree.root, action.NAMES, vuln_db_dir="cache", workspace=tree.root)
    assert build_request(confined).vuln_db.cache_dir == tree.root / "cache"
    plain = RequestOptions(tree.root, cli.NAMES, vuln_db_dir="cache")
    assert build_request(plain).vuln_db.cache_dir == Path("cache")


def test_a_bad_timeout_names_the_flag(tree: GitTree) -> None:
    with pytest.raises(UsageError, match=r"^--timeout: "):
        build_config(RequestOptions(tree.root, cli.NAMES, timeout=-1))


def test_entries_split_on_commas_and_lines_without_blanks_or_repeats() -> None:
    assert entries(["a, b\n\nc", "a", " "]) == ["a", "b", "c"]
