"""What the Action sends to GitHub after a scan, and the notices for what it leaves out."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import responses

from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.github import GitHubClient
from mergeguard.github.context import ActionContext, from_env
from mergeguard.github.publish import publish
from mergeguard.report.sarif import build_sarif, dumps_sarif
from tests.github.conftest import REPOSITORY, SHA, TOKEN
from tests.report.test_sarif import ok, scan_result

API = "https://api.github.com"
UPLOAD = f"{API}:443/repos/{REPOSITORY}/code-scanning/sarifs"
SARIF_ID = "47177e22-5596-11eb-80a1-c1e54ef945c6"


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mocked:
        yield mocked


def full_scan(tmp_path: Path) -> ActionContext:
    """A push to main with `upload-sarif: true`: a full scan, the one that uploads."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"before": "0" * 40, "after": SHA}))
    return from_env(
        {
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_SHA": SHA,
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_WORKSPACE": str(tmp_path),
            "GITHUB_API_URL": API,
            "INPUT_GITHUB-TOKEN": TOKEN,
            "INPUT_UPLOAD-SARIF": "true",
        }
    )


def sent(
    ctx: ActionContext, outcomes: list[ScanOutcome], make_client: Callable[[str], GitHubClient]
) -> list[str]:
    result = scan_result([], outcomes)
    return publish(ctx, result, dumps_sarif(build_sarif(result)), "", lambda c: make_client(c.api_url))


def test_a_sarif_log_without_runs_is_not_uploaded(
    mock: responses.RequestsMock, make_client: Callable[[str], GitHubClient], tmp_path: Path
) -> None:
    """Every scanner failed (an imported run that did not complete): `"runs": []`, which code scanning
    refuses with 422 ("1 item required"); nothing is sent, and the log says why."""
    failed = ScanOutcome("sarif", Status.FAILED, reason="semgrep did not complete")
    notes = sent(full_scan(tmp_path), [failed], make_client)
    assert len(mock.calls) == 0
    assert notes == [
        "upload-sarif skipped: the SARIF has no run to upload (every scanner failed or was skipped); "
        "code scanning keeps its previous analysis"
    ]


def test_a_sarif_log_with_a_run_is_uploaded(
    mock: responses.RequestsMock, make_client: Callable[[str], GitHubClient], tmp_path: Path
) -> None:
    mock.post(UPLOAD, status=202, json={"id": SARIF_ID, "url": f"{UPLOAD}/{SARIF_ID}"})
    mock.get(
        f"{UPLOAD}/{SARIF_ID}", json={"processing_status": "complete", "analyses_url": None, "errors": None}
    )
    notes = sent(full_scan(tmp_path), [ok("bandit")], make_client)
    assert notes == [f"code scanning upload {SARIF_ID}: complete"]
