"""The command line: parses the flags, runs the command, maps a failure to a line and a status."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from mergeguard.cli import commands, gate, parser
from mergeguard.core import gcpause, procs
from mergeguard.core.errors import Cancelled, MergeguardError
from mergeguard.core.text import plain

BROKEN_PIPE = 141  # the shell's status for a command ended by SIGPIPE
ERROR_LIMIT = 2_000  # characters of an error line: a value it quotes may be as long as an input allows
# Each command of `parser.build()` and what runs it.
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "scan": gate.run_scan,
    "merge": gate.run_merge,
    "baseline": commands.run_baseline,
    "convert": commands.run_convert,
    "precommit": gate.run_precommit,
    "action": commands.run_action,
    "scanners": commands.run_scanners,
}


def run() -> NoReturn:
    """The `mergeguard` command: `main`, then the exit without the cyclic collector's last walk.

    The collector stays off for the process (`main` pauses it for the command anyway), and what is
    left at the end is frozen, which Python's exit does not collect: for 100,000 findings that walk over
    millions of objects, all of them about to be freed with the process, took half a second.
    """
    gc.disable()
    gcpause.leaving_to_exit()
    try:
        code = main()
    except BrokenPipeError:  # the reader of standard output went away (`| head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the rest, and exit's flush, dropped
        with contextlib.suppress(OSError):
            print("mergeguard: error: standard output was closed by its reader", file=sys.stderr)
        code = BROKEN_PIPE
    gc.freeze()
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run mergeguard; every non-zero exit says why in the last line of output."""
    args = parser.build().parse_args(argv)
    try:
        with procs.cancellable(), gcpause.paused():  # SIGINT/SIGTERM end every scanner, raise Cancelled
            code = COMMANDS[args.command](args)
    except MergeguardError as exc:
        print(f"mergeguard: error: {_capped(plain(str(exc)))}", file=sys.stderr)  # one inert line
        return exc.exit_code
    except Cancelled as exc:
        print("mergeguard: cancelled", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("mergeguard: cancelled", file=sys.stderr)
        return 130
    return code


def _capped(line: str) -> str:
    """`line` within ERROR_LIMIT characters, its middle left out: it starts with what is wrong and
    ends with why (a quoted value in between may be as long as an input allows)."""
    if len(line) <= ERROR_LIMIT:
        return line
    half = (ERROR_LIMIT - 1) // 2
    return f"{line[:half]}…{line[-half:]}"
