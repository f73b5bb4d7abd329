"""A tool's markers reached from a change's lines are blanked, its own only (`scan.reached`)."""

from __future__ import annotations

from mergeguard.core.changes import ChangedFile
from mergeguard.core.filekinds import FileKind, classify
from mergeguard.scan import reached, suppressions

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


KINDS = classify("settings.py")  # Python, and any file for the secret scanners


def test_detect_secrets_nextline_pragma_reaches_the_line_after_it_only() -> None:
    data = b'# pragma: allowlist nextline secret\nKEY = "a"\n\n# pragma: allowlist nextline secret\nB = 1\n'
    changed = ChangedFile("settings.py", KINDS, frozenset({2}))
    assert reached.lines(changed, data) == {"detect-secrets": frozenset({1})}
    # The pragma written by the change itself is the change's own marker, listed as added elsewhere.
    both = ChangedFile("settings.py", KINDS, frozenset({1, 2}))
    assert reached.lines(both, data) == {}
    # A line the change writes two lines below the pragma is not covered by it.
    below = ChangedFile("settings.py", KINDS, frozenset({3}))
    assert reached.lines(below, data) == {}


def test_a_marker_is_listed_without_a_key_written_inside_it() -> None:
    """Trivy's marker reads anything between `trivy:` and `ignore:`: a key written there stayed in
    clear in the policy report (terminal, JSON, PR comment), where every finding withholds it."""
    key = "ghp_" + "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5"
    line = f"x = 2  # trivy:{key}ignore:AVD-1  trivy:exp:2030-01-01:ignore:AVD-2"
    assert suppressions.found(line) == [
        ("trivy-config", "trivy:…:"),
        ("trivy-config", "trivy:exp:2030-01-01:ignore:"),
    ]
