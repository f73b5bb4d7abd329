"""The lines a change rewrote in a Python file without changing its code (`core.changes` asks).

A formatter (black, ruff format) changes quotes, re-wraps a call over several lines and adds a
trailing comma: the diff shows those lines changed, though each statement is one the base's copy has
token for token. Statements are compared by their tokens without white space, line breaks inside
brackets or trailing commas, comments in or after them by their text (a secret written in one is
new), strings by value (`'a'` is `"a"`; an f-string as written), at their block depth, and only
within the hunk that replaced them, in order: a statement moved (deleted in one place, added in
another), or written twice where the base had it once, is new. A file that either side cannot parse
as Python 3 (a syntax error, Python 2) keeps every line.
"""

from __future__ import annotations

import ast
import bisect
import io
import keyword
import tokenize
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from mergeguard.core.gitdiff import Hunk
from mergeguard.core.gitrepo import RawDiff, Repo, read_blobs, rewritten_blobs

_SKIPPED = frozenset({tokenize.NL, tokenize.COMMENT, tokenize.ENCODING, tokenize.ENDMARKER})
_CLOSING = frozenset({")", "]", "}"})
_UNREADABLE = (SyntaxError, ValueError, tokenize.TokenError, MemoryError, RecursionError)

_Token = tuple[int, str]

MAX_BYTES = 1_000_000
"""The largest file (its base and head copies together) compared statement by statement."""
MAX_TOTAL = 4_000_000
"""The most bytes compared in one scan: a change of thousands of Python files stays seconds."""
MAX_PAIRS = 4_000_000
"""The most statement pairs a file's hunks are aligned over (their old statements times their new:
16,000 identical statements in one hunk took 30 s; this is about half a second)."""


@dataclass(frozen=True, slots=True)
class _Statement:
    """One logical line: what it says (its block depth and tokens) and the lines it spans."""

    key: tuple[int, tuple[_Token, ...]]
    first: int
    last: int


@dataclass(slots=True)
class _Bracket:
    """An open bracket: whether a trailing comma in it means nothing with one item, and its commas."""

    loose: bool
    commas: int = 0


def in_change(
    repo: Repo, raw: RawDiff, touched: Mapping[str, frozenset[int]], hunks: Mapping[str, Sequence[Hunk]]
) -> dict[str, frozenset[int]]:
    """Of each Python file of `touched` (its path -> the lines the change touched) that the range of
    `raw` modified or renamed, the touched lines it only restated in its `hunks`; one `git cat-file` for all.

    Tokenizing is slow (about a second for a 500 KB file and its base copy): files over `MAX_BYTES`,
    and any past `MAX_TOTAL` bytes in all, keep every touched line (the line rule as it was)."""
    pairs = rewritten_blobs(raw)
    paths = [path for path in touched if path in pairs and touched[path] and hunks.get(path)]
    content = read_blobs(repo, [blob for path in paths for blob in pairs[path]])
    found: dict[str, frozenset[int]] = {}
    budget = MAX_TOTAL
    for path, before, now in zip(paths, content[::2], content[1::2], strict=True):
        size = len(before) + len(now)
        if size > MAX_BYTES or size > budget:
            continue
        budget -= size
        if lines := restated(before, now, touched[path], hunks[path]):
            found[path] = lines
    return found


def restated(base: bytes, head: bytes, touched: frozenset[int], hunks: Sequence[Hunk]) -> frozenset[int]:
    """The lines of `touched` in `head` whose statements each hunk only rewrote in place: aligned, as
    a diff aligns lines (`difflib`), with a statement of the base's lines that hunk replaced, token for
    token. A statement moved from one place to another (deleted in one hunk, added in another) or
    written once more is not one of them."""
    before, now = _statements(base), _statements(head)
    if before is None or now is None:
        return frozenset()
    ids: dict[tuple[int, tuple[_Token, ...]], int] = {}
    found: set[int] = set()
    budget = MAX_PAIRS
    for old_start, old_count, new_start, new_count in hunks:
        if not old_count or not new_count:  # only added, or only removed: nothing rewritten
            continue
        before_hunk, new = _within(before, old_start, old_count), _within(now, new_start, new_count)
        budget -= len(before_hunk) * len(new)
        if budget < 0:  # aligning costs up to their product: this hunk and the rest keep their lines
            break
        old = [ids.setdefault(s.key, len(ids)) for s in before_hunk]
        matcher = SequenceMatcher(None, old, [ids.setdefault(s.key, len(ids)) for s in new], autojunk=False)
        for block in matcher.get_matching_blocks():
            for statement in new[block.b : block.b + block.size]:
                span = range(
                    max(statement.first, new_start), min(statement.last, new_start + new_count - 1) + 1
                )
                found.update(touched.intersection(span))
    return frozenset(found)


def _within(statements: list[_Statement], start: int, count: int) -> list[_Statement]:
    """The statements (in line order) with a line in `start` .. `start + count - 1`."""
    low = bisect.bisect_left(statements, start, key=lambda s: s.last)
    high = bisect.bisect_right(statements, start + count - 1, key=lambda s: s.first)
    return statements[low:high]


def _statements(data: bytes) -> list[_Statement] | None:
    """The logical lines of `data`; None when it is not Python 3, or lines are not where git counts
    them (a lone CR ends a line for Python, not for git)."""
    if data.count(b"\r") != data.count(b"\r\n"):
        return None
    with warnings.catch_warnings():  # `"\d"`: an invalid escape warns
        warnings.simplefilter("ignore")
        try:
            ast.parse(data)
            return list(_logical_lines(tokenize.tokenize(io.BytesIO(data).readline)))
        except _UNREADABLE:
            return None


def _logical_lines(tokens: Iterator[tokenize.TokenInfo]) -> Iterator[_Statement]:
    depth, first, said, brackets = 0, 0, list[_Token](), list[_Bracket]()
    for token in tokens:
        if token.type == tokenize.INDENT:
            depth += 1
        elif token.type == tokenize.DEDENT:
            depth -= 1
        elif token.type == tokenize.NEWLINE:
            if said:
                yield _Statement((depth, tuple(said)), first, token.start[0])
            said = []
        elif token.type == tokenize.COMMENT:
            if said:  # in or after a statement: its text is the statement's (a secret written there is new)
                said.append((token.type, "".join(token.string.split())))  # `#x` is black's `# x`
        elif token.type not in _SKIPPED:
            first = first if said else token.start[0]
            _add(said, brackets, token)


def _add(said: list[_Token], brackets: list[_Bracket], token: tokenize.TokenInfo) -> None:
    """`token` added to the statement so far, a trailing comma dropped where it means nothing: after
    another comma, in a call's parentheses, a list display, a set or dict (never `(x,)`, a tuple, or
    `a[x,]`, a tuple index)."""
    if token.type == tokenize.OP and token.string in ("(", "[", "{"):
        brackets.append(_Bracket(_loose(token.string, said[-1] if said else None)))
    elif token.type == tokenize.OP and token.string == "," and brackets:
        brackets[-1].commas += 1
    elif token.type == tokenize.OP and token.string in _CLOSING and brackets:
        bracket = brackets.pop()
        if said[-1] == (tokenize.OP, ",") and (bracket.loose or bracket.commas > 1):
            said.pop()
    said.append((token.type, _text(token)))


def _loose(opener: str, before: _Token | None) -> bool:
    """Whether a trailing comma after one item means nothing in the bracket `opener` opens after
    `before`: a call's `(` (after a name or a closing bracket), a list display's `[` (after none of
    them), any `{`. A soft keyword is taken for a name where that keeps the comma (`match[x,]`)."""
    if opener == "{":
        return True
    kind, text = before if before is not None else (tokenize.OP, "")
    named = kind == tokenize.NAME and not keyword.iskeyword(text)
    if opener == "(":
        return (named and not keyword.issoftkeyword(text)) or (kind == tokenize.OP and text in (")", "]"))
    return not (named or kind == tokenize.STRING or (kind == tokenize.OP and text in _CLOSING))


def _text(token: tokenize.TokenInfo) -> str:
    """A token as compared: a string literal by its value (`repr`: str and bytes differ), anything
    else as written (an f-string too)."""
    if token.type != tokenize.STRING:
        return token.string
    try:
        return repr(ast.literal_eval(token.string))
    except _UNREADABLE:  # an f-string
        return token.string
