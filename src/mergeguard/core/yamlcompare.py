"""Whether a YAML file's text, rewritten, still means what it meant: what PyYAML reads in both, and
the lines whose end lies inside a scalar, where anything added would be the scalar's text; and what
it reads however it is written, for telling a file moved and re-dumped (`core.renames`)."""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass

import yaml
from yaml.resolver import Resolver

from mergeguard.core import yamlsafe


@dataclass(frozen=True, slots=True)
class Reading:
    """What PyYAML reads in a text: a digest of its documents' events (kinds, anchors, tags, values,
    not where they are written), and the indexes of its lines (split at `\\n`) whose end, before any
    CR, lies inside a scalar (a block scalar's text, a quoted or plain scalar going on below)."""

    digest: bytes
    inside: frozenset[int]


def read(text: str) -> Reading | None:
    """What PyYAML reads in `text`, None when it reads no YAML there. Streamed, not composed: a file
    of ten megabytes costs one pass of libyaml and no tree of its nodes."""
    digest, spans = hashlib.sha256(), []
    try:
        for event in yamlsafe.events(text):
            digest.update(_key(event).encode())
            start, end = event.start_mark, event.end_mark
            if isinstance(event, yaml.ScalarEvent) and start and end and start.line != end.line:
                spans.append((start.index, end.index))
    except yaml.YAMLError:
        return None
    return Reading(digest.digest(), _lines_inside(text, spans))


def _key(event: yaml.Event) -> str:
    """The event as a line of its own: a repr holds no line break, so the digest reads them apart."""
    kept = ("anchor", "tag", "implicit", "value")
    return repr((type(event).__name__, *(getattr(event, name, None) for name in kept))) + "\n"


def _lines_inside(text: str, spans: list[tuple[int, int]]) -> frozenset[int]:
    """The lines whose end lies in one of `spans` (marks' indexes: characters, after any BOM)."""
    bom = len(text) - len(text.removeprefix("\ufeff"))
    ends, offset = [], -bom
    for line in text.split("\n"):
        ends.append(offset + len(line.removesuffix("\r")))
        offset += len(line) + 1
    inside: set[int] = set()
    for start, end in spans:
        inside.update(range(bisect_left(ends, start), bisect_left(ends, end)))
    return frozenset(inside)


def entries(text: str) -> Counter[bytes] | None:
    """What PyYAML reads in `text` however it is written (quoted or plain, flow or block, indented
    by any amount, commented, anchors named anything), None when it reads no YAML there: a line for
    each node, a digest of where it is (its document, the keys and indexes above it), its tag as the
    composer would resolve it and the anchor it is or names, then its value, so that a line weighs
    about what `key: value` does in the text. Events only: nothing constructed, no tag run, an alias
    one line however big its anchor's node."""
    walk = _Walk()
    try:
        for event in yamlsafe.events(text):
            walk.read(event)
    except yaml.YAMLError:
        return None
    return walk.found


_RESOLVER = Resolver()
_WHERE = 8  # bytes of a line's digest of where it is: no two lines of a file alike by chance


@dataclass(slots=True)
class _Collection:
    """A mapping or sequence being read: a digest of where it is, its items so far, and (a mapping)
    the key read whose value comes next (None: a key comes next)."""

    at: bytes
    mapping: bool
    items: int = 0
    key: tuple[object, ...] | None = None
    is_key: bool = False  # a mapping's key that is itself a collection (`? [a, b]: c`)


class _Walk:
    """The state of `entries` between events: the collections open, and the anchors by name."""

    def __init__(self) -> None:
        self.found: Counter[bytes] = Counter()
        self.open: list[_Collection] = []
        self.anchors: dict[str, int] = {}
        self.defined = 0
        self.documents = 0

    def read(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            done = self.open.pop()
            if done.is_key:  # its value comes next
                self.open[-1].key = ("complex key", self.open[-1].items)
        elif isinstance(event, yaml.CollectionStartEvent):
            mapping = isinstance(event, yaml.MappingStartEvent)
            kind = yaml.MappingNode if mapping else yaml.SequenceNode
            slot = self._slot()
            at = self._line(slot, (kind.id, _tag(event, kind, None), self._anchor(event)), b"")
            self.open.append(_Collection(at, mapping, is_key=slot[0] == "key"))
        elif isinstance(event, yaml.ScalarEvent | yaml.AliasEvent):
            self._leaf(event)

    def _leaf(self, event: yaml.ScalarEvent | yaml.AliasEvent) -> None:
        """A scalar or an alias: a mapping's key waits for its value, anything else is a line."""
        value = event.value if isinstance(event, yaml.ScalarEvent) else ""
        tag = _tag(event, yaml.ScalarNode, value) if isinstance(event, yaml.ScalarEvent) else "alias"
        parent = self.open[-1] if self.open else None
        if parent is not None and parent.mapping and parent.key is None:
            parent.items += 1
            parent.key = ("key", tag, value, self._anchor(event))
        else:
            self._line(self._slot(), (tag, self._anchor(event)), value.encode("utf-8", "surrogatepass"))

    def _line(self, slot: tuple[object, ...], node: tuple[object, ...], value: bytes) -> bytes:
        """Counts the line of a node in `slot` of the collection open; returns where it is."""
        at = self.open[-1].at if self.open else b""
        where = hashlib.blake2b(at + repr((slot, node)).encode(), digest_size=_WHERE).digest()
        self.found[where + value] += 1
        return where

    def _slot(self) -> tuple[object, ...]:
        """Where the next node goes: its document, an item's index, a value's key, a key's place."""
        if not self.open:
            return ("document", self.documents)
        parent = self.open[-1]
        parent.items += parent.key is None
        if not parent.mapping:
            return ("item", parent.items - 1)
        if parent.key is None:  # a collection as a key
            return ("key", parent.items)
        key, parent.key = parent.key, None
        return ("value", key)

    def _anchor(self, event: yaml.NodeEvent) -> int | None:
        """An anchor by the order it is written in (an alias: the last of its name), not its name."""
        if event.anchor is None:
            return None
        if not isinstance(event, yaml.AliasEvent):
            self.defined += 1  # an anchor written again names a new node from there on
            self.anchors[event.anchor] = self.defined
        return self.anchors.get(event.anchor)


def _tag(
    event: yaml.ScalarEvent | yaml.CollectionStartEvent, kind: type[yaml.Node], value: str | None
) -> str:
    """The tag as written, or as the composer resolves it (`'5432'` a string, `5432` an integer)."""
    if event.tag not in (None, "!"):
        return str(event.tag)
    return str(_RESOLVER.resolve(kind, value, event.implicit))  # type: ignore[no-untyped-call]
