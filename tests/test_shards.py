"""`scan --shard I/N` and `merge` (issue 11.2): N shards merged equal one job, or the merge fails closed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from mergeguard.cli.main import main
from mergeguard.scan import shard_files, shards
from mergeguard.scan.registry import REGISTRY
from tests.gitutil import GitTree

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo-app"
FAST = "hadolint,bandit,detect-secrets,gitleaks,trivy-config"


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _single(
    root: Path, out: Path, scope: list[str], capsys: pytest.CaptureFixture[str], scanners: str = FAST
) -> dict[str, Any]:
    files = ["--json", str(out / "single.json"), "--sarif", str(out / "single.sarif")]
    code, _ = _run(["scan", str(root), *scope, "--scanners", scanners, *files], capsys)
    return {"code": code, **_read(out / "single.json", out / "single.sarif")}


def _shards(
    root: Path, out: Path, n: int, scope: list[str], capsys: pytest.CaptureFixture[str], scanners: str = FAST
) -> list[str]:
    reports = []
    for i in range(1, n + 1):
        report = str(out / f"shard-{i}-of-{n}.json")
        code, text = _run(
            ["scan", str(root), *scope, "--scanners", scanners, "--shard", f"{i}/{n}", "--json", report],
            capsys,
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


@pytest.mark.parametrize("n", [2, 3, 4])
def test_demo_app_shards_merge_to_the_single_job_result(
    n: int, demo_single: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    merged = _merged(_shards(DEMO, tmp_path, n, ["--all-files"], capsys), tmp_path, capsys)
    assert demo_single["code"] == 1 and len(demo_single["json"]["findings"]) > 5  # a real result
    _same(demo_single, merged)
    assert "FAIL" in (tmp_path / "merged.md").read_text(encoding="utf-8").upper()


def test_a_larger_tree_with_checkov_merges_to_the_single_job_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """tests/fixtures: 239 files, so detect-secrets is split into parts (Bandit has too few); Checkov's worker
    pool prints its findings in a different order from run to run, which must not show."""
    tree = Path(__file__).resolve().parent / "fixtures"
    scanners = f"{FAST},checkov,trivy-secret"
    single = _single(tree, tmp_path, ["--all-files"], capsys, scanners)
    assert single["code"] == 1 and len(single["json"]["findings"]) > 200  # a real result
    reports = _shards(tree, tmp_path, 2, ["--all-files"], capsys, scanners)
    parts = [json.loads(Path(r).read_text(encoding="utf-8"))["shard"]["parts"] for r in reports]
    assert {name for shard in parts for name, _, _ in shard} == {"detect-secrets"}  # split in two
    _same(single, _merged(reports, tmp_path, capsys))


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
    gone = str(tmp_path / "shard-3-never-written.json")  # its job failed before writing it
    code, text = _run(["merge", *reports[:2], gone, "--json", str(tmp_path / "m.json")], capsys)
    assert code == 3 and f"missing shard report: {gone}: no such file" in text
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
    tree = _dockerfile_repo(tmp_path)

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
    shard = scan["steps"][1]["with"]
    count = int(re.fullmatch(r"\$\{\{ matrix.shard \}\}/(\d+)", shard["shard"])[1])  # type: ignore[index]
    assert scan["strategy"]["matrix"]["shard"] == list(range(1, count + 1))
    assert shard["json-file"] == scan["steps"][2]["with"]["path"]  # the report the Action writes is kept
    assert scan["strategy"]["fail-fast"] is False  # a failed shard must not cancel the others' reports
    assert fold["needs"] == "scan" and "!cancelled()" in fold["if"]  # the merge reports a missing shard
    uploaded = scan["steps"][2]["with"]["name"].replace("${{ matrix.shard }}", "*")
    assert fold["steps"][1]["with"]["pattern"] == uploaded
    merged = fold["steps"][2]["with"]
    assert merged["merge-reports"] == "shards/shard-*.json" and merged["fail-on"] == shard["fail-on"]


MANY = 170  # Python files: enough for every per-file scanner to be split over 4 shards


def _key(i: int) -> str:
    """A distinct, well-formed fake AWS key id per file (detect-secrets and Gitleaks both see it)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return "AKIA" + "".join(alphabet[(i * 7 + k * k * 13 + k) % 32] for k in range(16))


def _monorepo(root: Path) -> GitTree:
    """Many Python files of varied sizes: Bandit issues, secrets, a line repeated in one file."""
    tree = GitTree(root)
    for i in range(MANY):
        lines = [f'"""Module {i}."""', "import subprocess", ""]
        lines += [f"value_{k} = {k * i}" for k in range(i % 37 * 3)]  # sizes from a few to 100+ lines
        if i % 5 == 0:
            lines.append("subprocess.call('ls ' + input(), shell=True)")
        if i % 3 == 0:
            lines.append(f"assert value_0 == {i}" if i % 37 else "assert True")
        if i % 11 == 0:
            lines.append(f'AWS_ID = "{_key(i)}"')
        if i % 13 == 0:  # the same line twice in one file: two occurrences of one identity
            lines += ['password = "correct-horse-battery-staple"'] * 2
        tree.write(f"services/svc{i % 7}/mod_{i:03d}.py", "\n".join(lines) + "\n")
    tree.write("Dockerfile", "FROM python:latest\nRUN apt-get update && apt-get install -y curl\n")
    tree.commit("monorepo")
    return tree


@pytest.fixture(scope="module")
def monorepo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("monorepo") / "repo"
    _monorepo(root)
    out = tmp_path_factory.mktemp("monorepo-single")
    files = ["--json", str(out / "j"), "--sarif", str(out / "s")]
    code = main(["scan", str(root), "--all-files", "--scanners", FAST, *files])
    return root, {"code": code, **_read(out / "j", out / "s")}


@pytest.mark.parametrize("n", [2, 3, 4])
def test_many_files_are_split_over_the_shards_and_merge_to_the_single_job_result(
    n: int, monorepo: tuple[Path, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, single = monorepo
    capsys.readouterr()
    reports = _shards(root, tmp_path, n, ["--all-files"], capsys)
    found = single["json"]["findings"]
    assert single["code"] == 1 and len({f["tool"] for f in found}) >= 3  # a real, multi-tool result
    assert any(f["also"] for f in found)  # a secret both Gitleaks and detect-secrets reported: deduped
    assert len({f["fingerprint"] for f in found}) == len(found)  # repeated lines: distinct occurrences
    parts: dict[str, list[tuple[int, int, int]]] = {}
    for report in reports:
        part = json.loads(Path(report).read_text(encoding="utf-8"))["shard"]
        for name, index, count in part["parts"]:
            parts.setdefault(name, []).append((part["index"], index, count))
    for name in ("bandit", "detect-secrets"):  # every part once, numbered in shard order
        assert sorted(p[1] for p in parts[name]) == list(range(1, n + 1))
        assert [p[1] for p in sorted(parts[name])] == list(range(1, n + 1))
    _same(single, _merged(reports, tmp_path, capsys))


def _dockerfile_repo(tmp_path: Path) -> GitTree:
    """A repository of one committed Dockerfile on an unpinned base."""
    tree = GitTree(tmp_path / "repo")
    tree.write("Dockerfile", "FROM python:latest\n")
    tree.commit("base")
    return tree


def _edit(report: str, change: Any) -> None:
    """`change(shard section)` applied to a shard report in place (a report edited by hand)."""
    data = json.loads(Path(report).read_text(encoding="utf-8"))
    change(data["shard"])
    Path(report).write_text(json.dumps(data), encoding="utf-8")


def _without(section: dict[str, Any], name: str) -> None:
    section["outcomes"] = [o for o in section["outcomes"] if o["scanner"] != name]
    section["parts"] = [p for p in section["parts"] if p[0] != name]


def _unselected(section: dict[str, Any], name: str) -> None:
    outcome = next(o for o in section["outcomes"] if o["scanner"] == name)
    outcome.update(status="skipped", reason="not selected", findings=[])


@pytest.mark.parametrize("edit", [_without, _unselected])
def test_a_shard_report_missing_a_planned_outcome_is_refused_naming_it(
    edit: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by a trial: a report with an outcome removed, or turned into "not selected", merged to PASS."""
    tree = _dockerfile_repo(tmp_path)
    reports = _shards(tree.root, tmp_path, 2, ["--all-files"], capsys, scanners="hadolint,bandit")
    home = shards.plan(list(REGISTRY), 2, lambda name: name in ("hadolint", "bandit"))["hadolint"]
    _edit(reports[home - 1], lambda section: edit(section, "hadolint"))
    code, text = _run(["merge", *reports], capsys)
    assert code == 3, text
    assert f"merge: shard {home}/2 ({reports[home - 1]}) has " in text and "scanner hadolint" in text


def test_a_split_scanners_missing_part_is_refused_naming_it(
    monorepo: tuple[Path, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = _shards(monorepo[0], tmp_path, 2, ["--all-files"], capsys, scanners="bandit")
    _edit(reports[1], lambda section: _without(section, "bandit"))
    code, text = _run(["merge", *reports], capsys)
    assert code == 3, text
    assert f"merge: shard 2/2 ({reports[1]}) has no outcome of part 2/2 of scanner bandit" in text


def test_a_split_scanners_files_are_cut_in_balanced_contiguous_parts(tmp_path: Path) -> None:
    sizes = [(i * 7919) % 3000 for i in range(200)]
    names = [f"f{i:03d}.py" for i in range(200)]
    for name, size in zip(names, sizes, strict=True):
        (tmp_path / name).write_text("x" * size, encoding="utf-8")
    for count in (1, 2, 3, 4, 7):
        parts = shard_files.cut(tmp_path, names, count)
        assert [f for part in parts for f in part] == names and all(parts)  # contiguous, in order
        weights = [sum(sizes[names.index(f)] + shard_files.FILE_COST for f in part) for part in parts]
        assert max(weights) - min(weights) <= 2 * (3000 + shard_files.FILE_COST)  # within a file or two
        assert parts == shard_files.cut(tmp_path, names, count)  # the same on every run
    assert shard_files.cut(tmp_path, names[:3], 3) == [(names[0],), (names[1],), (names[2],)]
    hosts = shards.layout(list(REGISTRY), 3, lambda _name: True, {"bandit": 3, "detect-secrets": 2})
    assert len(hosts["bandit"]) == 3 and len(set(hosts["detect-secrets"])) == 2  # distinct shards


def test_a_shard_of_another_base_commit_is_refused_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = _pull_request(tmp_path)
    scope = ["--base", "main"]
    tree.write("app/more.py", "import pickle\n")
    tree.commit("more")  # the pull request has two commits: main can move to the first
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _shards(tree.root, tmp_path / "a", 2, scope, capsys)
    tree.git("branch", "-f", "main", "feature~1")  # main moves: the merge-base is another commit
    later = _shards(tree.root, tmp_path / "b", 2, scope, capsys)
    code, text = _run(["merge", first[0], later[1], "--json", str(tmp_path / "m.json")], capsys)
    assert code == 2 and not (tmp_path / "m.json").exists()
    assert f"shard 2/2 ({later[1]}) has another base commit than shard 1/2 ({first[0]})" in text
    code, text = _run(["merge", *first, "--json", str(tmp_path / "m.json")], capsys)  # this checkout moved
    assert code == 2 and "the shards scanned with base commit" in text and "this checkout has" in text
    code, text = _run(["merge", first[0], later[0], later[1]], capsys)  # the odd one out is named
    assert code == 2 and f"shard 1/2 ({first[0]}) has another base commit than shard 1/2 ({later[0]})" in text


def test_a_shard_with_another_config_is_refused_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = _dockerfile_repo(tmp_path)
    config = tmp_path / "gate.yml"
    reports = []
    for i, fail_on in ((1, "high"), (2, "low")):  # the same --config option, another file content
        config.write_text(f"fail-on: {fail_on}\n", encoding="utf-8")
        reports.append(str(tmp_path / f"s{i}.json"))
        args = ["scan", str(tree.root), "--scanners", "hadolint", "--config", str(config)]
        assert _run([*args, "--shard", f"{i}/2", "--json", reports[-1]], capsys)[0] == 0
    code, text = _run(["merge", *reports], capsys)
    assert code == 2 and f"shard 2/2 ({reports[1]}) has another config than shard 1/2 ({reports[0]})" in text


def _set(path: str, value: object) -> Any:
    """An edit of a shard section setting the field at `path` (keys and list indexes, dotted)."""

    def change(section: dict[str, Any]) -> None:
        *where, last = [int(k) if k.isdigit() else k for k in path.split(".")]
        target: Any = section
        for key in where:
            target = target[key]
        if value is _DROP:
            del target[last]
        else:
            target[last] = value

    return change


_DROP = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            "outcomes.0.findings.0.location",
            None,
            "shard.outcomes[0].findings[0].location: expected [path, start line, end line, column], got null",
        ),
        ("outcomes.0.findings.0.kind", _DROP, "shard.outcomes[0].findings[0].kind: missing"),
        ("outcomes.0.findings.0.kind", "bug", "shard.outcomes[0].findings[0].kind: expected one of "),
        ("outcomes.0.duration_s", "x", 'shard.outcomes[0].duration_s: expected a number, got "x"'),
        ("outcomes.0.status", 1, "shard.outcomes[0].status: expected one of ok, skipped, failed, got 1"),
        ("options.timeout", "soon", 'shard.options.timeout: expected a number or null, got "soon"'),
        ("index", "2", 'shard.index: expected a whole number, got "2"'),
        ("rescan", None, "shard.rescan: expected an object, got null"),
    ],
)
def test_a_bad_field_of_a_shard_report_is_named_by_its_path(
    path: str, value: object, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by a trial: `location: null` said "cannot unpack non-iterable NoneType object"."""
    tree = _dockerfile_repo(tmp_path)
    report = str(tmp_path / "s.json")
    args = ["scan", str(tree.root), "--scanners", "hadolint", "--shard", "1/1", "--json", report]
    assert _run(args, capsys)[0] == 0

    def first_with_findings(section: dict[str, Any]) -> None:  # that outcome first: `outcomes.0`
        section["outcomes"].sort(key=lambda o: not o["findings"])
        _set(path, value)(section)

    _edit(report, first_with_findings)
    code, text = _run(["merge", report], capsys)
    assert code == 2 and f"{report}: {message}" in text and "Traceback" not in text


def test_shards_of_other_options_are_refused_naming_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = _dockerfile_repo(tmp_path)
    reports = _shards(tree.root, tmp_path, 2, ["--all-files"], capsys, scanners="hadolint")
    _edit(reports[1], _set("options.fail_on", "low"))
    code, text = _run(["merge", *reports], capsys)
    assert code == 2 and f"({reports[1]}) has another scan options than shard 1/2" in text
    assert text.rstrip().endswith(": fail-on: low vs (none)"), text


@pytest.mark.parametrize(
    "parts", [[["bandit", 1, 10**9]], [["bandit", 0, 2]], [["bandit", 3, 2]], [[1, 1, 2]], "x"]
)
def test_a_tampered_part_list_is_an_unusable_report(
    parts: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = _dockerfile_repo(tmp_path)
    report = tmp_path / "s.json"
    args = ["scan", str(tree.root), "--scanners", "hadolint", "--shard", "1/2", "--json", str(report)]
    assert _run(args, capsys)[0] == 0
    data = json.loads(report.read_text(encoding="utf-8"))
    data["shard"]["parts"] = parts
    report.write_text(json.dumps(data), encoding="utf-8")
    code, text = _run(["merge", str(report)], capsys)
    assert code == 2 and f"{report}: shard" in text and "Traceback" not in text
