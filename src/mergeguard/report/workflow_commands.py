"""GitHub Actions workflow commands: line annotations within GitHub's caps, and step outputs."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence

from mergeguard.core.policy import Assessed, FindingStatus
from mergeguard.core.text import loggable
from mergeguard.report.levels import AnnotationLevel, level_of

# GitHub shows at most 10 error, 10 warning and 10 notice annotations per step and drops the rest
# without a word; one notice slot is kept to say how many were left out.
CAP_PER_LEVEL = 10
_ANNOTATED = (FindingStatus.NEW, FindingStatus.EXPIRED)


def escape_data(text: str) -> str:
    """A workflow command's message: `%`, CR and LF escaped, so a value cannot start a new command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as a message, plus `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int) -> str:
    """One workflow command line, every value escaped."""
    props = ",".join(f"{key}={escape_property(loggable(str(value)))}" for key, value in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(loggable(message))}"


def annotation_commands(assessed: Sequence[Assessed], prefix: str = "") -> list[str]:
    """Annotations for the findings the change brings (blocking first), at most 10 per level.

    `prefix` is the scanned directory's path in the workspace ("" or "svc/"): GitHub places
    annotations by workspace-relative path.

    Accepted and pre-existing findings are not annotated: they are not what the change is about.
    """
    chosen = sorted((a for a in assessed if a.status in _ANNOTATED), key=_priority)
    counts = dict.fromkeys(AnnotationLevel, 0)
    lines, left_out = [], 0
    for item in chosen:
        level = level_of(item)
        cap = CAP_PER_LEVEL - (1 if level is AnnotationLevel.NOTICE else 0)
        if counts[level] >= cap:
            left_out += 1
            continue
        counts[level] += 1
        lines.append(_annotation(item, level, prefix))
    if left_out:
        lines.append(
            command(
                AnnotationLevel.NOTICE.command,
                f"mergeguard: {left_out} more findings are not annotated (GitHub shows "
                f"{CAP_PER_LEVEL} per level); see the job summary and the reports.",
            )
        )
    return lines


def _priority(item: Assessed) -> tuple[bool, int, str, int]:
    f = item.finding
    return (not item.blocking, -f.severity, f.location.path, f.location.start_line)


def _annotation(item: Assessed, level: AnnotationLevel, prefix: str) -> str:
    f = item.finding
    title = f"{f.severity.label} {f.rule_id}: {f.title}"[:200]
    seen = f" (seen by {', '.join(f.tools)})" if len(f.tools) > 1 else ""
    blocks = f" Blocks the merge: {item.block.describe()}." if item.block is not None else ""
    message = f"{f.message}{seen}{blocks}"
    loc = f.location
    return command(
        level.command, message, file=prefix + loc.path, line=loc.start_line, endLine=loc.end_line, title=title
    )


def outputs(values: Mapping[str, str]) -> str:
    """Step outputs in `$GITHUB_OUTPUT`'s `name<<DELIMITER` form, safe for any value."""
    chunks = []
    for name, value in values.items():
        delimiter = f"mergeguard_{secrets.token_hex(8)}"
        while delimiter in value:
            delimiter = f"mergeguard_{secrets.token_hex(8)}"
        chunks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(chunks)
