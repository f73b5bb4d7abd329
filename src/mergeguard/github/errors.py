"""What a failed GitHub API call becomes: `WriteDenied` when the token may not write, else a `GitHubError`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import requests
from github.GithubException import (
    GithubException,
    RateLimitExceededExceedsMaxWait,
    RateLimitExceededException,
)

from mergeguard.core.errors import MergeguardError
from mergeguard.github.answers import LIBRARY_FAULTS, unusable

FORK_MESSAGE = "resource not accessible by integration"
GHAS_MESSAGE = "advanced security must be enabled"


class Feature(Enum):
    """What mergeguard was doing on GitHub, and the workflow permission it needs."""

    COMMENT = ("PR comment", "pull-requests: write")
    SARIF = ("code scanning upload", "security-events: write")
    CHECK_RUN = ("check run", "checks: write")

    def __init__(self, label: str, permission: str) -> None:
        self.label = label
        self.permission = permission


class GitHubError(MergeguardError):
    """A GitHub API call that failed for another reason than a token that may not write: one line."""


@dataclass(frozen=True, slots=True)
class WriteDenied:
    """GitHub refused a write (403): not an error of the run, one notice saying why."""

    feature: Feature
    http_status: int
    message: str

    @property
    def notice(self) -> str:
        """One line for the log: what was skipped, GitHub's words, and what would fix it."""
        skipped = f"{self.feature.label} skipped: GitHub answered {self.http_status} {self.message!r}"
        lowered = self.message.lower()
        if FORK_MESSAGE in lowered:
            return (
                f"{skipped}: the token is read-only here (pull requests from forks always get a read-only "
                f"GITHUB_TOKEN), or the workflow lacks `permissions: {self.feature.permission}`"
            )
        if GHAS_MESSAGE in lowered:
            return f"{skipped}: code scanning needs GitHub Code Security on this private repository"
        return f"{skipped}: the token needs `{self.feature.permission}`"


def is_write_denied(exc: GithubException) -> bool:
    """A 403 that is not a rate limit (GithubRetry has already retried those)."""
    return exc.status == 403 and not isinstance(exc, RateLimitExceededException)


def github_message(exc: GithubException) -> str:
    """GitHub's own `message` for a failed call, or the status alone."""
    data = exc.data
    message = data.get("message") if isinstance(data, dict) else None
    return " ".join(str(message or exc.message or "").split()) or f"HTTP {exc.status}"


def describe(exc: Exception, max_retries: int) -> str:
    """A one-line reason for a failed call, from status and message only (never from the request headers)."""
    if isinstance(exc, RateLimitExceededExceedsMaxWait):
        return f"rate limited by GitHub; the wait it asks for ({exc.wait or 0:.0f}s) is longer than allowed"
    if isinstance(exc, RateLimitExceededException):
        return f"rate limited by GitHub: {github_message(exc)}"
    if isinstance(exc, GithubException):
        return f"GitHub answered {exc.status}: {github_message(exc)}"
    if isinstance(exc, requests.exceptions.RetryError):
        return f"gave up after {max_retries} retries (server errors or rate limits)"
    if isinstance(exc, LIBRARY_FAULTS) and not isinstance(exc, requests.RequestException):
        return f"GitHub's answer cannot be used: {unusable(exc)}"
    return f"cannot reach the GitHub API ({type(exc).__name__})"


def to_error(feature: Feature, exc: Exception, max_retries: int, token: str) -> GitHubError:
    """The `GitHubError` for a failed call, with the token scrubbed should a server have echoed it."""
    text = f"{feature.label}: {describe(exc, max_retries)}"
    return GitHubError(text.replace(token, "***") if token else text)
