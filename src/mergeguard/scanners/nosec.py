"""Bandit's `# nosec`, and the untouched ones a change reaches: Bandit honours one on any line of the
node it reports (a call, an `except` clause, a whole function for its `def`), so a new call written
around an untouched `# nosec` line of the base would be silenced by it (`scan.reached`)."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Collection

# The `#` stays when the marker is blanked: what follows it (a test id, a reason) stays a comment.
# No word boundary: Bandit 1.9's own pattern (`#\s*nosec:?\s*(?P<tests>[^#]+)?`) has none, and reads
# `# nosecurity-reviewed` or `#nosec_B602` as a `# nosec` whose unknown test names skip every test.
NOSEC = r"#\s*(?P<blank>nosec)"
_NOSEC = re.compile(NOSEC, re.IGNORECASE)


def reached(data: bytes, added: Collection[int]) -> frozenset[int]:
    """The lines not in `added` whose `# nosec` comment lies inside a node holding an added line
    (in a compound statement's header: its body is its own nodes). Empty when `data` is not
    Python that parses."""
    try:
        comments = {
            token.start[0]
            for token in tokenize.tokenize(io.BytesIO(data).readline)
            if token.type == tokenize.COMMENT and _NOSEC.search(token.string)
        }
        candidates = comments - set(added)
        tree = ast.parse(data) if candidates and added else None
    except (SyntaxError, ValueError, tokenize.TokenError, RecursionError, MemoryError):
        return frozenset()
    if tree is None:
        return frozenset()
    found: set[int] = set()
    for node in ast.walk(tree):
        start, end = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        if start is None or end is None:
            continue
        inside = {line for line in candidates if start <= line <= end}
        if inside - found and any(start <= line <= _edited_to(node, start, end) for line in added):
            found |= inside
    return frozenset(found)


def _edited_to(node: ast.AST, start: int, end: int) -> int:
    """The last line whose edit makes the node's findings new: a compound statement's header (an
    `except` clause is short, and `except: pass` is its finding: all of it)."""
    body = getattr(node, "body", None)
    if isinstance(node, ast.ExceptHandler) or not isinstance(body, list) or not body:
        return end
    first = body[0]
    return max(start, first.lineno - 1) if isinstance(first, ast.stmt) else end
