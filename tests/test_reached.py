"""A tool's markers reached from a change's lines are blanked, its own only (`scan.reached`)."""

from __future__ import annotations

from mergeguard.core.changes import ChangedFile
from mergeguard.core.filekinds import FileKind
from mergeguard.scan import reached

WRAPPED = b"""import subprocess


def listing(pattern):
    return subprocess.run("ls -l " + pattern,
    # nosec - the arguments are constant  gitleaks:allow
        shell=True, check=True)
"""


def test_only_the_reaching_tools_marker_is_blanked_and_the_comment_stays_one() -> None:
    changed = ChangedFile("ops.py", frozenset({FileKind.PYTHON}), frozenset({5, 7}))
    blanked = reached.blanked(changed, WRAPPED)
    assert blanked is not None
    assert blanked.split(b"\n")[5] == b"    #       - the arguments are constant  gitleaks:allow"


def test_nothing_is_blanked_in_a_file_the_tool_does_not_read() -> None:
    changed = ChangedFile("ops.txt", frozenset({FileKind.ANY}), frozenset({5, 7}))
    assert reached.blanked(changed, WRAPPED) is None
