"""`scan --shard I/N` and `merge` (issue 11.2): N shards merged equal one job, or the merge fails closed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from mergeguard.cli.main import main
from mergeguard.scan import shards
from mergeguard.scan.registry import REGISTRY
from tests.gitutil import GitTree

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo-app"
FAST = "hadolint,bandit,detect-secrets,gitleaks,trivy-config"


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _single(root: Path, out: Path, scope: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    files = ["--json", str(out / "single.json"), "--sarif", str(out / "single.sarif")]
    code, _ = _run(["scan", str(root), *scope, "--scanners", FAST, *files], capsys)
    return {"code": code, **_read(out / "single.json", out / "single.sarif")}


def _shards(root: Path, out: Path, n: int, scope: list[str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    reports = []
    for i in range(1, n + 1):
        report = str(out / f"shard-{i}-of-{n}.json")
        code, text = _run(
            ["scan", str(root), *scope, "--scanners", FAST, "--shard", f"{i}/{n}", "--json", report], capsys
        )
        assert code == 0, text
        reports.append(report)
    return reports


def _merged(reports: list[str], out: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    files = ["--json", str(out / "merged.json"), "--sarif", str(out / "merged.sarif")]
    code, _ = _run(["merge", *reports, *files, "--markdown", str(out / "merged.md")], capsys)
    return {"code": code, **_read(out / "merged.json", out / "merged.sarif")}


def _read(report: Path, sarif: Path) -> dict[str, Any]:
    data = json.loads(report.read_text(encoding="utf-8"))
    for scanner in data["scanners"]:
        scanner.pop("duration_s")  # the only field that differs from run to run
    runs = json.loads(sarif.read_text(encoding="utf-8"))["runs"]
    return {"json": data, "sarif": [(r["tool"]["driver"]["name"], r["results"]) for r in runs]}


def _same(single: dict[str, Any], merged: dict[str, Any]) -> None:
    assert merged["code"] == single["code"]
    assert merged["json"]["findings"] == single["json"]["findings"]  # every field, fingerprints too
    assert merged["json"] == single["json"]  # verdict, reason, scanners, fixes, counts
    assert merged["sarif"] == single["sarif"]


@pytest.fixture(scope="module")
def demo_single(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("single")
    files = ["--json", str(out / "j"), "--sarif", str(out / "s")]
    code = main(["scan", str(DEMO), "--all-files", "--scanners", FAST, *files])
    return {"code": code, **_read(out / "j", out / "s")}


@pytest.mark.parametrize("n", [2, 3])
def test_demo_app_shards_merge_to_the_single_job_result(
    n: int, demo_single: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    merged = _merged(_shards(DEMO, tmp_path, n, ["--all-files"], capsys), tmp_path, capsys)
    assert demo_single["code"] == 1 and len(demo_single["json"]["findings"]) > 5  # a real result
    _same(demo_single, merged)
    assert "FAIL" in (tmp_path / "merged.md").read_text(encoding="utf-8").upper()


def _pull_request(tmp_path: Path) -> GitTree:
    tree = GitTree(tmp_path / "repo")
    tree.write("app/main.py", "print('hello')\n")
    tree.write("Dockerfile", "FROM python:3.12-slim\nCOPY . /app\n")
    tree.commit("base")
    tree.git("checkout", "-q", "-b", "feature")
    tree.write(
        "app/main.py", "import subprocess\nsubprocess.call('ls ' + input(), shell=True)\nprint('hello')\n"
    )
    tree.write(
        "app/keys.py",
        'AWS_SECRET = "AKIAZ3MQ7XPRT5WKHNVB"\nTOKEN = "ghp_4Yq8cF2nRk7LmTz1vB9xWd3HsJ6pQa0EoUiN"\n',
    )
    tree.write(
        "Dockerfile", "FROM python:latest\nRUN apt-get update && apt-get install -y curl\nCOPY . /app\n"
    )
    tree.write(
        "infra/main.tf", 'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n  acl    = "public-read"\n}\n'
    )
    tree.commit("change")
    return tree


@pytest.mark.parametrize("n", [2, 3])
def test_pull_request_shards_merge_to_the_single_job_result(
    n: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = _pull_request(tmp_path)
    scope = ["--base", "main"]
    single = _single(tree.root, tmp_path, scope, capsys)
    assert single["json"]["mode"] != "all" and single["json"]["findings"]
    _same(single, _merged(_shards(tree.root, tmp_path, n, scope, capsys), tmp_path, capsys))


def test_a_missing_shard_fails_closed_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reports = _shards(DEMO, tmp_path, 3, ["--all-files"], capsys)
    code, text = _run(["merge", reports[0], reports[1], "--json", str(tmp_path / "m.json")], capsys)
    assert code == 3
    assert "missing shard report: 3/3" in text
    assert not (tmp_path / "m.json").exists()


def test_a_failed_scanner_in_a_shard_fails_closed_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = GitTree(tmp_path / "repo")
    tree.write(".mergeguard.yml", "scanners:\n  checkov: {timeout: 1}\n")  # Checkov cannot start in 1 s
    tree.write("infra/main.tf", 'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n')
    tree.write("Dockerfile", "FROM python:latest\n")
    tree.commit("base")
    reports = []
    for i in (1, 2):
        reports.append(str(tmp_path / f"s{i}.json"))
        args = [
            "scan",
            str(tree.root),
            "--scanners",
            "checkov,hadolint",
            "--shard",
            f"{i}/2",
            "--json",
            reports[-1],
        ]
        assert _run(args, capsys)[0] == 0
    code, text = _run(["merge", *reports, "--json", str(tmp_path / "m.json")], capsys)
    assert code == 3
    home = shards.plan(list(REGISTRY), 2, lambda name: name in ("checkov", "hadolint"))["checkov"]
    assert f"shard {home}/2" in text and "scanner checkov failed" in text
    assert json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))["verdict"] == "error"


def test_inconsistent_shards_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = GitTree(tmp_path / "repo")
    tree.write("Dockerfile", "FROM python:latest\n")
    tree.commit("base")

    def shard(spec: str, name: str) -> str:
        report = str(tmp_path / name)
        assert (
            _run(
                ["scan", str(tree.root), "--scanners", "hadolint", "--shard", spec, "--json", report], capsys
            )[0]
            == 0
        )
        return report

    one, two = shard("1/2", "a.json"), shard("2/2", "b.json")
    three = shard("1/3", "c.json")
    code, text = _run(["merge", one, two], capsys)  # complete and consistent: a verdict
    assert code == 0 and "1 new below high" in text and "mergeguard: PASS" in text
    code, text = _run(["merge", one, one, two], capsys)
    assert code == 2 and "shard 1/2 given twice" in text
    code, text = _run(["merge", one, three], capsys)
    assert code == 2 and "another shard count" in text
    tree.write("Dockerfile", "FROM python:3.12\n")
    tree.commit("next")
    later = shard("2/2", "d.json")
    code, text = _run(["merge", one, later], capsys)
    assert code == 2 and "another commit" in text
    (tmp_path / "e.json").write_text('{"version": 1}', encoding="utf-8")
    code, text = _run(["merge", str(tmp_path / "e.json")], capsys)
    assert code == 2 and "e.json: shard: missing" in text


@pytest.mark.parametrize("spec", ["0/2", "3/2", "x", "1/0", "1/2/3", "\uff11/2"])
def test_a_bad_shard_spec_is_a_usage_error(
    spec: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = _run(["scan", str(tmp_path), "--shard", spec, "--json", str(tmp_path / "j")], capsys)
    assert code == 2 and "--shard" in text


def test_the_split_is_fixed_balanced_and_complete() -> None:
    names = list(REGISTRY)
    for n in (1, 2, 3, 4, 12):
        home = shards.plan(names, n, lambda _name: True)
        assert sorted(home) == sorted(names) and set(home.values()) <= set(range(1, n + 1))
        assert home == shards.plan(list(reversed(names)), n, lambda _name: True)  # order does not matter
    two = shards.plan(names, 2, lambda _name: True)
    loads = [
        sum(shards.WEIGHTS.get(k, shards.DEFAULT_WEIGHT) for k, v in two.items() if v == i) for i in (1, 2)
    ]
    assert abs(loads[0] - loads[1]) <= max(shards.WEIGHTS.values())


def test_the_sharded_workflow_runs_every_shard_and_merges_them_all() -> None:
    workflow = yaml.safe_load((DEMO.parent / "workflows" / "sharded.yml").read_text(encoding="utf-8"))
    scan, fold = workflow["jobs"]["scan"], workflow["jobs"]["merge"]
    count = int(re.search(r'--shard "\$SHARD/(\d+)"', scan["steps"][1]["run"])[1])  # type: ignore[index]
    assert scan["strategy"]["matrix"]["shard"] == list(range(1, count + 1))
    assert scan["strategy"]["fail-fast"] is False  # a failed shard must not cancel the others' reports
    assert fold["needs"] == "scan" and "!cancelled()" in fold["if"]  # the merge reports a missing shard
    uploaded = scan["steps"][2]["with"]["name"].replace("${{ matrix.shard }}", "*")
    assert fold["steps"][1]["with"]["pattern"] == uploaded
    assert "mergeguard merge shards/shard-*.json" in fold["steps"][2]["run"]
