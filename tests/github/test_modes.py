"""The Action's `scope` and `comment` inputs as closed choices, and when a comment is posted."""

from __future__ import annotations

import pytest

from mergeguard.core.errors import UsageError
from mergeguard.github.modes import CommentMode, Scope, parse_comment, parse_scope


@pytest.mark.parametrize(
    ("mode", "has_findings", "wanted"),
    [
        (CommentMode.ALWAYS, False, True),
        (CommentMode.ALWAYS, True, True),
        (CommentMode.NEVER, True, False),
        (CommentMode.ON_FINDINGS, False, False),
        (CommentMode.ON_FINDINGS, True, True),
    ],
)
def test_when_a_comment_is_posted(mode: CommentMode, has_findings: bool, wanted: bool) -> None:
    assert mode.wants(has_findings) is wanted


def test_inputs_read_as_written_in_action_yml() -> None:
    assert parse_scope("") is None
    assert parse_scope("all") is Scope.ALL
    assert parse_comment("On-Findings") is CommentMode.ON_FINDINGS
    assert parse_comment("FALSE") is CommentMode.NEVER


def test_a_bad_value_is_one_line_naming_the_input_and_the_choices() -> None:
    with pytest.raises(UsageError, match=r"^input scope: 'All ' is not one of changed, all$"):
        parse_scope("All ")
    with pytest.raises(UsageError, match=r"^input comment: 'YES' is not one of true, false, on-findings$"):
        parse_comment("YES")
