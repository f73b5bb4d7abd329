"""The endpoints of the fake GitHub API: each answers one operation of the schema, keeping its state."""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import uuid
from typing import Any

Json = dict[str, Any]
Reply = tuple[int, Any, dict[str, str]]


class Endpoints:
    """One method per operation id (`issues/list-comments` is `_issues_list_comments`), for `FakeGitHub`."""

    repository: str
    comments: dict[int, Json]
    sarifs: dict[str, Json]
    check_runs: dict[int, Json]
    problems: list[str]
    sarif_pending_polls: int
    sarif_outcome: str
    sarif_errors: list[str]
    sarif_gzip_limit: int | None
    too_large_status: int
    user_login: str | None

    def add_comment(self, issue: int, body: str, user: str = "octocat") -> int:
        """Puts a comment on the PR, as if someone had written it; returns its id."""
        comment_id = 1000 + len(self.comments)
        self.comments[comment_id] = {"id": comment_id, "issue": issue, "body": body, "user": user}
        return comment_id

    def comments_on(self, issue: int) -> list[Json]:
        return [c for c in self.comments.values() if c["issue"] == issue]

    @property
    def url(self) -> str:
        raise NotImplementedError  # FakeGitHub's, once it serves

    def _page(self, items: list[Json], query: dict[str, str], path: str) -> Reply:
        raise NotImplementedError  # FakeGitHub's

    def _comment_json(self, c: Json) -> Json:
        api, repo = self.url, self.repository
        return {
            "id": c["id"], "node_id": f"IC_{c['id']}", "body": c["body"], "author_association": "NONE",
            "url": f"{api}/repos/{repo}/issues/comments/{c['id']}",
            "html_url": f"https://github.example/{repo}/pull/{c['issue']}#issuecomment-{c['id']}",
            "issue_url": f"{api}/repos/{repo}/issues/{c['issue']}",
            "user": {"login": c["user"], "id": 41898282, "type": "Bot" if "[bot]" in c["user"] else "User"},
            "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z",
        }  # fmt: skip

    def _users_get_authenticated(self, _: Any, __: Any, ___: Any) -> Reply:
        if self.user_login is None:  # what GitHub answers an installation token (the workflow's GITHUB_TOKEN)
            return 403, {"message": "Resource not accessible by integration"}, {}
        return 200, {"login": self.user_login, "id": 1, "type": "User"}, {}

    def _issues_list_comments(self, p: dict[str, str], query: dict[str, str], _: Any) -> Reply:
        items = [self._comment_json(c) for c in self.comments_on(int(p["issue_number"]))]
        return self._page(items, query, f"/repos/{self.repository}/issues/{p['issue_number']}/comments")

    def _issues_create_comment(self, p: dict[str, str], _: Any, body: Json) -> Reply:
        author = self.user_login or "github-actions[bot]"  # whoever the token is
        comment_id = self.add_comment(int(p["issue_number"]), body["body"], user=author)
        return 201, self._comment_json(self.comments[comment_id]), {}

    def _issues_get_comment(self, p: dict[str, str], _: Any, __: Any) -> Reply:
        found = self.comments.get(int(p["comment_id"]))
        return (200, self._comment_json(found), {}) if found else (404, {"message": "Not Found"}, {})

    def _issues_update_comment(self, p: dict[str, str], _: Any, body: Json) -> Reply:
        found = self.comments.get(int(p["comment_id"]))
        if found is None:
            return 404, {"message": "Not Found"}, {}
        found["body"] = body["body"]
        return 200, self._comment_json(found), {}

    def _code_scanning_upload_sarif(self, _: Any, __: Any, body: Json) -> Reply:
        try:
            zipped = base64.b64decode(body["sarif"], validate=True)
            sarif = json.loads(gzip.decompress(zipped))
        except (binascii.Error, OSError, EOFError, ValueError) as exc:
            self.problems.append(f"SARIF upload: the sarif field is not gzip+base64 JSON ({exc})")
            return 400, {"message": "Invalid sarif"}, {}
        if self.sarif_gzip_limit is not None and len(zipped) > self.sarif_gzip_limit:
            return self.too_large_status, {"message": "Payload Too Large: the SARIF upload is too large"}, {}
        sarif_id = str(uuid.uuid4())
        self.sarifs[sarif_id] = {
            "commit_sha": body["commit_sha"],
            "ref": body["ref"],
            "sarif": sarif,
            "polls": 0,
        }
        url = f"{self.url}/repos/{self.repository}/code-scanning/sarifs/{sarif_id}"
        return 202, {"id": sarif_id, "url": url}, {}

    def _code_scanning_get_sarif(self, p: dict[str, str], _: Any, __: Any) -> Reply:
        upload = self.sarifs.get(p["sarif_id"])
        if upload is None:
            return 404, {"message": "Not Found"}, {}
        upload["polls"] += 1
        if upload["polls"] <= self.sarif_pending_polls:
            return 200, {"processing_status": "pending", "analyses_url": None, "errors": None}, {}
        errors = self.sarif_errors if self.sarif_outcome == "failed" else None
        return 200, {"processing_status": self.sarif_outcome, "analyses_url": None, "errors": errors}, {}

    def _check_json(self, run_id: int) -> Json:
        run, url = self.check_runs[run_id], f"{self.url}/repos/{self.repository}/check-runs/{run_id}"
        output = {
            **run["output"],
            "annotations_count": len(run["annotations"]),
            "annotations_url": f"{url}/annotations",
        }
        fields = {
            k: run.get(k) for k in ("name", "head_sha", "status", "conclusion", "details_url", "external_id")
        }
        html = f"https://github.example/{self.repository}/runs/{run_id}"
        return {
            **fields,
            "id": run_id,
            "node_id": f"CR_{run_id}",
            "url": url,
            "html_url": html,
            "output": output,
        }

    def _checks_create(self, _: Any, __: Any, body: Json) -> Reply:
        run_id = 1 + len(self.check_runs)
        self.check_runs[run_id] = {"annotations": [], "output": {}, "status": "queued"}
        return 201, self._update_run(run_id, body), {}

    def _checks_update(self, p: dict[str, str], _: Any, body: Json) -> Reply:
        run_id = int(p["check_run_id"])
        if run_id not in self.check_runs:
            return 404, {"message": "Not Found"}, {}
        return 200, self._update_run(run_id, body), {}

    def _update_run(self, run_id: int, body: Json) -> Json:
        run, output = self.check_runs[run_id], dict(body.get("output", {}))
        run["annotations"] += output.pop("annotations", [])
        run["output"] |= output
        run |= {k: v for k, v in body.items() if k != "output"}
        if "conclusion" in body:
            run["status"] = "completed"
        return self._check_json(run_id)

    def _checks_get(self, p: dict[str, str], _: Any, __: Any) -> Reply:
        run_id = int(p["check_run_id"])
        found = run_id in self.check_runs
        return (200, self._check_json(run_id), {}) if found else (404, {"message": "Not Found"}, {})

    def _repos_create_commit_status(self, p: dict[str, str], _: Any, body: Json) -> Reply:
        return (
            201,
            {"id": 1, "state": body["state"], "context": body.get("context", "default"), "sha": p["sha"]},
            {},
        )
