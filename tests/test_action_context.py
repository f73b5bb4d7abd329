"""The action's context, read as GitHub hands it to a Docker action."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mergeguard.core.errors import UsageError
from mergeguard.core.model import Severity
from mergeguard.github.context import from_env
from mergeguard.github.modes import Scope
from tests.golden import FIXTURES

BASE, HEAD, MERGE = "b" * 40, "c" * 40, "d" * 40


def env_with(tmp_path: Path, event_name: str, payload: object, **inputs: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps(payload))
    env = {
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_SHA": MERGE,
        "GITHUB_REF": "refs/pull/7/merge",
        "GITHUB_REPOSITORY": "acme/shop",
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_SERVER_URL": "https://github.example.com/",
        "GITHUB_API_URL": "https://github.example.com/api/v3",
    }
    env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    return env


PR = {"pull_request": {"number": 7, "base": {"sha": BASE}, "head": {"sha": HEAD}}}


def test_pull_request_inputs_with_hyphens_kept(tmp_path: Path) -> None:
    ctx = from_env(
        env_with(
            tmp_path,
            "pull_request",
            PR,
            **{
                "fail-on": "critical",
                "upload-sarif": "true",
                "check-name": "mergeguard",
                "working-directory": "svc",
            },
        )
    )
    assert (ctx.pr_number, ctx.base_sha, ctx.head_sha, ctx.scope) == (7, BASE, HEAD, "changed")
    assert (
        ctx.inputs.fail_on is Severity.CRITICAL
        and ctx.inputs.upload_sarif
        and ctx.inputs.check_name == "mergeguard"
    )
    assert ctx.root == tmp_path / "svc"
    assert ctx.server_url == "https://github.example.com" and ctx.api_url.endswith("/api/v3")


@pytest.mark.parametrize(
    ("event", "payload", "scope", "base"),
    [
        ("push", {"before": BASE}, "all", BASE),
        ("push", {"before": "0" * 40}, "all", None),
        ("merge_group", {"merge_group": {"base_sha": BASE}}, "all", BASE),
        ("schedule", {}, "all", None),
        ("workflow_dispatch", {"inputs": {}}, "all", None),
        ("pull_request_target", PR, "changed", BASE),
        ("pull_request_review", PR, "changed", BASE),
        ("pull_request_review_comment", PR, "changed", BASE),
    ],
)
def test_events(tmp_path: Path, event: str, payload: object, scope: str, base: str | None) -> None:
    ctx = from_env(env_with(tmp_path, event, payload))
    assert (ctx.scope, ctx.base_sha) == (scope, base)


@pytest.mark.parametrize(
    ("event", "payload", "inputs", "message"),
    [
        (
            "pull_request",
            {"pull_request": {"number": 7, "head": {"sha": HEAD}}},
            {},
            "pull_request.base.sha is missing",
        ),
        (
            "pull_request",
            {"pull_request": {"number": "7"}},
            {},
            "pull_request.number is missing or not a number",
        ),
        ("pull_request", [], {}, "not a JSON object"),
        (
            "pull_request",
            {"pull_request": {"number": 7, "base": {"sha": BASE}, "head": {"sha": "](x)\n::error::x"}}},
            {},
            "pull_request.head.sha is not a commit SHA: '](x)\\n::error::x'",
        ),
        ("push", {}, {"fail-on": "severe"}, "input fail-on: unknown severity 'severe'"),
        ("push", {}, {"upload-sarif": "yes"}, "input upload-sarif: 'yes' is not true or false"),
        ("push", {}, {"comment": "always"}, "input comment: 'always' is not one of"),
        ("push", {}, {"scope": "diff"}, "input scope: 'diff' is not one of changed, all"),
    ],
)
def test_bad_event_or_input_is_one_clear_line(
    tmp_path: Path, event: str, payload: object, inputs: dict[str, str], message: str
) -> None:
    with pytest.raises(UsageError) as caught:
        from_env(env_with(tmp_path, event, payload, **inputs))
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_an_empty_input_is_its_default_booleans_too(tmp_path: Path) -> None:
    """Found by a trial: `offline: ''` was refused as "not true or false" while an empty `scope` or
    `fail-on` meant the default (a workflow passing `${{ vars.X }}` that is unset gives '')."""
    empty = {name: "" for name in ("offline", "upload-sarif", "annotations", "comment", "working-directory")}
    inputs = from_env(env_with(tmp_path, "push", {}, **empty)).inputs
    assert (inputs.offline, inputs.upload_sarif, inputs.annotations) == (False, False, True)
    assert inputs.comment == from_env(env_with(tmp_path, "push", {})).inputs.comment
    assert inputs.working_directory == "."


def test_the_scope_input_is_read_in_any_letter_case(tmp_path: Path) -> None:
    assert from_env(env_with(tmp_path, "push", {}, scope="Changed")).inputs.scope is Scope.CHANGED


def test_a_merge_group_without_base_sha_is_a_full_scan(tmp_path: Path) -> None:
    """octokit's `merge_group` example has no `base_sha`: only `scope: changed` needs one (it says so)."""
    ctx = from_env(env_with(tmp_path, "merge_group", {"merge_group": {"head_sha": HEAD}}))
    assert (ctx.base_sha, ctx.scope) == (None, Scope.ALL)


def test_unparseable_event_file_names_the_line(tmp_path: Path) -> None:
    env = env_with(tmp_path, "push", {})
    Path(env["GITHUB_EVENT_PATH"]).write_text('{\n  "before": oops\n}')
    with pytest.raises(UsageError, match=r"event.json:2:13: not readable JSON"):
        from_env(env)


def test_a_bottomless_event_payload_is_one_line_not_a_recursion_error(tmp_path: Path) -> None:
    env = env_with(tmp_path, "push", {})
    Path(env["GITHUB_EVENT_PATH"]).write_text('{"before": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(UsageError) as caught:
        from_env(env)
    assert "nested deeper than" in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(("directory", "prefix"), [(".", ""), ("svc", "svc/"), ("./svc/api/", "svc/api/")])
def test_paths_are_made_workspace_relative(tmp_path: Path, directory: str, prefix: str) -> None:
    ctx = from_env(env_with(tmp_path, "push", {}, **{"working-directory": directory}))
    assert ctx.path_prefix == prefix


def test_with_the_inputs_action_yml_gives_by_default_the_config_file_decides_the_policy(
    tmp_path: Path,
) -> None:
    """The runner sets every input a workflow omits to its `action.yml` default: a default
    `fail-on: high` overrode a config's `fail-on: medium` and made a merge step's omitted input clash
    with its shards'."""
    action = yaml.safe_load((Path(__file__).parents[1] / "action.yml").read_text(encoding="utf-8"))
    defaults = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    ctx = from_env(env_with(tmp_path, "push", {"before": BASE}, **defaults))
    assert ctx.inputs.fail_on is None and not ctx.inputs.scanners


@pytest.mark.parametrize(
    ("event", "merge", "expected"),
    [("pull_request", MERGE, MERGE), ("pull_request_target", None, None), ("push", MERGE, None)],
)
def test_the_merge_commit_a_pull_request_payload_names_is_kept(
    tmp_path: Path, event: str, merge: str | None, expected: str | None
) -> None:
    """GitHub's merge commit by name: a clone of depth 1 shows no parents to recognise it by."""
    payload = {"pull_request": {**PR["pull_request"], "merge_commit_sha": merge}, "before": BASE}
    assert from_env(env_with(tmp_path, event, payload)).merge_sha == expected


def test_a_pull_request_review_is_scanned_as_its_pull_request(tmp_path: Path) -> None:
    """octokit's real `pull_request_review` payload: it names the pull request; it was a full scan of
    the whole tree, with no comment, and `scope: changed` said the event had no base."""
    payload = json.loads((FIXTURES / "events" / "pull_request_review-submitted.json").read_text())
    ctx = from_env(env_with(tmp_path, "pull_request_review", payload))
    assert (ctx.pr_number, ctx.scope) == (2, Scope.CHANGED)
    assert (ctx.base_sha, ctx.head_sha) == (
        "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
        "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
    )


def test_a_pull_request_event_without_its_payload_says_so(tmp_path: Path) -> None:
    env = {k: v for k, v in env_with(tmp_path, "pull_request", PR).items() if k != "GITHUB_EVENT_PATH"}
    with pytest.raises(UsageError, match=r"^GITHUB_EVENT_PATH is not set: a pull_request event's payload"):
        from_env(env)
    assert from_env({**env, "GITHUB_EVENT_NAME": "schedule"}).base_sha is None  # none needed


def test_an_event_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    env = env_with(tmp_path, "push", {})
    Path(env["GITHUB_EVENT_PATH"]).write_bytes(b"\xef\xbb\xbf" + json.dumps({"before": BASE}).encode())
    assert from_env(env).base_sha == BASE
