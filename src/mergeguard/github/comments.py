"""The sticky PR comment: the token's own comment carrying the marker, edited in place; no one else's."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from github.GithubException import GithubException, RateLimitExceededException

from mergeguard.github.answers import BadAnswer, number, obj, objects, optional_text, text
from mergeguard.github.outcomes import CommentAction, CommentResult
from mergeguard.github.payloads import same_body

# The login of the workflow's GITHUB_TOKEN (an installation token, for which `GET /user` answers 403).
WORKFLOW_BOT = "github-actions[bot]"
MAX_PAGES = 50  # 100 comments a page: a PR with more is not searched further
_NEXT = re.compile(r'<([^<>\s]+)>\s*;\s*rel="?next"?')

Request = Callable[..., tuple[dict[str, Any], Any]]  # PyGithub's `Requester.requestJsonAndCheck`


@dataclass(frozen=True, slots=True)
class Posted:
    """A comment as listed: who wrote it and what it says."""

    id: int
    author: str
    body: str
    url: str


def upsert(  # noqa: PLR0917 - one call site, each argument named there
    request: Request, repo_url: str, number_: int, text_: str, marker: str, author: str | None
) -> CommentResult:
    """Edits our comment that carries `marker` (the first, oldest), or creates one.

    A comment is ours when its author is `author`, or else the token's own login (`GET /user`; the
    workflow's token cannot read it and is `github-actions[bot]`). Comments by anyone else are never
    touched, whatever they say: the marker is text anyone can type.
    """
    comments_url = f"{repo_url}/issues/{number_}/comments"
    marked = [c for c in listed(request, comments_url) if marker in c.body]
    ours = None
    if marked:
        me = (author or own_login(request)).casefold()  # logins are case-insensitive
        ours = next((c for c in marked if c.author.casefold() == me), None)
    if ours is None:
        _, answer = request("POST", comments_url, input={"body": text_})
        return CommentResult(CommentAction.CREATED, optional_text(obj(answer, "the new comment"), "html_url"))
    if same_body(ours.body, text_):
        return CommentResult(CommentAction.UNCHANGED, ours.url)
    _, answer = request("PATCH", f"{repo_url}/issues/comments/{ours.id}", input={"body": text_})
    return CommentResult(
        CommentAction.UPDATED, optional_text(obj(answer, "the edited comment"), "html_url") or ours.url
    )


def own_login(request: Request) -> str:
    """The token's login; `github-actions[bot]` when GitHub will not say (403/404: an installation token)."""
    try:
        _, user = request("GET", "/user")
    except GithubException as exc:
        if exc.status in (403, 404) and not isinstance(exc, RateLimitExceededException):
            return WORKFLOW_BOT
        raise
    return text(obj(user, "GET /user"), "login", "GET /user")


def listed(request: Request, url: str) -> list[Posted]:
    """Every comment of the issue, page by page through the `Link` header."""
    found: list[Posted] = []
    parameters: dict[str, Any] | None = {"per_page": 100}
    for _ in range(MAX_PAGES):
        headers, data = request("GET", url, parameters=parameters)
        found += [_posted(item) for item in objects(data, "the PR's comments")]
        match = _NEXT.search(str(headers.get("link", "")))
        if match is None:
            return found
        url, parameters = match.group(1), None
    raise BadAnswer(f"the PR has more than {MAX_PAGES * 100} comments; they are not searched further")


def _posted(item: dict[str, Any]) -> Posted:
    user = item.get("user")
    return Posted(
        id=number(item, "id", "a comment"),
        author=optional_text(user, "login") if isinstance(user, dict) else "",
        body=optional_text(item, "body"),
        url=optional_text(item, "html_url"),
    )
