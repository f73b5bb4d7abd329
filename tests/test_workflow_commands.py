"""Workflow commands: every value escaped, GitHub's per-level caps kept, outputs multi-line safe."""

from __future__ import annotations

import re

import pytest

from mergeguard.core.model import Finding, Kind, Location, Severity
from mergeguard.core.policy import Assessed, FindingStatus
from mergeguard.report.workflow_commands import (
    annotation_commands,
    command,
    escape_data,
    escape_property,
    outputs,
)

HOSTILE = "boom%0A::error::pwned\nnext line\r,key:value <img src=x> @org/team 100%"


def assessed(
    message: str = "m",
    path: str = "a.py",
    *,
    blocking: bool = True,
    status: FindingStatus = FindingStatus.NEW,
    severity: Severity = Severity.HIGH,
    line: int = 1,
) -> Assessed:
    f = Finding("bandit", "B602", severity, "title", message, Location(path, line), Kind.CODE)
    return Assessed(f, status, blocking)


def test_escaping_rules() -> None:
    assert escape_data("a%b\r\nc") == "a%25b%0D%0Ac"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_a_hostile_message_and_path_stay_inside_one_command() -> None:
    (line,) = annotation_commands([assessed(HOSTILE, path="dir,x:y/%0A::error::f.py")])
    # One line; the runner takes the properties up to the first "::" and the rest as the message,
    # where "::" is inert text and "%0A" stays literal (escaped to %250A, so it never decodes to a newline).
    assert "\n" not in line and "\r" not in line
    head, message = line.split("::", 2)[1:]
    assert head.startswith("error file=dir%2Cx%3Ay/%250A%3A%3Aerror%3A%3Af.py,line=1,endLine=1,title=")
    assert message.startswith("boom%250A::error::pwned%0Anext line%0D,key:value")


def test_caps_per_level_blocking_first_and_a_note_for_the_rest() -> None:
    items = [assessed(f"b{i}", line=i) for i in range(1, 13)]  # 12 blocking -> error
    items += [assessed(f"w{i}", blocking=False, severity=Severity.MEDIUM, line=i) for i in range(1, 13)]
    items += [assessed(f"n{i}", blocking=False, severity=Severity.LOW, line=i) for i in range(1, 13)]
    lines = annotation_commands(items)
    levels = [re.match(r"::(\w+)", line).group(1) for line in lines]  # type: ignore[union-attr]
    assert levels.count("error") == 10 and levels.count("warning") == 10 and levels.count("notice") == 10
    assert levels[:10] == ["error"] * 10
    assert "mergeguard: 7 more findings are not annotated" in lines[-1]


def test_accepted_and_pre_existing_are_not_annotated() -> None:
    lines = annotation_commands(
        [
            assessed(status=FindingStatus.ACCEPTED, blocking=False),
            assessed(status=FindingStatus.PRE_EXISTING, blocking=False),
            assessed(status=FindingStatus.EXPIRED),
        ]
    )
    assert len(lines) == 1 and lines[0].startswith("::error ")


def test_command_without_properties() -> None:
    assert command("notice", "a\nb") == "::notice::a%0Ab"


@pytest.mark.parametrize("value", ["plain", "multi\nline\nvalue", "EOF\nmergeguard_x\n", ""])
def test_outputs_survive_any_value(value: str) -> None:
    text = outputs({"verdict": value, "findings": "3"})
    match = re.match(r"verdict<<(\S+)\n(.*)\n\1\nfindings<<(\S+)\n3\n\3\n$", text, re.S)
    assert match is not None and match.group(2) == value


def test_annotations_carry_the_workspace_prefix() -> None:
    (line,) = annotation_commands([assessed(path="app.py")], prefix="svc/api/")
    assert line.startswith("::error file=svc/api/app.py,line=1,")
