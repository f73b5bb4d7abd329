"""Reads `.mergeguard.yml` once, strictly: an unknown key or bad value names the file, key and line."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import yaml

from mergeguard.core import yamlfile
from mergeguard.core.errors import ConfigError
from mergeguard.core.globs import MAX_GLOBS, glob_problem, negated
from mergeguard.core.model import Kind, Severity

if TYPE_CHECKING:
    from mergeguard.core.basepolicy import PolicyFiles

CONFIG_FILE = ".mergeguard.yml"
DEFAULT_TIMEOUT_S = 600.0
POLICY_CHANGES = ("warn", "block")  # a change to the policy's files: noted, or the gate fails


MAX_TIMEOUT_S = 86_400  # a day: past it a hung scanner holds the gate


def timeout_seconds(value: float) -> float:
    """`value` as a timeout, or ValueError: finite and from 1 s to a day (config and --timeout)."""
    seconds = float(value) if isinstance(value, float) or abs(value) <= MAX_TIMEOUT_S else math.inf
    if not (math.isfinite(seconds) and 1 <= seconds <= MAX_TIMEOUT_S):
        shown = f"{value:g}" if isinstance(value, float) or seconds < math.inf else "a far larger number"
        raise ValueError(f"must be a number of seconds from 1 to {MAX_TIMEOUT_S}, got {shown}")
    return seconds


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
    secret_agreement: bool = True  # a secret only one tool's generic heuristic saw is medium (agreement.py)
    policy_changes: str = "warn"  # one of POLICY_CHANGES
    source: str = "defaults"
    # The line each top-level key was read at, for a fault found later (every scanner turned off).
    lines: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}), compare=False)

    def threshold(self, kind: Kind) -> Severity:
        """The lowest blocking severity for findings of `kind` (`fail-on-kind`, else `fail-on`)."""
        return self.fail_on_kind.get(kind, self.fail_on)

    def enabled(self, scanner: str) -> bool:
        return self.scanners.get(scanner, ScannerSettings()).enabled

    def timeout_for(self, scanner: str) -> float:
        own = self.scanners.get(scanner, ScannerSettings()).timeout_s
        return own if own is not None else self.timeout_s


def path_for(named: str | None, root: Path) -> Path:
    """Where the config is: the named file, else ROOT/.mergeguard.yml."""
    return Path(named) if named else root / CONFIG_FILE


def resolve(
    named: str | None, root: Path, known_scanners: Collection[str], files: PolicyFiles | None = None
) -> Config:
    """The named config file (which must exist), else ROOT/.mergeguard.yml if present, else defaults.

    In PR mode (`files` read at the base) the base's copy is read: absent there, defaults.
    """
    path = path_for(named, root)
    loaded = files.load(path, lambda copy: load(copy, known_scanners)) if files and files.from_base else None
    if named and loaded is None and not path.is_file():
        raise ConfigError(str(path), None, "(file)", "config file not found")
    if files is not None and files.from_base:
        return replace(loaded or Config(), source=files.label(path))
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
    "policy-changes",
    "secret-agreement",
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
            "comment-template": ("comment_template", self.template),
            "policy-changes": ("policy_changes", self.policy_changes),
            "secret-agreement": ("secret_agreement", self.boolean),
        }
        items = self.mapping(root, "(top level)", _FIELDS)
        values: dict[str, Any] = {"source": self.source}
        for key, (_, value_node) in items.items():
            if yamlfile.is_null(value_node):  # `fail-on:` with nothing after it: not set, the default
                continue
            name, convert = fields[key]
            values[name] = convert(value_node, key)
        lines = {key: key_node.start_mark.line + 1 for key, (key_node, _) in items.items()}
        return Config(**values, lines=MappingProxyType(lines))

    def scanners(self, node: yaml.Node, key: str) -> Mapping[str, ScannerSettings]:
        result = {}
        for name, (name_node, value) in self.mapping(node, key).items():
            if name.lower() not in self.known:  # any letter case, as `--scanners` reads them (`Bandit`)
                self.fail(
                    name_node, yamlfile.member(key, name), f"unknown scanner (known: {', '.join(self.known)})"
                )
            if name.lower() in result:
                self.fail(name_node, yamlfile.member(key, name), "appears twice")
            result[name.lower()] = self.scanner(value, yamlfile.member(key, name))
        return MappingProxyType(result)

    def scanner(self, node: yaml.Node, key: str) -> ScannerSettings:
        if isinstance(node, yaml.ScalarNode) and not yamlfile.is_null(node):  # nothing: on, its defaults
            return ScannerSettings(enabled=self.boolean(node, key))
        items = self.mapping(node, key, ("enabled", "timeout"))
        enabled = _given(items, "enabled")
        timeout = _given(items, "timeout")
        return ScannerSettings(
            self.boolean(enabled, f"{key}.enabled") if enabled is not None else True,
            self.seconds(timeout, f"{key}.timeout") if timeout is not None else None,
        )

    def kinds(self, node: yaml.Node, key: str) -> Mapping[Kind, Severity]:
        known = [k.value for k in Kind]
        result = {}
        for name, (name_node, value) in self.mapping(node, key).items():
            if name.lower() not in known:  # any letter case, as `fail-on`'s severities
                self.fail(name_node, yamlfile.member(key, name), f"unknown kind (known: {', '.join(known)})")
            if Kind(name.lower()) in result:
                self.fail(name_node, yamlfile.member(key, name), "appears twice")
            if not yamlfile.is_null(value):  # `secret:` with nothing after it: `fail-on` decides
                result[Kind(name.lower())] = self.severity(value, yamlfile.member(key, name))
        return MappingProxyType(result)

    def severity(self, node: yaml.Node, key: str) -> Severity:
        return self.scalar(node, key, str, "a severity", Severity.parse)

    def boolean(self, node: yaml.Node, key: str) -> bool:
        return self.scalar(yamlfile.unquoted(node), key, bool, "true or false", bool)

    def seconds(self, node: yaml.Node, key: str) -> float:
        return self.scalar(yamlfile.unquoted(node), key, int, "a whole number of seconds", timeout_seconds)

    def template(self, node: yaml.Node, key: str) -> str | None:
        """A template file's path; `''` is not set (the built-in comment), as nothing after the key is."""
        value = self.text(node, key)
        return value if value.strip() else None

    def policy_changes(self, node: yaml.Node, key: str) -> str:
        value = self.text(node, key, f"one of {', '.join(POLICY_CHANGES)}").lower()
        if value not in POLICY_CHANGES:
            self.fail(node, key, f"must be one of {', '.join(POLICY_CHANGES)}, got {value!r}")
        return value

    def globs(self, node: yaml.Node, key: str) -> tuple[str, ...]:
        items = self.sequence(node, key, "glob patterns")
        if len(items) > MAX_GLOBS:  # refused before reading them: a list this long is a mistake
            self.fail(node, key, f"has {len(items):,} globs; at most {MAX_GLOBS:,} are read (use `dir/**`)")
        patterns = tuple(self.text(item, key, "a glob pattern string") for item in items)
        for item, pattern in zip(items, patterns, strict=True):
            if negated(pattern):
                self.fail(
                    item,
                    key,
                    f"{pattern!r}: a `!` pattern re-includes nothing here; list only what to exclude",
                )
            if (problem := glob_problem(pattern)) is not None:
                self.fail(item, key, f"{pattern!r}: not a glob ({problem})")
        return patterns


def _given(items: Mapping[str, tuple[yaml.Node, yaml.Node]], name: str) -> yaml.Node | None:
    """The value of key `name`; None when it is absent or has nothing after it (`timeout:`)."""
    value = items[name][1] if name in items else None
    return None if value is None or yamlfile.is_null(value) else value
