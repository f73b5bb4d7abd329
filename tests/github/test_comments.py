"""The sticky PR comment through a mocked api.github.com: found by its marker on any page, edited in place."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import responses
from responses import matchers

from mergeguard.github import CommentAction, CommentResult, GitHubClient
from mergeguard.github.payloads import COMMENT_LIMIT
from tests.github.conftest import MARKER, REPOSITORY, sent_json, unwrap

API = "https://api.github.com"
# PyGithub always writes the port into the URL it requests.
CALLED = f"https://api.github.com:443/repos/{REPOSITORY}"
COMMENTS = f"{CALLED}/issues/12/comments"
USER = "https://api.github.com:443/user"


def comment(comment_id: int, body: str, login: str = "octocat") -> dict[str, Any]:
    """An issue comment as the REST API lists it (the fields PyGithub reads)."""
    return {
        "id": comment_id,
        "body": body,
        "url": f"{API}/repos/{REPOSITORY}/issues/comments/{comment_id}",
        "html_url": f"https://github.com/{REPOSITORY}/pull/12#issuecomment-{comment_id}",
        "user": {"login": login, "id": 1, "type": "User"},
    }


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mocked:
        yield mocked


def installation_token(mock: responses.RequestsMock) -> None:
    """`GET /user` answered as GitHub answers the workflow's token: 403, so ours are github-actions[bot]'s."""
    mock.get(USER, status=403, json={"message": "Resource not accessible by integration"})


@pytest.fixture
def client(make_client: Callable[[str], GitHubClient]) -> GitHubClient:
    return make_client(API)


def test_marker_on_the_second_page_is_found_and_edited_in_place(
    mock: responses.RequestsMock, client: GitHubClient
) -> None:
    link = f"{API}/repos/{REPOSITORY}/issues/12/comments?per_page=100&page=2"  # as GitHub writes it
    first = [comment(i, f"comment {i}") for i in range(1, 101)]
    mock.get(
        COMMENTS,
        match=[matchers.query_param_matcher({"per_page": "100"})],
        json=first,
        headers={"Link": f'<{link}>; rel="next", <{link}>; rel="last"'},
    )
    mock.get(
        f"{COMMENTS}?per_page=100&page=2",
        json=[comment(101, "by hand"), comment(102, f"{MARKER}\nold", "github-actions[bot]")],
    )
    installation_token(mock)
    mock.patch(f"{CALLED}/issues/comments/102", json=comment(102, f"{MARKER}\nnew", "github-actions[bot]"))

    result = client.upsert_comment(12, f"{MARKER}\nnew", MARKER)

    url = f"https://github.com/{REPOSITORY}/pull/12#issuecomment-102"
    assert result == CommentResult(CommentAction.UPDATED, url)
    assert sent_json(mock, "PATCH") == [{"body": f"{MARKER}\nnew"}]
    assert [c.request.method for c in mock.calls] == ["GET", "GET", "GET", "PATCH"]


def test_no_marked_comment_creates_one_with_the_marker_first(
    mock: responses.RequestsMock, client: GitHubClient
) -> None:
    mock.get(COMMENTS, json=[comment(5, "LGTM")])
    mock.post(COMMENTS, status=201, json=comment(6, f"{MARKER}\n## mergeguard: PASS", "github-actions[bot]"))

    result = client.upsert_comment(12, "## mergeguard: PASS", MARKER)

    assert unwrap(result).action is CommentAction.CREATED
    assert sent_json(mock, "POST") == [{"body": f"{MARKER}\n## mergeguard: PASS"}]


def test_an_unchanged_body_sends_no_patch(mock: responses.RequestsMock, client: GitHubClient) -> None:
    mock.get(COMMENTS, json=[comment(7, f"{MARKER}\r\nsame\r\n", "github-actions[bot]")])
    installation_token(mock)

    result = client.upsert_comment(12, f"{MARKER}\nsame\n", MARKER)

    assert unwrap(result).action is CommentAction.UNCHANGED
    assert [c.request.method for c in mock.calls] == ["GET", "GET"]


def test_a_body_over_the_limit_is_cut_and_keeps_its_marker(
    mock: responses.RequestsMock, client: GitHubClient
) -> None:
    mock.get(COMMENTS, json=[])
    mock.post(COMMENTS, status=201, json=comment(8, MARKER, "github-actions[bot]"))

    client.upsert_comment(12, "x" * 70_000 + MARKER, MARKER)

    (body,) = sent_json(mock, "POST")
    assert len(body["body"]) == COMMENT_LIMIT
    assert body["body"].startswith(MARKER)


def test_a_patch_that_meets_a_server_error_is_retried(
    mock: responses.RequestsMock, client: GitHubClient, waits: list[float]
) -> None:
    mock.get(COMMENTS, json=[comment(9, f"{MARKER}\nold", "github-actions[bot]")])
    installation_token(mock)
    mock.patch(f"{CALLED}/issues/comments/9", status=502, json={"message": "Server Error"})
    mock.patch(f"{CALLED}/issues/comments/9", json=comment(9, f"{MARKER}\nnew", "github-actions[bot]"))

    result = client.upsert_comment(12, f"{MARKER}\nnew", MARKER)

    assert unwrap(result).action is CommentAction.UPDATED
    assert len(sent_json(mock, "PATCH")) == 2
    assert waits == [1.0]


def test_an_empty_marker_is_refused(client: GitHubClient) -> None:
    with pytest.raises(ValueError, match="marker"):
        client.upsert_comment(12, "body", "  ")
