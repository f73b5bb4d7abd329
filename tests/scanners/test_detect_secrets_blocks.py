"""detect-secrets reports a secret in a YAML block scalar (`run: |`) on its key's line: the adapter
puts it on the block's line holding it, or spans the block, in a full scan and in PR mode."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from mergeguard.cli import main as cli
from mergeguard.core.model import Finding, Kind, Location, Severity
from mergeguard.core.sources import SourceLines
from mergeguard.scanners.base import Target
from mergeguard.scanners.commands import find_executable, run_command
from mergeguard.scanners.detect_secrets import blocks
from mergeguard.scanners.detect_secrets.scanner import DetectSecretsScanner
from tests.gitutil import GitTree, pr

SCANNER = DetectSecretsScanner()
# Values split so that no scanner reads this file as holding them.
SAMPLE_URL = "postgresql://director:" + "director@localhost:5432/tests"  # the user name again, local
PROD_URL = "postgresql://svc:" + "Xk93vQ2mZr7Lp4Nw@db.prod.example.com:5432/app"
OTHER_URL = "postgresql://ops:" + "Rz4Kw8Qm7vT2xLp9@db.prod.example.com:5432/ops"
KEYWORD = "DB_PASSWORD=" + "Qm7vT2xLp9Rz4Kw8"  # its value runs on to the block's end: no line's own


def workflow(*block: str, env: str = "") -> str:
    """A workflow whose second step runs `block` (line 11 on), after a step of its own (`run: |` on 9)."""
    lines = "".join(f"          {line}\n" for line in block)
    return (
        "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo one\n      - name: configure\n        run: |\n          set -eu\n"
        f"{lines}{env}      - run: echo done\n"
    )


WORKFLOW = ".github/workflows/ci.yml"


def exe_or_skip() -> str:
    exe = find_executable(SCANNER.executable)
    if exe is None:
        pytest.skip("detect-secrets is not installed (make install)")
    return exe


def adapter(root: Path, text: str) -> list[tuple[str, int, int]]:
    """(rule, start, end) of what the adapter makes of the real tool's report on `text`."""
    (root / WORKFLOW).parent.mkdir(parents=True, exist_ok=True)
    (root / WORKFLOW).write_text(text, encoding="utf-8")
    target = Target(root=root, files=(WORKFLOW,), repo=root)
    output = run_command(SCANNER.command(exe_or_skip(), target), root, timeout_s=120)
    found = SCANNER.parse(output, target)
    return sorted((f.rule_id, f.location.start_line, f.location.end_line) for f in found)


def scan(tree: GitTree, *mode: str) -> tuple[int, list[dict[str, Any]]]:
    exe_or_skip()
    out = tree.root.parent / "r.json"
    argv = ["scan", str(tree.root), *mode, "--scanners", "detect-secrets", "--json", str(out)]
    code = cli.main(argv)
    return code, json.loads(out.read_text(encoding="utf-8"))["findings"]


def placed(findings: list[dict[str, Any]]) -> list[tuple[int, int, str, str, bool]]:
    return sorted(
        (f["start_line"], f["end_line"], f["status"], f["severity"], f["blocking"]) for f in findings
    )


# --- where the adapter puts them -------------------------------------------------------------------


@pytest.mark.scanner
def test_a_secret_in_a_block_is_put_on_its_line_and_one_outside_blocks_stays(tmp_path: Path) -> None:
    """detect-secrets says line 9 (`run: |`) for the URL on 12, and 14 for the `env:` value."""
    env = f"        env:\n          DATABASE_URI: {OTHER_URL}\n"
    text = workflow("echo start", f"export DATABASE_URI={PROD_URL}", env=env)
    assert adapter(tmp_path, text) == [("Basic Auth Credentials", 12, 12), ("Basic Auth Credentials", 14, 14)]


@pytest.mark.scanner
@pytest.mark.parametrize(
    ("header", "line"),
    [
        ("run: |", f"psql {PROD_URL}"),
        ("script: >-", f"psql {PROD_URL}"),
        ("run: |2+  # keep", f"psql {PROD_URL}"),
        ('"run": &script |-', f"psql {PROD_URL}"),
        ("run: |", "curl -H 'Authorization: token ghp_" + "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5' x"),
        ("run: |", "echo 'c2VjcmV0LWtleS0xMjM0" + "NTY3ODkwYWJjZGVmZ2hpams='"),
    ],
)
def test_every_block_header_and_plugin_shape(tmp_path: Path, header: str, line: str) -> None:
    text = f"steps:\n  - name: x\n    {header}\n      echo one\n\n      {line}\n      echo two\n"
    (found,) = adapter(tmp_path, text)
    assert found[1:] == (6, 6), found


@pytest.mark.scanner
def test_a_value_no_line_holds_spans_the_key_and_the_whole_block(tmp_path: Path) -> None:
    """The keyword plugin's value runs from `DB_PASSWORD=` to the block's end (`…\\necho two\\n`)."""
    assert adapter(tmp_path, workflow(f"export {KEYWORD}", "echo two")) == [("Secret Keyword", 9, 12)]


# --- full scan: the sample-password rule reads the secret's line ------------------------------------


@pytest.mark.scanner
def test_a_sample_url_in_a_block_is_lowered_as_on_its_own_line(tmp_path: Path) -> None:
    tree = GitTree(tmp_path / "repo")
    tree.write(WORKFLOW, workflow(f"export DATABASE_URI={SAMPLE_URL}"))
    tree.commit()
    code, findings = scan(tree, "--all-files")
    assert placed(findings) == [(11, 11, "new", "low", False)]
    assert findings[0]["severity_note"]["reason"].startswith("a sample password in a URL")
    assert code == 0


# --- PR mode: the change's lines judge the secret's line -------------------------------------------


@pytest.mark.scanner
def test_a_secret_written_into_an_existing_block_is_new_and_blocks(tmp_path: Path) -> None:
    base = workflow("export DATABASE_URI=sqlite:////tmp/tests.db", "pytest")
    tree = pr(tmp_path, {WORKFLOW: base}, {WORKFLOW: base.replace("sqlite:////tmp/tests.db", PROD_URL)})
    code, findings = scan(tree, "--base", "base")
    assert placed(findings) == [(11, 11, "new", "high", True)]
    assert code == 1


@pytest.mark.scanner
def test_an_unchanged_secret_stays_pre_existing_when_another_line_of_its_block_changes(
    tmp_path: Path,
) -> None:
    base = workflow("pytest", f"export DATABASE_URI={PROD_URL}")
    tree = pr(tmp_path, {WORKFLOW: base}, {WORKFLOW: base.replace("pytest", "pytest -x")})
    code, findings = scan(tree, "--base", "base")
    assert placed(findings) == [(12, 12, "pre-existing", "high", False)]
    assert code == 0


@pytest.mark.scanner
def test_a_change_anywhere_in_a_block_no_line_of_which_holds_the_value_makes_it_new(tmp_path: Path) -> None:
    """Lowered to medium by the agreement rule (a keyword only detect-secrets saw), but new."""
    base = workflow(f"export {KEYWORD}", "pytest")
    tree = pr(tmp_path, {WORKFLOW: base}, {WORKFLOW: base.replace("pytest", "pytest -x")})
    _, findings = scan(tree, "--base", "base")
    assert placed(findings) == [(9, 12, "new", "medium", False)]


@pytest.mark.scanner
def test_a_block_past_the_bound_is_new_when_any_line_of_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(blocks, "MAX_CHARS_HASHED", 0)
    base = workflow("pytest", f"export DATABASE_URI={PROD_URL}")
    tree = pr(tmp_path, {WORKFLOW: base}, {WORKFLOW: base.replace("pytest", "pytest -x")})
    code, findings = scan(tree, "--base", "base")
    assert placed(findings) == [(9, 12, "new", "high", True)]
    assert code == 1


# --- the rules the adapter reads by (no tool needed) -----------------------------------------------


def finding(line: int, secret: str, path: str = "ci.yml") -> Finding:
    digest = hashlib.sha1(secret.encode()).hexdigest()  # noqa: S324 - detect-secrets' hash
    return Finding(
        tool="detect-secrets",
        rule_id="GitHub Token",
        severity=Severity.HIGH,
        title="GitHub Token",
        message="m",
        location=Location(path, line),
        kind=Kind.SECRET,
        evidence=digest,
    )


def spans(tmp_path: Path, text: str, *found: Finding) -> list[tuple[int, int]]:
    for f in found:
        (tmp_path / f.location.path).write_text(text, encoding="utf-8")
    return [(f.location.start_line, f.location.end_line) for f in blocks.placed(found, SourceLines(tmp_path))]


def test_a_value_on_several_lines_spans_them_all(tmp_path: Path) -> None:
    """GitHub's plugin reports `ghp` for every token: an old line naming it must not take the place of
    a token written below it."""
    text = "run: |\n  echo ghp\n  true\n  curl -H 'token ghp_" + "a" * 36 + "'\nname: x\n"
    assert spans(tmp_path, text, finding(1, "ghp")) == [(2, 4)]


def test_the_block_ends_at_the_first_line_not_indented_past_its_key(tmp_path: Path) -> None:
    text = "steps:\n  - run: |\n      one\n\n      two\n    name: x\n  - run: three\n"
    assert spans(tmp_path, text, finding(2, "unfound")) == [(2, 5)]


def test_a_block_past_the_bound_spans_from_the_value_to_the_block_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(blocks, "MAX_CHARS_HASHED", 30)
    text = "run: |\n  echo ghp\n" + "  filler line\n" * 10 + "  ghp_" + "a" * 36 + "\nname: x\n"
    assert spans(tmp_path, text, finding(1, "ghp")) == [(2, 13)]


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("ci.yml", "run: echo ghp\nname: x\n"),  # no line below continues it
        ("ci.yml", "- run: ghp\n  name: x\n"),  # the next key of the same item, not deeper
        ("ci.sh", "run: |\n  ghp\n"),  # not read as YAML: lines as they are
    ],
)
def test_a_finding_no_line_continues_stays(tmp_path: Path, path: str, text: str) -> None:
    assert spans(tmp_path, text, finding(1, "ghp", path)) == [(1, 1)]


@pytest.mark.parametrize(
    "text",
    [
        "env:\n  NOTE: upload notes\n    curl ghp to the host\nname: x\n",  # a plain scalar continued
        'env:\n  NOTE: "upload notes\n    curl ghp to the host"\nname: x\n',  # a quoted one
        "env:\n  NOTE: upload ghp |\n    curl ghp to the host\nname: x\n",  # ending in `|`: plain too
    ],
)
def test_a_value_continued_on_the_lines_below_its_key_is_placed_there(tmp_path: Path, text: str) -> None:
    """detect-secrets numbers a value by its key's line however many lines it runs on."""
    (where,) = spans(tmp_path, text, finding(2, "curl"))
    assert where == (3, 3)
    assert spans(tmp_path, text, finding(2, "ghp")) == [(2, 3) if "upload ghp" in text else (3, 3)]


@pytest.mark.parametrize(
    ("path", "text", "reported", "git"),
    [
        # PyYAML ends lines at U+2028, NEL and a lone CR too: the secret's line 5 for it is git's 4;
        # 5 as newlines alone count (the transformer not used) is git's 5: both lines.
        ("ci.yml", "name: ci # x\u2028y\nrun: |\n  true\n  curl ghp\nname: z\n", 5, (4, 5)),
        ("ci.yml", "name: ci # x\x85y\nrun: |\n  true\n  curl ghp\nname: z\n", 5, (4, 5)),
        ("ci.yml", "name: ci # x\ry\nrun: |\n  true\n  curl ghp\nname: z\n", 5, (4, 4)),  # the same
        # Reported on the key (PyYAML's 3: git's 2), placed in its block; and git's 3.
        ("ci.yml", "name: ci # x\u2028y\nrun: |\n  true\n  curl ghp\nname: z\n", 3, (3, 4)),
        # Universal newlines: a lone CR ends a line of any other file; U+2028 does not.
        ("deploy.sh", "echo one\r\necho x\ry\ncurl ghp\n", 4, (3, 3)),
        ("deploy.sh", "echo x\u2028y\ncurl ghp\n", 2, (2, 2)),
    ],
)
def test_a_line_detect_secrets_numbers_is_git_s_line(
    tmp_path: Path, path: str, text: str, reported: int, git: tuple[int, int]
) -> None:
    """One line break only detect-secrets sees, written above a secret, put its finding on an
    untouched line (pre-existing) in PR mode."""
    assert spans(tmp_path, text, finding(reported, "ghp", path)) == [git]


@pytest.mark.scanner
@pytest.mark.parametrize("mark", ["\u2028", "\x85", "\r"])
def test_a_line_break_only_detect_secrets_sees_does_not_make_a_new_secret_pre_existing(
    tmp_path: Path, mark: str
) -> None:
    """The red team's bypass: `# x<U+2028>` written above a block made detect-secrets number the new
    URL's line one lower, onto an unchanged line of the block."""
    base = workflow("pytest", "echo done")
    head = base.replace("name: ci\n", f"name: ci # x{mark}\n").replace("echo done", f"psql {PROD_URL}")
    tree = pr(tmp_path, {WORKFLOW: base}, {WORKFLOW: head})
    code, findings = scan(tree, "--base", "base")
    assert [f[2:] for f in placed(findings)] == [("new", "high", True)], placed(findings)
    assert 12 in range(findings[0]["start_line"], findings[0]["end_line"] + 1)
    assert code == 1
