"""Exceptions by layer, under one root, each knowing the exit status it ends the run with."""

from __future__ import annotations


class MergeguardError(Exception):
    """Root of every error mergeguard reports as one line instead of a traceback."""

    exit_code = 2


class UsageError(MergeguardError):
    """A command line, path or git state mergeguard cannot work with."""


class FileError(MergeguardError):
    """A file mergeguard reads that does not validate: names the file, the line and the key."""

    def __init__(self, source: str, line: int | None, key: str, problem: str) -> None:
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {key}: {problem}")
        self.source = source
        self.line = line
        self.key = key
        self.problem = problem


class ConfigError(FileError):
    """A configuration file or value that does not validate."""


class BaselineError(FileError):
    """A baseline file that cannot be read, does not validate, or cannot be written."""


class ScannerError(MergeguardError):
    """A scanner that could not give a trustworthy result (missing, crashed, timed out, unparseable).

    Raised inside adapters and the runner, and turned into a failed `ScanOutcome` there. Raised
    before any scanner runs (a file the scan view cannot hold), it ends the command with exit 3.
    """

    exit_code = 3


class ParseError(ScannerError):
    """Tool output that is not what the tool documents."""


class MissingShardError(MergeguardError):
    """`mergeguard merge` given too few shard reports: no result can be trusted (fail closed)."""

    exit_code = 3


class Cancelled(KeyboardInterrupt):
    """SIGINT or SIGTERM during a run: every scanner was ended; exits 128 + the signal's number.

    A KeyboardInterrupt, so that no `except Exception` on the way up can take it for a failure.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.exit_code = 128 + signum
