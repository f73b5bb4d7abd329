"""Pauses Python's cyclic garbage collector while mergeguard builds big acyclic data."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """The cyclic collector off inside, back as it was after (reference counting still frees memory).

    Parsed reports, findings and report documents are trees without cycles, yet the collector walks
    them again and again as they grow: a third of the time of a 100,000-finding run. A command is
    short, so what cycles it makes (a few exceptions' tracebacks) wait until the block ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
