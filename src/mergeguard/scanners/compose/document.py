"""A compose file read as bounded YAML nodes: its services, each a mapping with merge keys applied.

The file is written by the change under review. It is composed with `core.yamlsafe` (size, depth and
characters bounded) with anchors allowed, as compose files use them (`<<: *defaults`, `x-` blocks):
an alias is the anchor's own node, so nothing is copied, and every walk here is of a fixed set of
keys per service, each mapping flattened once (memoised, cycles cut), under a budget of node visits
(`Unreadable` past it), so an alias bomb costs no more than its text. Nothing in it is executed or
looked up: `${VAR:-default}` stays text (see `interpolated`), `extends` and `profiles` are read as
the plain keys they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from mergeguard.core import interpolation, yamlsafe
from mergeguard.core.errors import FileError

MAX_VISITS = 200_000  # node visits per file: a 5,000-line compose file takes under 20,000
_MERGE = "tag:yaml.org,2002:merge"
# The compose specification's top-level keys other than `services`: never a version 1 service.
_TOP_LEVEL = frozenset({"version", "name", "include", "networks", "volumes", "configs", "secrets", "models"})


class Unreadable(FileError):
    """A compose file that cannot be checked: not YAML, too big or deep, past the visit budget."""


@dataclass(frozen=True, slots=True)
class Service:
    """One service: its name, the line of its name, and its keys (merge keys applied) to nodes."""

    name: str
    line: int
    keys: dict[str, tuple[yaml.Node, yaml.Node]]


class Document:
    """One compose file's node trees (one per YAML document, compose-go #451), walked under a budget."""

    def __init__(self, roots: list[yaml.Node], source: str) -> None:
        self.roots = roots
        self.source = source
        self._visits = 0
        self._flat: dict[int, dict[str, tuple[yaml.Node, yaml.Node]] | None] = {}
        self._driver_opts: dict[str, dict[str, tuple[yaml.Node, yaml.Node]]] | None = None

    def services(self) -> Iterator[Service]:
        """Each document's services (none in an empty file): compose reads them as files in order."""
        for root in self.roots:
            if not (isinstance(root, yaml.ScalarNode) and root.tag.endswith(":null")):  # `---` alone
                yield from self._services(root)

    def _services(self, root: yaml.Node) -> Iterator[Service]:
        """The services: under `services:`, or the top-level mappings of a version 1 file."""
        if not isinstance(root, yaml.MappingNode):
            raise Unreadable(self.source, line(root), "(file)", "is not a mapping (compose reads none)")
        top = self.mapping(root)
        if "services" in top:
            holder = top["services"][1]
            empty = isinstance(holder, yaml.ScalarNode) and holder.tag.endswith(":null")  # `services:`
            if not (isinstance(holder, yaml.MappingNode) or empty):
                raise Unreadable(self.source, line(holder), "services", "is not a mapping of services")
            entries = self.mapping(holder)
        elif "version" in top:  # a version 2/3 file without services: nothing to check
            entries = {}
        else:  # version 1: services at the top level (`x-` keys are extension fields)
            entries = {k: v for k, v in top.items() if not k.startswith("x-") and k not in _TOP_LEVEL}
        for name, (key, value) in entries.items():
            if isinstance(value, yaml.MappingNode):
                yield Service(name, key.start_mark.line + 1, self.mapping(value))

    def driver_opts(self, volume: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """The named volume's `driver_opts`, each document's over an earlier's key by key, as compose
        merges mappings (a later `data: {labels: …}` keeps the earlier `driver_opts`); read once."""
        if self._driver_opts is None:
            self._driver_opts = {}
            for root in self.roots:
                pair = self.mapping(root).get("volumes")
                for name, (_, declared) in self.mapping(pair[1]).items() if pair is not None else ():
                    opts = self.mapping(declared).get("driver_opts")
                    options = self.mapping(opts[1]) if opts is not None else {}
                    self.visit(len(options))
                    self._driver_opts[name] = self._driver_opts.get(name, {}) | options
        return self._driver_opts.get(volume, {})

    def mapping(self, node: yaml.Node, depth: int = 0) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """A mapping's scalar keys to (key node, value node), its own keys over merged ones (`<<`)."""
        if not isinstance(node, yaml.MappingNode):
            return {}
        if depth > yamlsafe.MAX_DEPTH:
            why = f"merges mappings more than {yamlsafe.MAX_DEPTH} deep"
            raise Unreadable(self.source, line(node), "(file)", why)
        if id(node) in self._flat:
            return self._flat[id(node)] or {}  # None: being flattened (a cycle through an alias)
        self._flat[id(node)] = None
        own: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        merged: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key, value in node.value:
            self.visit()
            if key.tag == _MERGE:
                sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
                for source in sources:  # the first merged mapping wins over later ones
                    part = self.mapping(source, depth + 1)
                    self.visit(len(part))  # `<<: [*big, *big, …]` copies big once per alias
                    merged = {**part, **merged}
            elif isinstance(key, yaml.ScalarNode):
                own.setdefault(str(key.value), (key, value))
        flat = {**merged, **own}
        self.visit(len(flat))  # the copying counts too: a chain of merges grows each mapping
        self._flat[id(node)] = flat
        return flat

    def items(self, node: yaml.Node) -> list[yaml.Node]:
        """A sequence's items (none for anything else)."""
        if not isinstance(node, yaml.SequenceNode):
            return []
        for _ in node.value:
            self.visit()
        return list(node.value)

    def visit(self, steps: int = 1) -> None:
        self._visits += steps
        if self._visits > MAX_VISITS:
            raise Unreadable(self.source, None, "(file)", f"takes more than {MAX_VISITS:,} steps to walk")


def load(path: Path, source: str) -> Document:
    """The compose file at `path` (`source`: its repo path, for messages); Unreadable if it is not."""
    if path.is_symlink():  # it could name any file on the machine
        raise Unreadable(source, None, "(file)", "is a symbolic link, not read")
    text = yamlsafe.read(path, Unreadable)
    return Document(yamlsafe.compose_documents(text, source, Unreadable, aliases=True), source)


def scalar(node: yaml.Node) -> str | None:
    """A scalar's text with `${VAR:-default}` read as its default; None for a mapping or list."""
    if not isinstance(node, yaml.ScalarNode):
        return None
    return interpolated(str(node.value))


def interpolated(text: str) -> str:
    """`text` as the file writes it (`core.interpolation`): `${VAR:-word}` and `${VAR:+word}` are
    `word`, nested ones too; `${VAR}` and the other forms are unknown here and stay; `$$` is `$`."""
    return interpolation.words(text, dollars=True)


def line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def end_line(node: yaml.Node) -> int:
    """The last line a node's text is on (a block ends at the start of the next line)."""
    end = node.end_mark
    return max(line(node), end.line + (1 if end.column else 0))
