"""The GitHub API client that mergeguard reports through: the sticky PR comment, SARIF upload, check run."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar

import requests
from github import Auth, Github
from github.GithubException import GithubException

from mergeguard import __version__
from mergeguard.github import comments
from mergeguard.github.answers import LIBRARY_FAULTS, BadAnswer, BadApiUrl, checked_api_url, obj
from mergeguard.github.errors import (
    Feature,
    GitHubError,
    WriteDenied,
    describe,
    github_message,
    is_write_denied,
    to_error,
)
from mergeguard.github.outcomes import (
    Annotation,
    CheckRunResult,
    CommentResult,
    Conclusion,
    UploadResult,
    UploadStatus,
)
from mergeguard.github.payloads import (
    SARIF_GZIP_LIMIT,
    batches,
    check_output,
    comment_body,
    encode_sarif,
    poll_waits,
)
from mergeguard.github.retry import ApiRetry, Sleep

T = TypeVar("T")
Output = dict[str, Any]
COMMIT_SHA = re.compile(r"[0-9a-fA-F]{40}(?:[0-9a-fA-F]{24})?")
SARIF_REF = re.compile(r"refs/(heads|tags|pull)/.+")
TOO_LARGE = re.compile(r"too large|too big|exceeds|maximum size", re.IGNORECASE)
# An unreachable API, or an answer of no use: with GitHub's own error answers, every way a call fails.
FAILURES: tuple[type[Exception], ...] = (requests.RequestException, *LIBRARY_FAULTS)


class GitHubClient:
    """Talks to one repository through PyGithub; reads no environment (the caller passes token and URL).

    Every call returns a frozen result, or `WriteDenied` when GitHub answers 403 to a token that may not
    write; any other failure raises `GitHubError`, one line without the token. Retries: see `ApiRetry`.
    """

    def __init__(
        self,
        token: str,
        api_url: str,
        repository: str,
        *,
        sleep: Sleep = time.sleep,
        max_retries: int = 5,
        max_wait_s: float = 300.0,
        timeout_s: int = 30,
        seconds_between_writes: float = 1.0,
        seconds_between_requests: float = 0.25,
    ) -> None:
        if not token:
            raise GitHubError("no GitHub token: pass `github-token` (by default the workflow's GITHUB_TOKEN)")
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", repository):
            raise GitHubError(f"repository {repository!r} is not OWNER/NAME")
        try:
            self.api_url = checked_api_url(api_url)
        except BadApiUrl as exc:
            raise GitHubError(str(exc)) from None
        self.repository = repository
        self._token = token
        self._sleep = sleep
        self._max_retries = max_retries
        retry = ApiRetry(total=max_retries, pause=sleep, max_rate_limit_wait=max_wait_s)
        self._github = Github(
            auth=Auth.Token(token),
            base_url=self.api_url,
            timeout=timeout_s,
            user_agent=f"mergeguard/{__version__}",
            per_page=100,
            retry=retry,
            seconds_between_requests=seconds_between_requests,
            seconds_between_writes=seconds_between_writes,
            lazy=True,
        )
        self._repo = self._github.get_repo(repository)
        # PyGithub gives its logger an INFO stderr handler at import: its retry lines would repeat ApiRetry's.
        logging.getLogger("github").setLevel(logging.WARNING)

    def __repr__(self) -> str:
        return f"GitHubClient(api_url={self.api_url!r}, repository={self.repository!r})"

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Closes the HTTP connections."""
        self._github.close()

    def upsert_comment(
        self, pr_number: int, body: str, marker: str, *, author: str | None = None
    ) -> CommentResult | WriteDenied:
        """Creates the PR comment holding `marker`, edits ours in place, or leaves it as it is.

        Ours: written by `author`, by default the token's own login (see `comments.upsert`).
        """
        if not marker.strip():
            raise ValueError("the comment marker is empty")
        body = comment_body(body, marker)
        request = self._github.requester.requestJsonAndCheck
        return self._attempt(
            Feature.COMMENT,
            lambda: comments.upsert(request, self._repo.url, pr_number, body, marker, author),
        )

    def upload_sarif(
        self, sarif_text: str, commit_sha: str, ref: str, *, wait_s: float = 120.0
    ) -> UploadResult | WriteDenied:
        """Uploads SARIF to code scanning, then waits up to `wait_s` seconds for GitHub to process it."""
        if not COMMIT_SHA.fullmatch(commit_sha):
            raise GitHubError(f"code scanning upload: {commit_sha!r} is not a full commit SHA")
        if not SARIF_REF.fullmatch(ref):
            raise GitHubError(
                f"code scanning upload: ref {ref!r} is not refs/heads/…, refs/tags/…, refs/pull/…"
            )
        encoded, size = encode_sarif(sarif_text)
        if size > SARIF_GZIP_LIMIT:
            reason = f"the SARIF is {size} bytes gzipped; code scanning takes at most {SARIF_GZIP_LIMIT}"
            return UploadResult(None, UploadStatus.TOO_LARGE, (reason,))
        body = {"commit_sha": commit_sha, "ref": ref, "sarif": encoded}
        return self._attempt(Feature.SARIF, lambda: self._upload(body, wait_s))

    def create_check_run(
        self,
        name: str,
        head_sha: str,
        *,
        conclusion: Conclusion,
        title: str,
        summary: str,
        annotations: Sequence[Annotation],
        text: str | None = None,
    ) -> CheckRunResult | WriteDenied:
        """Creates a completed check run with the first 50 annotations, then PATCHes the rest 50 at a time."""
        outputs = [check_output(title, summary, text, batch) for batch in batches(annotations)]
        return self._attempt(Feature.CHECK_RUN, lambda: self._check_run(name, head_sha, conclusion, outputs))

    def _attempt(self, feature: Feature, call: Callable[[], T]) -> T | WriteDenied:
        """Runs one exchange with the API: a 403 becomes `WriteDenied`, any other failure a `GitHubError`."""
        try:
            return call()
        except GithubException as exc:
            if is_write_denied(exc):
                return WriteDenied(feature, exc.status, github_message(exc).replace(self._token, "***"))
            raise to_error(feature, exc, self._max_retries, self._token) from None
        except FAILURES as exc:
            raise to_error(feature, exc, self._max_retries, self._token) from None

    def _upload(self, body: dict[str, Any], wait_s: float) -> UploadResult:
        url = f"{self._repo.url}/code-scanning/sarifs"
        try:
            _, receipt = self._github.requester.requestJsonAndCheck("POST", url, input=body)
        except GithubException as exc:
            refused = refused_upload(exc)
            if refused is None:
                raise
            return refused
        receipt = obj(receipt, "the upload's receipt")
        sarif_id = receipt.get("id")
        if not isinstance(sarif_id, str) or not re.fullmatch(r"[\w-]{1,100}", sarif_id):
            raise BadAnswer("the upload's receipt has no usable `id`")
        return self._wait_for(sarif_id, wait_s)

    def _wait_for(self, sarif_id: str, wait_s: float) -> UploadResult:
        """Polls the upload's processing status with growing pauses (GitHub's action checks every 5 s)."""
        url = f"{self._repo.url}/code-scanning/sarifs/{sarif_id}"
        for pause in poll_waits(wait_s):
            self._sleep(pause)
            try:
                _, status = self._github.requester.requestJsonAndCheck("GET", url)
            except (GithubException, requests.RequestException) as exc:
                reason = f"could not read the processing status: {describe(exc, self._max_retries)}"
                return UploadResult(sarif_id, UploadStatus.PENDING, (reason,))
            status = obj(status, "the upload's status")
            state = status.get("processing_status")
            if state in (UploadStatus.COMPLETE, UploadStatus.FAILED):
                errors = status.get("errors") or []
                errors = [str(e) for e in errors] if isinstance(errors, list) else [str(errors)]
                return UploadResult(sarif_id, UploadStatus(state), tuple(errors))
        waited = f"still processing after {wait_s:.0f}s" if wait_s >= 1 else "not waited for"
        return UploadResult(sarif_id, UploadStatus.PENDING, (waited,))

    def _check_run(
        self, name: str, head_sha: str, conclusion: Conclusion, outputs: list[Output]
    ) -> CheckRunResult:
        first, *rest = outputs
        run = self._repo.create_check_run(
            name=name, head_sha=head_sha, conclusion=conclusion.value, output=first
        )
        for output in rest:
            run.edit(output=output)
        count = sum(len(output.get("annotations", ())) for output in outputs)
        return CheckRunResult(run.id, run.html_url, count, len(outputs))


def refused_upload(exc: GithubException) -> UploadResult | None:
    """An upload GitHub refused for its content (413, 400, 422), as a result; None for other failures."""
    message = github_message(exc)
    if exc.status == 413 or (exc.status == 422 and TOO_LARGE.search(message)):
        return UploadResult(None, UploadStatus.TOO_LARGE, (message,))
    if exc.status in (400, 422):
        return UploadResult(None, UploadStatus.REJECTED, (message,))
    return None
