"""Report formats rendered side by side: a big result's SARIF in a forked process while JSON and Markdown
are rendered here.

A format that shares no work with the others (`apart`: SARIF) goes to a worker forked from this process,
so it reads the result the parent built without copying or pickling it; only its text comes back. This
pays from a few thousand findings on a machine with a core to spare; below that, or where fork is not
safe (other threads running) or not available, every format is rendered here, one after another. The
texts are the same either way (tests compare them).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

MIN_FINDINGS = 5_000  # below this, forking costs more than rendering SARIF does
T = TypeVar("T")  # what a format renders to: its bytes (tests use strings)

_RENDER: list[
    Callable[[str], Any]
] = []  # what a forked worker renders with (set before the fork, never pickled)


def render_all(
    formats: Sequence[str], apart: Sequence[str], render: Callable[[str], T], findings: int
) -> dict[str, T]:
    """Each format's text by `render`, those in `apart` in worker processes when that is worth it."""
    separate = [fmt for fmt in formats if fmt in apart]
    here = [fmt for fmt in formats if fmt not in apart]
    workers = min(len(separate), _spare_cores()) if here and findings >= MIN_FINDINGS else 0
    if workers == 0 or not _fork_is_safe():
        return {fmt: render(fmt) for fmt in formats}
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
            texts = {fmt: render(fmt) for fmt in here}
            texts.update(
                {fmt: _text(pending[fmt], render, fmt) if fmt in pending else render(fmt) for fmt in separate}
            )
    finally:
        _RENDER.clear()
    return {fmt: texts[fmt] for fmt in formats}


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
