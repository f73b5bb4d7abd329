"""GitHub side of mergeguard: the API client and the values it takes and returns."""

from __future__ import annotations

from mergeguard.github.client import GitHubClient
from mergeguard.github.errors import Feature, GitHubError, WriteDenied
from mergeguard.github.outcomes import (
    Annotation,
    AnnotationLevel,
    CheckRunResult,
    CommentAction,
    CommentResult,
    Conclusion,
    UploadResult,
    UploadStatus,
)

__all__ = [
    "Annotation",
    "AnnotationLevel",
    "CheckRunResult",
    "CommentAction",
    "CommentResult",
    "Conclusion",
    "Feature",
    "GitHubClient",
    "GitHubError",
    "UploadResult",
    "UploadStatus",
    "WriteDenied",
]
