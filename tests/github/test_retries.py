"""Retries and back-off through a mocked API: 5xx, secondary rate limits in each form, giving up."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

import pytest
import responses
from urllib3 import HTTPResponse

from mergeguard.github import CommentResult, GitHubClient, GitHubError
from mergeguard.github.retry import ApiRetry
from tests.github.conftest import MARKER, REPOSITORY, TOKEN

API = "https://api.github.com"
# The comment listing is the client's one GET that any run makes: retries are shown on it.
COMMENTS = f"https://api.github.com:443/repos/{REPOSITORY}/issues/3/comments"
SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
PRIMARY = "API rate limit exceeded for installation ID 123."
CREATED = {"id": 1, "html_url": f"https://github.com/{REPOSITORY}/pull/3#issuecomment-1", "body": "x"}


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mocked:
        yield mocked


@pytest.fixture
def client(make_client: Callable[[str], GitHubClient]) -> GitHubClient:
    return make_client(API)


def listed_then_created(mock: responses.RequestsMock) -> None:
    """After the retried listing: no comment there yet, so one is created."""
    mock.get(COMMENTS, json=[])
    mock.post(COMMENTS, status=201, json=CREATED)


def comment(client: GitHubClient) -> CommentResult:
    result = client.upsert_comment(3, "body", MARKER)
    assert isinstance(result, CommentResult), result
    return result


def gets(mock: responses.RequestsMock) -> int:
    return sum(call.request.method == "GET" for call in mock.calls)


def test_a_server_error_is_retried_after_a_pause(
    mock: responses.RequestsMock, client: GitHubClient, waits: list[float]
) -> None:
    mock.get(COMMENTS, status=502, json={"message": "Server Error"})
    listed_then_created(mock)

    result = comment(client)

    assert result.url == CREATED["html_url"]
    assert gets(mock) == 2
    assert waits == [1.0]


def test_server_errors_back_off_exponentially_then_give_up_in_one_line(
    mock: responses.RequestsMock, client: GitHubClient, waits: list[float]
) -> None:
    mock.get(COMMENTS, status=503, json={"message": "Service Unavailable"})

    with pytest.raises(GitHubError) as raised:
        client.upsert_comment(3, "body", MARKER)

    assert str(raised.value) == "PR comment: gave up after 2 retries (server errors or rate limits)"
    assert len(mock.calls) == 3
    assert waits == [1.0, 2.0]


@pytest.mark.parametrize("status", [403, 429])
def test_a_secondary_rate_limit_waits_for_retry_after(
    mock: responses.RequestsMock, client: GitHubClient, waits: list[float], status: int
) -> None:
    mock.get(COMMENTS, status=status, json={"message": SECONDARY}, headers={"Retry-After": "17"})
    listed_then_created(mock)

    assert comment(client).url == CREATED["html_url"]
    assert waits == [17.0]


@pytest.mark.parametrize("value", ["soon", "-5", "-0.5", "nan", "inf", "1e999", " ", "Wed, 99 Foo 2025"])
@pytest.mark.parametrize(("status", "expected"), [(503, 1.0), (429, 60.0)])
def test_a_garbage_or_negative_retry_after_counts_as_absent(
    mock: responses.RequestsMock,
    client: GitHubClient,
    waits: list[float],
    value: str,
    status: int,
    expected: float,
) -> None:
    """Not an unreachable API: the back-off (or a secondary rate limit's minute) it would get without one."""
    mock.get(COMMENTS, status=status, json={"message": SECONDARY}, headers={"Retry-After": value})
    listed_then_created(mock)

    assert comment(client).url == CREATED["html_url"]
    assert waits == [expected]


@pytest.mark.parametrize("message", [SECONDARY, PRIMARY])
def test_remaining_zero_waits_until_the_reset(
    mock: responses.RequestsMock, client: GitHubClient, waits: list[float], message: str
) -> None:
    reset = int(time.time()) + 100
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset), "x-ratelimit-limit": "5000"}
    mock.get(COMMENTS, status=403, json={"message": message}, headers=headers)
    listed_then_created(mock)

    comment(client)

    (wait,) = waits
    assert 99 <= wait <= 101  # until the reset, plus one second, as GitHub documents


def test_a_secondary_rate_limit_without_headers_waits_a_minute(
    mock: responses.RequestsMock, client: GitHubClient, waits: list[float]
) -> None:
    mock.get(COMMENTS, status=429, json={"message": SECONDARY})
    listed_then_created(mock)

    comment(client)

    assert waits == [60.0]


def test_a_wait_longer_than_allowed_gives_up_at_once(
    mock: responses.RequestsMock, client: GitHubClient, waits: list[float]
) -> None:
    mock.get(COMMENTS, status=403, json={"message": SECONDARY}, headers={"Retry-After": "3600"})

    with pytest.raises(
        GitHubError, match=r"^PR comment: rate limited by GitHub; the wait it asks for \(3600s\)"
    ):
        client.upsert_comment(3, "body", MARKER)
    assert waits == []
    assert len(mock.calls) == 1


def test_each_wait_is_logged_without_the_token(
    mock: responses.RequestsMock, client: GitHubClient, caplog: pytest.LogCaptureFixture
) -> None:
    mock.get(COMMENTS, status=502, json={"message": f"echoing {TOKEN}"})
    listed_then_created(mock)

    with caplog.at_level(logging.DEBUG):
        comment(client)

    assert f"/repos/{REPOSITORY}/issues/3/comments?per_page=100 answered 502; retrying in 1s" in caplog.text
    assert TOKEN not in caplog.text


def test_retry_after_in_http_date_form_and_the_reset_use_the_clocks() -> None:
    slept: list[float] = []
    retry = ApiRetry(total=3, pause=slept.append, clock=lambda: 1_000.0)
    reset = HTTPResponse(status=403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1030"})
    dated = HTTPResponse(status=503, headers={"Retry-After": "Thu, 01 Jan 1970 00:17:00 GMT"})  # clock + 20
    past = HTTPResponse(status=503, headers={"Retry-After": "Wed, 21 Oct 1969 07:28:00 GMT"})

    assert retry.wait_before(retry, reset) == 31.0
    assert retry.wait_before(retry, dated) == 20.0
    assert retry.wait_before(retry, past) == 0.0  # a date in the past: no wait
    retry.new(total=1).pause(2.0)  # the copies urllib3 makes on each retry keep the injected sleep
    assert slept == [2.0]
