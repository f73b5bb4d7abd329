"""Compose files of any name: those a compose file pulls in by `include:` or a service's `extends: file:`.

Compose files are known by their names (`filekinds`); a file of another name that one of them
includes is run by compose all the same, so the compose check must read it (found by a red team:
`include: [ops/stack.yaml]` with `privileged: true` in `ops/stack.yaml` passed). Only reading: a
file that is not YAML, or a reference that is not a plain relative path inside the repository (a
URL, a git remote, an unset variable), names nothing; the compose check reports the file itself.
"""

from __future__ import annotations

import posixpath
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import yaml

from mergeguard.core import gitrepo, interpolation, yamlsafe
from mergeguard.core.basepolicy import read_regular
from mergeguard.core.errors import FileError
from mergeguard.core.filekinds import FileKind, classify

MAX_FILES = 1_000  # files of other names followed by reference (a repository has a handful)
_READ_BYTES = 1024 * 1024  # a compose file larger than this is not parsed for its references
_YAML_NAME = re.compile(rb"[A-Za-z0-9_.${}:/-]+\.ya?ml")  # what such a file may name
_MERGE = "tag:yaml.org,2002:merge"


def referenced(root: Path, files: Iterable[str]) -> frozenset[str]:
    """The files of `files` that the compose files among them pull in (followed through what those
    pull in), that are not compose files by name."""
    return referenced_by(files, lambda path: read_regular(root / path))


def at_base(repo: gitrepo.Repo, commit: str) -> frozenset[str]:
    """`referenced` as the tree of `commit` has it (what was a compose file before a change)."""
    blobs = gitrepo.files_at(repo, commit)
    return referenced_by(blobs, lambda path: gitrepo.blob_bytes(repo, blobs[path]))


def referenced_by(files: Iterable[str], read: Callable[[str], bytes | None]) -> frozenset[str]:
    """`referenced`, each file's bytes from `read` (None: not a regular file)."""
    present = set(files)
    queue = deque(path for path in sorted(present) if FileKind.COMPOSE in classify(path))
    seen, found = set(queue), set[str]()
    while queue:  # every compose file by name is read: only those reached by reference are counted
        for target in _references(read, queue.popleft()):
            if target in present and target not in seen and len(found) < MAX_FILES:
                seen.add(target)
                found.add(target)
                queue.append(target)
    return frozenset(path for path in found if FileKind.COMPOSE not in classify(path))


def _references(read: Callable[[str], bytes | None], path: str) -> Iterator[str]:
    """The repository paths `path` names in `include:` and `extends: file:`."""
    data = read(path)
    if data is None:
        return
    here = posixpath.dirname(path)
    if len(data) > _READ_BYTES:  # padded past what is parsed here: every YAML file name it holds
        names = {m.decode("utf-8", "replace") for m in _YAML_NAME.findall(data)}
    else:
        try:
            documents = yamlsafe.compose_documents(data.decode("utf-8"), path, FileError, aliases=True)
        except (FileError, UnicodeDecodeError):
            return
        names = _Names().of(documents)
    for name in names:
        target = _inside(here, name)
        if target is not None:
            yield target


class _Names:
    """The names in `include:` and `extends: file:`, merge keys (`<<: *defaults`) followed as compose
    follows them. Every name any merge could leave is taken (a file too many is only read), and each
    node is read once for each key: an alias is its anchor's node, so `include: [*m, *m, …]` or
    `<<: *big` on every service costs what the text does, not once per path to a node."""

    def __init__(self) -> None:
        self._done: set[tuple[int, str | None]] = set()

    def of(self, documents: Iterable[yaml.Node]) -> set[str]:
        names: set[str] = set()
        for document in documents:
            for item in self._items(self._values(document, "include")):
                for path in [item, *self._values(item, "path")]:  # the long syntax: `path:` one or a list
                    names.update(str(each.value) for each in [path, *self._items([path])] if _scalar(each))
            for services in self._values(document, "services"):
                for service in self._values(services, None):
                    for extends in self._values(service, "extends"):
                        files = self._values(extends, "file")
                        names.update(str(file.value) for file in files if _scalar(file))
        return names

    def _values(self, node: yaml.Node, key: str | None) -> list[yaml.Node]:
        """The values of `key` (None: every key) in the mapping `node` and in those it merges, of the
        nodes not read for `key` before."""
        found, stack = [], [node]
        while stack:
            mapping = stack.pop()
            if not isinstance(mapping, yaml.MappingNode) or (id(mapping), key) in self._done:
                continue
            self._done.add((id(mapping), key))
            for name, value in mapping.value:
                if name.tag == _MERGE:
                    stack.extend(value.value if isinstance(value, yaml.SequenceNode) else [value])
                elif isinstance(name, yaml.ScalarNode) and key in (None, name.value):
                    found.append(value)
        return found

    def _items(self, nodes: Iterable[yaml.Node]) -> list[yaml.Node]:
        """The items of the lists among `nodes` not read before."""
        items = []
        for node in nodes:
            if isinstance(node, yaml.SequenceNode) and (id(node), "[]") not in self._done:
                self._done.add((id(node), "[]"))
                items.extend(node.value)
        return items


def _scalar(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode)


def _inside(here: str, name: str) -> str | None:
    """`name` (relative to the directory `here`) as a repository path; None for anything else."""
    written = interpolation.words(name.strip(), dollars=True)
    if not written or "$" in written or "://" in written or written.startswith(("/", "~", "git@")):
        return None
    path = posixpath.normpath(posixpath.join(here, written))
    return None if path.startswith("../") or path in (".", "..") else path
