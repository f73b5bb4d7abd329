"""The SARIF upload through a mocked API: gzip+base64 body, status polling, refusals, GHES paths."""

from __future__ import annotations

import base64
import gzip
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import responses

from mergeguard.github import GitHubClient, GitHubError, UploadResult, UploadStatus
from tests.github.conftest import REPOSITORY, SHA, TOKEN, sent_json, unwrap

SARIF_FILE = Path(__file__).parents[1] / "fixtures" / "reports" / "sarif" / "trivy-0.76.0-config.sarif"
GHES = "https://ghe.example.com/api/v3"
UPLOAD = f"https://api.github.com:443/repos/{REPOSITORY}/code-scanning/sarifs"
SARIF_ID = "47177e22-5596-11eb-80a1-c1e54ef945c6"
REF = "refs/pull/12/merge"


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mocked:
        yield mocked


@pytest.fixture
def client(make_client: Callable[[str], GitHubClient]) -> GitHubClient:
    return make_client("https://api.github.com")


def receipt(base: str = "https://api.github.com") -> dict[str, str]:
    return {"id": SARIF_ID, "url": f"{base}/repos/{REPOSITORY}/code-scanning/sarifs/{SARIF_ID}"}


def test_the_upload_is_gzip_then_base64_for_the_commit_and_ref_then_polled(
    mock: responses.RequestsMock, client: GitHubClient, waits: list[float]
) -> None:
    sarif = SARIF_FILE.read_text(encoding="utf-8")
    mock.post(UPLOAD, status=202, json=receipt())
    for state in ("pending", "pending", "complete"):
        mock.get(
            f"{UPLOAD}/{SARIF_ID}", json={"processing_status": state, "analyses_url": None, "errors": None}
        )

    result = client.upload_sarif(sarif, SHA, REF, wait_s=60)

    assert result == UploadResult(SARIF_ID, UploadStatus.COMPLETE)
    (body, *polls) = sent_json(mock)
    assert sorted(body) == ["commit_sha", "ref", "sarif"]
    assert (body["commit_sha"], body["ref"]) == (SHA, REF)
    assert json.loads(gzip.decompress(base64.b64decode(body["sarif"]))) == json.loads(sarif)
    assert waits == [1.0, 2.0, 4.0]
    assert polls == [None, None, None]


def test_processing_errors_are_handed_back(mock: responses.RequestsMock, client: GitHubClient) -> None:
    errors = ["A delivery cannot contain multiple runs with the same category"]
    mock.post(UPLOAD, status=202, json=receipt())
    mock.get(
        f"{UPLOAD}/{SARIF_ID}", json={"processing_status": "failed", "analyses_url": None, "errors": errors}
    )

    result = client.upload_sarif(SARIF_FILE.read_text(encoding="utf-8"), SHA, REF, wait_s=10)

    assert result == UploadResult(SARIF_ID, UploadStatus.FAILED, tuple(errors))


def test_still_pending_when_the_wait_runs_out(
    mock: responses.RequestsMock, client: GitHubClient, waits: list[float]
) -> None:
    mock.post(UPLOAD, status=202, json=receipt())
    mock.get(
        f"{UPLOAD}/{SARIF_ID}", json={"processing_status": "pending", "analyses_url": None, "errors": None}
    )

    result = client.upload_sarif(SARIF_FILE.read_text(encoding="utf-8"), SHA, REF, wait_s=20)

    assert result == UploadResult(SARIF_ID, UploadStatus.PENDING, ("still processing after 20s",))
    assert sum(waits) <= 20
    assert waits == [1.0, 2.0, 4.0, 5.0, 5.0]


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (413, "Payload Too Large", UploadStatus.TOO_LARGE),
        (422, "The SARIF upload is too large", UploadStatus.TOO_LARGE),
        (400, "Invalid sarif", UploadStatus.REJECTED),
        (422, "ref refs/heads/gone does not exist", UploadStatus.REJECTED),
    ],
)
def test_an_upload_github_refuses_is_a_result_not_an_exception(
    mock: responses.RequestsMock, client: GitHubClient, status: int, message: str, expected: UploadStatus
) -> None:
    mock.post(UPLOAD, status=status, json={"message": message})

    result = client.upload_sarif(SARIF_FILE.read_text(encoding="utf-8"), SHA, REF)

    assert result == UploadResult(None, expected, (message,))


def test_sarif_over_ten_megabytes_gzipped_is_not_sent(client: GitHubClient) -> None:
    noise = base64.b64encode(os.urandom(12 * 1024 * 1024)).decode()  # does not compress
    sarif = json.dumps({"version": "2.1.0", "runs": [{"properties": {"noise": noise}}]})

    result = client.upload_sarif(sarif, SHA, REF)  # the autouse mock fails any request

    assert unwrap(result).status is UploadStatus.TOO_LARGE
    assert unwrap(result).errors[0].endswith("code scanning takes at most 10485760")


@pytest.mark.parametrize(
    ("sha", "ref", "problem"),
    [("abc123", REF, "not a full commit SHA"), (SHA, "main", "is not refs/heads/")],
)
def test_a_bad_commit_or_ref_is_refused_before_any_request(
    client: GitHubClient, sha: str, ref: str, problem: str
) -> None:
    with pytest.raises(GitHubError, match=problem):
        client.upload_sarif("{}", sha, ref)


def test_enterprise_server_paths_keep_the_api_prefix(
    mock: responses.RequestsMock, make_client: Callable[[str], GitHubClient]
) -> None:
    called = f"https://ghe.example.com:443/api/v3/repos/{REPOSITORY}/code-scanning/sarifs"
    mock.post(called, status=202, json=receipt(GHES))
    mock.get(
        f"{called}/{SARIF_ID}", json={"processing_status": "complete", "analyses_url": None, "errors": None}
    )

    result = make_client(GHES + "/").upload_sarif(SARIF_FILE.read_text(encoding="utf-8"), SHA, REF)

    assert result == UploadResult(SARIF_ID, UploadStatus.COMPLETE)
    assert mock.calls[0].request.headers["Authorization"] == f"token {TOKEN}"


def test_a_status_check_that_fails_leaves_the_upload_pending(
    mock: responses.RequestsMock, client: GitHubClient
) -> None:
    mock.post(UPLOAD, status=202, json=receipt())
    mock.get(f"{UPLOAD}/{SARIF_ID}", status=404, json={"message": "Not Found"})

    result = client.upload_sarif(SARIF_FILE.read_text(encoding="utf-8"), SHA, REF)

    reason = "could not read the processing status: GitHub answered 404: Not Found"
    assert result == UploadResult(SARIF_ID, UploadStatus.PENDING, (reason,))
