"""Reads pip requirements files (PEP 508, with `packaging`): exact pins, and why the rest cannot be audited.

A vulnerability database answers for a package *version*. `flask`, `lxml>=4`, `requests~=2.0`, a
direct URL or a VCS checkout name no version until install time, so no scanner can audit them
without resolving (installing) them, and resolving a pull request's dependencies runs their build
code. Each is therefore one low finding (`unpinned-requirement`) on its line; only exact pins are
handed to the auditing tool.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import Specifier

from mergeguard.core.filekinds import is_constraints
from mergeguard.core.model import Finding, Kind, Location, Severity
from mergeguard.core.packagenames import normalise

UNPINNED_RULE = "unpinned-requirement"
UNPINNED_HELP = "https://pip.pypa.io/en/stable/topics/repeatable-installs/"
UNPINNED_SEVERITY = Severity.LOW
_VCS = ("git+", "hg+", "svn+", "bzr+")
_SKIPPED_OPTIONS = ("-r", "--requirement", "-c", "--constraint")  # each file in scope is read on its own
_EDITABLE = ("-e", "--editable")
_LINE_OPTION = re.compile(r"\s+(?=--?[A-Za-z])")  # `--hash=…` and other options after a requirement
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")  # the user and password before `@` in a URL
_COMMENT = re.compile(r"(^|\s)#.*$")


@dataclass(frozen=True, slots=True)
class Pin:
    """An exactly pinned requirement (`name==version`) and the line that pins it."""

    name: str  # canonical (PEP 503)
    version: str
    requirement: str  # as written, less hashes and comments: name, extras, ==version, markers
    path: str
    line: int
    operator: str = "=="  # or "===" (arbitrary equality)

    @property
    def spec(self) -> str:
        """The pin alone, as pip reads it: `name==version` (markers and extras left out)."""
        return f"{self.name}{self.operator}{self.version}"


@dataclass(frozen=True, slots=True)
class Unpinned:
    """A requirement no vulnerability database can answer for, and why."""

    name: str
    text: str  # as written, credentials in URLs masked
    why: str
    path: str
    line: int


@dataclass(frozen=True, slots=True)
class Requirements:
    """What the requirements files in scope ask for."""

    pins: tuple[Pin, ...] = ()
    unpinned: tuple[Unpinned, ...] = ()

    def audit_files(self) -> list[str]:
        """The pins as requirements files for the auditing tool, each package once per file.

        pip-audit refuses a package pinned at two versions in one run (two services of a monorepo,
        or a pin per Python version), so the first file holds each package's first version, the
        next its second, and so on: one file when no package has two. Markers and extras are left
        out: pip-audit skips a pin whose markers do not match its own Python, and a pin for another
        Python or platform is audited too. No pin at all: one empty file.
        """
        layers: list[dict[str, str]] = []
        for line, name in dict.fromkeys((pin.spec, pin.name) for pin in self.pins):
            free = next((layer for layer in layers if name not in layer), None)
            if free is None:
                layers.append(free := {})
            free[name] = line
        return ["".join(f"{line}\n" for line in layer.values()) for layer in layers] or [""]

    def files_of(self, audit_file: str) -> list[str]:
        """The files whose pins `audit_file` (one of `audit_files()`) holds, in order."""
        held = set(audit_file.splitlines())
        return list(dict.fromkeys(p.path for p in self.pins if p.spec in held))

    def lines_of(self, name: str, version: str) -> list[tuple[str, int]]:
        """(path, line) of the first pin of `name` at `version` in each file pinning it so (else of
        its first pin at all): a finding for every file, so each file's pin is judged on its own."""
        wanted = normalise(name)
        named = [pin for pin in self.pins if pin.name == wanted]
        exact = [pin for pin in named if pin.version == version] or named[:1]
        first: dict[str, int] = {}
        for pin in exact:
            first.setdefault(pin.path, pin.line)
        return list(first.items())


def read(root: Path, paths: Iterable[str]) -> Requirements:
    """The requirements of the files `paths` under `root` (unreadable files read as empty)."""
    pins: list[Pin] = []
    unpinned: list[Unpinned] = []
    for path in paths:
        try:
            # utf-8-sig: a byte order mark (Windows editors write one) is not text, as pip reads it
            text = (root / path).read_text(encoding="utf-8-sig", errors="replace")
        except OSError:
            continue
        found = parse(text, path)
        pins += found.pins
        if not is_constraints(path):
            unpinned += found.unpinned  # a constraint (`flask<3`) only bounds what is installed
    return Requirements(tuple(pins), tuple(unpinned))


def parse(text: str, path: str) -> Requirements:
    """The requirements of one file's `text` (pip's format: continuations, comments, options)."""
    pins: list[Pin] = []
    unpinned: list[Unpinned] = []
    for number, line in _logical_lines(text):
        found = _requirement(line, path, number)
        if isinstance(found, Pin):
            pins.append(found)
        elif isinstance(found, Unpinned):
            unpinned.append(found)
    return Requirements(tuple(pins), tuple(unpinned))


def findings(tool: str, requirements: Requirements) -> list[Finding]:
    """One low `unpinned-requirement` finding per requirement that could not be audited."""
    return [_finding(tool, item) for item in requirements.unpinned]


def _finding(tool: str, item: Unpinned) -> Finding:
    return Finding(
        tool=tool,
        rule_id=UNPINNED_RULE,
        severity=UNPINNED_SEVERITY,
        title=f"Requirement {item.name} is not pinned, so it was not audited",
        message=(
            f"{item.text} could not be audited: {item.why}. Pin it with == (pip-compile or "
            "`pip freeze` write such lists) to have its known vulnerabilities checked"
        ),
        location=Location(item.path, item.line),
        kind=Kind.DEPENDENCY,
        help_uri=UNPINNED_HELP,
        evidence=f"{item.name}#{UNPINNED_RULE}",
    )


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each logical line: comments dropped, `\\` continuations joined."""
    lines: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        line = _COMMENT.sub("", raw)
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined, pending = (pending + line).strip(), ""
        if joined:
            lines.append((start, joined))
    if pending.strip():
        lines.append((start, pending.strip()))
    return lines


def _requirement(line: str, path: str, number: int) -> Pin | Unpinned | None:
    if line.startswith("-"):
        option, _, value = line.partition(" ") if " " in line else line.partition("=")
        if option in _EDITABLE:
            return _editable(value.strip(), path, number)
        return None  # -r/-c includes (read when in scope themselves), index and install options
    spec = _LINE_OPTION.split(line, maxsplit=1)[0]
    try:
        requirement = Requirement(spec)
    except InvalidRequirement as exc:
        return _not_pep508(spec, str(exc), path, number)
    return _pinned(requirement, spec, path, number)


def _pinned(requirement: Requirement, spec: str, path: str, number: int) -> Pin | Unpinned:
    name, text = normalise(requirement.name), _masked(spec)
    if requirement.url:
        why = "a direct URL reference names no version that a vulnerability database knows"
        return Unpinned(name, text, why, path, number)
    specifiers = list(requirement.specifier)
    if (exact := _exact(requirement)) is not None:
        return Pin(name, exact.version, str(requirement), path, number, exact.operator)
    if not specifiers:
        why = "no version is given, so the newest release at install time is installed"
    else:
        why = f"the range {requirement.specifier} leaves the version to install time"
    return Unpinned(name, text, why, path, number)


def _exact(requirement: Requirement) -> Specifier | None:
    """The `==` (or `===`) specifier that alone decides the version, when the others allow it too
    (`Django==3.2.0,<4` installs 3.2.0); None for a range, or a pin no version satisfies."""
    exact = {s for s in requirement.specifier if s.operator in ("==", "===") and "*" not in s.version}
    if len(exact) != 1:
        return None
    [pin] = exact
    return pin if requirement.specifier.contains(pin.version, prereleases=True) else None


def _editable(value: str, path: str, number: int) -> Unpinned | None:
    if not value.startswith(_VCS) and "://" not in value:
        return None  # a local project (`-e .`): its code is in the tree, scanned as code
    why = "an editable checkout of a repository has no released version to audit"
    return Unpinned(_name_of_url(value), _masked(f"-e {value}"), why, path, number)


def _not_pep508(spec: str, error: str, path: str, number: int) -> Unpinned | None:
    if "://" in spec:
        why = "a URL requirement names no version that a vulnerability database knows"
        return Unpinned(_name_of_url(spec), _masked(spec), why, path, number)
    if spec.startswith((".", "/", "~")) or "/" in spec:
        return None  # a local path: the project's own code
    why = f"it is not a PEP 508 requirement ({error.splitlines()[0] if error else 'unreadable'})"
    return Unpinned(spec.split(maxsplit=1)[0][:80], _masked(spec), why, path, number)


def _name_of_url(url: str) -> str:
    """`#egg=NAME` when given, else the last segment of the URL's path."""
    egg = re.search(r"[#&]egg=([A-Za-z0-9._-]+)", url)
    if egg:
        return normalise(egg.group(1))
    tail = url.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return tail.removesuffix(".git") or "url"


def _masked(text: str) -> str:
    return _USERINFO.sub("***@", text)
