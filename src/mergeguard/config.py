"""Reads `.mergeguard.yml` once, strictly: an unknown key or bad value names the file, key and line."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn, TypeVar

import yaml

from mergeguard.errors import ConfigError
from mergeguard.model import Severity

CONFIG_FILE = ".mergeguard.yml"
DEFAULT_TIMEOUT_S = 600.0
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ScannerSettings:
    """Per-scanner switches: on or off, and its own timeout (None: the global one)."""

    enabled: bool = True
    timeout_s: float | None = None


@dataclass(frozen=True, slots=True)
class Config:
    """The policy and run settings, from the config file with command-line overrides applied."""

    fail_on: Severity = Severity.HIGH
    fail_on_scanner_error: bool = True
    fail_on_pre_existing: bool = False
    timeout_s: float = DEFAULT_TIMEOUT_S
    exclude: tuple[str, ...] = ()
    scanners: Mapping[str, ScannerSettings] = field(default_factory=lambda: MappingProxyType({}))
    source: str = "defaults"

    def enabled(self, scanner: str) -> bool:
        return self.scanners.get(scanner, ScannerSettings()).enabled

    def timeout_for(self, scanner: str) -> float:
        own = self.scanners.get(scanner, ScannerSettings()).timeout_s
        return own if own is not None else self.timeout_s


def load(path: Path, known_scanners: Collection[str]) -> Config:
    """The configuration in `path`; ConfigError naming file, key and line for anything invalid."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(source, None, "(file)", f"cannot be read: {exc}") from None
    try:
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(source, line, "(file)", f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if root is None:
        return Config(source=source)
    return _Reader(source, known_scanners).config(root)


class _Reader:
    """Walks the YAML node tree, keeping the line of every key for error messages."""

    def __init__(self, source: str, known_scanners: Collection[str]) -> None:
        self.source = source
        self.known = sorted(known_scanners)

    def config(self, root: yaml.Node) -> Config:
        items = self.mapping(root, "(top level)")
        values: dict[str, Any] = {"source": self.source}
        fields = {
            "fail-on": ("fail_on", self.severity),
            "fail-on-scanner-error": ("fail_on_scanner_error", self.boolean),
            "fail-on-pre-existing": ("fail_on_pre_existing", self.boolean),
            "timeout": ("timeout_s", self.seconds),
            "exclude": ("exclude", self.globs),
            "scanners": ("scanners", self.scanners),
        }
        for key, (key_node, value_node) in items.items():
            if key not in fields:
                self.fail(key_node, key, f"unknown key (known: {', '.join(fields)})")
            name, convert = fields[key]
            values[name] = convert(value_node, key)
        return Config(**values)

    def scanners(self, node: yaml.Node, key: str) -> Mapping[str, ScannerSettings]:
        result = {}
        for name, (name_node, value) in self.mapping(node, key).items():
            if name not in self.known:
                self.fail(name_node, f"{key}.{name}", f"unknown scanner (known: {', '.join(self.known)})")
            result[name] = self.scanner(value, f"{key}.{name}")
        return MappingProxyType(result)

    def scanner(self, node: yaml.Node, key: str) -> ScannerSettings:
        if isinstance(node, yaml.ScalarNode):
            return ScannerSettings(enabled=self.boolean(node, key))
        items = self.mapping(node, key)
        allowed = {"enabled", "timeout"}
        for name, (name_node, _) in items.items():
            if name not in allowed:
                self.fail(name_node, f"{key}.{name}", "unknown key (known: enabled, timeout)")
        enabled = self.boolean(items["enabled"][1], f"{key}.enabled") if "enabled" in items else True
        timeout = self.seconds(items["timeout"][1], f"{key}.timeout") if "timeout" in items else None
        return ScannerSettings(enabled, timeout)

    def mapping(self, node: yaml.Node, key: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, key, "must be a mapping")
        items: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            name = str(key_node.value)
            if name in items:
                self.fail(key_node, name, "appears twice")
            items[name] = (key_node, value_node)
        return items

    def severity(self, node: yaml.Node, key: str) -> Severity:
        return self.scalar(node, key, str, "a severity", Severity.parse)

    def boolean(self, node: yaml.Node, key: str) -> bool:
        return self.scalar(node, key, bool, "true or false", bool)

    def seconds(self, node: yaml.Node, key: str) -> float:
        value = self.scalar(node, key, int, "a whole number of seconds", float)
        if value <= 0:
            self.fail(node, key, "must be a positive number of seconds")
        return value

    def globs(self, node: yaml.Node, key: str) -> tuple[str, ...]:
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, key, "must be a list of glob patterns")
        return tuple(self.scalar(item, key, str, "a glob pattern string", str) for item in node.value)

    def scalar(self, node: yaml.Node, key: str, kind: type, what: str, convert: Callable[[Any], T]) -> T:
        value = _scalar_value(node)
        # bool is an int in Python: accept it only where a boolean is asked for.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail(node, key, f"must be {what}, got {node.value!r}")
        try:
            return convert(value)
        except ValueError as exc:
            self.fail(node, key, str(exc))

    def fail(self, node: yaml.Node, key: str, problem: str) -> NoReturn:
        raise ConfigError(self.source, node.start_mark.line + 1, key, problem)


def _scalar_value(node: yaml.Node) -> object:
    if not isinstance(node, yaml.ScalarNode):
        return node  # a mapping or list where a scalar belongs: fails the type check
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node)
    finally:
        loader.dispose()
