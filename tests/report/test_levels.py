"""One annotation level for both paths: the workflow command and the check run say the same thing."""

from __future__ import annotations

import pytest

from mergeguard.core.model import Severity
from mergeguard.github.outcomes import AnnotationLevel as CheckRunLevel
from mergeguard.report.levels import AnnotationLevel, level_of
from mergeguard.report.workflow_commands import annotation_commands
from tests.test_workflow_commands import assessed


@pytest.mark.parametrize(
    ("blocking", "severity", "level", "command"),
    [
        (True, Severity.LOW, AnnotationLevel.FAILURE, "error"),
        (False, Severity.CRITICAL, AnnotationLevel.WARNING, "warning"),
        (False, Severity.MEDIUM, AnnotationLevel.WARNING, "warning"),
        (False, Severity.LOW, AnnotationLevel.NOTICE, "notice"),
        (False, Severity.UNKNOWN, AnnotationLevel.NOTICE, "notice"),
    ],
)
def test_a_findings_level_and_its_workflow_command(
    blocking: bool, severity: Severity, level: AnnotationLevel, command: str
) -> None:
    item = assessed(blocking=blocking, severity=severity)
    assert level_of(item) is level
    (line,) = annotation_commands([item])
    assert line.startswith(f"::{command} ")


def test_the_check_run_takes_the_same_enum_and_the_checks_api_values() -> None:
    assert CheckRunLevel is AnnotationLevel
    assert [level.value for level in AnnotationLevel] == ["notice", "warning", "failure"]
    assert [level.command for level in AnnotationLevel] == ["notice", "warning", "error"]
