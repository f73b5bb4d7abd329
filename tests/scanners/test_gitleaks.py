"""Tests for the Gitleaks adapter: dir-mode golden cases, git-mode runs on real repositories, bad input."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from mergeguard.cli import main as cli
from mergeguard.core import gitrepo
from mergeguard.core.changes import CommitRange
from mergeguard.core.errors import ParseError, ScannerError
from mergeguard.core.model import Finding, Severity
from mergeguard.scanners.base import Command, Target, ToolOutput, rewritten_copies
from mergeguard.scanners.commands import find_executable, run_command
from mergeguard.scanners.gitleaks.report import DEFAULT_SEVERITY, SEVERITIES
from mergeguard.scanners.gitleaks.scanner import GitleaksScanner, check_log
from tests.gitutil import GitTree, moved_and_edited, with_user_git_config
from tests.golden import check_golden, check_live

SCANNER = GitleaksScanner()
CASES = ["secrets", "suppressed", "clean"]
ROOT = Path("/scan/view")
REPO = Path("/work/repo")
TARGET = Target(root=ROOT, files=("a.py",), repo=ROOT)
RANGE = CommitRange("a" * 40, "b" * 40, 3)
GIT_TARGET = Target(root=ROOT, files=("a.py",), repo=REPO, prefix="sub/dir/", commit_range=RANGE)
CLEAR_SECRETS = [
    "Zq8vR2mW9tLx4Kp7",
    "AKIAQ4ZR7XK2MB5NWT3J",
    "ghp_R7kX2mQ9vL4tW8pZ3nB6yC1dF5hJ0sA9eK2u",
    "MIIE",
]
KEY_ID = 'KEY = "AKIAQ4ZR7XK2MB5NWT3J"\n'


def rules(rows: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    return sorted((r["path"], r["rule_id"], r["start_line"]) for r in rows)


def record(**fields: Any) -> dict[str, Any]:
    base = {"RuleID": "aws-access-token", "Description": "AWS key, risking things.", "File": "a.py"}
    return {
        **base,
        "StartLine": 2,
        "EndLine": 2,
        "StartColumn": 9,
        "Secret": "AKIA",
        "Match": "AKIA",
        **fields,
    }


def parse(records: Any, target: Target = TARGET, stderr: str = "") -> list[Finding]:
    return SCANNER.parse(ToolOutput(json.dumps(records), stderr), target)


# --- golden files (dir mode): recorded real output in, normalised findings out --------------------


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "secrets",
            [
                (".env", "generic-api-key", 4),
                ("app/storage.py", "aws-access-token", 5),
                ("ci/release.sh", "github-pat", 3),
                ("deploy/deploy_key.pem", "private-key", 1),
            ],
        ),
        # storage.py is in .gitleaksignore, release.sh says gitleaks:allow,
        # and .gitleaks.toml allows tests/fixtures/.
        ("suppressed", [(".env", "generic-api-key", 4)]),
        ("clean", []),
    ],
)
def test_golden(case: str, expected: list[Any], tmp_path: Path, regen_golden: bool) -> None:
    rows = check_golden(SCANNER, case, tmp_path, regen_golden)
    assert rules(rows) == expected
    assert all(r["kind"] == "secret" and r["commit"] is None for r in rows)


@pytest.mark.scanner
@pytest.mark.parametrize("case", CASES)
def test_live(case: str, tmp_path: Path) -> None:
    check_live(SCANNER, case, tmp_path)


def test_secrets_are_hashed_and_never_kept(tmp_path: Path) -> None:
    rows = check_golden(SCANNER, "secrets", tmp_path, regen=False)
    by_rule = {r["rule_id"]: r for r in rows}
    assert by_rule["aws-access-token"]["evidence"] == hashlib.sha256(b"AKIAQ4ZR7XK2MB5NWT3J").hexdigest()
    assert by_rule["generic-api-key"]["evidence"] == hashlib.sha256(b"Zq8vR2mW9tLx4Kp7").hexdigest()
    text = json.dumps(rows)
    assert [s for s in CLEAR_SECRETS if s in text] == []


def test_lines_columns_severity_and_title(tmp_path: Path) -> None:
    rows = {r["rule_id"]: r for r in check_golden(SCANNER, "secrets", tmp_path, regen=False)}
    key = rows["private-key"]
    assert (key["severity"], key["start_line"], key["end_line"], key["column"]) == ("critical", 1, 8, 1)
    assert key["title"] == "Identified a Private Key"
    # Columns on lines after the first, one lower than gitleaks says: `AWS_ACCESS_KEY_ID = "` is 21 chars.
    assert (rows["aws-access-token"]["severity"], rows["aws-access-token"]["column"]) == ("high", 22)
    assert rows["generic-api-key"]["column"] == 1
    assert rows["github-pat"]["column"] == len("GITHUB_TOKEN=") + 1


# --- the command lines -----------------------------------------------------------------------------

# JSON on stdout, exit 0 with leaks, and the level at which "N commits scanned." is logged.
COMMON = "--report-format json --report-path - --no-banner --no-color --exit-code 0 --log-level info"


def test_dir_command_scans_the_working_directory_relative() -> None:
    command = SCANNER.command("/bin/gitleaks", TARGET)
    assert command.argv[:2] == ("/bin/gitleaks", "dir")
    assert command.argv[-2:] == ("--", ".")
    assert COMMON in " ".join(command.argv)
    assert command.ok_exit_codes == frozenset({0})


def test_git_command_scans_the_range_of_the_repository_with_it_trusted() -> None:
    command = SCANNER.command("/bin/gitleaks", GIT_TARGET)
    argv = command.argv
    assert argv[:2] == ("/bin/gitleaks", "git")
    # --text: the change's .gitattributes cannot hide its lines (-diff, binary); a merge's own lines
    assert argv[argv.index("--log-opts") + 1] == f"--text --no-textconv --remerge-diff {'a' * 40}..{'b' * 40}"
    assert argv[argv.index("--platform") + 1] == "none"  # no `git ls-remote`
    assert "--ignore-gitleaks-allow" in argv  # the range's `gitleaks:allow` is the change's own
    assert (
        "--ignore-gitleaks-allow" not in SCANNER.command("/bin/gitleaks", TARGET).argv
    )  # full scan: honoured
    # the git directory, not the work tree, whose .gitleaks.toml/.gitleaksignore the change wrote
    assert argv[-2:] == ("--", str(REPO / ".git"))
    assert COMMON in " ".join(argv)
    assert dict(command.env) == {
        "GIT_CONFIG_COUNT": str(2 + len(gitrepo.GIT_SETTINGS)),
        "GIT_CONFIG_KEY_0": "safe.directory",
        "GIT_CONFIG_VALUE_0": str(REPO),
        "GIT_CONFIG_KEY_1": "safe.directory",
        "GIT_CONFIG_VALUE_1": str(REPO / ".git"),
        **{f"GIT_CONFIG_KEY_{i}": key for i, (key, _) in enumerate(gitrepo.GIT_SETTINGS, 2)},
        **{f"GIT_CONFIG_VALUE_{i}": value for i, (_, value) in enumerate(gitrepo.GIT_SETTINGS, 2)},
    }


def pr_view(tmp_path: Path, rewritten: tuple[str, ...]) -> Target:
    """A PR-mode target whose view has `rewritten` laid out again beside it, as `scan.scope_dir` does."""
    view = tmp_path / "src"
    for path in ("a.py", "deploy.yaml", "compose.yaml"):
        (view / path).parent.mkdir(parents=True, exist_ok=True)
        (view / path).write_text("x: 1\n", encoding="utf-8")
    for path in rewritten:
        (rewritten_copies(view) / path).parent.mkdir(parents=True, exist_ok=True)
        (rewritten_copies(view) / path).write_text("x: 1\n", encoding="utf-8")
    return Target(view, ("a.py", "deploy.yaml"), REPO, commit_range=RANGE)


def test_the_view_gives_the_ignore_file_and_rewritten_copies_are_read_in_a_dir_run(tmp_path: Path) -> None:
    """A compose default or a credential named on another line is in the commits as written, which
    Gitleaks does not read as a secret: its rewritten copy is read too, in `dir` mode, root-relative."""
    target = pr_view(tmp_path, ("deploy.yaml",))
    command = SCANNER.command("/bin/gitleaks", target)
    assert command.argv[:2] == ("/bin/gitleaks", "git")
    ignores = ("--gitleaks-ignore-path", str(target.root))  # the view's (the base's), not the cwd's
    (again,) = command.then
    assert again[:2] == ("/bin/gitleaks", "dir") and again[-2:] == ("--", ".")
    assert command.cwd == rewritten_copies(target.root)
    for argv in (command.argv, again):
        assert " ".join(ignores) in " ".join(argv) and COMMON in " ".join(argv)
    assert "--ignore-gitleaks-allow" not in again  # the change's own were blanked in the view
    plain = SCANNER.command("/bin/gitleaks", pr_view(tmp_path / "none", ()))
    assert plain.then == () and plain.cwd is None
    outside = SCANNER.command("/bin/gitleaks", pr_view(tmp_path / "other", ("compose.yaml",)))
    assert outside.then == ()  # laid out, but not one of this target's files


def test_the_dir_runs_findings_join_the_ranges_once_each_in_the_targets_files(tmp_path: Path) -> None:
    target = pr_view(tmp_path, ("deploy.yaml",))
    history = [record(File="deploy.yaml", StartLine=4, EndLine=4, Commit="c" * 40)]
    rewritten = [
        record(File="deploy.yaml", StartLine=4, EndLine=4),  # the same report: kept once, with its commit
        record(File="deploy.yaml", StartLine=9, EndLine=9, RuleID="generic-api-key"),
        record(File="./compose.yaml", StartLine=2, EndLine=2),  # not one of the target's files
    ]
    runs = (
        ToolOutput(json.dumps(history), "INF 1 commits scanned."),
        ToolOutput(json.dumps(rewritten), "INF scanned ~92 bytes"),
    )
    found = SCANNER.parse(ToolOutput("", runs=runs), target)
    assert [(f.location.path, f.location.start_line, f.rule_id, f.commit) for f in found] == [
        ("deploy.yaml", 4, "aws-access-token", "c" * 40),
        ("deploy.yaml", 9, "generic-api-key", None),  # no commit: new or not by the line rule
    ]
    assert "AKIA" not in repr(found)


@pytest.mark.parametrize(
    ("second", "error"),
    [
        (None, "1 runs for 2 asked"),
        (ToolOutput("", "INF scanned"), "printed no JSON report"),
        (ToolOutput("[]", "8:00AM ERR could not read k8s/x.yaml"), "logged an error"),
    ],
)
def test_a_dir_run_that_did_not_complete_fails_gitleaks(
    tmp_path: Path, second: ToolOutput | None, error: str
) -> None:
    first = ToolOutput("[]", "INF 1 commits scanned.")
    output = first if second is None else ToolOutput("", runs=(first, second))
    with pytest.raises(ScannerError, match=error):
        SCANNER.parse(output, pr_view(tmp_path, ("a.py",)))


@pytest.mark.parametrize("bad", ["--output=/tmp/x", "-p", "a b", "", "HEAD\n--all"])
def test_a_revision_git_log_would_misread_is_refused(bad: str) -> None:
    target = Target(root=ROOT, files=("a.py",), repo=REPO, commit_range=CommitRange(bad, "b" * 40, 1))
    with pytest.raises(ScannerError, match="not a revision"):
        SCANNER.command("/bin/gitleaks", target)


# --- gitleaks' log: errors and the commit count ----------------------------------------------------


@pytest.mark.parametrize(
    "stderr",
    [
        "7:54AM ERR [git] fatal: detected dubious ownership in repository at '/r'\n"
        "7:54AM INF 0 commits scanned.",
        "7:53AM ERR [git] fatal: Invalid revision range 0123..4567\n7:53AM INF 0 commits scanned.",
        "\x1b[90m7:53AM\x1b[0m \x1b[31mERR\x1b[0m could not read archive blob\n7:53AM INF 3 commits scanned.",
    ],
)
def test_a_logged_error_fails_the_scan(stderr: str) -> None:
    with pytest.raises(ScannerError, match="logged an error") as info:
        check_log(stderr, RANGE)
    assert "ERR" not in str(info.value) and "\x1b" not in str(info.value)


@pytest.mark.parametrize(
    ("scanned", "count", "ok"),
    [(3, 3, True), (2, 3, True), (0, 0, True), (1, 5, True), (4, 3, True), (0, 3, False), (0, 1, False)],
)
def test_commit_count_rule(scanned: int, count: int, ok: bool) -> None:
    commits = CommitRange("a" * 40, "b" * 40, count)
    stderr = f"8:00AM INF {scanned} commits scanned.\n8:00AM INF scanned ~10 bytes in 5ms\n"
    if ok:
        check_log(stderr, commits)
    else:
        with pytest.raises(ScannerError, match=f"scanned 0 commits in aaaaaaaaaaaa.*where {count} add text"):
            check_log(stderr, commits)


def test_git_mode_without_a_commit_count_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="how many commits"):
        check_log("8:00AM INF no leaks found\n", RANGE)
    check_log("8:00AM INF no leaks found\n", None)  # dir mode logs no count


# --- parsing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "8:00AM FTL something went wrong",
        '[\n {\n  "RuleID": "aws-access-token",',  # truncated
        '{"RuleID": "aws-access-token"}',
        json.dumps(["not an object"]),
        json.dumps([record(RuleID="")]),
        json.dumps([record(RuleID=None)]),
        json.dumps([record(StartLine="2")]),
        json.dumps([record(StartLine=True)]),
        json.dumps([record(Secret=12)]),
        json.dumps([record(Secret="", Match="")]),
        json.dumps([record(File="")]),
        json.dumps([record(File="../etc/passwd")]),
    ],
)
def test_unexpected_output_is_a_parse_error(text: str) -> None:
    with pytest.raises(ParseError, match=r"gitleaks|outside"):
        SCANNER.parse(ToolOutput(text), TARGET)


def test_a_history_finding_needs_its_commit() -> None:
    with pytest.raises(ParseError, match="Commit"):
        parse([record(File="sub/dir/a.py", Commit="")], GIT_TARGET, "INF 3 commits scanned.")


@pytest.mark.parametrize(
    ("reported", "expected"),
    [("a.py", "a.py"), ("./a.py", "a.py"), ("/a.py", "a.py"), (f"{ROOT}/x/a.py", "x/a.py")],
)
def test_dir_paths_are_repo_relative(reported: str, expected: str) -> None:
    (finding,) = parse([record(File=reported)])
    assert finding.location.path == expected


@pytest.mark.parametrize("prefix", ["sub/dir/", "sub/dir", "/sub/dir/"])
def test_git_paths_lose_the_prefix_and_files_outside_it_are_dropped(prefix: str) -> None:
    target = Target(root=ROOT, files=("a.py",), repo=REPO, prefix=prefix, commit_range=RANGE)
    records = [record(File=f, Commit="c" * 40) for f in ("sub/dir/a.py", "sub/dir2/b.py", "c.py", "sub/a.py")]
    found = parse(records, target, "INF 3 commits scanned.")
    assert [(f.location.path, f.commit) for f in found] == [("a.py", "c" * 40)]


def test_no_column_in_git_mode_and_none_for_a_file_name_rule() -> None:
    (history,) = parse([record(File="sub/dir/a.py", Commit="c" * 40)], GIT_TARGET, "INF 1 commits scanned.")
    assert history.location.column is None
    pkcs12 = record(
        RuleID="pkcs12-file", StartLine=0, EndLine=0, StartColumn=0, Secret="", Match="file detected: a.p12"
    )
    (file_rule,) = parse([pkcs12])
    assert (file_rule.location.start_line, file_rule.location.column) == (1, None)
    assert file_rule.evidence == hashlib.sha256(b"file detected: a.p12").hexdigest()


@pytest.mark.parametrize(
    ("rule_id", "severity"),
    [
        ("private-key", Severity.CRITICAL),
        ("age-secret-key", Severity.CRITICAL),
        ("aws-access-token", Severity.HIGH),
        ("generic-api-key", Severity.HIGH),
        ("my-company-token", Severity.HIGH),
    ],
)
def test_severity_table(rule_id: str, severity: Severity) -> None:
    (finding,) = parse([record(RuleID=rule_id)])
    assert finding.severity == severity == SEVERITIES.get(rule_id, DEFAULT_SEVERITY)


def test_title_and_message_come_from_the_description_never_the_match() -> None:
    (finding,) = parse([record(Description="", Match="password=hunter2hunter2", Secret="hunter2hunter2")])
    assert (finding.title, finding.message) == ("aws-access-token", "aws-access-token")
    assert "hunter2" not in repr(finding)


# --- git mode on real repositories -----------------------------------------------------------------


@pytest.fixture
def gitleaks() -> str:
    exe = find_executable("gitleaks")
    if exe is None or shutil.which("git") is None:
        pytest.skip("gitleaks or git is not installed")
    return exe


def scan_range(
    exe: str,
    tree: GitTree,
    base: str,
    head: str,
    *,
    prefix: str = "",
    count: int | None = None,
    env: bool = True,
) -> list[Finding]:
    """Run the adapter's git-mode command for base..head, as the runner would, and parse it."""
    if count is None:
        count = commit_count(tree, base, head)
    root = tree.root / prefix if prefix else tree.root
    target = Target(root, ("x",), tree.root, prefix, CommitRange(base, head, count), tree.root)
    command = SCANNER.command(exe, target)
    if not env:
        command = Command(command.argv)
    return SCANNER.parse(run_command(command, root, timeout_s=120), target)


def commit_count(tree: GitTree, base: str, head: str) -> int:
    """The count the pipeline gives the adapter: commits of the range that add text lines."""
    assert tree.git("rev-parse", "HEAD").strip() == head
    return gitrepo.commit_count(gitrepo.Repo(tree.root, ""), base)


def secrets_found(findings: list[Finding]) -> list[tuple[str, str | None]]:
    return sorted((f.location.path, f.commit) for f in findings)


@pytest.mark.scanner
def test_a_secret_added_in_the_range_is_found_with_its_commit_and_one_before_is_not(
    gitleaks: str, tmp_path: Path
) -> None:
    tree = GitTree(tmp_path / "repo")
    tree.write("old.py", KEY_ID)
    base = tree.commit("old secret, before the pull request")
    tree.write("README.md", "docs\n")
    tree.commit("docs")
    tree.write("new.py", 'TOKEN = "ghp_R7kX2mQ9vL4tW8pZ3nB6yC1dF5hJ0sA9eK2u"\n')
    head = tree.commit("new secret")
    (finding,) = scan_range(gitleaks, tree, base, head)
    assert (finding.location.path, finding.commit, finding.rule_id) == ("new.py", head, "github-pat")


@pytest.mark.scanner
def test_a_secret_added_then_deleted_in_the_range_is_still_reported(gitleaks: str, tmp_path: Path) -> None:
    tree = GitTree(tmp_path / "repo")
    tree.write("README.md", "docs\n")
    base = tree.commit("start")
    tree.write("tmp.py", KEY_ID)
    added = tree.commit("oops")
    (tree.root / "tmp.py").unlink()
    head = tree.commit("remove it again")
    assert secrets_found(scan_range(gitleaks, tree, base, head)) == [("tmp.py", added)]


@pytest.mark.scanner
def test_a_merge_commit_in_the_range_is_not_a_count_mismatch(gitleaks: str, tmp_path: Path) -> None:
    """Gitleaks does not count merges (nor empty commits): fewer commits scanned is not an error."""
    tree = GitTree(tmp_path / "repo")
    tree.write("README.md", "docs\n")
    base = tree.commit("start")
    tree.git("checkout", "-q", "-b", "feature")
    tree.write("a.py", KEY_ID)
    added = tree.commit("feature work")
    tree.git("checkout", "-q", "main")
    tree.write("b.py", "B = 1\n")
    tree.commit("main moves on")
    tree.git("checkout", "-q", "feature")
    tree.git("merge", "-q", "--no-edit", "main")
    tree.commit("an empty commit")
    head = tree.git("rev-parse", "HEAD").strip()
    assert commit_count(tree, base, head) == 2  # the merge and the empty commit add no text
    assert secrets_found(scan_range(gitleaks, tree, base, head)) == [("a.py", added)]


@pytest.mark.scanner
def test_a_secret_a_merge_commit_itself_adds_is_found(gitleaks: str, tmp_path: Path) -> None:
    """An "evil merge": the key is written in the merge's own resolution and removed in the next
    commit. `git log -p` shows a merge no patch; its remerge diff (what the merge changed beyond merging
    its parents) is read, and a clean merge's is empty (found by a red team)."""
    tree = GitTree(tmp_path / "repo")
    tree.write("settings.py", 'NAME = "app"\n')
    base = tree.commit("start")
    tree.git("checkout", "-q", "-b", "side")
    tree.write("side.py", "X = 1\n")
    tree.commit("side work")
    tree.git("checkout", "-q", "-b", "feature", "main")
    tree.write("feature.py", "Y = 2\n")
    tree.commit("feature work")
    tree.git("merge", "-q", "--no-ff", "--no-commit", "side")
    tree.write("settings.py", 'NAME = "app"\n' + KEY_ID)
    merge = tree.commit("Merge side")
    tree.write("settings.py", 'NAME = "app"\n')
    head = tree.commit("clean up")
    assert secrets_found(scan_range(gitleaks, tree, base, head)) == [("settings.py", merge)]


@pytest.mark.scanner
def test_an_empty_range_for_a_non_empty_pull_request_is_an_error(gitleaks: str, tmp_path: Path) -> None:
    tree = GitTree(tmp_path / "repo")
    tree.write("a.py", KEY_ID)
    head = tree.commit("secret")
    with pytest.raises(ScannerError, match="scanned 0 commits"):
        scan_range(gitleaks, tree, head, head, count=1)  # a wrong base: base..head is empty


@pytest.mark.scanner
def test_a_base_missing_from_the_clone_is_an_error(gitleaks: str, tmp_path: Path) -> None:
    tree = GitTree(tmp_path / "repo")
    tree.write("a.py", KEY_ID)
    head = tree.commit("secret")
    with pytest.raises(ScannerError, match="Invalid revision range"):
        scan_range(gitleaks, tree, "0123456789abcdef0123456789abcdef01234567", head, count=1)


@pytest.mark.scanner
def test_secrets_in_files_moved_and_edited_are_not_new_past_any_rename_limit(
    gitleaks: str, tmp_path: Path
) -> None:
    """Past `diff.renameLimit` git log shows files moved and edited as added whole: their old keys
    were reported as the change's. A limit of 1 in the repository's config shows it with three."""
    tree = GitTree(tmp_path / "repo")
    base = moved_and_edited(tree, extra=KEY_ID)
    head = tree.git("rev-parse", "HEAD").strip()
    assert scan_range(gitleaks, tree, base, head) == []


@pytest.mark.scanner
def test_a_users_git_config_does_not_change_the_log_gitleaks_reads(
    gitleaks: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Gitleaks runs `git log -p` itself, under the user's ~/.gitconfig: `color.ui=always` made it scan
    0 commits, `diff.noprefix` named `key.py` for `app/key.py`, `format.pretty`, `log.date` and
    `log.abbrevCommit` cost the commit its id."""
    tree = GitTree(tmp_path / "repo")
    tree.write("README.md", "docs\n")
    base = tree.commit("start")
    tree.write("app/key.py", KEY_ID)
    head = tree.commit("a key")
    with_user_git_config(monkeypatch, tmp_path / "home")
    assert secrets_found(scan_range(gitleaks, tree, base, head)) == [("app/key.py", head)]


@pytest.mark.scanner
def test_a_subdirectory_scan_drops_findings_outside_it(gitleaks: str, tmp_path: Path) -> None:
    tree = GitTree(tmp_path / "repo")
    tree.write("svc/README.md", "docs\n")
    base = tree.commit("start")
    tree.write("svc/app/key.py", KEY_ID)
    tree.write("other/key.py", KEY_ID)
    head = tree.commit("two secrets")
    found = scan_range(gitleaks, tree, base, head, prefix="svc/")
    assert secrets_found(found) == [("app/key.py", head)]


@pytest.mark.scanner
def test_gitleaksignore_works_in_git_mode_and_the_ranges_own_gitleaks_allow_does_not(
    gitleaks: str, tmp_path: Path
) -> None:
    """Every line Gitleaks reads in a range is one the change added: a `gitleaks:allow` there is the
    change's own suppression, not honoured before merge (as a `# nosec` it adds)."""
    tree = GitTree(tmp_path / "repo")
    tree.write("README.md", "docs\n")
    base = tree.commit("start")
    tree.write("a.py", KEY_ID)
    tree.write("b.py", KEY_ID.rstrip("\n") + "  # gitleaks:allow\n")
    tree.write("c.py", KEY_ID)
    tree.write(".gitleaksignore", "a.py:aws-access-token:1\n")
    head = tree.commit("three secrets, one accepted")
    assert secrets_found(scan_range(gitleaks, tree, base, head)) == [("b.py", head), ("c.py", head)]


@pytest.mark.scanner
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_a_repository_owned_by_someone_else_is_scanned_not_silently_skipped(
    gitleaks: str, tmp_path: Path
) -> None:
    tree = GitTree(tmp_path / "repo")
    tree.write("README.md", "docs\n")
    base = tree.commit("start")
    tree.write("a.py", KEY_ID)
    head = tree.commit("secret")
    for path in [tree.root, *tree.root.rglob("*")]:
        os.chown(path, 65534, 65534, follow_symlinks=False)  # as a checkout is, seen from a container
    with pytest.raises(ScannerError, match="dubious ownership"):
        scan_range(gitleaks, tree, base, head, count=1, env=False)
    assert secrets_found(scan_range(gitleaks, tree, base, head, count=1)) == [("a.py", head)]


# --- PR mode: a commit that puts back the base's secret did not add it ------------------------------

OTHER_KEY = 'TOKEN = "ghp_R7kX2mQ9vL4tW8pZ3nB6yC1dF5hJ0sA9eK2u"\n'
SETTINGS = "import os\n\n" + KEY_ID + "DEBUG = False\n"


def gate(tree: GitTree, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[tuple[str, int, str]]]:
    """The CLI's PR-mode verdict with Gitleaks alone, and (path, line, status) of each finding."""
    out = tree.root.parent / "report.json"
    code = cli.main(["scan", str(tree.root), "--base", "base", "--scanners", "gitleaks", "--json", str(out)])
    text = capsys.readouterr().out + out.read_text(encoding="utf-8")
    assert all(secret not in text for secret in CLEAR_SECRETS)
    report = json.loads(out.read_text(encoding="utf-8"))
    return code, sorted((f["path"], f["start_line"], f["status"]) for f in report["findings"])


def pr_base(tmp_path: Path) -> GitTree:
    tree = GitTree(tmp_path / "repo")
    tree.write("config/settings.py", SETTINGS)
    tree.write("README.md", "docs\n")
    tree.commit("base")
    tree.git("branch", "base")
    return tree


def crlf(tree: GitTree) -> None:
    tree.write("config/settings.py", SETTINGS.replace("\n", "\r\n"))
    tree.commit("line endings")


def realign(tree: GitTree) -> None:
    tree.write("config/settings.py", SETTINGS.replace("KEY = ", "KEY     = "))
    tree.commit("align")


def revert(tree: GitTree) -> None:
    tree.git("rm", "-q", "config/settings.py")
    tree.commit("drop legacy settings")
    tree.git("revert", "--no-edit", "HEAD")
    tree.write("README.md", "more docs\n")
    tree.commit("docs")


def move_in_two_commits(tree: GitTree) -> None:
    tree.git("rm", "-q", "config/settings.py")
    tree.commit("remove old settings")
    tree.write("settings/prod.py", SETTINGS)
    tree.commit("add settings package")


@pytest.mark.scanner
@pytest.mark.parametrize("change", [crlf, realign, revert, move_in_two_commits])
def test_a_commit_that_only_puts_back_the_bases_secret_leaves_it_pre_existing(
    gitleaks: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Any
) -> None:
    tree = pr_base(tmp_path)
    change(tree)
    code, found = gate(tree, capsys)
    assert code == 0
    assert [status for _, _, status in found] == ["pre-existing"]


Found = list[tuple[str, int, str]]


def add_then_remove_the_bases_secret_elsewhere(tree: GitTree) -> Found:
    tree.write("app/creds.py", KEY_ID)
    tree.commit("oops")
    tree.git("rm", "-q", "app/creds.py")
    tree.commit("remove it again")
    return [("app/creds.py", 1, "new")]


def add_a_second_copy(tree: GitTree) -> Found:
    tree.write("config/settings.py", SETTINGS + KEY_ID)
    tree.commit("again")
    return [("config/settings.py", 5, "new")]


def swap_for_a_new_secret_and_back(tree: GitTree) -> Found:
    """Both commits write line 3, the first a secret of its own: one finding, new."""
    tree.write("config/settings.py", SETTINGS.replace(KEY_ID, OTHER_KEY))
    tree.commit("rotate")
    tree.write("config/settings.py", SETTINGS)
    tree.commit("undo")
    return [("config/settings.py", 3, "new")]


def convert_and_add_a_new_secret(tree: GitTree) -> Found:
    tree.write("config/settings.py", (OTHER_KEY + SETTINGS).replace("\n", "\r\n"))
    tree.commit("line endings, and a token")
    return [("config/settings.py", 1, "new"), ("config/settings.py", 4, "pre-existing")]


@pytest.mark.scanner
@pytest.mark.parametrize(
    "change",
    [add_then_remove_the_bases_secret_elsewhere, add_a_second_copy, swap_for_a_new_secret_and_back,
     convert_and_add_a_new_secret],
)  # fmt: skip
def test_a_secret_the_range_brought_stays_new(
    gitleaks: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Any
) -> None:
    """In another file than the base's copy, on a line the change adds, on the base's line in a commit
    that a later one undid: the range committed it, and it will be merged. Beside it, a line only put
    back stays pre-existing."""
    tree = pr_base(tmp_path)
    expected = change(tree)
    assert gate(tree, capsys) == (1, expected)


# Gitleaks names `config\settings.py` as `config/settings.py` (read as a Windows separator) and a
# Latin-1 byte as U+FFFD: each pair below is one name in the report, two files to git.
LOOK_ALIKES = [
    ("config\\settings.py", "config/settings.py"),
    (os.fsdecode(b"config/caf\xe9.py"), "config/caf\ufffd.py"),
]


@pytest.mark.scanner
@pytest.mark.parametrize(("evil", "look_alike"), LOOK_ALIKES)
def test_a_secret_in_a_file_named_like_one_whose_line_the_commit_put_back_stays_new(
    gitleaks: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], evil: str, look_alike: str
) -> None:
    """The commit that puts back the look-alike's first line adds a token at line 1 of the other
    file, removed again: the report's name fits both, so nothing says it was the line put back."""
    tree = GitTree(tmp_path / "repo")
    tree.write(look_alike, SETTINGS)
    tree.commit("base")
    tree.git("branch", "base")
    tree.write(look_alike, SETTINGS.removeprefix("import os\n"))
    tree.commit("drop an import")
    tree.write(look_alike, SETTINGS)
    tree.write(evil, OTHER_KEY)
    tree.commit("put it back")
    tree.git("rm", "-q", "--", evil)
    tree.commit("remove the token")
    assert gate(tree, capsys) == (1, [(look_alike, 1, "new")])


@pytest.mark.scanner
def test_a_secret_put_back_beside_files_of_odd_names_that_read_otherwise_stays_pre_existing(
    gitleaks: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = pr_base(tmp_path)
    tree.write("config/settings.py", SETTINGS.replace(KEY_ID, ""))
    tree.commit("drop the key")
    tree.write("config/settings.py", SETTINGS)
    tree.write("config\\settings.py.bak", "docs\n")
    tree.write(os.fsdecode(b"config/settings\xe9.py"), "docs\n")
    tree.commit("put it back")
    assert gate(tree, capsys) == (0, [("config/settings.py", 3, "pre-existing")])
