"""Whose comment is ours, and answers of the wrong shape, through the loopback API: one line, no traceback."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mergeguard.github import CommentAction, GitHubClient, GitHubError
from mergeguard.github.comments import WORKFLOW_BOT
from tests.github.conftest import MARKER, REPOSITORY, SHA, TOKEN, unwrap
from tests.github_server import FakeGitHub

Make = Callable[[str], GitHubClient]


def test_only_the_tokens_own_marked_comment_is_edited(fake_api: FakeGitHub, make_client: Make) -> None:
    fake_api.user_login = "octocat"  # a personal access token: GET /user answers
    mallory = fake_api.add_comment(12, f"{MARKER}\nplanted", user="mallory")
    bot = fake_api.add_comment(12, f"{MARKER}\nthe workflow token's", user=WORKFLOW_BOT)
    ours = fake_api.add_comment(12, f"{MARKER}\nold", user="OctoCat")  # logins compare case-insensitively

    result = unwrap(make_client(fake_api.url).upsert_comment(12, "new", MARKER))

    assert result.action is CommentAction.UPDATED and result.url.endswith(f"#issuecomment-{ours}")
    assert fake_api.comments[ours]["body"] == f"{MARKER}\nnew"
    assert fake_api.comments[mallory]["body"] == f"{MARKER}\nplanted"
    assert fake_api.comments[bot]["body"] == f"{MARKER}\nthe workflow token's"


def test_the_workflow_token_cannot_read_get_user_and_is_github_actions_bot(
    fake_api: FakeGitHub, make_client: Make
) -> None:
    mallory = fake_api.add_comment(12, f"{MARKER}\nplanted", user="mallory")

    result = unwrap(make_client(fake_api.url).upsert_comment(12, "ours", MARKER))

    assert result.action is CommentAction.CREATED
    assert fake_api.comments[mallory]["body"] == f"{MARKER}\nplanted"
    assert [(c["user"], c["body"]) for c in fake_api.comments_on(12)][1] == (WORKFLOW_BOT, f"{MARKER}\nours")
    assert [c.status for c in fake_api.calls if c.path == "/user"] == [403]


def test_no_marked_comment_needs_no_identity(fake_api: FakeGitHub, make_client: Make) -> None:
    fake_api.add_comment(12, "LGTM", user="mallory")
    unwrap(make_client(fake_api.url).upsert_comment(12, "ours", MARKER))
    assert "/user" not in [c.path for c in fake_api.calls]


def test_an_explicit_author_is_used_as_given(fake_api: FakeGitHub, make_client: Make) -> None:
    app = fake_api.add_comment(12, f"{MARKER}\nold", user="my-gate[bot]")

    make_client(fake_api.url).upsert_comment(12, "new", MARKER, author="my-gate[bot]")

    assert fake_api.comments[app]["body"] == f"{MARKER}\nnew"
    assert "/user" not in [c.path for c in fake_api.calls]


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ({"login": 7}, "GET /user: `login` is a number, not a string"),
        ([{"login": "x"}], "GET /user is a list, not a JSON object"),
    ],
)
def test_a_get_user_of_the_wrong_shape_fails_the_comment_in_one_line(
    fake_api: FakeGitHub, make_client: Make, answer: object, said: str
) -> None:
    fake_api.add_comment(12, f"{MARKER}\nold", user=WORKFLOW_BOT)
    fake_api.canned.append(("GET", (200, [fake_api._comment_json(c) for c in fake_api.comments_on(12)], {})))
    fake_api.reply_next(200, answer)

    with pytest.raises(GitHubError) as raised:
        make_client(fake_api.url).upsert_comment(12, "new", MARKER)

    assert str(raised.value) == f"PR comment: GitHub's answer cannot be used: {said}"
    assert fake_api.writes() == []


@pytest.mark.parametrize(
    ("receipt", "said"),
    [({"url": "x"}, "no usable `id`"), ({"id": "../../x"}, "no usable `id`"), ([], "is a list")],
)
def test_an_upload_receipt_of_the_wrong_shape_is_one_line(
    fake_api: FakeGitHub, make_client: Make, receipt: object, said: str
) -> None:
    fake_api.canned.append(("POST", (202, receipt, {})))

    with pytest.raises(
        GitHubError, match=r"^code scanning upload: GitHub's answer cannot be used: "
    ) as raised:
        make_client(fake_api.url).upload_sarif('{"version": "2.1.0", "runs": []}', SHA, "refs/heads/main")

    assert said in str(raised.value)


@pytest.mark.parametrize(
    "url", ["", "api.github.com", "file:///etc/passwd", "https:///x", "https://a b/", "http://h:x/"]
)
def test_a_garbage_api_url_is_refused_in_one_line(url: str) -> None:
    with pytest.raises(GitHubError, match=r"^GITHUB_API_URL .* is not an http\(s\) URL with a host$"):
        GitHubClient(TOKEN, url, REPOSITORY)
