"""Lays out each Python dependency file Trivy would not read as a `requirements.txt` of its own.

Trivy's pip analyzer reads only files named exactly `requirements.txt`: `requirements-dev.txt`,
`requirements/base.txt`, pip-tools' `.in` files, a pyproject.toml's `[project]` dependencies or a
Pipfile's packages would pass unaudited. Each such file becomes `N/requirements.txt` in a directory of
the scanner's own (names mergeguard makes: none comes from the pull request), its requirements one
per line, with the line of the real file each came from to map the findings back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from mergeguard.core.basepolicy import read_regular
from mergeguard.core.filekinds import FileKind, classify
from mergeguard.scanners.base import Target
from mergeguard.vulns import manifests

TRIVY_NAME = "requirements.txt"  # the only name Trivy's pip analyzer reads (case and all)
_DIRECTORY = "pip-requirements"  # in the scanner's workdir


@dataclass(frozen=True, slots=True)
class Laid:
    """One file as Trivy is shown it: pip's format, and the real file's line of each of its lines."""

    path: str  # the real file, repo-relative
    text: str
    lines: tuple[int, ...]

    def real_line(self, line: int) -> int:
        return self.lines[line - 1] if 0 < line <= len(self.lines) else 1


def root(target: Target) -> Path:
    return target.workdir / _DIRECTORY


def read_by_trivy(path: str) -> bool:
    """Whether Trivy reads `path` where it is (a pip requirements file named `requirements.txt`)."""
    return PurePosixPath(path).name == TRIVY_NAME and FileKind.PIP_REQUIREMENTS in classify(path)


def laid_out(target: Target) -> dict[str, Laid]:
    """`N/requirements.txt` → the file it stands for, for every dependency file Trivy would not read.

    The same target always gives the same layout: `lay_out` writes it, the parser reads it again.
    """
    laid: dict[str, Laid] = {}
    for path in target.files:
        text = _text(target.root / path)
        if read_by_trivy(path) or text is None:
            continue
        pairs = _pip_lines(path, text)
        if pairs is not None:
            lines, requirements = zip(*pairs, strict=True) if pairs else ((), ())
            text = "".join(f"{requirement}\n" for requirement in requirements)
            laid[f"{len(laid) + 1}/{TRIVY_NAME}"] = Laid(path, text, tuple(lines))
    return laid


def lay_out(target: Target) -> bool:
    """Writes the layout under `root(target)`; False when there is nothing to lay out."""
    laid = laid_out(target)
    for name, file in laid.items():
        dest = root(target) / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(file.text, encoding="utf-8")
    return bool(laid)


def _pip_lines(path: str, text: str) -> manifests.Declared | None:
    """The file's requirement lines with their line numbers; None for a file of no Python kind here."""
    kinds = classify(path)
    if manifests.declares(path):
        return manifests.declared(path, text)
    pip_tools_input = FileKind.PY_REQUIREMENTS in kinds and path.lower().endswith(".in")
    if FileKind.PIP_REQUIREMENTS in kinds or pip_tools_input:
        return list(enumerate(text.splitlines(), start=1))  # as it is: continuations and all
    return None


def _text(path: Path) -> str | None:
    data = read_regular(path)
    return data.decode("utf-8-sig", errors="replace") if data is not None else None
