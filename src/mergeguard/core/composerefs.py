"""Compose files of any name: those a compose file pulls in by `include:` or a service's `extends: file:`.

Compose files are known by their names (`filekinds`); a file of another name that one of them
includes is run by compose all the same, so the compose check must read it (found by a red team:
`include: [ops/stack.yaml]` with `privileged: true` in `ops/stack.yaml` passed). Only reading: a
file that is not YAML, or a reference that is not a plain relative path inside the repository (a
URL, a git remote, an unset variable), names nothing; the compose check reports the file itself.
"""

from __future__ import annotations

import posixpath
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path

import yaml

from mergeguard.core import interpolation, yamlsafe
from mergeguard.core.basepolicy import read_regular
from mergeguard.core.errors import FileError
from mergeguard.core.filekinds import FileKind, classify

MAX_FILES = 1_000  # compose files read to follow their references (a repository has a handful)
_READ_BYTES = 1024 * 1024  # a compose file larger than this is read by the compose check alone


def referenced(root: Path, files: Iterable[str]) -> frozenset[str]:
    """The files of `files` that the compose files among them pull in (followed through what those
    pull in), that are not compose files by name."""
    present = set(files)
    queue = deque(path for path in sorted(present) if FileKind.COMPOSE in classify(path))
    seen, found = set(queue), set()
    while queue and len(seen) <= MAX_FILES:
        for target in _references(root, queue.popleft()):
            if target in present and target not in seen:
                seen.add(target)
                found.add(target)
                queue.append(target)
    return frozenset(path for path in found if FileKind.COMPOSE not in classify(path))


def _references(root: Path, path: str) -> Iterator[str]:
    """The repository paths `path` names in `include:` and `extends: file:`."""
    data = read_regular(root / path)
    if data is None or len(data) > _READ_BYTES:
        return
    try:
        documents = yamlsafe.compose_documents(data.decode("utf-8"), path, FileError, aliases=True)
    except (FileError, UnicodeDecodeError):
        return
    here = posixpath.dirname(path)
    for document in documents:
        for name in _named(document):
            target = _inside(here, name)
            if target is not None:
                yield target


def _named(document: yaml.Node) -> Iterator[str]:
    top = _mapping(document)
    for item in _sequence(top.get("include")):
        path = _mapping(item).get("path")  # the long syntax: `path:` one file or a list of them
        for each in [item, path, *_sequence(path)]:
            if isinstance(each, yaml.ScalarNode):
                yield str(each.value)
    for service in _mapping(top.get("services")).values():
        extends = _mapping(_mapping(service).get("extends")).get("file")
        if isinstance(extends, yaml.ScalarNode):
            yield str(extends.value)


def _inside(here: str, name: str) -> str | None:
    """`name` (relative to the directory `here`) as a repository path; None for anything else."""
    written = interpolation.words(name.strip(), dollars=True)
    if not written or "$" in written or "://" in written or written.startswith(("/", "~", "git@")):
        return None
    path = posixpath.normpath(posixpath.join(here, written))
    return None if path.startswith("../") or path in (".", "..") else path


def _mapping(node: yaml.Node | None) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): value for key, value in node.value if isinstance(key, yaml.ScalarNode)}


def _sequence(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []
