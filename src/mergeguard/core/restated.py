"""The lines a change rewrote in a Python file without changing its code (`core.changes` asks).

A formatter (black, ruff format) changes quotes, re-wraps a call over several lines and adds a
trailing comma: the diff shows those lines changed, though each statement is one the base's copy has
token for token. Statements are compared by their tokens without white space, line breaks inside
brackets, comments or trailing commas, strings by value (`'a'` is `"a"`; an f-string as written),
at their block depth, and counted: a statement written twice where the base had it once is new once.
A file that either side cannot parse as Python 3 (a syntax error, Python 2) keeps every line.
"""

from __future__ import annotations

import ast
import io
import keyword
import tokenize
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from mergeguard.core.gitrepo import Repo, read_blobs, rewritten_blobs

_SKIPPED = frozenset({tokenize.NL, tokenize.COMMENT, tokenize.ENCODING, tokenize.ENDMARKER})
_CLOSING = frozenset({")", "]", "}"})
_UNREADABLE = (SyntaxError, ValueError, tokenize.TokenError, MemoryError, RecursionError)

_Token = tuple[int, str]


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


def in_change(repo: Repo, base: str, touched: Mapping[str, frozenset[int]]) -> dict[str, frozenset[int]]:
    """Of each Python file of `touched` (its path -> the lines the change touched) that base..HEAD
    modified or renamed, the touched lines it only restated; one `git cat-file` for all of them."""
    pairs = rewritten_blobs(repo, base)
    paths = [path for path in touched if path in pairs and touched[path]]
    content = iter(read_blobs(repo, [blob for path in paths for blob in pairs[path]]))
    found = {path: restated(next(content), next(content), touched[path]) for path in paths}
    return {path: lines for path, lines in found.items() if lines}


def restated(base: bytes, head: bytes, touched: frozenset[int]) -> frozenset[int]:
    """The lines of `touched` in `head` whose statements `base` holds token for token (counted)."""
    before, now = _statements(base), _statements(head)
    if before is None or now is None:
        return frozenset()
    left = Counter(statement.key for statement in before)
    spans = [touched.intersection(range(s.first, s.last + 1)) for s in now]
    for statement, span in zip(now, spans, strict=True):  # what the change left claims its copy first
        if not span and left[statement.key]:
            left[statement.key] -= 1
    found: set[int] = set()
    for statement, span in zip(now, spans, strict=True):
        if span and left[statement.key]:
            left[statement.key] -= 1
            found |= span
    return frozenset(found)


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
