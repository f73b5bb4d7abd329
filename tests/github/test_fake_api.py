"""The loopback GitHub API itself: it rejects bodies GitHub's schema rejects, paginates, checks the token."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from tests.github.conftest import REPOSITORY, TOKEN
from tests.github_server import FakeGitHub, serving

AUTH = {"Authorization": f"token {TOKEN}"}


def test_a_body_that_violates_the_schema_is_rejected_and_recorded(fake_api: FakeGitHub) -> None:
    url = f"{fake_api.url}/repos/{REPOSITORY}/check-runs"
    bad: dict[str, Any] = {
        "name": "mergeguard",
        "head_sha": "0" * 40,
        "conclusion": "passed",
        "output": {"title": "t"},
    }

    answer = requests.post(url, json=bad, headers=AUTH, timeout=5)

    assert answer.status_code == 422
    assert fake_api.check_runs == {}
    assert any("conclusion: 'passed' is not one of" in p for p in fake_api.problems)
    assert any("output: 'summary' is a required property" in p for p in fake_api.problems)
    fake_api.problems.clear()


def test_more_than_fifty_annotations_break_the_schema(fake_api: FakeGitHub) -> None:
    annotation = {"path": "a", "start_line": 1, "end_line": 1, "annotation_level": "warning", "message": "m"}
    body: dict[str, Any] = {
        "name": "n",
        "head_sha": "0" * 40,
        "output": {"title": "t", "summary": "s", "annotations": [annotation] * 51},
    }

    answer = requests.post(
        f"{fake_api.url}/repos/{REPOSITORY}/check-runs", json=body, headers=AUTH, timeout=5
    )

    assert answer.status_code == 422
    assert fake_api.problems == [
        f"POST /repos/{REPOSITORY}/check-runs: output/annotations: {[annotation] * 51!r} is too long"
    ]
    fake_api.problems.clear()


def test_a_sarif_upload_needs_a_full_sha_and_a_full_ref(fake_api: FakeGitHub) -> None:
    body: dict[str, Any] = {"commit_sha": "abc", "ref": "main", "sarif": "H4sI"}

    answer = requests.post(
        f"{fake_api.url}/repos/{REPOSITORY}/code-scanning/sarifs", json=body, headers=AUTH, timeout=5
    )

    assert answer.status_code == 422
    assert len(fake_api.problems) == 3  # too short, not hex, not refs/…
    fake_api.problems.clear()


def test_comments_are_listed_page_by_page_with_link_headers(fake_api: FakeGitHub) -> None:
    for number in range(130):
        fake_api.add_comment(3, f"comment {number}")
    url: str | None = f"{fake_api.url}/repos/{REPOSITORY}/issues/3/comments?per_page=50"
    pages = []
    while url:
        answer = requests.get(url, headers=AUTH, timeout=5)
        pages.append(answer.json())
        url = answer.links.get("next", {}).get("url")

    assert [len(page) for page in pages] == [50, 50, 30]
    assert len({c["id"] for page in pages for c in page}) == 130
    assert fake_api.problems == []


def test_a_wrong_token_and_an_unknown_path_are_recorded(fake_api: FakeGitHub) -> None:
    wrong = requests.get(
        f"{fake_api.url}/repos/{REPOSITORY}/issues/3/comments",
        headers={"Authorization": "token x"},
        timeout=5,
    )
    unknown = requests.get(f"{fake_api.url}/repos/{REPOSITORY}/branches", headers=AUTH, timeout=5)

    assert (wrong.status_code, unknown.status_code) == (401, 404)
    assert [re.sub(r":.*", "", p) for p in fake_api.problems] == [
        f"GET /repos/{REPOSITORY}/issues/3/comments",
        f"GET /repos/{REPOSITORY}/branches",
    ]
    fake_api.problems.clear()


def test_leaving_with_a_recorded_problem_fails_the_test() -> None:
    with pytest.raises(AssertionError, match="POST /x: bad"), FakeGitHub(token=TOKEN) as api:
        api.problems.append("POST /x: bad")


def test_a_path_outside_the_enterprise_prefix_is_recorded() -> None:
    with serving(TOKEN, repository=REPOSITORY, prefix="/api/v3") as ghes:
        root = ghes.url.removesuffix("/api/v3")
        answer = requests.get(f"{root}/repos/{REPOSITORY}/issues/3/comments", headers=AUTH, timeout=5)

        assert answer.status_code == 404
        (problem,) = ghes.problems
        assert problem.startswith(
            f"GET (outside /api/v3)/repos/{REPOSITORY}/issues/3/comments: not an operation"
        )
        ghes.problems.clear()
