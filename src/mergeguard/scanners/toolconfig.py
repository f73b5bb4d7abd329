"""Scanner config files from the repository cut down to the keys that only suppress or tune."""

from __future__ import annotations

import configparser
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import yaml

from mergeguard.core.jsonfields import need
from mergeguard.scanners.tool import config_file

# Allow-lists, not deny-lists: a key a scanner adds in a later release is dropped until vetted.
# Each tool declares its files' filters (`scanners.tool.ConfigFile`), built from these helpers.
Allowed = Mapping[str, frozenset[str] | None]
_MAX_BYTES = 1_000_000


class Unusable(ValueError):
    """The file cannot be read safely: it is left out and the scanner runs with its defaults."""


@dataclass(frozen=True, slots=True)
class Sanitized:
    """The bytes to lay out (None: leave the file out) and one note per thing dropped."""

    data: bytes | None
    notes: tuple[str, ...] = ()


def sanitize(path: str, data: bytes) -> bytes:
    """The bytes to lay out for `path`; b"" when the file must be left out (see `inspect`)."""
    result = inspect(path, data)
    return result.data if result.data is not None else b""


def inspect(path: str, data: bytes) -> Sanitized:
    """`data` cut to the keys a scanner may take from the repository, with notes on what was dropped."""
    declared = config_file(PurePosixPath(path).name)
    handler = declared.sanitize if declared is not None else None
    if handler is None:
        return Sanitized(data)
    if len(data) > _MAX_BYTES:
        return Sanitized(None, (f"{path}: left out, scanner runs with defaults (larger than 1 MB)",))
    notes: list[str] = []
    try:
        cleaned = handler(data, notes)
    except (Unusable, ValueError, RecursionError, yaml.YAMLError, configparser.Error) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return Sanitized(None, (f"{path}: left out, scanner runs with defaults ({reason[:120]})",))
    return Sanitized(cleaned, tuple(f"{path}: {note}" for note in notes))


def load_yaml(data: bytes) -> Any:
    text = data.decode("utf-8")
    if "\x00" in text:
        raise Unusable("NUL byte")
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None and _has_alias(node, 0):
            raise Unusable("YAML aliases are not accepted")
        return loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def _has_alias(node: yaml.Node, depth: int, seen: set[int] | None = None) -> bool:
    """Whether any node is reached twice (an alias): aliases are how YAML bombs grow."""
    seen = set() if seen is None else seen
    if depth > 50:
        raise Unusable("nested too deeply")
    if id(node) in seen:
        return True
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        children = [child for pair in node.value for child in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    else:
        return False
    return any(_has_alias(child, depth + 1, seen) for child in children)


def mapping(value: Any, empty_ok: bool = True) -> dict[str, Any]:
    if value is None and empty_ok:
        return {}
    return need(value, dict, lambda _: Unusable(f"top level is {type(value).__name__}, not a mapping"))


def keep(config: dict[str, Any], allowed: Allowed, notes: list[str]) -> dict[str, Any]:
    """The allowed keys of `config` (a nested set names the allowed keys one level down)."""
    kept: dict[str, Any] = {}
    for key, value in config.items():
        if str(key) not in allowed:
            notes.append(f"ignored key {str(key)[:60]!r}")
            continue
        inner = allowed[str(key)]
        if inner is None or not isinstance(value, dict):
            kept[key] = value
            continue
        kept[key] = {k: v for k, v in value.items() if k in inner}
        notes.extend(f"ignored key '{key}.{str(k)[:60]}'" for k in value if k not in inner)
    return kept


def yaml_allow(allowed: Allowed) -> Callable[[bytes, list[str]], bytes]:
    """A filter keeping the `allowed` keys of a YAML mapping (b"" when none is left)."""

    def clean(data: bytes, notes: list[str]) -> bytes:
        kept = keep(mapping(load_yaml(data)), allowed, notes)
        return yaml.safe_dump(kept, sort_keys=False).encode("utf-8") if kept else b""

    return clean
