"""A loopback stand-in for the GitHub REST API that checks every request body against GitHub's own schema.

`with FakeGitHub(token=TOKEN) as api:` serves on 127.0.0.1 (point the client at `api.url`), keeps what was
posted (`comments`, `sarifs`, `check_runs`, every request in `calls`), and can refuse writes (`denied`), fail
(`fail_next`) or rate-limit (`rate_limit_next`). A body GitHub's OpenAPI description rejects, a wrong
Authorization header or a path it does not serve is answered as GitHub would and put in `problems`; leaving
the block with problems fails the test. A test that provokes one on purpose clears `problems` itself.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import responses

from tests.github.fake_endpoints import Endpoints, Json, Reply
from tests.github.openapi import API_SCHEMA, body_errors, operations

__all__ = ["API_SCHEMA", "DENIED", "SECONDARY", "Call", "FakeGitHub", "serving"]
DENIED = "Resource not accessible by integration"
SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."


@dataclass(frozen=True)
class Call:
    """One request as the server saw it (path without the API prefix) and the status it answered."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int


@dataclass
class FakeGitHub(Endpoints):
    """The fake API's state: what was posted, how it should misbehave next, and what went wrong."""

    token: str
    repository: str = "octo-org/app"
    prefix: str = ""  # "/api/v3" to stand in for GitHub Enterprise Server
    denied: str | None = None  # answer 403 with this message to every write
    sarif_pending_polls: int = 1
    sarif_outcome: str = "complete"
    sarif_errors: list[str] = field(default_factory=list)
    sarif_gzip_limit: int | None = None
    too_large_status: int = 413
    user_login: str | None = None  # what `GET /user` says; None: 403, as for the workflow's token
    comments: dict[int, Json] = field(default_factory=dict)
    sarifs: dict[str, Json] = field(default_factory=dict)
    check_runs: dict[int, Json] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    canned: list[tuple[str | None, Reply]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "use FakeGitHub as a context manager"
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.prefix}"

    def __enter__(self) -> FakeGitHub:
        handler = type("Handler", (_Handler,), {"api": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
        if kind is None and self.problems:
            raise AssertionError("the fake GitHub API saw bad requests:\n" + "\n".join(self.problems))

    def fail_next(self, status: int = 502, *, method: str | None = None, times: int = 1) -> None:
        """The next `times` requests (of `method`, if given) get a server error."""
        self.canned += [(method, (status, {"message": "Server Error"}, {}))] * times

    def rate_limit_next(
        self,
        *,
        retry_after: int | None = None,
        reset_at: int | None = None,
        status: int = 403,
        method: str | None = None,
    ) -> None:
        """The next request gets a secondary rate limit: with `Retry-After`, or `x-ratelimit-remaining: 0`."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        if reset_at is not None:
            headers |= {
                "x-ratelimit-limit": "5000",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(reset_at),
            }
        body = {
            "message": SECONDARY,
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits",
        }
        self.canned.append((method, (status, body, headers)))

    def reply_next(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        """The next request gets this answer; a `bytes` body is sent as it is (malformed JSON, say)."""
        self.canned.append((None, (status, body, headers or {})))

    def writes(self) -> list[Call]:
        return [c for c in self.calls if c.method in {"POST", "PATCH", "PUT", "DELETE"}]

    def handle(self, method: str, target: str, headers: Any, raw: bytes) -> Reply:
        """Answers one request and records it."""
        split = urlsplit(target)
        inside = split.path.startswith(self.prefix + "/")  # a path outside the prefix matches no operation
        path = split.path.removeprefix(self.prefix) if inside else f"(outside {self.prefix}){split.path}"
        query = dict(parse_qsl(split.query))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        with self._lock:
            reply = self._answer(method, path, query, headers, body)
            self.calls.append(Call(method, path, query, body, reply[0]))
        return reply

    def _answer(self, method: str, path: str, query: dict[str, str], headers: Any, body: Any) -> Reply:
        if headers.get("Authorization") not in (f"token {self.token}", f"Bearer {self.token}"):
            self.problems.append(f"{method} {path}: missing or wrong Authorization header")
            return 401, {"message": "Bad credentials"}, {}
        match = next(
            ((op, m) for op in operations() if op.method == method and (m := op.pattern.fullmatch(path))),
            None,
        )
        owner = match[1].groupdict().get("owner") if match else None
        if match is None or (owner is not None and f"{owner}/{match[1]['repo']}" != self.repository):
            self.problems.append(f"{method} {path}: not an operation of the schema for {self.repository}")
            return 404, {"message": "Not Found"}, {}
        operation, params = match
        errors = body_errors(operation, body)
        if errors:
            self.problems += [f"{method} {path}: {error}" for error in errors]
            return 422, {"message": "Invalid request.\n\n" + "\n".join(errors)}, {}
        canned = next((c for c in self.canned if c[0] in (None, method)), None)
        if canned is not None:
            self.canned.remove(canned)
            return canned[1]
        if self.denied and method != "GET":
            return 403, {"message": self.denied, "documentation_url": "https://docs.github.com/rest"}, {}
        handler = getattr(self, "_" + re.sub(r"\W", "_", operation.operation_id))
        return handler(params.groupdict(), query, body)  # type: ignore[no-any-return]

    def _page(self, items: list[Json], query: dict[str, str], path: str) -> Reply:
        per_page, page = min(int(query.get("per_page", 30)), 100), int(query.get("page", 1))
        last = max(1, math.ceil(len(items) / per_page))
        link = f"<{self.url}{path}?per_page={per_page}&page=%d>; rel=%s"
        rels = [(page + 1, '"next"'), (last, '"last"')] if page < last else []
        rels += [(page - 1, '"prev"'), (1, '"first"')] if page > 1 else []
        headers = {"Link": ", ".join(link % rel for rel in rels)} if rels else {}
        return 200, items[(page - 1) * per_page : page * per_page], headers


@contextmanager
def serving(token: str, **settings: Any) -> Iterator[FakeGitHub]:
    """A running `FakeGitHub`, with `requests` let through to it past the suite's no-network mock."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(re.compile(r"http://127\.0\.0\.1:\d+/"))
        with FakeGitHub(token=token, **settings) as api:
            yield api


class _Handler(BaseHTTPRequestHandler):
    """Hands each request to the `FakeGitHub` it belongs to."""

    protocol_version = "HTTP/1.1"
    api: FakeGitHub

    def _serve(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, body, headers = self.api.handle(self.command, self.path, self.headers, raw)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json; charset=utf-8", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the calls are in `FakeGitHub.calls`."""
