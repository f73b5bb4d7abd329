"""The Action's closed choices: which files a run covers, and when it comments on the pull request."""

from __future__ import annotations

from enum import StrEnum
from typing import assert_never

from mergeguard.core.errors import UsageError


class Scope(StrEnum):
    """`scope`: only what the pull request changed, or every file."""

    CHANGED = "changed"
    ALL = "all"


class CommentMode(StrEnum):
    """`comment`: always, never, or only when there is something to say."""

    ALWAYS = "true"
    NEVER = "false"
    ON_FINDINGS = "on-findings"

    def wants(self, has_findings: bool) -> bool:
        """Whether a pull request gets the comment, given whether the run found anything."""
        match self:
            case CommentMode.ALWAYS:
                return True
            case CommentMode.NEVER:
                return False
            case CommentMode.ON_FINDINGS:
                return has_findings
            case _:
                assert_never(self)


def parse_scope(text: str) -> Scope | None:
    """The `scope` input, case-insensitive ("" = decided by the event: changed on pull requests,
    all otherwise)."""
    if not text:
        return None
    try:
        return Scope(text.lower())
    except ValueError:
        raise UsageError(f"input scope: {text!r} is not one of {', '.join(Scope)}") from None


def parse_comment(text: str) -> CommentMode:
    """The `comment` input, case-insensitive."""
    try:
        return CommentMode(text.lower())
    except ValueError:
        choices = ", ".join(CommentMode)
        raise UsageError(f"input comment: {text!r} is not one of {choices}") from None
