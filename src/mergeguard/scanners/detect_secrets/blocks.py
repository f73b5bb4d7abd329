"""A secret detect-secrets reports on a YAML block scalar's key (`run: |`), put on the line holding it.

detect-secrets 1.5.0 reads a YAML file through its transformer (`transformers/yaml.py`): each string
value becomes one line, `key: "value"`, numbered by its key's line. A secret inside a workflow's
`run: |` was reported on the `run: |` line: in PR mode a secret written into an existing block
landed on an untouched line and passed as pre-existing, and the sample-password rule, which reads the
finding's line, could not lower a `postgres://director:director@localhost` there. The report gives
the sha1 of the secret (`hashed_secret`): the block's line with a token of that sha1 is where it is;
from the first such line to the last when several have one (detect-secrets reports a value once
however often the block holds it, and `ghp` is the value of every GitHub token: an old line naming
it must not take a new token's place). When no line has one (a keyword's value runs on to the
block's end), the finding spans the key and the whole block, so a change anywhere in it is new.
The same holds for a plain or quoted value continued on the lines below its key, indented deeper.

Before that, a line number is made git's: detect-secrets reads a file with Python's universal
newlines (a lone `\r` ends a line) and numbers a YAML file's values as PyYAML does (`\x85`, U+2028
and U+2029 end lines too), while git, the diff and mergeguard count `\n` only. One such character
written above a secret moved its finding onto an untouched line: pre-existing. A YAML file is
numbered both ways (the transformer is not used on a file it cannot read), the finding spanning both.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import islice

from mergeguard.core.model import Finding
from mergeguard.core.sources import SourceLines

YAML_SUFFIXES = (".yaml", ".yml", ".eyaml")  # its `util/filetype.py`, case as written
_KEY_COLUMN = re.compile(r" *(?:- +)*")  # where the key starts: past indentation and sequence dashes
# What ends a line inside one of git's, for detect-secrets: a lone CR (a CR before `\n` is dropped
# with it by `SourceLines`); in a YAML file's values (PyYAML's reader), NEL, U+2028 and U+2029 too.
_TEXT_BREAKS = re.compile("\r")
_YAML_BREAKS = re.compile("[\r\x85\u2028\u2029]")
# Bounds for a hostile file, on one run: the lines looked at for where blocks end (a file's lines
# nested ever deeper, each a block's key, would each be looked at again under every key), and the
# characters of block lines read for hashes, of each line only the first MAX_LINE_CHARS (a million
# characters of short tokens take 1 to 1.5 s; detect-secrets, 4 s to scan them). A secret past them
# is not found: its finding spans its block, or the rest of the file when the block's end was not.
MAX_LINES_SEEN = 1_000_000
MAX_CHARS_HASHED = 1_000_000
MAX_LINE_CHARS = 1_000
# A line's candidate values, as the plugins delimit them: runs between white space, quotes and the
# separators of URLs and assignments (a URL's password, a key, a keyword's value); runs between white
# space and quotes only (`id:token` pairs, whole URLs); letters and digits alone (GitHub's plugin
# reports only the `ghp` of `ghp_…`); quoted strings, of the entropy plugins' alphabet or any;
# Basic Auth's own regex (`plugins/basic_auth.py`); a private key's header.
_VALUES = (
    re.compile(r"[^\s'\"`,;:@/=(){}\[\]<>|&$!?#*\\]+"),
    re.compile(r"[^\s'\"`,;]+"),
    re.compile(r"[A-Za-z0-9]+"),
    re.compile(r"(?<=')[A-Za-z0-9+/=]+(?=')|(?<=\")[A-Za-z0-9+/=]+(?=\")"),
    re.compile(r"'([^']*)'|\"([^\"]*)\""),
    re.compile(r"://[^:/?#\[\]@!$&'()*+,;=\s]+:([^:/?#\[\]@!$&'()*+,;=\s]+)@"),
    re.compile(r"BEGIN [A-Z0-9 ]{0,20}PRIVATE KEY(?: BLOCK)?|PuTTY-User-Key-File-2"),
)
# The keyword plugin's value after `=` or `:` (`plugins/keyword.py`'s SECRET): to the next quote,
# trailing commas and backticks left out; at a `|-` block's last line it ends there.
_ASSIGNED = re.compile(r"[ \t]*['\"`]?(\w[^'\"]*[^,'\"`]|\w)")
_ASSIGNMENT = re.compile(r"[=:]")
_MAX_ASSIGNMENTS = 4  # assignments read per line (each one hashes the rest of the line)


@dataclass(frozen=True, slots=True)
class _Block:
    """A block scalar: its last line, and for each hash the first and last of its lines (the key's
    first) holding it; the last is the block's when the block was not read to its end."""

    end: int
    holding: dict[str, tuple[int, int]]


def placed(findings: Sequence[Finding], sources: SourceLines) -> list[Finding]:
    """The findings at git's line numbers, each one reported on the key of a YAML value that lines
    below continue moved into them."""
    return list(map(_Placer(sources).placed, findings))


class _Placer:
    """Reads each block once, and no more lines than the bounds above."""

    def __init__(self, sources: SourceLines) -> None:
        self._sources = sources
        self._blocks: dict[tuple[str, int], _Block | None] = {}
        self._indents: dict[str, list[int | None]] = {}
        self._numbers: dict[str, tuple[list[int] | None, list[int] | None]] = {}  # `_numbering`s
        self._lines_left = MAX_LINES_SEEN
        self._chars_left = MAX_CHARS_HASHED

    def placed(self, finding: Finding) -> Finding:
        loc = finding.location
        yaml = loc.path.endswith(YAML_SUFFIXES)
        number, other = self._git_line(loc.path, loc.start_line, yaml)
        start, end = number, max(number, loc.end_line - loc.start_line + number)
        if yaml:
            key = (loc.path, number)
            if key not in self._blocks:
                self._blocks[key] = self._block(loc.path, number)
            if (block := self._blocks[key]) is not None:
                start, end = block.holding.get(finding.evidence, (number, block.end))
        if other != number:  # numbered as PyYAML does, or by newlines alone: both lines
            start, end = min(start, other), max(end, other)
        if (start, end) == (loc.start_line, loc.end_line):
            return finding
        return replace(finding, location=replace(loc, start_line=start, end_line=end))

    def _git_line(self, path: str, number: int, yaml: bool) -> tuple[int, int]:
        """Line `number` as detect-secrets counts it in `path`, as git counts it; and as it would be
        counted by universal newlines alone (a YAML file the transformer did not read), else the same."""
        if path not in self._numbers:
            lines = self._sources.lines(path)
            self._numbers[path] = (_numbering(lines, _TEXT_BREAKS), _numbering(lines, _YAML_BREAKS))
        text, values = self._numbers[path]
        plain = text[number - 1] if text is not None and 0 < number <= len(text) else number
        if not yaml:
            return plain, plain
        return (values[number - 1] if values is not None and 0 < number <= len(values) else number), plain

    def _block(self, path: str, number: int) -> _Block | None:
        """The value that line `number` (1-based) starts and the lines below it indented deeper than
        its key continue (a block scalar, a plain or quoted one over several lines); None when no
        line continues it."""
        lines = self._sources.lines(path)
        if not 0 < number <= len(lines):
            return None
        header = lines[number - 1]
        end = self._last_line(path, number, indent.end() if (indent := _KEY_COLUMN.match(header)) else 0)
        if end is None:  # not looked at to its end: taken to run to the file's
            return _Block(len(lines), {})
        if end == number:
            return None
        holding: dict[str, tuple[int, int]] = {}
        for at in range(number, end + 1):
            text = lines[at - 1][:MAX_LINE_CHARS]
            self._chars_left -= len(text)
            if self._chars_left < 0:  # the rest unread: a hash found may be held further down too
                return _Block(end, {digest: (first, end) for digest, (first, _) in holding.items()})
            for digest in _digests(text):
                holding[digest] = (holding.get(digest, (at, at))[0], at)
        return _Block(end, holding)

    def _last_line(self, path: str, number: int, column: int) -> int | None:
        """The last line of the block below line `number`: of the lines after it indented past
        `column` (the key's), up to the first that is not and is not blank; None past the bound."""
        if path not in self._indents:
            self._indents[path] = [_indent(line) for line in self._sources.lines(path)]
        indents, end = self._indents[path], number
        for below in range(number, len(indents)):  # 0-based: the lines after the header
            self._lines_left -= 1
            if self._lines_left < 0:
                return None
            if (indent := indents[below]) is not None:
                if indent <= column:
                    break
                end = below + 1
        return end


def _numbering(lines: list[str], breaks: re.Pattern[str]) -> list[int] | None:
    """For each line as a reader ending lines at `breaks` too counts it, the line it is in (1-based)
    as git counts them; None when no line holds one (the same numbers)."""
    inner = [len(breaks.findall(line)) for line in lines]
    if not any(inner):
        return None
    return [number for number, extra in enumerate(inner, 1) for _ in range(extra + 1)]


def _indent(line: str) -> int | None:
    """The spaces `line` is indented by; None for a blank line."""
    return len(line) - len(line.lstrip(" ")) if line.strip() else None


def _digests(line: str) -> set[str]:
    """sha1 of each value on `line` a plugin could have reported, as detect-secrets hashes it; the
    line is read as written and as the transformer writes it (a `"` in a value escaped)."""
    texts = (line, line.replace('"', '\\"')) if '"' in line else (line,)
    return {
        hashlib.sha1(value.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()
        for value in _values(texts)
    }


def _values(texts: Iterable[str]) -> set[str]:
    values: set[str] = set()
    for text in texts:
        for pattern in _VALUES:
            values.update(match.group(match.lastindex or 0) for match in pattern.finditer(text))
        for sign in islice(_ASSIGNMENT.finditer(text), _MAX_ASSIGNMENTS):
            if assigned := _ASSIGNED.match(text, sign.end()):
                values.update((assigned.group(1), assigned.group(1) + "\n"))  # `|`: its last newline kept
    values.discard("")
    return values
