"""Report formats rendered side by side: a big result's SARIF in a forked process while JSON and Markdown
are rendered here; or (`apart`) a whole job, from the report's text on, in a child of its own.

A format that shares no work with the others (`apart`: SARIF) goes to a worker forked from this process,
so it reads the result the parent built without copying or pickling it; only its text comes back. This
pays from a few thousand findings on a machine with a core to spare; below that, or where fork is not
safe (other threads running) or not available, every format is rendered here, one after another. The
texts are the same either way (tests compare them).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

MIN_FINDINGS = 5_000  # below this, forking costs more than rendering SARIF does
T = TypeVar("T")  # what a format renders to: its bytes (tests use strings)

_RENDER: list[
    Callable[[str], Any]
] = []  # what a forked worker renders with (set before the fork, never pickled)


def render_all(
    formats: Sequence[str],
    apart: Sequence[str],
    render: Callable[[str], T],
    findings: int,
    ready: Callable[[str, T], object] = lambda _fmt, _text: None,
) -> dict[str, T]:
    """Each format's text by `render`, those in `apart` in worker processes when that is worth it;
    `ready` is called here with each text as soon as it is here (the caller may start writing it)."""

    def rendered(fmt: str) -> T:
        text = render(fmt)
        ready(fmt, text)
        return text

    separate = [fmt for fmt in formats if fmt in apart]
    here = [fmt for fmt in formats if fmt not in apart]
    workers = min(len(separate), _spare_cores()) if here and findings >= MIN_FINDINGS else 0
    if workers == 0 or not _fork_is_safe():
        return {fmt: rendered(fmt) for fmt in formats}
    _RENDER[:] = [render]
    fork = multiprocessing.get_context("fork")
    try:
        try:
            pool = ProcessPoolExecutor(workers, mp_context=fork, initializer=_default_signals)
        except (OSError, NotImplementedError, ImportError):  # no POSIX semaphores (no /dev/shm): here
            return {fmt: render(fmt) for fmt in formats}
        with pool:
            pending: dict[str, Future[T]] = {}
            try:
                for fmt in separate:
                    pending[fmt] = pool.submit(_render_forked, fmt)
            except OSError:  # the fork failed (out of processes or memory): the rest is rendered here
                pass
            texts = {fmt: rendered(fmt) for fmt in here}
            for fmt in separate:
                texts[fmt] = _text(pending[fmt], render, fmt) if fmt in pending else render(fmt)
                ready(fmt, texts[fmt])
    finally:
        _RENDER.clear()
    return {fmt: texts[fmt] for fmt in formats}


class Apart:
    """A job running in a forked child: nothing comes back from it but whether it ended well."""

    def __init__(self, pid: int | None) -> None:
        self._pid = pid  # None: no child (not worth it, not safe, or fork refused)

    def succeeded(self) -> bool:
        """Wait for the job; whether it ran to its end (False: no child, or it failed or was killed)."""
        if self._pid is None:
            return False
        pid, self._pid = self._pid, None
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status) == 0

    def cancel(self) -> None:
        """End the job now (what it writes, it writes atomically) and reap it."""
        if self._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            self.succeeded()


@contextlib.contextmanager
def apart(job: Callable[[], object], *, worth_it: bool) -> Iterator[Apart]:
    """`job` started in a forked child when `worth_it` and a core is spare, while the block goes on here.

    The child is a copy of this process taken now: it shares nothing with the block afterwards, so
    neither pays for the other touching the same objects (after a fork, each page either writes to is
    copied). Its output is discarded, and its end is only an exit status: the block asks
    `succeeded()` and does the job itself when the child did not. Leaving the block by an error
    ends the child.
    """
    pid = _fork(job) if worth_it and _spare_cores() > 0 and _fork_is_safe() else None
    child = Apart(pid)
    try:
        yield child
    except BaseException:
        child.cancel()
        raise
    child.cancel()  # not waited for by the block: its work is not wanted


def _fork(job: Callable[[], object]) -> int | None:
    try:
        pid = os.fork()
    except OSError:  # out of processes or memory: the block does the job itself
        return None
    if pid != 0:
        return pid
    code = 1
    try:  # the child: the job, silently, and out without the parent's clean-up (its buffers, exit hooks)
        _default_signals()
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        job()
        code = 0
    finally:
        os._exit(code)


def _text(job: Future[T], render: Callable[[str], T], fmt: str) -> T:
    """The worker's text; rendered here after all if the worker died (killed for memory, say)."""
    try:
        return job.result()
    except BrokenProcessPool:
        return render(fmt)


def _render_forked(fmt: str) -> Any:
    return _RENDER[0](fmt)


def _default_signals() -> None:
    """A worker ends when the pool ends it: the gate's own SIGINT/SIGTERM handling stays with the gate."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _spare_cores() -> int:
    """Cores this process may use beyond its own."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(0, cores - 1)


def _fork_is_safe() -> bool:
    """Fork copies only the calling thread: with another thread running (holding a lock), it is not safe."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
