"""JSON and YAML a pull request or a tool can write are read within bounds: one line, never a traceback."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mergeguard.cli.main import main
from mergeguard.core import config, dockerfile, jsonload, yamlsafe
from mergeguard.core.errors import ConfigError, ParseError, UsageError
from mergeguard.scanners import commands
from mergeguard.scanners.base import Target
from mergeguard.scanners.detect_secrets.scanner import accepted_in_baseline
from tests.gitutil import GitTree

DEEP = "[" * 100_000 + "]" * 100_000  # RecursionError in json.loads, refused by the pre-scan
KNOWN = ("bandit", "gitleaks")


def bomb(top: str) -> str:
    """A billion-laughs YAML alias bomb under `top` (9 ** 9 leaves when expanded)."""
    lines = [f"{top}:", '  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"  {name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    return "\n".join(lines) + "\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def assert_one_line(output: str, *needles: str) -> None:
    assert "Traceback" not in output
    error = [line for line in output.splitlines() if line.startswith("mergeguard: error:")]
    assert len(error) == 1, output
    assert all(needle in error[0] for needle in needles), error[0]


@pytest.fixture
def tree(tmp_path: Path) -> GitTree:
    tree = GitTree(tmp_path / "repo")
    tree.write("app.py", "print('hello')\n")
    tree.commit("base")
    return tree


# --- JSON ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("tool", ["trivy", "sarif", "gitleaks", "safety", "hadolint"])
def test_deep_json_in_an_imported_report_is_one_line(
    tool: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "deep.json"
    report.write_text(DEEP)
    code, output = run(capsys, "convert", "--tool", tool, "--root", str(tmp_path), str(report))
    assert code == 2
    assert_one_line(
        output, f"{report}: not a {tool} report", "nested deeper than 128 levels at line 1 column 129"
    )


def test_deep_json_given_to_scan_report_is_one_line(
    tree: GitTree, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "deep.sarif"
    report.write_text('{"runs": ' + DEEP + "}")
    code, output = run(capsys, "scan", str(tree.root), "--scanners", "none", "--report", f"sarif={report}")
    assert code == 2
    assert_one_line(output, "nested deeper than 128 levels")


def test_deep_json_printed_by_a_scanner_fails_that_scanner_only(
    tree: GitTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "fake-bandit"
    script.write_text(
        '#!/bin/sh\ncase "$1" in --version) echo "bandit 9.9.9"; exit 0;; esac\n'
        'python3 -c \'print("[" * 100000 + "]" * 100000)\'\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    real: Callable[[str], str | None] = commands.find_executable
    monkeypatch.setattr(
        commands, "find_executable", lambda name: str(script) if name == "bandit" else real(name)
    )
    report = tmp_path / "out.json"
    code, output = run(capsys, "scan", str(tree.root), "--scanners", "bandit", "--json", str(report))
    assert code == 3  # the scanner failed: no trustworthy result, fail closed
    assert "Traceback" not in output
    [bandit] = [s for s in json.loads(report.read_text())["scanners"] if s["name"] == "bandit"]
    assert bandit["status"] == "failed"
    assert "nested deeper than 128 levels" in bandit["reason"]


def test_a_report_larger_than_the_bound_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(jsonload, "MAX_BYTES", 1000)
    report = tmp_path / "huge.json"
    report.write_text(json.dumps({"Results": [{"Target": "x" * 2000}]}))
    code, output = run(capsys, "convert", "--tool", "trivy", "--root", str(tmp_path), str(report))
    assert code == 2
    assert_one_line(output, f"{report}: larger than the 1,000 bytes a report may have")


def test_json_problems_name_line_and_column() -> None:
    with pytest.raises(UsageError, match=r"^api\.json:3:8: not readable JSON: Expecting value$"):
        jsonload.loads('{\n  "a": 1,\n  "b": }', "api.json")
    with pytest.raises(UsageError, match=r"^e\.json:2:1: not readable JSON: nested deeper than 3 levels$"):
        jsonload.loads("[[[\n[]]]]", "e.json", max_depth=3)
    with pytest.raises(UsageError, match=r"^x\.json:1:4: not readable JSON: Extra data$"):
        jsonload.loads("{} []", "x.json")
    with pytest.raises(UsageError, match="a number longer than 4,300 digits"):
        jsonload.loads("1" * 5000, "n.json")


def test_depth_up_to_the_bound_is_read_and_brackets_in_strings_do_not_count() -> None:
    assert jsonload.loads("[" * 128 + "]" * 128, "ok.json") is not None
    assert jsonload.loads(json.dumps({"text": "[" * 10_000}), "ok.json") == {"text": "[" * 10_000}
    with pytest.raises(UsageError):
        jsonload.loads("[" * 129 + "]" * 129, "deep.json")


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 1 + max(map(_depth, value), default=0) if isinstance(value, list) else 0


_JSON = st.recursive(
    st.none() | st.integers() | st.text(alphabet='[]{}"\\ab', max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet="[{a", max_size=3), inner, max_size=3)
    ),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(_JSON)
def test_the_depth_pre_scan_agrees_with_the_real_depth(value: object) -> None:
    text, depth = json.dumps(value), _depth(value)
    assert jsonload.loads(text, "v", max_depth=max(depth, 1)) == value
    if depth > 1:
        with pytest.raises(UsageError, match=f"nested deeper than {depth - 1} levels"):
            jsonload.loads(text, "v", max_depth=depth - 1)


def test_odd_json_values_read_as_something_safe() -> None:
    value = jsonload.loads(
        '[NaN, Infinity, -Infinity, 1e400, "\\udcff.py", "\\ud800x", "\\ud83d\\ude00"]', "v"
    )
    assert value == [None, None, None, None, "\udcff.py", "\ufffdx", "\U0001f600"]


def test_the_detect_secrets_baseline_of_a_pull_request_is_bounded(tmp_path: Path) -> None:
    target = Target(root=tmp_path, files=(), repo=tmp_path)
    with pytest.raises(ParseError, match="not valid JSON \\(nested deeper than 128 levels"):
        accepted_in_baseline('{"results": ' + DEEP + "}", target)


def test_a_dockerfile_exec_form_nested_deep_is_read_as_text() -> None:
    [run_ins] = [i for i in dockerfile.parse("FROM x\nRUN " + DEEP + "\n") if i.keyword == "RUN"]
    assert dockerfile.run_command(run_ins).startswith("[[[")


# --- YAML ---------------------------------------------------------------------------------------


def test_a_yaml_bomb_in_the_config_is_refused_at_its_first_anchor(
    tree: GitTree, capsys: pytest.CaptureFixture[str]
) -> None:
    tree.write(".mergeguard.yml", bomb("timeout"))
    code, output = run(capsys, "scan", str(tree.root), "--scanners", "none")
    assert code == 2
    assert_one_line(
        output, ".mergeguard.yml:2: (file): YAML anchors and aliases (&name, *name) are not accepted"
    )


def test_a_yaml_bomb_in_the_baseline_is_refused(tree: GitTree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.write(".mergeguard-baseline.yml", "version: 1\n" + bomb("entries"))
    code, output = run(capsys, "scan", str(tree.root), "--scanners", "none")
    assert code == 2
    assert_one_line(output, ".mergeguard-baseline.yml:3:", "anchors and aliases")


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ('fail-on: high\nexclude:\n  - "a\x00b"\n', 3, "U+0000 (NUL)"),
        ("fail-on: high\x1b[2J\n", 1, "U+001B (ESC)"),
        ("fail-on: high\nscanners:\n  bandit: \x7f\n", 3, "U+007F (DEL)"),
    ],
)
def test_non_printable_characters_in_yaml_name_file_and_line(
    tmp_path: Path, text: str, line: int, problem: str
) -> None:
    path = tmp_path / ".mergeguard.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        config.load(path, KNOWN)
    assert (
        str(caught.value)
        == f"{path}:{line}: (file): holds the character {problem}, which YAML does not allow"
    )


@pytest.mark.parametrize("depth", [65, 5000])
def test_deeply_nested_yaml_is_refused(tmp_path: Path, depth: int) -> None:
    path = tmp_path / ".mergeguard.yml"
    path.write_text("exclude: " + "[" * depth + "]" * depth + "\n")
    with pytest.raises(ConfigError, match=f"nested deeper than {yamlsafe.MAX_DEPTH} levels"):
        config.load(path, KNOWN)


def test_a_yaml_file_larger_than_the_bound_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yamlsafe, "MAX_BYTES", 100)
    path = tmp_path / ".mergeguard.yml"
    path.write_text("exclude:\n" + "  - a\n" * 100)
    with pytest.raises(ConfigError, match="is larger than 100 bytes"):
        config.load(path, KNOWN)


@pytest.mark.parametrize("value", ["1" * 5000, "2020-13-45", "[1, 2]"])
def test_odd_scalars_are_one_line_errors(tmp_path: Path, value: str) -> None:
    path = tmp_path / ".mergeguard.yml"
    path.write_text(f"timeout: {value}\n")
    with pytest.raises(ConfigError) as caught:
        config.load(path, KNOWN)
    assert "\n" not in str(caught.value) and str(caught.value).startswith(f"{path}:1: timeout: ")
