"""Strict reading of mergeguard's own YAML files, keeping the line of every key for error messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from mergeguard.core import yamlsafe
from mergeguard.core.errors import FileError

T = TypeVar("T")


def compose(path: Path, error: type[FileError]) -> yaml.Node | None:
    """The node tree of `path` (None for an empty file); `error` for unreadable or invalid YAML."""
    return yamlsafe.compose_text(yamlsafe.read(path, error), str(path), error)


class NodeReader:
    """Typed access to YAML nodes that fails with the file, line and key of the offending value."""

    def __init__(self, source: str, error: type[FileError]) -> None:
        self.source = source
        self.error = error

    def fail(self, node: yaml.Node, key: str, problem: str) -> NoReturn:
        raise self.error(self.source, node.start_mark.line + 1, key, problem)

    def mapping(
        self, node: yaml.Node, key: str, allowed: tuple[str, ...] = ()
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """The mapping's items by key; unknown keys (when `allowed` is given) and duplicates fail.
        Nothing at all (`scanners:` with every line under it commented out, a `---` alone) is empty."""
        if is_null(node):
            return {}
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, key, "must be a mapping")
        items: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_node, key, f"has a key that is {shown(key_node)}, not a name")
            name = str(key_node.value)
            where = member(key, name)
            if allowed and name not in allowed:
                self.fail(key_node, where, f"unknown key (known: {', '.join(allowed)})")
            if name in items:
                self.fail(key_node, where, "appears twice")
            items[name] = (key_node, value_node)
        return items

    def sequence(self, node: yaml.Node, key: str, what: str) -> list[yaml.Node]:
        """The list's items; nothing at all (`exclude:` with its items commented out) is empty."""
        if is_null(node):
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, key, f"must be a list of {what}")
        return list(node.value)

    def scalar(
        self, node: yaml.Node, key: str, kind: type | tuple[type, ...], what: str, convert: Callable[[Any], T]
    ) -> T:
        """The scalar's value, checked to be a `kind` (bool is not an int here) and converted."""
        value = _scalar_value(node)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail(node, key, f"must be {what}, got {shown(node)}")
        try:
            return convert(value)
        except ValueError as exc:
            self.fail(node, key, str(exc))

    def text(self, node: yaml.Node, key: str, what: str = "a string") -> str:
        return self.scalar(node, key, str, what, str)

    def literal(self, node: yaml.Node, key: str, what: str = "a string") -> str:
        """A scalar's text as written, so an id like 0123 or 1e10 stays a string and is not a number."""
        if not isinstance(node, yaml.ScalarNode) or is_null(node):
            self.fail(node, key, f"must be {what}")
        return str(node.value)


def member(key: str, name: str) -> str:
    """`key.name` as an error names it, `name` at the top level; a name with anything but printable
    ASCII in it is shown escaped (`'fail-on\\u200b'`): an invisible or look-alike letter would hide."""
    shown_name = name if name.isascii() and name.isprintable() else ascii(name)
    return shown_name if key == "(top level)" else f"{key}.{shown_name}"


def unquoted(node: yaml.Node) -> yaml.Node:
    """A quoted scalar as if written plain, for keys that take a number or a boolean: `timeout: '600'`
    and `ignore-unfixed: "true"` mean what they say (users quote values out of caution)."""
    if not isinstance(node, yaml.ScalarNode) or node.style not in ("'", '"'):
        return node
    tag = _RESOLVER.resolve(yaml.ScalarNode, node.value, (True, False))  # type: ignore[no-untyped-call]
    return yaml.ScalarNode(tag, node.value, node.start_mark, node.end_mark, node.style)


_RESOLVER = Resolver()


def is_null(node: yaml.Node) -> bool:
    """An empty value, `~` or `null`."""
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def shown(node: yaml.Node) -> str:
    """A value as an error message names it: a scalar as written (with a tag YAML's safe schema does
    not know), else what it is."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    tag = str(node.tag)
    known = tag in SafeConstructor.yaml_constructors
    own = "" if known else f" tagged {tag} (a tag mergeguard does not read)"
    return f"{str(node.value)!r}{own}"


def _scalar_value(node: yaml.Node) -> object:
    if not isinstance(node, yaml.ScalarNode):
        return node  # a mapping or list where a scalar belongs: fails the type check
    try:  # a bare constructor: a whole SafeLoader per scalar costs more than the rest of the read
        return SafeConstructor().construct_object(node)
    except (ValueError, OverflowError, yaml.YAMLError):  # a date that is no date, an integer past
        return node  # 4,300 digits, a tag the safe schema does not know (`!env`, `!!python/name:…`)
