"""Scanner processes: a minimal environment, a process group of their own, ended as a group."""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from mergeguard.core.errors import Cancelled, ScannerError

# Only what a tool needs to start, find its cache and reach its database through a proxy. Never
# the Action's inputs (INPUT_*), tokens (GITHUB_*, ACTIONS_*), cloud credentials or anything else:
# a scanner reads files from the pull request, and whatever it can see, a crafted file may exfiltrate.
_PASSED = frozenset(
    {
        "PATH",
        "HOME",
        "LANG",
        "LANGUAGE",
        "TZ",
        "TMPDIR",
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "NO_PROXY",
        "https_proxy",
        "http_proxy",
        "no_proxy",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        # Where the Docker daemon is (trivy image reads images from it): addresses, not credentials.
        "DOCKER_HOST",
        "DOCKER_CERT_PATH",
        "DOCKER_TLS_VERIFY",
        "DOCKER_CONFIG",
    }
)
_DRAIN_S = 2.0  # after the tool exits: how long its output may still arrive (its group is killed)
_POLL_S = 0.05


@dataclass(frozen=True, slots=True)
class Finished:
    """A process that ended by itself: its status and both streams (bytes, as written)."""

    code: int
    stdout: bytes
    stderr: bytes


def minimal_env(extra: Mapping[str, str], source: Mapping[str, str] | None = None) -> dict[str, str]:
    """The allow-listed variables of `source` (the environment), `LC_*` included, then `extra`."""
    source = os.environ if source is None else source
    kept = {k: v for k, v in source.items() if k in _PASSED or k.startswith("LC_")}
    return {**kept, **extra}


class _Registry:
    """The process groups running now, so that a cancel can end every one of them."""

    def __init__(self) -> None:
        self.live: set[int] = set()
        self.cancelled = 0  # the signal that cancelled the run (0: not cancelled)

    def cancel(self, signum: int) -> None:
        self.cancelled = signum
        for pgid in list(self.live):
            _kill(pgid)


_REGISTRY = _Registry()


def run(argv: Sequence[str], cwd: Path, env: Mapping[str, str], timeout_s: float) -> Finished:
    """Run `argv` in a new session; its whole group is killed on timeout, cancel, and once it exits."""
    if _REGISTRY.cancelled:
        raise ScannerError("cancelled")
    try:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise ScannerError(f"cannot start {argv[0]}: {exc.strerror}") from None
    _REGISTRY.live.add(process.pid)
    try:
        if _REGISTRY.cancelled:  # cancelled between the check above and the registration
            _kill(process.pid)
        stdout, stderr = _communicate(process, time.monotonic() + timeout_s)
    except TimeoutError:
        raise ScannerError(f"timed out after {timeout_s:g}s") from None
    finally:
        _kill(process.pid)
        process.wait()
        _REGISTRY.live.discard(process.pid)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    if _REGISTRY.cancelled:
        raise ScannerError("cancelled")
    return Finished(process.returncode, stdout, stderr)


def _communicate(process: subprocess.Popen[bytes], deadline: float) -> tuple[bytes, bytes]:
    """Both streams until the process exits (plus a short drain), never waiting on its children."""
    fds = [stream.fileno() if stream is not None else -1 for stream in (process.stdout, process.stderr)]
    chunks: dict[int, list[bytes]] = {fd: [] for fd in fds if fd >= 0}
    exited_at: float | None = None
    with selectors.DefaultSelector() as selector:
        for fd in chunks:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            now = time.monotonic()
            if exited_at is None and _exited(process.pid):
                exited_at = now
                _kill(process.pid)  # a child still holding the pipes ends with it
            if exited_at is not None and now - exited_at > _DRAIN_S:
                break  # a grandchild in another group keeps the pipe open: stop reading
            if now > deadline:
                raise TimeoutError
            for key, _ in selector.select(_POLL_S):
                data = os.read(key.fd, 65536)
                if data:
                    chunks[key.fd].append(data)
                else:
                    selector.unregister(key.fd)
    if exited_at is None:  # both pipes closed while it still runs: wait for it, within the deadline
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(max(0.0, deadline - time.monotonic()))
        if process.poll() is None:
            raise TimeoutError
    out, err = (b"".join(chunks.get(fd, [])) for fd in fds)
    return out, err


def _exited(pid: int) -> bool:
    """Whether `pid` has exited, leaving it unreaped so that its group id cannot be reused yet."""
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


def _kill(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


@contextlib.contextmanager
def cancellable() -> Iterator[None]:
    """SIGINT and SIGTERM end every scanner's group and raise Cancelled (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        _REGISTRY.cancel(signum)
        raise Cancelled(signum)

    _REGISTRY.cancelled = 0
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
