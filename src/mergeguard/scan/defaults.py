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

from mergeguard.core.filekinds import FileKind, classify

# `${NAME:-default}` and `${NAME-default}`, innermost first (a default may hold another `${…}`); and
# `${NAME:+word}`, `${NAME+word}`, whose word is written when NAME is set (`${HOME:+…}`: always).
_DEFAULT = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?[-+]([^${}\n]*)\}")
_NESTING = 4  # `${A:-${B:-${C:-x}}}`: deeper defaults stay as written
_ENV_FILE = re.compile(r"^(\.env(\..+)?|.+\.env)$")


def applies(path: str) -> bool:
    """A compose file, or a `.env`-style file (`.env`, `.env.example`, `app.env`)."""
    return FileKind.COMPOSE in classify(path) or _ENV_FILE.match(PurePosixPath(path).name) is not None


def written_out(text: str) -> str | None:
    """`text` with each default in place of its expression; None when it has none."""
    original = text
    for _ in range(_NESTING):
        rewritten = _DEFAULT.sub(r"\1", text)
        if rewritten == text:
            break
        text = rewritten
    return text if text != original else None
