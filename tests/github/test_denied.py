"""A token that may not write (forks, no code scanning) gives one notice, not an error; never the token."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
import responses

from mergeguard.github import Conclusion, Feature, GitHubClient, GitHubError, WriteDenied
from tests.github.conftest import MARKER, REPOSITORY, SHA, TOKEN

CALLED = f"https://api.github.com:443/repos/{REPOSITORY}"
FORK = "Resource not accessible by integration"
GHAS = "Advanced Security must be enabled for this repository to use code scanning."


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mocked:
        yield mocked


@pytest.fixture
def client(make_client: Callable[[str], GitHubClient]) -> GitHubClient:
    return make_client("https://api.github.com")


def forbidden(message: str) -> dict[str, str]:
    return {"message": message, "documentation_url": "https://docs.github.com/rest"}


def test_a_comment_from_a_fork_is_denied_with_one_notice(
    mock: responses.RequestsMock, client: GitHubClient
) -> None:
    mock.get(f"{CALLED}/issues/12/comments", json=[])
    mock.post(f"{CALLED}/issues/12/comments", status=403, json=forbidden(FORK))

    result = client.upsert_comment(12, "body", MARKER)

    assert result == WriteDenied(Feature.COMMENT, 403, FORK)
    assert isinstance(result, WriteDenied)
    assert "\n" not in result.notice
    assert result.notice.startswith(
        "PR comment skipped: GitHub answered 403 'Resource not accessible by integration'"
    )
    assert "forks" in result.notice
    assert "pull-requests: write" in result.notice
    assert len(mock.calls) == 2  # a 403 that is not a rate limit is not retried


def test_sarif_without_advanced_security_is_denied(
    mock: responses.RequestsMock, client: GitHubClient
) -> None:
    mock.post(f"{CALLED}/code-scanning/sarifs", status=403, json=forbidden(GHAS))

    result = client.upload_sarif("{}", SHA, "refs/heads/main")

    assert isinstance(result, WriteDenied)
    assert result.feature is Feature.SARIF
    assert result.notice.endswith("code scanning needs GitHub Code Security on this private repository")


def test_a_check_run_without_the_permission_is_denied(
    mock: responses.RequestsMock, client: GitHubClient
) -> None:
    mock.post(f"{CALLED}/check-runs", status=403, json=forbidden("Must have admin rights to Repository."))

    result = client.create_check_run(
        "mergeguard", SHA, conclusion=Conclusion.SUCCESS, title="PASS", summary="ok", annotations=[]
    )

    assert isinstance(result, WriteDenied)
    assert result.notice.endswith("the token needs `checks: write`")


def test_the_token_appears_in_no_error_and_no_log(
    mock: responses.RequestsMock, client: GitHubClient, caplog: pytest.LogCaptureFixture
) -> None:
    echo = {"message": f"Bad credentials: token {TOKEN}"}  # a server (or proxy) that echoes the header
    mock.get(f"{CALLED}/issues/12/comments", status=401, json=echo)
    mock.post(f"{CALLED}/check-runs", status=500, json=echo)

    with caplog.at_level(logging.DEBUG), pytest.raises(GitHubError) as first:
        client.upsert_comment(12, "body", MARKER)
    with caplog.at_level(logging.DEBUG), pytest.raises(GitHubError) as second:
        client.create_check_run(
            "mergeguard", SHA, conclusion=Conclusion.FAILURE, title="FAIL", summary="x", annotations=[]
        )

    assert str(first.value) == "PR comment: GitHub answered 401: Bad credentials: token ***"
    assert str(second.value) == "check run: gave up after 2 retries (server errors or rate limits)"
    for error in (first.value, second.value):
        assert error.__cause__ is None and error.__suppress_context__
        assert TOKEN not in f"{error} {error!r}"
    assert caplog.records  # PyGithub's and urllib3's debug logs did run
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(client)


def test_a_denied_message_that_echoes_the_token_is_scrubbed(
    mock: responses.RequestsMock, client: GitHubClient
) -> None:
    mock.post(f"{CALLED}/check-runs", status=403, json=forbidden(f"{FORK} for {TOKEN}"))

    result = client.create_check_run(
        "mergeguard", SHA, conclusion=Conclusion.SUCCESS, title="PASS", summary="ok", annotations=[]
    )

    assert isinstance(result, WriteDenied)
    assert TOKEN not in result.notice
    assert result.message == f"{FORK} for ***"


@pytest.mark.parametrize(("token", "repository"), [("", REPOSITORY), (TOKEN, "just-a-name")])
def test_a_missing_token_or_bad_repository_is_a_one_line_error(token: str, repository: str) -> None:
    with pytest.raises(GitHubError):
        GitHubClient(token, "https://api.github.com", repository)
