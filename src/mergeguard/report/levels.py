"""How loud a finding's annotation is: one level for workflow-command and check-run annotations alike."""

from __future__ import annotations

from enum import StrEnum
from typing import assert_never

from mergeguard.core.model import Severity
from mergeguard.core.policy import Assessed


class AnnotationLevel(StrEnum):
    """The Checks API's three annotation levels (the values it takes)."""

    NOTICE = "notice"
    WARNING = "warning"
    FAILURE = "failure"

    @property
    def command(self) -> str:
        """The workflow command that shows an annotation at this level (`::error` for a failure)."""
        match self:
            case AnnotationLevel.NOTICE:
                return "notice"
            case AnnotationLevel.WARNING:
                return "warning"
            case AnnotationLevel.FAILURE:
                return "error"
            case _:
                assert_never(self)


def level_of(assessed: Assessed) -> AnnotationLevel:
    """Failure for a blocking finding, warning from medium up, notice below."""
    if assessed.blocking:
        return AnnotationLevel.FAILURE
    return AnnotationLevel.WARNING if assessed.finding.severity >= Severity.MEDIUM else AnnotationLevel.NOTICE
