"""The values the GitHub client takes and gives back: annotations in, one frozen result per call out."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from mergeguard.report.levels import AnnotationLevel  # one level for both kinds of annotation

__all__ = [
    "Annotation",
    "AnnotationLevel",
    "CheckRunResult",
    "CommentAction",
    "CommentResult",
    "Conclusion",
    "UploadResult",
    "UploadStatus",
]


class Conclusion(StrEnum):
    """The conclusions a check run can be given (GitHub alone sets `stale`)."""

    SUCCESS = "success"
    FAILURE = "failure"
    NEUTRAL = "neutral"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"
    TIMED_OUT = "timed_out"
    ACTION_REQUIRED = "action_required"


@dataclass(frozen=True, slots=True)
class Annotation:
    """One line annotation on a check run; `start_line` 0 (a file-level finding) is sent as line 1."""

    path: str
    start_line: int
    end_line: int
    level: AnnotationLevel
    title: str
    message: str


class CommentAction(StrEnum):
    """What `upsert_comment` did."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class CommentResult:
    """The PR comment after an upsert, and its link."""

    action: CommentAction
    url: str


class UploadStatus(StrEnum):
    """Where a SARIF upload ended: processed, refused, or still pending when mergeguard stopped waiting."""

    COMPLETE = "complete"
    FAILED = "failed"
    PENDING = "pending"
    TOO_LARGE = "too-large"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class UploadResult:
    """A SARIF upload: GitHub's id (None when it was refused), its status and any errors GitHub gave."""

    id: str | None
    status: UploadStatus
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckRunResult:
    """A check run as created, with how many annotations went up in how many requests."""

    id: int
    url: str
    annotations: int
    requests: int
