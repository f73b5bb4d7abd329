"""Fixtures for the GitHub client's tests: a fake token, recorded waits, and the loopback API."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
import responses

from mergeguard.github import GitHubClient, WriteDenied
from tests.github_server import FakeGitHub, serving

# Shaped like a GitHub App installation token, so a leak would be as visible as a real one's.
TOKEN = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"
REPOSITORY = "octo-org/app"
MARKER = "<!-- mergeguard:pr-comment -->"
SHA = "0123456789abcdef0123456789abcdef01234567"
T = TypeVar("T")


def unwrap(result: T | WriteDenied) -> T:
    """The result of a call that GitHub let write; fails the test with the notice otherwise."""
    assert not isinstance(result, WriteDenied), result.notice
    return result


def sent_json(mock: responses.RequestsMock, method: str | None = None) -> list[Any]:
    """The JSON bodies of the calls a mock received (of `method`, if given), in order."""
    calls = [c.request for c in mock.calls if method in (None, c.request.method)]
    return [json.loads(r.body) if isinstance(r.body, (str, bytes)) else None for r in calls]


@pytest.fixture
def waits() -> list[float]:
    """Every pause the client asked for, in order (it is handed `waits.append` instead of `time.sleep`)."""
    return []


@pytest.fixture
def make_client(waits: list[float]) -> Callable[[str], GitHubClient]:
    """A client for `api_url` that never really sleeps, with two retries at most."""

    def make(api_url: str) -> GitHubClient:
        return GitHubClient(
            TOKEN,
            api_url,
            REPOSITORY,
            sleep=waits.append,
            max_retries=2,
            seconds_between_writes=0,
            seconds_between_requests=0,
        )

    return make


@pytest.fixture
def fake_api() -> Iterator[FakeGitHub]:
    """The loopback API, with `requests` allowed through to 127.0.0.1 (and nowhere else)."""
    with serving(TOKEN, repository=REPOSITORY) as api:
        yield api
