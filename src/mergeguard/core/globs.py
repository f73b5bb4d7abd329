"""Exclude globs compiled once into sets (literal paths, names, suffixes) and one regex for the rest."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from itertools import accumulate

_WILD = frozenset("*?[")
MAX_GLOBS = 10_000
"""The most exclude globs a config may list: the globs of no simple shape become one regex, whose
compiling grows with their number (10,000 of them: about a second); a directory's `dir/**` is one."""


@dataclass(frozen=True, slots=True)
class GlobMatcher:
    """A test for repo-relative paths matching any of the globs it was built from.

    Each set holds the globs of one simple shape, so a path costs a few set lookups however many
    globs there are; only the globs of no simple shape are tried, as one compiled alternation.
    """

    paths: frozenset[str] = frozenset()  # `a/b.py`: a path or one of its directories
    dirs: frozenset[str] = frozenset()  # `gen/**`: everything below a directory
    names: frozenset[str] = frozenset()  # `x.lock`, `**/x.lock`: a name at any depth
    suffixes: frozenset[str] = frozenset()  # `*.min.js`: a name ending so, at any depth
    rest: re.Pattern[str] | None = None
    empty: bool = True  # no globs at all: nothing is excluded (asked once per finding)

    def __call__(self, path: str) -> bool:
        if self.empty:
            return False
        parts = path.split("/")
        if not self.names.isdisjoint(parts):
            return True
        if self.suffixes and any(_suffixes(part) & self.suffixes for part in parts):
            return True
        prefixes = list(accumulate(parts, lambda head, part: f"{head}/{part}"))
        if not self.paths.isdisjoint(prefixes) or not self.dirs.isdisjoint(prefixes[:-1]):
            return True
        return self.rest is not None and any(self.rest.fullmatch(p) for p in prefixes)


@functools.lru_cache(maxsize=8)
def compile_globs(patterns: tuple[str, ...]) -> GlobMatcher:
    """The matcher of `patterns` (gitignore-like, see `changes.compile_globs`), built once per list."""
    paths: set[str] = set()
    dirs: set[str] = set()
    names: set[str] = set()
    suffixes: set[str] = set()
    rest: list[str] = []
    for pattern in patterns:
        body = _body(pattern)
        head = body.removeprefix("**/")
        if body and _WILD.isdisjoint(body):
            (paths if "/" in body or _rooted(pattern) else names).add(body)
        elif head and "/" not in head and _WILD.isdisjoint(head) and not _rooted(pattern):
            names.add(head)  # `**/name`: the name at any depth, as `name`
        elif body.endswith("/**") and _WILD.isdisjoint(body[:-3]) and body[:-3].strip("/") == body[:-3]:
            dirs.add(body[:-3])
        elif (
            body.startswith("*.") and "/" not in body and _WILD.isdisjoint(body[1:]) and not _rooted(pattern)
        ):
            suffixes.add(body[1:])
        else:
            rest.append(glob_regex(pattern))
    alternation = re.compile("|".join(f"(?:{r})" for r in rest)) if rest else None
    sets = (frozenset(paths), frozenset(dirs), frozenset(names), frozenset(suffixes))
    return GlobMatcher(*sets, alternation, empty=not patterns)


def _suffixes(name: str) -> set[str]:
    """Every ending of `name` that starts with a dot: `a.tar.gz` → `.tar.gz`, `.gz`."""
    return {name[i:] for i, char in enumerate(name) if char == "."}


def _body(pattern: str) -> str:
    """The pattern without white space around it, `./` or `/` before it and `/` after it."""
    body = pattern.strip()
    return (body[2:] if body.startswith("./") else body).strip("/")


def _rooted(pattern: str) -> bool:
    """`/build` and `./build`: only at the top of the repository, as in a .gitignore."""
    return pattern.strip().startswith(("/", "./"))


def negated(pattern: str) -> bool:
    """A .gitignore re-inclusion (`!keep.py`), which an exclude list has no use for."""
    return pattern.strip().startswith("!")


def glob_problem(pattern: str) -> str | None:
    """Why `pattern` is no glob (a character class `[z-a]` out of order), None when it is one."""
    if "[" not in pattern:  # all else becomes fixed or escaped regex: only a class can be wrong
        return None
    try:
        re.compile(glob_regex(pattern))
    except re.error as exc:
        return str(exc.msg)
    return None


def glob_regex(pattern: str) -> str:
    """The regex a repo-relative path (or one of its directories) must fully match."""
    body = _body(pattern)
    anchored = "/" in body or _rooted(pattern)
    out = []
    i = 0
    while i < len(body):
        if body.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif body.startswith("**", i):
            out.append(".*")
            i += 2
        elif body[i] == "[" and (end := _class_end(body, i)) > 0:
            out.append(_char_class(body[i + 1 : end]))
            i = end + 1
        else:
            out.append({"*": "[^/]*", "?": "[^/]"}.get(body[i], re.escape(body[i])))
            i += 1
    regex = "".join(out)
    return regex if anchored else f"(?:.*/)?{regex}"


def _class_end(body: str, start: int) -> int:
    """Where the `[...]` opening at `start` closes (a `]` first in it is a member); -1: no class."""
    first = start + 2 if body.startswith(("[!", "[^"), start) else start + 1
    end = body.find("]", first + 1)
    return end if end > first and "/" not in body[start:end] else -1


def _char_class(members: str) -> str:
    """A glob's `[Tt]`, `[!0-9]` as a regex class that never matches `/`."""
    negate = members[:1] in ("!", "^")
    inner = re.sub(r"([\\\]\[^])", r"\\\1", members[1:] if negate else members)
    return f"[^/{inner}]" if negate else f"(?!/)[{inner}]"
