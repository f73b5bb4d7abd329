"""The lines a range added, read from git's patch as git writes it (`changes.collect` asks)."""

from __future__ import annotations

import re

from mergeguard.core.gitrepo import DIFF_AS_TEXT, Repo

_WHITESPACE = ("--ignore-space-change", "--ignore-cr-at-eol")
# Python's indentation is its blocks: a line re-indented out of an `if` is a changed line
# (`core.restated` then leaves out the ones re-indented without changing their block).
_INDENTATION = ("--ignore-cr-at-eol",)
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")  # old start and count, new ones

Hunk = tuple[int, int, int, int]  # a hunk's old start, old count, new start, new count (`@@ -a,b +c,d @@`)


def added_lines(repo: Repo, base: str) -> dict[str, frozenset[int]]:
    """Per changed file (relative to the prefix), the HEAD line numbers base..HEAD added or changed."""
    return patch(repo, base)[0]


def patch(
    repo: Repo, base: str, *, indentation: bool = False
) -> tuple[dict[str, frozenset[int]], dict[str, tuple[Hunk, ...]]]:
    """Per changed file (relative to the prefix), the HEAD line numbers base..HEAD added or changed,
    and the hunks that changed them.

    Read as git writes the patch: lines end at `\n` only (a name or a line may hold U+2028, a form
    feed, or any other character Python would split at), and a hunk's lines are counted off its
    header, so an added line that reads `++ b/other` (shown as `+++ b/other`) is content, never a
    file header that would credit what follows to another file.

    A line whose only change is in white space (re-indented, re-aligned by `terraform fmt`, CRLF
    made LF), or a first line whose only change is a byte order mark, is not one the change
    touched: the problem on it is the base's (a pull request that normalised line endings made
    every old finding of a manifest new). What such a change does to
    a Dockerfile's or manifest's meaning, the base comparison sees (`scan.basescan`). With
    `indentation`, a change in the amount of white space counts (what Python's lines are read by).
    """
    scope = repo.prefix or "."
    spaces = _INDENTATION if indentation else _WHITESPACE
    diff = repo.git("diff", *DIFF_AS_TEXT, *spaces, "-U0", "-M", "--no-color", base, "HEAD", "--", scope)
    return _read_patch(diff, repo.prefix)


def lines_between(repo: Repo, old_blob: str, new_blob: str, *, indentation: bool = False) -> frozenset[int]:
    """The lines of `new_blob` a diff from `old_blob` adds or changes, read as `added_lines` reads the
    range's (`indentation` as there): for a file moved and re-indented, which git could not pair with
    its old name (`core.renames`)."""
    spaces = _INDENTATION if indentation else _WHITESPACE
    diff = repo.git("diff", *DIFF_AS_TEXT, *spaces, "-U0", "--no-color", old_blob, new_blob)
    return frozenset().union(*_read_patch(diff, "")[0].values())


def _read_patch(diff: str, prefix: str) -> tuple[dict[str, frozenset[int]], dict[str, tuple[Hunk, ...]]]:
    """Per file under `prefix` (relative to it), the new side's line numbers the patch adds or
    changes, and its hunks."""
    lines: dict[str, set[int]] = {}
    hunks: dict[str, list[Hunk]] = {}
    current: set[int] | None = None
    current_hunks: list[Hunk] = []
    left = 0  # lines of the current hunk still to come
    first: dict[str, str] = {}  # a hunk at line 1: its first removed ("-") and added ("+") line
    for text in diff.split("\n"):
        if left:
            left -= not text.startswith("\\")  # "\ No newline at end of file" is not counted
            _keep_first(first, text)
            if not left and current is not None and _bom_only(first):
                current.discard(1)
            continue
        first = {}
        if text.startswith("diff --git "):
            current = None
        elif text.startswith("+++ "):
            path = _diff_path(text[4:])
            current, current_hunks = None, []
            if path is not None and path.startswith(prefix):
                current = lines.setdefault(path[len(prefix) :], set())
                current_hunks = hunks.setdefault(path[len(prefix) :], [])
        elif match := _HUNK.match(text):
            old_start = int(match.group(1))
            removed, start, count = (int(n) if n else 1 for n in match.group(2, 3, 4))
            left = removed + count
            if start == 1 and removed and count:
                first["start"] = ""
            if current is not None:
                current.update(range(start, start + count))
                current_hunks.append((old_start, removed, start, count))
    return {path: frozenset(numbers) for path, numbers in lines.items()}, {
        path: tuple(found) for path, found in hunks.items()
    }


def _keep_first(first: dict[str, str], text: str) -> None:
    """In a hunk at line 1, its first removed and first added line."""
    if text[:1] in ("-", "+") and "start" in first:
        first.setdefault(text[:1], text[1:])


def _bom_only(first: dict[str, str]) -> bool:
    """Whether a file's first line changed only by a byte order mark an editor added or removed (white
    space aside): line 1 is then not one the change touched, as for a change in white space."""
    if "-" not in first or "+" not in first:
        return False
    old, new = (" ".join(first[sign].lstrip("\ufeff").split()) for sign in "-+")
    return old == new and first["-"] != first["+"]


def _diff_path(field: str) -> str | None:
    """The path of a `+++ b/path` header (git quotes unusual names C-style); None for /dev/null.

    git ends the header with a TAB when the path holds a space (for patch(1)); a TAB in a name is
    always quoted, so a raw trailing one is never part of it.
    """
    field = field.removesuffix("\t")
    if field.startswith('"'):
        field = unquote_c_style(field)
    return field[2:] if field.startswith("b/") else None


_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def unquote_c_style(quoted: str) -> str:
    """Undo git's C-style quoting of a path: surrounding quotes, backslash escapes, octal bytes."""
    body = quoted[1:-1].encode("utf-8", "surrogateescape")
    out = bytearray()
    i = 0
    while i < len(body):
        if body[i] == 0x5C and i + 1 < len(body):  # backslash
            nxt = chr(body[i + 1])
            if nxt.isdigit():
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
            out.append(_ESCAPES.get(nxt, ord(nxt)))
            i += 2
            continue
        out.append(body[i])
        i += 1
    return out.decode("utf-8", "surrogateescape")
