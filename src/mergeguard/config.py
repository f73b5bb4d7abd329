"""Reads `.mergeguard.yml` once, strictly: an unknown key or bad value names the file, key and line."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from mergeguard import yamlfile
from mergeguard.errors import ConfigError
from mergeguard.model import Kind, Severity

CONFIG_FILE = ".mergeguard.yml"
DEFAULT_TIMEOUT_S = 600.0


@dataclass(frozen=True, slots=True)
class ScannerSettings:
    """Per-scanner switches: on or off, and its own timeout (None: the global one)."""

    enabled: bool = True
    timeout_s: float | None = None


@dataclass(frozen=True, slots=True)
class Config:
    """The policy and run settings, from the config file with command-line overrides applied."""

    fail_on: Severity = Severity.HIGH
    fail_on_kind: Mapping[Kind, Severity] = field(default_factory=lambda: MappingProxyType({}))
    ignore_unfixed: bool = False  # advisories with no fixed version are reported but never block
    fail_on_scanner_error: bool = True
    fail_on_pre_existing: bool = False
    timeout_s: float = DEFAULT_TIMEOUT_S
    exclude: tuple[str, ...] = ()
    scanners: Mapping[str, ScannerSettings] = field(default_factory=lambda: MappingProxyType({}))
    comment_template: str | None = None  # a Jinja2 template file replacing the PR comment's, relative to PATH
    source: str = "defaults"

    def threshold(self, kind: Kind) -> Severity:
        """The lowest blocking severity for findings of `kind` (`fail-on-kind`, else `fail-on`)."""
        return self.fail_on_kind.get(kind, self.fail_on)

    def enabled(self, scanner: str) -> bool:
        return self.scanners.get(scanner, ScannerSettings()).enabled

    def timeout_for(self, scanner: str) -> float:
        own = self.scanners.get(scanner, ScannerSettings()).timeout_s
        return own if own is not None else self.timeout_s


def resolve(named: str | None, root: Path, known_scanners: Collection[str]) -> Config:
    """The named config file (which must exist), else ROOT/.mergeguard.yml if present, else defaults."""
    path = Path(named) if named else root / CONFIG_FILE
    if named and not path.is_file():
        raise ConfigError(str(path), None, "(file)", "config file not found")
    return load(path, known_scanners) if path.is_file() else Config()


def load(path: Path, known_scanners: Collection[str]) -> Config:
    """The configuration in `path`; ConfigError naming file, key and line for anything invalid."""
    root = yamlfile.compose(path, ConfigError)
    if root is None:
        return Config(source=str(path))
    return _Reader(str(path), known_scanners).config(root)


_FIELDS = (
    "fail-on",
    "fail-on-kind",
    "ignore-unfixed",
    "fail-on-scanner-error",
    "fail-on-pre-existing",
    "timeout",
    "exclude",
    "scanners",
    "comment-template",
)


class _Reader(yamlfile.NodeReader):
    """Turns the node tree into a Config."""

    def __init__(self, source: str, known_scanners: Collection[str]) -> None:
        super().__init__(source, ConfigError)
        self.known = sorted(known_scanners)

    def config(self, root: yaml.Node) -> Config:
        fields: dict[str, tuple[str, Callable[[yaml.Node, str], Any]]] = {
            "fail-on": ("fail_on", self.severity),
            "fail-on-kind": ("fail_on_kind", self.kinds),
            "ignore-unfixed": ("ignore_unfixed", self.boolean),
            "fail-on-scanner-error": ("fail_on_scanner_error", self.boolean),
            "fail-on-pre-existing": ("fail_on_pre_existing", self.boolean),
            "timeout": ("timeout_s", self.seconds),
            "exclude": ("exclude", self.globs),
            "scanners": ("scanners", self.scanners),
            "comment-template": ("comment_template", self.text),
        }
        values: dict[str, Any] = {"source": self.source}
        for key, (_, value_node) in self.mapping(root, "(top level)", _FIELDS).items():
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
        items = self.mapping(node, key, ("enabled", "timeout"))
        enabled = self.boolean(items["enabled"][1], f"{key}.enabled") if "enabled" in items else True
        timeout = self.seconds(items["timeout"][1], f"{key}.timeout") if "timeout" in items else None
        return ScannerSettings(enabled, timeout)

    def kinds(self, node: yaml.Node, key: str) -> Mapping[Kind, Severity]:
        known = [k.value for k in Kind]
        result = {}
        for name, (name_node, value) in self.mapping(node, key).items():
            if name not in known:
                self.fail(name_node, f"{key}.{name}", f"unknown kind (known: {', '.join(known)})")
            result[Kind(name)] = self.severity(value, f"{key}.{name}")
        return MappingProxyType(result)

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
        items = self.sequence(node, key, "glob patterns")
        return tuple(self.text(item, key, "a glob pattern string") for item in items)
