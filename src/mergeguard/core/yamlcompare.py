"""Whether a YAML file's text, rewritten, still means what it meant: what PyYAML reads in both, and
the lines whose end lies inside a scalar, where anything added would be the scalar's text."""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from dataclasses import dataclass

import yaml

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
