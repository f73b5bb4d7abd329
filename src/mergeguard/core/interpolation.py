"""Compose's variable expressions read as the file writes them, without the environment."""

from __future__ import annotations

import re

# `${VAR:-word}`, `${VAR-word}`: the value written when VAR is unset, which is what the file says;
# `${VAR:+word}`, `${VAR+word}`: the value written when VAR is set (`${HOME:+host}` always is). A word
# may hold another `${…}` (compose-go reads `${A:-${B:-host}}` as `host`).
_WORDED = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?[-+]")
_SPECIAL = re.compile(r"\$\$|\$\{|\}")


def words(text: str, *, dollars: bool) -> str:
    """`text` with each `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}` and `${VAR+word}` as its word,
    nested ones too, read in one pass without recursion (linear in the text); `${VAR}`, `$VAR`,
    `${VAR:?message}` and an expression never closed stay as written; `$$` is `$` when `dollars`
    (what compose passes on), else stays."""
    out: list[str] = []
    opened: list[tuple[int, bool]] = []  # each open `${`: where its opening is in `out`, worded
    at = 0
    for match in _SPECIAL.finditer(text):
        if match.start() < at:  # inside an opening `${VAR:-` already read
            continue
        out.append(text[at : match.start()])
        at = match.end()
        mark = match.group()
        if mark == "${":
            worded = _WORDED.match(text, match.start())
            at = worded.end() if worded is not None else at
            opened.append((len(out), worded is not None))
            out.append(text[match.start() : at])  # kept when unknown or never closed
        elif mark == "}" and opened:
            start, has_word = opened.pop()
            if has_word:
                out[start] = ""  # the word alone stays
            else:
                out.append(mark)
        else:
            out.append("$" if mark == "$$" and dollars else mark)
    out.append(text[at:])
    return "".join(out)
