"""Check runs through a mocked API: 50 annotations with the verdict, the rest PATCHed 50 at a time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import responses

from mergeguard.github import Annotation, AnnotationLevel, CheckRunResult, Conclusion, GitHubClient
from mergeguard.github.payloads import OUTPUT_LIMIT
from tests.github.conftest import REPOSITORY, SHA, sent_json

RUNS = f"https://api.github.com:443/repos/{REPOSITORY}/check-runs"
RUN: dict[str, Any] = {
    "id": 4,
    "name": "mergeguard",
    "head_sha": SHA,
    "status": "completed",
    "conclusion": "failure",
    "url": f"https://api.github.com/repos/{REPOSITORY}/check-runs/4",
    "html_url": f"https://github.com/{REPOSITORY}/runs/4",
}


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mocked:
        yield mocked


@pytest.fixture
def client(make_client: Callable[[str], GitHubClient]) -> GitHubClient:
    return make_client("https://api.github.com")


def findings(count: int) -> list[Annotation]:
    return [
        Annotation(
            "src/app.py", line, line, AnnotationLevel.FAILURE, f"B105 #{line}", "Possible hardcoded password"
        )
        for line in range(1, count + 1)
    ]


def bodies(mock: responses.RequestsMock) -> list[tuple[str, Any]]:
    return list(zip([str(c.request.method) for c in mock.calls], sent_json(mock), strict=True))


def test_annotations_go_up_fifty_per_request(mock: responses.RequestsMock, client: GitHubClient) -> None:
    mock.post(RUNS, status=201, json=RUN)
    mock.patch(f"{RUNS}/4", json=RUN)

    result = client.create_check_run(
        "mergeguard",
        SHA,
        conclusion=Conclusion.FAILURE,
        title="FAIL",
        summary="3 blocking",
        annotations=findings(120),
    )

    assert result == CheckRunResult(4, RUN["html_url"], 120, 3)
    sent = bodies(mock)
    assert [(method, len(body["output"]["annotations"])) for method, body in sent] == [
        ("POST", 50),
        ("PATCH", 50),
        ("PATCH", 20),
    ]
    assert sent[0][1] | {"output": None} == {
        "name": "mergeguard",
        "head_sha": SHA,
        "conclusion": "failure",
        "output": None,
    }
    assert all(body["output"]["title"] == "FAIL" for _, body in sent)
    assert sent[2][1]["output"]["annotations"][-1]["start_line"] == 120


def test_no_annotations_is_one_request_and_a_long_summary_is_cut(
    mock: responses.RequestsMock, client: GitHubClient
) -> None:
    mock.post(RUNS, status=201, json=RUN | {"conclusion": "success"})

    result = client.create_check_run(
        "mergeguard", SHA, conclusion=Conclusion.SUCCESS, title="PASS", summary="y" * 70_000, annotations=[]
    )

    assert result == CheckRunResult(4, RUN["html_url"], 0, 1)
    ((_, body),) = bodies(mock)
    assert "annotations" not in body["output"]
    assert len(body["output"]["summary"]) == OUTPUT_LIMIT
