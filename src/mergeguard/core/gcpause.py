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


def leave_to_exit(value: object) -> None:
    """`value` freed with the process, not object by object, when the process is the `mergeguard` command.

    A command's result is garbage once the command returns, and freeing 100,000 findings and their
    reports one object at a time took a tenth of a second just before the process ended anyway. So
    `value` is put in a reference cycle nothing else reaches: with the collector off and what is left
    frozen at the exit (`cli.main.run`), no one frees it but the operating system. Called from
    anything else (tests, an embedding program), the flag is off and nothing is kept.
    """
    if _LEAVING:
        cycle: list[object] = [value]
        cycle.append(cycle)


_LEAVING: list[bool] = []  # set by `leaving_to_exit`: this process ends when the command returns


def leaving_to_exit() -> None:
    """From now on, `leave_to_exit` leaves its values to the process's end (the command's entry point)."""
    _LEAVING[:] = [True]
