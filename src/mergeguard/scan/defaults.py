"""Default values of interpolation (`${DB_PASSWORD:-Qm7vR2xK…}`) written out in compose and `.env`
files, so the secret scanners read a committed default as the value it is.

Measured: detect-secrets, Gitleaks and Trivy match a credential only where a value starts, so a
password written as a variable's default passed all three, while the same value written plainly
blocked. The copy keeps every line (not the columns after an expression: padding would break a
URL such as `postgres://app:${DB_PASSWORD:-…}@db`, which the Basic Auth rules then no longer read);
`${VAR:+word}` is its word (written when VAR is set: `${HOME:+…}` always is); `${VAR}` without a
default, `${VAR:?message}` and `$$` stay as written.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from mergeguard.core import interpolation
from mergeguard.core.filekinds import FileKind, classify

_ENV_FILE = re.compile(r"^(\.env(\..+)?|.+\.env)$")


def applies(path: str) -> bool:
    """A compose file, or a `.env`-style file (`.env`, `.env.example`, `app.env`)."""
    return FileKind.COMPOSE in classify(path) or _ENV_FILE.match(PurePosixPath(path).name) is not None


def written_out(text: str) -> str | None:
    """`text` with each default in place of its expression, line by line (an expression never spans
    lines), nested ones too (`core.interpolation`); None when it has none."""
    rewritten = "\n".join(interpolation.words(line, dollars=False) for line in text.split("\n"))
    return rewritten if rewritten != text else None
