"""The client against the loopback API over real HTTP (urllib3's own retry loop), bodies schema-checked."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from github import Auth, Github
from github.GithubException import GithubException

from mergeguard.github import (
    Annotation,
    AnnotationLevel,
    CommentAction,
    Conclusion,
    GitHubClient,
    GitHubError,
    UploadStatus,
    WriteDenied,
)
from tests.github.conftest import MARKER, REPOSITORY, SHA, TOKEN, unwrap
from tests.github_server import API_SCHEMA, FakeGitHub

SARIF_SCHEMA = API_SCHEMA.with_name("sarif-schema-2.1.0.json")
SARIF_FILE = Path(__file__).parents[1] / "fixtures" / "reports" / "sarif" / "trivy-0.76.0-config.sarif"
Make = Callable[[str], GitHubClient]


def warnings_on(count: int) -> list[Annotation]:
    return [
        Annotation("Dockerfile", n, n, AnnotationLevel.WARNING, "DS-0002", "root user")
        for n in range(1, count + 1)
    ]


def test_two_runs_leave_exactly_one_comment_edited_the_second_time(
    fake_api: FakeGitHub, make_client: Make
) -> None:
    for number in range(120):  # someone else's comments fill the first page
        fake_api.add_comment(12, f"review {number}")
    client = make_client(fake_api.url)

    first = client.upsert_comment(12, "## mergeguard: FAIL", MARKER)
    second = client.upsert_comment(12, "## mergeguard: PASS", MARKER)
    third = client.upsert_comment(12, "## mergeguard: PASS", MARKER)

    ours = [c for c in fake_api.comments_on(12) if MARKER in c["body"]]
    assert [c["body"] for c in ours] == [f"{MARKER}\n## mergeguard: PASS"]
    assert [unwrap(r).action for r in (first, second, third)] == [
        CommentAction.CREATED,
        CommentAction.UPDATED,
        CommentAction.UNCHANGED,
    ]
    assert [c.method for c in fake_api.writes()] == ["POST", "PATCH"]


def test_the_sarif_upload_decodes_to_valid_sarif_for_the_commit_and_ref(
    fake_api: FakeGitHub, make_client: Make
) -> None:
    sarif = SARIF_FILE.read_text(encoding="utf-8")

    result = make_client(fake_api.url).upload_sarif(sarif, SHA, "refs/pull/12/merge", wait_s=30)

    assert unwrap(result).status is UploadStatus.COMPLETE
    (upload,) = fake_api.sarifs.values()
    assert (upload["commit_sha"], upload["ref"]) == (SHA, "refs/pull/12/merge")
    assert upload["sarif"] == json.loads(sarif)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(upload["sarif"])


def test_a_check_run_carries_every_annotation(fake_api: FakeGitHub, make_client: Make) -> None:
    result = make_client(fake_api.url).create_check_run(
        "mergeguard",
        SHA,
        conclusion=Conclusion.FAILURE,
        title="FAIL",
        summary="s",
        annotations=warnings_on(101),
    )

    run = fake_api.check_runs[unwrap(result).id]
    assert (run["status"], run["conclusion"], len(run["annotations"])) == ("completed", "failure", 101)


def test_with_every_write_refused_each_feature_is_one_notice(fake_api: FakeGitHub, make_client: Make) -> None:
    fake_api.denied = "Resource not accessible by integration"
    client = make_client(fake_api.url)
    sarif = SARIF_FILE.read_text(encoding="utf-8")

    results = [
        client.upsert_comment(12, "## mergeguard: FAIL", MARKER),
        client.upload_sarif(sarif, SHA, "refs/pull/12/merge"),
        client.create_check_run(
            "mg", SHA, conclusion=Conclusion.FAILURE, title="t", summary="s", annotations=[]
        ),
    ]

    denied = [r for r in results if isinstance(r, WriteDenied)]
    assert [r.feature.permission for r in denied] == [
        "pull-requests: write",
        "security-events: write",
        "checks: write",
    ]
    assert len(fake_api.writes()) == 3  # refused writes are not retried


def test_server_errors_and_both_rate_limit_forms_are_waited_out(
    fake_api: FakeGitHub, make_client: Make, waits: list[float]
) -> None:
    client = make_client(fake_api.url)
    fake_api.fail_next(502, method="POST")
    client.upsert_comment(12, "one", MARKER)
    fake_api.rate_limit_next(reset_at=int(time.time()) + 30, method="GET")
    fake_api.rate_limit_next(retry_after=7, method="PATCH")
    client.upsert_comment(12, "two", MARKER)

    assert [c["body"] for c in fake_api.comments_on(12)] == [f"{MARKER}\ntwo"]
    assert [(c.method, c.status) for c in fake_api.calls] == [
        ("GET", 200),
        ("POST", 502),
        ("POST", 201),
        ("GET", 403),
        ("GET", 200),
        ("GET", 403),  # GET /user: the workflow's token may not; the comment is github-actions[bot]'s
        ("PATCH", 403),
        ("PATCH", 200),
    ]
    assert waits[0] == 1.0
    assert 29 <= waits[1] <= 31  # until x-ratelimit-reset, plus one second
    assert waits[2:] == [7.0]


def test_enterprise_server_prefix(make_client: Make, fake_api: FakeGitHub) -> None:
    with FakeGitHub(token=TOKEN, repository=REPOSITORY, prefix="/api/v3") as ghes:
        result = make_client(ghes.url).upsert_comment(12, "body", MARKER)

        assert unwrap(result).action is CommentAction.CREATED
        assert ghes.url.endswith("/api/v3")
        assert [c.path for c in ghes.calls] == [f"/repos/{REPOSITORY}/issues/12/comments"] * 2


def test_the_token_is_not_in_pygithubs_debug_log(
    fake_api: FakeGitHub, make_client: Make, caplog: pytest.LogCaptureFixture
) -> None:
    fake_api.denied = "Resource not accessible by integration"
    client = make_client(fake_api.url)

    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="github"):
        client.upsert_comment(12, "body", MARKER)

    assert "Authorization" in caplog.text  # PyGithub logs the request headers, masked
    assert TOKEN not in caplog.text


def misbehave(api: FakeGitHub, how: str, method: str) -> None:
    if how == "502":
        api.fail_next(502, method=method)
    elif how == "reset":
        api.rate_limit_next(reset_at=int(time.time()) + 5, method=method)
    else:
        api.rate_limit_next(status=429, method=method)


def plain_pygithub(api_url: str, method: str) -> str:
    """One call through PyGithub with its default retry (pacing off): "ok" or the exception's name."""
    pacing: dict[str, Any] = {"seconds_between_requests": None, "seconds_between_writes": None}
    github = Github(auth=Auth.Token(TOKEN), base_url=api_url, lazy=True, **pacing)
    issue = github.get_repo(REPOSITORY).get_issue(12)
    try:
        if method == "PATCH":
            issue.get_comments()[0].edit("y")
        elif method == "POST":
            issue.create_comment("y")
        else:
            list(issue.get_comments())
    except GithubException as error:
        return type(error).__name__
    return "ok"


@pytest.mark.parametrize(
    ("how", "method", "outcome", "slept"),
    [
        ("502", "PATCH", "GithubException", []),  # PyGithub does not retry PATCH
        ("502", "POST", "ok", []),  # it retries POST, but at once
        ("reset", "GET", "ok", [60]),  # a fixed 60 s, not until x-ratelimit-reset
        ("429", "GET", "GithubException", []),  # a 429 without Retry-After is not retried
    ],
)
def test_what_pygithub_does_by_default(
    fake_api: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
    method: str,
    outcome: str,
    slept: list[int],
) -> None:
    """Measured on PyGithub 2.10.0: why `ApiRetry` exists. An upgrade that changes any of it shows here."""
    recorded: list[float] = []
    monkeypatch.setattr(time, "sleep", recorded.append)
    fake_api.add_comment(12, "x")
    misbehave(fake_api, how, method)

    assert (plain_pygithub(fake_api.url, method), recorded) == (outcome, slept)


def test_an_api_nobody_answers_is_retried_then_one_line(
    fake_api: FakeGitHub, make_client: Make, waits: list[float]
) -> None:
    closed = fake_api.url.rsplit(":", 1)[0] + ":9"  # the discard port: nothing listens on loopback

    with pytest.raises(GitHubError) as raised:
        make_client(closed).upsert_comment(12, "body", MARKER)

    assert str(raised.value) == "PR comment: cannot reach the GitHub API (ConnectionError)"
    assert waits == [1.0, 2.0]
