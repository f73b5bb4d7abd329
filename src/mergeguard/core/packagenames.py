"""Package names compared as PEP 503 compares them: the one normaliser every package comparison uses."""

from __future__ import annotations

from packaging.utils import canonicalize_name


def normalise(name: str) -> str:
    """`name` lower-cased with every run of `-`, `_` and `.` folded to one `-` ("Foo_.Bar" → "foo-bar")."""
    return canonicalize_name(name)
