"""Python lines a change only reformatted (quotes, re-wrapped calls) keep the base's findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mergeguard.cli.main import main
from mergeguard.core import changes
from mergeguard.core.restated import restated
from tests.gitutil import GitTree

RUN = "app.run(host='0.0.0.0', port=80, debug=True, threaded=True)\n"
RUN_BLACK_WRAPPED = 'app.run(\n    host="0.0.0.0",\n    port=80,\n    debug=True,\n    threaded=True,\n)\n'


def lines_of(base: str, head: str, touched: set[int]) -> set[int]:
    return set(restated(base.encode(), head.encode(), frozenset(touched)))


@pytest.mark.parametrize(
    ("base", "head", "touched", "kept"),
    [
        (RUN, RUN.replace("'", '"'), {1}, set()),  # quotes only
        (RUN, RUN_BLACK_WRAPPED, {1, 2, 3, 4, 5, 6}, set()),  # re-wrapped, a trailing comma added
        (RUN, RUN_BLACK_WRAPPED.replace("port=80", "port=8080"), {1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5, 6}),
        (RUN, RUN_BLACK_WRAPPED.replace("    port=80,\n", ""), {1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}),
        ("x = f(a)\n", "x = f(\n    a,  # why\n)\n", {1, 2, 3}, set()),  # a call's comma, a comment
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
    ],
)
def test_only_statements_the_base_has_token_for_token_are_restated(
    base: str, head: str, touched: set[int], kept: set[int]
) -> None:
    assert lines_of(base, head, touched) == touched - kept


def test_a_statement_written_twice_where_the_base_had_it_once_is_new_once() -> None:
    base = "a = 1\n" + RUN
    assert lines_of(base, "a = 1\n" + RUN_BLACK_WRAPPED + RUN, {2, 3, 4, 5, 6, 7, 8}) == {2, 3, 4, 5, 6, 7}
    # the copy the change left claims the base's first, whatever comes first in the file
    assert lines_of(base, RUN.replace("'", '"') + "a = 1\n" + RUN, {1}) == set()
    assert lines_of(base, RUN.replace("'", '"') + "a = 1\n" + RUN, {1, 3}) == {1}


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
    """The statement's tokens leave comments out, the change's own suppressions are still its lines'."""
    flask_app.write(
        "vote/app.py", BLACKENED.replace("debug=True,", "debug=True,  # nosec") + "    app.run(debug=False)\n"
    )
    flask_app.commit("format with black, and silence bandit")
    assert statuses(flask_app, tmp_path / "pr.json") == [
        (7, "B104", "pre-existing"),
        (9, "B201", "pre-existing"),
    ]
