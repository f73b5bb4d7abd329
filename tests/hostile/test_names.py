"""File names a pull request chooses cannot speak: every report shows them escaped, none crashes on them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mergeguard.cli import main as cli
from mergeguard.core.errors import ScannerError
from mergeguard.core.model import Finding, Kind, Location, Severity
from mergeguard.core.policy import Assessed, FindingStatus
from mergeguard.core.text import path_bytes, plain, shown
from mergeguard.report import markdown
from mergeguard.report.workflow_commands import annotation_commands
from mergeguard.scan import scope_dir
from tests.gitutil import GitTree

AWS_KEY_ID = "AKIA" + "QYLPMN5HFIUJXZ2K"  # fake, shaped like a real one
GITHUB_TOKEN = "ghp_" + "R4nd0mL00k1ngT0k3nV4lu3xyzABCD12345"
SECRET = f'aws_access_key_id = "{AWS_KEY_ID}"\ngithub_token = "{GITHUB_TOKEN}"\n'
# Raw names (bytes: git and the file system hold bytes) and how every text report must show them.
NAMES = {
    b"new\nline.py": "new\\x0aline.py",
    b"::error title=pwned::owned.py": "\\x3a:error title=pwned::owned.py",
    b"##[error]old-style.py": "\\x23#[error]old-style.py",
    b"\x1b[31mred.py": "\\x1b[31mred.py",
    b"bad\xff\xfe.py": "bad\\xff\\xfe.py",
    b"\xe2\x80\xaebidi.py": "\\u202ebidi.py",
    b"<img src=x onerror=alert(1)>.py": "<img src=x onerror=alert(1)>.py",
    b"tab\there.py": "tab\\x09here.py",
}
# What GitHub's runner trims before it looks for `::` (.NET String.TrimStart: any white space).
_TRIMMED = " \t\x0b\x0c\x85\u00a0\u1680\u202f\u205f\u3000\u2028\u2029" + "".join(
    map(chr, range(0x2000, 0x200B))
)


def speaks(text: str) -> list[str]:
    """The lines of `text` a workflow runner would read as commands."""
    return [line for line in text.splitlines() if line.lstrip(_TRIMMED).startswith(("::", "##["))]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """One real scan (detect-secrets and Gitleaks) of a repository whose every file name is hostile."""
    tmp = tmp_path_factory.mktemp("names")
    tree = GitTree(tmp / "repo")
    for name in NAMES:
        (tree.root / os.fsdecode(name)).write_bytes(SECRET.encode())
    tree.commit("hostile names")
    out = {kind: tmp / f"report.{kind}" for kind in ("json", "sarif", "md")}
    run = subprocess.run(
        [
            *(sys.executable, "-m", "mergeguard", "scan", str(tree.root), "--all-files"),
            *("--scanners", "detect-secrets,gitleaks", "--json", str(out["json"])),
            *("--sarif", str(out["sarif"]), "--markdown", str(out["md"])),
        ],
        capture_output=True,
        env={**os.environ, "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": ""},
        timeout=600,
        check=False,
    )
    assert run.returncode == 1, run.stderr.decode(errors="replace")  # FAIL: the secrets block
    return {"stdout": run.stdout, "stderr": run.stderr} | {k: p.read_bytes() for k, p in out.items()}


@pytest.mark.parametrize("output", ["stdout", "stderr", "json", "sarif", "md"])
def test_every_output_is_valid_utf8_with_no_traceback_no_secret_no_command(
    scanned: dict[str, bytes], output: str
) -> None:
    text = scanned[output].decode("utf-8")  # strict: a raw 0xff byte would fail here
    assert "Traceback" not in text
    assert AWS_KEY_ID not in text and GITHUB_TOKEN not in text
    assert not speaks(text)
    assert "\x1b" not in text and "\r" not in text and "\u202e" not in text


def test_the_terminal_shows_every_name_escaped_on_its_own_line(scanned: dict[str, bytes]) -> None:
    text = scanned["stdout"].decode("utf-8")
    for escaped in NAMES.values():
        assert f"  {escaped}:1  " in text, escaped


def test_the_json_report_shows_every_name_escaped(scanned: dict[str, bytes]) -> None:
    report = json.loads(scanned["json"])
    paths = {f["path"] for f in report["findings"]}
    assert paths == {shown(os.fsdecode(name)) for name in NAMES}  # JSON escapes the rest itself
    assert "bad\\xff\\xfe.py" in paths
    json.dumps(report, ensure_ascii=False).encode("utf-8")  # no lone surrogate anywhere


def test_sarif_uris_are_the_names_bytes_percent_encoded(scanned: dict[str, bytes]) -> None:
    log = json.loads(scanned["sarif"])
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for run in log["runs"]
        for result in run["results"]
        for loc in result["locations"]
    }
    assert all(re.fullmatch(r"[A-Za-z0-9%/._~-]+", uri) for uri in uris), uris
    assert {unquote_to_bytes(uri) for uri in uris} == set(NAMES)


def test_markdown_keeps_every_name_inert_in_its_table_row(scanned: dict[str, bytes]) -> None:
    text = scanned["md"].decode("utf-8")
    assert "<img" not in text and "onerror=alert(1)>" not in text
    assert "bad&#92;xff&#92;xfe.py" in text
    for line in text.splitlines():
        if "line.py" in line or "old-style.py" in line:
            assert line.startswith("|"), line  # the name did not break the row


# --- properties, for any name the file system can hold --------------------------------------------

# Any bytes but `/`, NUL (never in a name) and `\\` (a Windows separator to every tool: made `/`).
_RAW_NAMES = st.binary(min_size=1, max_size=40).filter(lambda b: not {47, 0, 92} & set(b))


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(_RAW_NAMES)
def test_any_name_is_one_inert_utf8_line_in_the_terminal(raw: bytes) -> None:
    name = os.fsdecode(raw)
    line = plain(f"{name}:3")
    line.encode("utf-8")
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert not speaks("  " + line) and not speaks(line)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(_RAW_NAMES, st.text(max_size=30))
def test_any_name_and_message_make_one_annotation_line(raw: bytes, message: str) -> None:
    name = os.fsdecode(raw)
    finding = Finding("gitleaks", "rule", Severity.HIGH, "t", message, Location(name, 3, 3), Kind.SECRET)
    [line] = annotation_commands([Assessed(finding, FindingStatus.NEW, blocking=True)])
    line.encode("utf-8")
    assert line.startswith("::error file=") and len(line.splitlines()) == 1
    assert "::" not in line[len("::error ") : line.index("::", 2)]  # properties cannot end early


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(_RAW_NAMES)
def test_any_name_is_inert_markdown_and_a_faithful_uri(raw: bytes) -> None:
    name = os.fsdecode(raw)
    cell = markdown.escape(name)
    cell.encode("utf-8")
    assert "\n" not in cell and "<" not in cell and "|" not in cell
    assert unquote_to_bytes(quote(path_bytes(name), safe="/")) == raw


def _deep(top: str, length: int) -> str:
    """A relative path of `length` characters: 200-character directories, made through directory
    descriptors (no absolute path that long is ever passed to the system), and a file `x.py`."""
    parts = ["d" * 199 + str(i % 10) for i in range((length - 4) // 201)]
    parts.append("e" * (length - 4 - 201 * len(parts) - 1))
    fd = os.open(top, os.O_RDONLY)
    try:
        for part in parts:
            os.mkdir(part, dir_fd=fd)
            fd, old = os.open(part, os.O_RDONLY, dir_fd=fd), fd
            os.close(old)
        with os.fdopen(os.open("x.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as handle:
            handle.write("import subprocess\nsubprocess.call(input(), shell=True)\n")
    finally:
        os.close(fd)
    return "/".join([*parts, "x.py"])


def test_a_name_past_the_path_limit_fails_the_scan_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Past PATH_MAX under the checkout it could be neither classified nor scanned: exit 3, not a pass."""
    tree = GitTree(tmp_path / "repo")
    tree.write("README.md", "x\n")
    tree.commit("base")
    tree.git("branch", "base")
    rel = _deep(str(tree.root), 4090)
    tree.commit("deep")
    assert cli.main(["scan", str(tree.root), "--base", "base", "--scanners", "bandit"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].endswith(": could not be read: File name too long"), err
    assert rel[:20] in err[0]


def test_a_file_the_scan_view_cannot_hold_fails_the_scan_naming_it(tmp_path: Path) -> None:
    (tmp_path / "r").mkdir()
    rel = _deep(str(tmp_path / "r"), 3800)
    view = tmp_path / "v"
    view.mkdir()
    deep_view = _deep(str(view), 400).removesuffix("/x.py")  # view + rel: past the limit
    with pytest.raises(ScannerError, match="could not be laid out for the scanners: File name too long"):
        scope_dir._populate(tmp_path / "r", view / deep_view, [rel])
