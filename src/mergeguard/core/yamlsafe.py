"""Bounded YAML composing for files a pull request can write: size, depth, anchors and characters checked."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from mergeguard.core.errors import FileError

_CParser: Any = getattr(getattr(yaml, "cyaml", None), "CParser", None)  # PyYAML built with libyaml

MAX_BYTES = 16 * 1024 * 1024
"""The largest YAML file read (a baseline of tens of thousands of entries stays far below)."""
MAX_DEPTH = 64
"""The deepest nesting of mappings and lists read (mergeguard's own files use four levels)."""

# What YAML 1.1 (and PyYAML's reader) accepts; anything else is named with its line, before parsing.
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NAMES = {0: "NUL", 0x1B: "ESC", 0x7F: "DEL"}
_T = TypeVar("_T")


def read(path: Path, error: type[FileError]) -> str:
    """The text of `path` (UTF-8, at most MAX_BYTES); `error` naming the file when it cannot be read."""
    source = str(path)
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError as exc:
        raise error(source, None, "(file)", f"cannot be read: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise error(source, None, "(file)", f"is larger than {MAX_BYTES:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(
            source, line, "(file)", f"cannot be read: not UTF-8 (byte 0x{data[exc.start]:02x})"
        ) from None


def compose_text(
    text: str, source: str, error: type[FileError], *, aliases: bool = False
) -> yaml.Node | None:
    """The node tree of `text` (None when empty); `error` with the line for anything refused.

    Refused: more than MAX_BYTES, characters YAML does not allow (NUL, ESC, ...), nesting past
    MAX_DEPTH, and anchors or aliases (`&name`, `*name`, `<<: *name`): mergeguard's files never
    need them, and an alias bomb ("billion laughs") expands exponentially in whoever walks it.
    `aliases`: accepted, for files that legitimately use them (compose files' `<<: *defaults`); an
    alias is then the anchor's own node, so the tree stays as small as the text, and whoever walks
    it must visit each node once (or count its visits), not once per path to it.
    """
    node: yaml.Node | None = _composed(text, source, error, aliases, lambda loader: loader.get_single_node())
    return node


def compose_documents(
    text: str, source: str, error: type[FileError], *, aliases: bool = False
) -> list[yaml.Node]:
    """Every document of `text` (`---` between them), each bounded as `compose_text` bounds one: a
    compose file may be such a stream, read as its documents' files in order (compose-go #451)."""

    def every(loader: Any) -> list[yaml.Node]:
        nodes = []
        while loader.check_node():
            nodes.append(loader.get_node())
        return nodes

    return _composed(text, source, error, aliases, every)


def events(text: str) -> Iterator[yaml.Event]:
    """Every parse event of `text`'s documents, by the parser `compose_text` uses: nothing composed
    or constructed, so a tag the safe schema does not know (CloudFormation's `!Ref`) is as written,
    and an alias or a deep nesting costs what its text does. Raises yaml.YAMLError."""
    loader = _Loader(text.removeprefix("\ufeff"))
    try:
        while loader.check_event():
            yield loader.get_event()  # type: ignore[no-untyped-call]
    finally:
        loader.dispose()


def _composed(text: str, source: str, error: type[FileError], aliases: bool, read: Callable[[Any], _T]) -> _T:
    if len(text) > MAX_BYTES:
        raise error(source, None, "(file)", f"is larger than {MAX_BYTES:,} bytes")
    text = text.removeprefix("\ufeff")
    bad = _NOT_PRINTABLE.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        raise error(
            source, line, "(file)", f"holds the character {_name(bad.group())}, which YAML does not allow"
        )
    loader = _BoundedLoader(text, source, error, aliases)
    try:
        return read(loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if problem == "exceeded maximum nesting depth":  # libyaml's own limit, met while reading ahead
            raise error(source, at, "(file)", f"nested deeper than {MAX_DEPTH} levels") from None
        raise error(source, at, "(file)", f"not valid YAML: {problem}") from None
    except RecursionError:  # not expected under MAX_DEPTH; the last line of defence
        raise error(source, None, "(file)", "nested too deeply") from None
    finally:
        loader.dispose()


def _loader_class() -> Any:
    """libyaml's scanner and parser (C: ten times faster on a 100,000-entry baseline) under Python's
    composer, so that `_BoundedLoader.compose_node` sees every event as before; without libyaml, the
    pure-Python SafeLoader."""
    if _CParser is None:  # pragma: no cover - PyYAML's wheels are built with libyaml
        return yaml.SafeLoader

    class FastSafeLoader(Composer, _CParser, SafeConstructor, Resolver):  # type: ignore[misc]
        def __init__(self, text: str) -> None:
            _CParser.__init__(self, text)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    return FastSafeLoader


if TYPE_CHECKING:
    _Loader = yaml.SafeLoader
else:
    _Loader = _loader_class()


class _BoundedLoader(_Loader):
    """A SafeLoader whose composer refuses nesting past MAX_DEPTH, and anchors and aliases unless told."""

    def __init__(self, text: str, source: str, error: type[FileError], aliases: bool = False) -> None:
        super().__init__(text)
        self._source = source
        self._error = error
        self._depth = 0
        self._aliases = aliases

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        line = event.start_mark.line + 1
        anchored = isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None
        if anchored and not self._aliases:
            raise self._error(
                self._source, line, "(file)", "YAML anchors and aliases (&name, *name) are not accepted"
            )
        if self._depth >= MAX_DEPTH:
            raise self._error(self._source, line, "(file)", f"nested deeper than {MAX_DEPTH} levels")
        anchor = getattr(event, "anchor", None)
        if self._aliases and not isinstance(event, yaml.AliasEvent) and anchor in self.anchors:
            # An anchor written again names the new node from here on (YAML 1.2, and go-yaml, which
            # compose uses: `&name web:` on every service); PyYAML alone refuses it as a duplicate.
            del self.anchors[anchor]
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _name(character: str) -> str:
    code = ord(character)
    named = _NAMES.get(code)
    return f"U+{code:04X} ({named})" if named else f"U+{code:04X}"
