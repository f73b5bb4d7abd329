"""The Action over a matrix (issue 11.2): `shard` steps publish nothing, the `merge-reports` step publishes
the single job's result: one comment, one check run, the same findings, fingerprints and verdict."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from mergeguard.cli.main import main
from mergeguard.core.errors import UsageError
from mergeguard.core.model import Severity
from mergeguard.github import action, sharding
from mergeguard.github.context import from_env
from tests.github_server import serving
from tests.gitutil import GitTree
from tests.test_action_e2e import TOKEN, outputs, pr_event, run_action

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo-app"
FAST = "hadolint,bandit,detect-secrets,gitleaks,trivy-config"

pytestmark = pytest.mark.scanner


@pytest.fixture
def demo_pr(tmp_path: Path) -> tuple[GitTree, dict[str, Any]]:
    """A pull request that adds the demo app to a repository."""
    tree = GitTree(tmp_path / "workspace")
    tree.write("README.md", "# app\n")
    base = tree.commit("base")
    shutil.copytree(DEMO, tree.root / "demo-app")
    head = tree.commit("add the demo app")
    return tree, pr_event(base, head)


def _json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    for scanner in data["scanners"]:
        scanner.pop("duration_s")  # the only field that differs from run to run
    return data


def _shards(tree: GitTree, event: dict[str, Any], count: int) -> None:
    """Every shard run by the Action, against a server that must receive nothing."""
    (tree.root / "mergeguard.sarif").unlink(missing_ok=True)  # an earlier single run's
    with serving(TOKEN) as api:
        for i in range(1, count + 1):
            shard = {
                "shard": f"{i}/{count}",
                "json-file": f"shards/shard-{i}.json",
                "check-name": "mergeguard",
            }
            run = run_action(tree, api, "pull_request", event, scanners=FAST, **shard)
            assert run.returncode == 0, run.stdout + run.stderr
            assert not [line for line in run.stdout.splitlines() if line.startswith("::")], run.stdout
            assert f"mergeguard: shard {i}/{count} written to shards/shard-{i}.json" in run.stdout
        assert api.writes() == [] and api.check_runs == {} and api.comments_on(7) == []
    assert not (tree.root / "mergeguard.sarif").exists()  # a shard's SARIF is partial: none is written


def test_shards_merged_by_the_action_publish_the_single_jobs_result(
    demo_pr: tuple[GitTree, dict[str, Any]],
) -> None:
    tree, event = demo_pr
    files = {"json-file": "single.json", "check-name": "mergeguard"}
    with serving(TOKEN) as api:
        single = run_action(tree, api, "pull_request", event, scanners=FAST, **files)
    assert single.returncode == 1, single.stdout + single.stderr
    _shards(tree, event, 2)
    summary = tree.root.parent / "home" / "summary.md"
    assert "mergeguard: shard 2/2 written to shards/shard-2.json" in summary.read_text()
    with serving(TOKEN) as api:
        inputs = {
            "merge-reports": "shards/shard-*.json",
            "json-file": "merged.json",
            "check-name": "mergeguard",
        }
        merged = run_action(tree, api, "pull_request", event, scanners=FAST, **inputs)
        assert merged.returncode == single.returncode, merged.stdout + merged.stderr
        (comment,) = api.comments_on(7)
        assert comment["body"].startswith("<!-- mergeguard -->")
        (check,) = api.check_runs.values()
        assert check["conclusion"] == "failure"
    one, folded = _json(tree.root / "single.json"), _json(tree.root / "merged.json")
    assert len(one["findings"]) > 5 and all(f["fingerprint"] for f in one["findings"])
    assert folded["findings"] == one["findings"]  # every field, fingerprints too
    assert folded == one  # verdict, reason, scanners, counts
    assert outputs(tree)["verdict"] == "fail" and (tree.root / "mergeguard.sarif").is_file()
    assert any(line.startswith("::error ") for line in merged.stdout.splitlines())
    assert merged.stdout.strip().splitlines()[-1].startswith("mergeguard: FAIL: ")
    assert TOKEN not in single.stdout + merged.stdout + merged.stderr


def test_a_missing_shard_fails_the_merge_naming_it(demo_pr: tuple[GitTree, dict[str, Any]]) -> None:
    tree, event = demo_pr
    _shards(tree, event, 3)
    (tree.root / "shards" / "shard-2.json").unlink()
    with serving(TOKEN) as api:
        run = run_action(
            tree, api, "pull_request", event, scanners=FAST, **{"merge-reports": "shards/*.json"}
        )
        assert api.writes() == []
    assert run.returncode == 3, run.stdout + run.stderr
    assert "missing shard report: 2/3" in run.stderr


def _two_shards(
    tmp_path: Path, files: dict[str, str], report: str, **inputs: str
) -> tuple[GitTree, dict[str, str]]:
    """A pushed tree of `files` and its two shards, each run by the Action and written to `report`
    (`{i}` the shard's index), against a server that must receive nothing; the tree and the push."""
    tree = GitTree(tmp_path / "workspace")
    for name, text in files.items():
        tree.write(name, text)
    push = {"before": "0" * 40, "after": tree.commit("base")}
    with serving(TOKEN) as api:
        for i in (1, 2):
            shard = {"shard": f"{i}/2", "json-file": report.format(i=i), **inputs}
            run = run_action(tree, api, "push", push, **shard)
            assert run.returncode == 0, run.stdout + run.stderr  # as `scan --shard`
        assert api.writes() == []
    return tree, push


def test_a_failed_scanner_in_a_shard_fails_the_merge_naming_it(tmp_path: Path) -> None:
    files = {
        ".mergeguard.yml": "scanners:\n  checkov: {timeout: 1}\n",  # Checkov cannot start in 1 s
        "infra/main.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n',
        "Dockerfile": "FROM python:latest\n",
    }
    tree, push = _two_shards(tmp_path, files, "shards/s{i}.json", scanners="checkov,hadolint")
    with serving(TOKEN) as api:
        reports = {"merge-reports": "shards/s1.json shards/s2.json", "scanners": "checkov,hadolint"}
        run = run_action(tree, api, "push", push, **reports)
    assert run.returncode == 3, run.stdout + run.stderr
    assert re.search(r"shard [12]/2 \(\S+/shards/s[12]\.json\): scanner checkov failed", run.stdout), (
        run.stdout
    )
    assert "checkov" in run.stdout.strip().splitlines()[-1]


def test_the_merge_step_decides_under_the_shards_inputs_or_refuses(tmp_path: Path) -> None:
    files = {"Dockerfile": "FROM python:latest\nRUN apt-get install curl\n", "mg.yml": "fail-on: critical\n"}
    scan = {"scanners": "hadolint,trivy-config", "fail-on": "high", "config": "mg.yml"}
    tree, push = _two_shards(tmp_path, files, "shards/s{i}.json", **scan)
    refused = {
        "fail-on": ("low", "input fail-on: the shards scanned with 'high', this step gives 'low'"),
        "scanners": (
            "hadolint",
            "input scanners: the shards scanned with 'hadolint,trivy-config', this step",
        ),
        "config": (
            "other.yml",  # read in the workspace, wherever the step runs
            f"input config: the shards scanned with '{tree.root}/mg.yml', "
            f"this step gives '{tree.root}/other.yml'",
        ),
    }
    with serving(TOKEN) as api:
        others = {
            name: run_action(
                tree,
                api,
                "push",
                push,
                **{**scan, "fail-on": "", "merge-reports": "shards/*.json", name: value},
            )
            for name, (value, _) in refused.items()
        }
        assert api.writes() == []
        same = {
            "merge-reports": "shards/*.json",
            "scanners": "trivy-config, hadolint",  # the same scanners, listed apart
            "config": "./mg.yml",
            "json-file": "m.json",
        }
        agreed = run_action(tree, api, "push", push, **same)
    for name, (_, message) in refused.items():
        other = others[name]
        assert other.returncode == 2, other.stdout + other.stderr
        (line,) = other.stderr.strip().splitlines()
        assert line.startswith(f"mergeguard: error: {message}"), line
        assert line.endswith("give the merge step the shards' inputs or leave it empty"), line
    assert agreed.returncode == 1, agreed.stdout + agreed.stderr
    merged = json.loads((tree.root / "m.json").read_text())
    assert merged["fail_on"] == "high"  # the shards' input over their config, this step giving none
    assert {s["name"] for s in merged["scanners"] if s["status"] == "ok"} == {"hadolint", "trivy-config"}


def test_the_merge_steps_fail_on_is_compared_as_it_took_effect(tmp_path: Path) -> None:
    """Found by a trial: shards with the default `fail-on` (high) refused a merge step giving `high`."""
    tree = GitTree(tmp_path / "workspace")
    tree.write("Dockerfile", "FROM python:latest\n")
    tree.commit("base")
    for i in (1, 2):
        report = str(tree.root / "shards" / f"s{i}.json")
        args = ["scan", str(tree.root), "--all-files", "--scanners", "hadolint", "--shard", f"{i}/2"]
        assert main([*args, "--json", report]) == 0
    (tmp_path / "event.json").write_text("{}", encoding="utf-8")
    env = {
        "GITHUB_EVENT_NAME": "workflow_dispatch",
        "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
        "GITHUB_WORKSPACE": str(tree.root),
        "INPUT_MERGE-REPORTS": "shards/*.json",
    }
    for given, agreed in (("high", True), ("HIGH", True), ("medium", False)):
        ctx = from_env({**env, "INPUT_FAIL-ON": given})
        if agreed:
            assert sharding.fold(ctx, action._options(ctx)).config.fail_on is Severity.HIGH
            continue
        with pytest.raises(
            UsageError, match="input fail-on: the shards scanned with 'high', this step gives"
        ):
            sharding.fold(ctx, action._options(ctx))


def test_merge_reports_are_read_as_users_write_them_and_missing_ones_exit_3(tmp_path: Path) -> None:
    dockerfile = {"Dockerfile": "FROM python:latest\n"}
    tree, push = _two_shards(tmp_path, dockerfile, "shards/shard {i}.json", scanners="hadolint")
    with serving(TOKEN) as api:
        lines = (
            f"shards/shard 1.json\n  {tree.root}/shards/shard 2.json\n"  # a path with a space, one per line
        )
        absolute = f"{tree.root}/shards/*.json"  # a glob may be absolute, inside the workspace
        runs = {
            "lines": run_action(tree, api, "push", push, scanners="hadolint", **{"merge-reports": lines}),
            "absolute": run_action(
                tree, api, "push", push, scanners="hadolint", **{"merge-reports": absolute}
            ),
            "no match": run_action(
                tree, api, "push", push, scanners="hadolint", **{"merge-reports": "out/*.json"}
            ),
            "missing": run_action(
                tree,
                api,
                "push",
                push,
                scanners="hadolint",
                **{"merge-reports": "shards/shard 1.json\nshards/s2.json"},
            ),
        }
    for name in ("lines", "absolute"):
        assert runs[name].returncode == 0, runs[name].stdout + runs[name].stderr  # DL3007 is medium
        assert "::warning file=Dockerfile,line=1," in runs[name].stdout and "DL3007" in runs[name].stdout
    assert runs["no match"].returncode == 3
    assert "input merge-reports: 'out/*.json' matches no shard report" in runs["no match"].stderr
    assert runs["missing"].returncode == 3
    assert (
        "missing shard report: " in runs["missing"].stderr
        and "shards/s2.json: no such file" in runs["missing"].stderr
    )


@pytest.mark.parametrize(
    ("text", "entries"),
    [
        ("shards/a.json shards/b.json", ["shards/a.json", "shards/b.json"]),
        ("shards/a.json,shards/b.json", ["shards/a.json", "shards/b.json"]),  # found by a trial: one path
        ("shards/a.json, shards/b.json,", ["shards/a.json", "shards/b.json"]),
        ("shards/shard 1.json\n  shards/b.json,\n\n", ["shards/shard 1.json", "shards/b.json"]),
        ("shards/*.json\n", ["shards/*.json"]),
    ],
)
def test_merge_reports_are_split_on_commas_white_space_and_lines(text: str, entries: list[str]) -> None:
    assert sharding.report_entries(text) == entries


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"shard": "1/2"}, "input shard writes a report for the merge step: it needs input json-file"),
        (
            {"shard": "1/2", "merge-reports": "shards/*.json", "json-file": "s.json"},
            "inputs shard and merge-reports exclude each other",
        ),
        ({"shard": "3/2", "json-file": "s.json"}, "input shard '3/2': expected I/N"),
        ({"shard": "1/2", "json-file": "s.json", "images": "app:latest"}, "input shard splits the scanners"),
        ({"merge-reports": "../outside/*.json"}, "input merge-reports: '../outside/*.json' resolves to"),
        ({"merge-reports": "/etc/passwd"}, "input merge-reports: '/etc/passwd' resolves to"),
        ({"merge-reports": "s.json", "images": "app:latest"}, "input merge-reports scans nothing: images"),
        ({"merge-reports": "s.json", "base-reports": "trivy=b.json"}, "input merge-reports scans nothing"),
        ({"merge-reports": "escape.json"}, "input merge-reports: 'escape.json' resolves to"),
    ],
)
def test_misused_shard_inputs_are_one_line_and_exit_2(
    inputs: dict[str, str], message: str, tmp_path: Path
) -> None:
    tree = GitTree(tmp_path / "workspace")
    tree.write("README.md", "# app\n")
    head = tree.commit("base")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "shard-1.json").write_text("{}")
    (tree.root / "escape.json").symlink_to(outside / "shard-1.json")  # a symlink the PR committed
    with serving(TOKEN) as api:
        run = run_action(tree, api, "push", {"before": "0" * 40, "after": head}, **inputs)
        assert api.writes() == []
    assert run.returncode == 2, run.stdout + run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("mergeguard: error: ") and message in line, line
    assert "Traceback" not in run.stdout + run.stderr
