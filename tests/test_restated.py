"""Python lines a change only reformatted (quotes, re-wrapped calls) keep the base's findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mergeguard.cli.main import main
from mergeguard.core import changes, gitdiff, gitrepo
from mergeguard.core import restated as restated_module
from tests.gitutil import GitTree, pr

RUN = "app.run(host='0.0.0.0', port=80, debug=True, threaded=True)\n"
RUN_BLACK_WRAPPED = 'app.run(\n    host="0.0.0.0",\n    port=80,\n    debug=True,\n    threaded=True,\n)\n'


def lines_of(tmp_path: Path, base: str, head: str) -> tuple[set[int], set[int]]:
    """The lines of `a.py` a change from `base` to `head` touched, and those it only restated."""
    repo = gitrepo.open_repo(pr(tmp_path, {"a.py": base}, {"a.py": head}).root)
    assert repo is not None
    touched, hunks = gitdiff.patch(repo, "base")
    found = restated_module.in_change(repo, gitrepo.raw_diff(repo, "base"), touched, hunks)
    return set(touched.get("a.py", ())), set(found.get("a.py", ()))


@pytest.mark.parametrize(
    ("base", "head", "touched", "kept"),
    [
        (RUN, RUN.replace("'", '"'), {1}, set()),  # quotes only
        (RUN, RUN_BLACK_WRAPPED, {1, 2, 3, 4, 5, 6}, set()),  # re-wrapped, a trailing comma added
        (RUN, RUN_BLACK_WRAPPED.replace("port=80", "port=8080"), {1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5, 6}),
        (RUN, RUN_BLACK_WRAPPED.replace("    port=80,\n", ""), {1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}),
        ("x = f(a)\n", "x = f(\n    a,\n)\n", {1, 2, 3}, set()),  # a call's trailing comma
        ("x = f(a)  #why\n", "x = f(\n    a,\n)  # why\n", {1, 2, 3}, set()),  # black's `# ` comment
        # a comment written in or after a statement is the change's (a red team's password in one)
        ("x = f(a)\n", "x = f(\n    a,  # why\n)\n", {1, 2, 3}, {1, 2, 3}),
        ("return get(url)\n", "return get(url)  # prod: postgres://admin:pw@db/app\n", {1}, {1}),
        ("x = [a]\n", "x = [\n    a,\n]\n", {1, 2, 3}, set()),  # a list display's
        ("x = (a)\n", "x = (a,)\n", {1}, {1}),  # a tuple now
        ("x = t[a]\n", "x = t[a,]\n", {1}, {1}),  # a tuple index now
        ("x = return_(a)\n", "x = return_(a,)\n", {1}, set()),
        ("x = 'a'\n", "x = b'a'\n", {1}, {1}),  # bytes, not a str
        ("x = 'a'\n", "x = 'a' 'b'\n", {1}, {1}),
        ("x = f'{a}'\n", 'x = f"{a}"\n', {1}, {1}),  # an f-string compared as written
        ("if a:\n    run()\n", "if a:\n    pass\nrun()\n", {2, 3}, {2, 3}),  # out of its block
        ("print 'a'\n", 'print "a"\n', {1}, {1}),  # Python 2: the line rule
        ("x = 'a'\r", 'x = "a"\r', {1}, {1}),  # a lone CR: Python's lines are not git's
        # the base's statement moved, quotes changed: deleted in one hunk, added in another
        ("a = 1\n" + RUN + "b = 2\n", RUN.replace("'", '"') + "a = 1\nb = 2\n", {1}, {1}),
    ],
)
def test_only_statements_a_hunk_rewrote_token_for_token_are_restated(
    tmp_path: Path, base: str, head: str, touched: set[int], kept: set[int]
) -> None:
    assert lines_of(tmp_path, base, head) == (touched, touched - kept)


def test_a_statement_written_twice_where_the_base_had_it_once_is_new_once(tmp_path: Path) -> None:
    base = "a = 1\n" + RUN
    head = "a = 1\n" + RUN_BLACK_WRAPPED + RUN
    # the diff keeps the base's line as line 8: the wrapped copy above it is added, and new
    assert lines_of(tmp_path, base, head) == ({2, 3, 4, 5, 6, 7}, set())


def test_a_statement_moved_elsewhere_is_not_restated(tmp_path: Path) -> None:
    """`run(cmd)` moved from a helper into a request handler, at the same depth: the same tokens, in
    another place, where what reaches it may differ."""
    base = "def helper():\n    run(cmd)\n\ndef handler():\n    pass\n"
    head = "def helper():\n    pass\n\ndef handler():\n    run(cmd)\n"
    assert lines_of(tmp_path, base, head) == ({2, 5}, set())


def test_big_files_keep_every_touched_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tokenizing costs about a second per 500 KB: past the limits, the line rule as it was."""
    quoted = RUN.replace("'", '"')
    repo = gitrepo.open_repo(pr(tmp_path, {"a.py": RUN, "b.py": RUN}, {"a.py": quoted, "b.py": quoted}).root)
    assert repo is not None
    touched, hunks = gitdiff.patch(repo, "base")
    assert restated_module.in_change(repo, gitrepo.raw_diff(repo, "base"), touched, hunks) == touched
    monkeypatch.setattr(restated_module, "MAX_TOTAL", 2 * len(RUN))  # room for one file
    assert restated_module.in_change(repo, gitrepo.raw_diff(repo, "base"), touched, hunks) == {
        "a.py": frozenset({1})
    }
    monkeypatch.setattr(restated_module, "MAX_BYTES", 2 * len(RUN) - 1)
    assert restated_module.in_change(repo, gitrepo.raw_diff(repo, "base"), touched, hunks) == {}


BASE_APP = "from flask import Flask\n\napp = Flask(__name__)\n\nif __name__ == '__main__':\n    " + RUN


@pytest.fixture
def flask_app(tmp_path: Path) -> GitTree:
    tree = GitTree(tmp_path / "repo")
    tree.write("vote/app.py", BASE_APP + "    app.run(debug=False)\n")
    tree.commit("base")
    tree.git("branch", "base")
    return tree


def statuses(tree: GitTree, report: Path) -> list[tuple[int, str, str]]:
    main(["scan", str(tree.root), "--base", "base", "--scanners", "bandit", "--json", str(report)])
    found = json.loads(report.read_text())["findings"]
    return sorted((f["start_line"], f["rule_id"], f["status"]) for f in found)


BLACKENED = (
    'from flask import Flask\n\napp = Flask(__name__)\n\nif __name__ == "__main__":\n'
    "    app.run(\n"
    '        host="0.0.0.0",\n        port=80,\n        debug=True,\n        threaded=True,\n    )\n'
)


@pytest.mark.scanner
def test_a_black_reformat_keeps_the_old_flask_debug_pre_existing_and_a_debug_turned_on_new(
    flask_app: GitTree, tmp_path: Path
) -> None:
    """example-voting-app's vote/app.py: a pull request that ran black made B201 new and blocking."""
    flask_app.write("vote/app.py", BLACKENED + "    app.run(debug=True)\n")
    flask_app.commit("format with black, and debug on")
    changed = changes.collect(flask_app.root, "base", []).lookup("vote/app.py")
    assert changed is not None and changed.restated == frozenset(range(5, 12))  # all but line 12
    assert statuses(flask_app, tmp_path / "pr.json") == [
        (7, "B104", "pre-existing"),
        (9, "B201", "pre-existing"),
        (12, "B201", "new"),
    ]


@pytest.mark.scanner
def test_a_reformatted_statement_written_twice_is_new_once(flask_app: GitTree, tmp_path: Path) -> None:
    flask_app.write("vote/app.py", BLACKENED + "    app.run(debug=False)\n    " + RUN)
    flask_app.commit("format with black, and run it twice")
    assert statuses(flask_app, tmp_path / "pr.json") == [
        (7, "B104", "pre-existing"),
        (9, "B201", "pre-existing"),
        (13, "B104", "new"),
        (13, "B201", "new"),
    ]


@pytest.mark.scanner
def test_a_nosec_written_into_a_reformatted_statement_is_not_honoured(
    flask_app: GitTree, tmp_path: Path
) -> None:
    """A comment written into the statement makes it the change's; its suppression is not honoured."""
    flask_app.write(
        "vote/app.py", BLACKENED.replace("debug=True,", "debug=True,  # nosec") + "    app.run(debug=False)\n"
    )
    flask_app.commit("format with black, and silence bandit")
    assert statuses(flask_app, tmp_path / "pr.json") == [(7, "B104", "new"), (9, "B201", "new")]


@pytest.mark.parametrize(
    ("head", "touched"),
    [
        # a red team's: `os.system` re-indented out of the admin check, a change in white space only
        ("def f(user, arg):\n    if user.is_admin:\n        log(arg)\n    os.system(arg)\n", True),
        # the whole function re-indented, every block as it was: nothing the change wrote
        ("def f(user, arg):\n  if user.is_admin:\n    log(arg)\n    os.system(arg)\n", False),
    ],
)
def test_in_python_a_line_re_indented_into_another_block_is_touched(
    tmp_path: Path, head: str, touched: bool
) -> None:
    base = "def f(user, arg):\n    if user.is_admin:\n        log(arg)\n        os.system(arg)\n"
    changed = changes.collect(pr(tmp_path, {"a.py": base}, {"a.py": head}).root, "base", [])
    assert changed.touched("a.py", 4, 4) is touched


def test_a_hunk_past_the_alignment_budget_keeps_its_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Aligning costs the product of a hunk's old and new statements: 16,000 identical ones took 30 s."""
    base, head = "x = 'a'\n" * 3, 'x = "a"\n' * 3
    assert lines_of(tmp_path / "within", base, head) == ({1, 2, 3}, {1, 2, 3})
    monkeypatch.setattr(restated_module, "MAX_PAIRS", 3 * 3 - 1)
    assert lines_of(tmp_path / "past", base, head) == ({1, 2, 3}, set())
