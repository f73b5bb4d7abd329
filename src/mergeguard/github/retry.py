"""The retry policy for GitHub API calls: PyGithub's `GithubRetry` with GitHub's documented waits."""

from __future__ import annotations

import email.utils
import logging
import math
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from github.GithubException import RateLimitExceededExceedsMaxWait
from github.GithubRetry import GithubRetry
from urllib3 import Retry
from urllib3.connectionpool import ConnectionPool
from urllib3.response import BaseHTTPResponse

from mergeguard.github.answers import Redirected

LOG = logging.getLogger(__name__)
Sleep = Callable[[float], None]
Clock = Callable[[], float]

# PyGithub leaves PATCH out (urllib3's idempotent set plus GET and POST), so an edited comment or a check-run
# batch that met a 5xx or a secondary rate limit would not be retried.
RETRIED_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "POST", "PATCH"})
# 429 is the other status GitHub documents for secondary rate limits; GithubRetry adds 403 itself.
RETRIED_STATUSES = [*range(500, 600), 429]


class ApiRetry(GithubRetry):
    """GithubRetry plus GitHub's rules for secondary rate limits, exponential back-off and an injected sleep.

    Waits, in GitHub's documented order: `Retry-After` seconds; else, when `x-ratelimit-remaining` is 0, until
    `x-ratelimit-reset`; else, for a rate limit, `secondary_rate_wait`; else (5xx, connection errors)
    `backoff_factor * 2**(n-1)`, at most `backoff_max`. A wait beyond `max_rate_limit_wait` gives up at once.

    The wait happens at the end of `increment`, not in `sleep`: urllib3 calls `sleep` right after `increment`,
    but the `responses` test library only calls `increment`, and the tests need to see every wait.
    """

    def __init__(
        self,
        *,
        pause: Sleep = time.sleep,
        clock: Clock = time.time,
        secondary_rate_wait: float = 60.0,
        max_rate_limit_wait: float = 300.0,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("status_forcelist", list(RETRIED_STATUSES))
        kwargs.setdefault("allowed_methods", RETRIED_METHODS)
        kwargs.setdefault("backoff_factor", 1.0)
        kwargs.setdefault("backoff_max", 60.0)
        super().__init__(
            secondary_rate_wait=secondary_rate_wait, max_rate_limit_wait=max_rate_limit_wait, **kwargs
        )
        self.pause = pause
        self.clock = clock

    def new(self, **kw: Any) -> Self:
        kw.update(pause=self.pause, clock=self.clock)
        return super().new(**kw)

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Retry:
        retry = super().increment(method, url, response, error, _pool, _stacktrace)  # type: ignore[arg-type]
        wait = self.wait_before(retry, response)
        if self.max_rate_limit_wait is not None and wait > self.max_rate_limit_wait:
            status = response.status if response is not None else 0
            raise RateLimitExceededExceedsMaxWait(status, {"message": "rate limited"}, None, None, wait)
        if wait > 0:
            answer = response.status if response is not None else type(error).__name__
            LOG.info("GitHub API: %s %s answered %s; retrying in %.0fs", method, url, answer, wait)
            self.pause(wait)
        return retry

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        """Also where every answer passes first: a redirect other than a 301 stops the call here.

        PyGithub follows a 301 on the API's own host (a renamed repository) and refuses one to another
        host; any other 3xx it would take for a success. urllib3 asks this of every answer, before PyGithub.
        """
        if 300 <= status_code < 400 and status_code != 301:
            raise Redirected(status_code)
        return bool(super().is_retry(method, status_code, has_retry_after))

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        """Nothing to do: `increment` has already waited (see the class docstring)."""

    def get_backoff_time(self) -> float:
        """`backoff_factor * 2**(n-1)` after the n-th failure; urllib3's own formula skips the first wait."""
        if not self.history:
            return 0.0
        return float(min(self.backoff_max, self.backoff_factor * 2 ** (len(self.history) - 1)))

    def wait_before(self, retry: Retry, response: BaseHTTPResponse | None) -> float:
        """Seconds to wait before `retry`, after `response` (None for a connection error)."""
        if response is None:
            return retry.get_backoff_time()
        headers = response.headers
        retry_after = self.retry_after(headers.get("Retry-After"))
        if retry_after is not None:
            return retry_after
        reset = headers.get("x-ratelimit-reset", "")
        if response.status in (403, 429) and headers.get("x-ratelimit-remaining") == "0" and reset.isdigit():
            return max(int(reset) - self.clock(), 0.0) + 1.0
        if response.status == 429:
            return max(retry.get_backoff_time(), self.secondary_rate_wait)
        return retry.get_backoff_time()

    def retry_after(self, value: str | None) -> float | None:
        """`Retry-After` in seconds (a number or an HTTP date); None (as if absent) if garbage or negative."""
        if value is None:
            return None
        try:
            seconds = float(value.strip())
        except ValueError:
            date = email.utils.parsedate_tz(value)
            if date is None:
                LOG.info("GitHub API: Retry-After %r is neither seconds nor a date; ignored", value[:40])
                return None
            return max(float(email.utils.mktime_tz(date)) - self.clock(), 0.0)
        if not math.isfinite(seconds) or seconds < 0:
            LOG.info("GitHub API: Retry-After %r is not a wait; ignored", value[:40])
            return None
        return seconds
