"""Scanner config files from the repository cut down to the keys that only suppress or tune."""

from __future__ import annotations

import configparser
import json
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import yaml

# Allow-lists, not deny-lists: a key a scanner adds in a later release is dropped until vetted.
# Checkov: everything that loads checks (`external-checks-dir/-git`), downloads modules, talks to
# the platform (API keys, repo-id, CA bundle) or redirects output is left out.
_CHECKOV = frozenset(
    {
        "check",
        "skip-check",
        "skip-path",
        "skip-framework",
        "skip-cve-package",
        "skip-resources-without-violations",
        "block-list-secret-scan",
        "enable-secret-scan-all-files",
        "hard-fail-on",
        "soft-fail-on",
        "evaluate-variables",
    }
)
# Hadolint: `format`/`no-fail`/`failure-threshold` would change the report mergeguard reads.
_HADOLINT = frozenset(
    {"ignored", "override", "trustedRegistries", "label-schema", "strict-labels", "disable-ignore-pragma"}
)
# Trivy (read only if ever un-disabled): no policies, data, server, tokens, registries or caches.
Allowed = Mapping[str, frozenset[str] | None]
_TRIVY: Allowed = {
    "severity": None,
    "ignore-unfixed": None,
    "ignore-status": None,
    "scan": frozenset({"skip-dirs", "skip-files"}),
    "vulnerability": frozenset({"ignore-unfixed", "ignore-status", "type"}),
}
_SECRETS_BASELINE = frozenset(
    {"version", "plugins_used", "filters_used", "results", "generated_at", "exclude"}
)
# `.bandit` (INI): `output`, `baseline`, `format`, `targets` would redirect or filter the report.
_BANDIT_INI = frozenset({"skips", "tests", "exclude", "exclude_dirs"})
# `.trivyignore`, `.gitleaksignore` (IDs and fingerprints) and pyproject.toml/setup.cfg (also
# dependency manifests; Bandit's [tool.bandit] has no plugin or output keys) are kept as written.
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
    name = PurePosixPath(path).name
    handler = _HANDLERS.get(name)
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


def _load_yaml(data: bytes) -> Any:
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


def _mapping(value: Any, empty_ok: bool = True) -> dict[str, Any]:
    if value is None and empty_ok:
        return {}
    if not isinstance(value, dict):
        raise Unusable(f"top level is {type(value).__name__}, not a mapping")
    return value


def _keep(config: dict[str, Any], allowed: Allowed, notes: list[str]) -> dict[str, Any]:
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


def _yaml_allow(allowed: Mapping[str, frozenset[str] | None]) -> Callable[[bytes, list[str]], bytes]:
    def clean(data: bytes, notes: list[str]) -> bytes:
        kept = _keep(_mapping(_load_yaml(data)), allowed, notes)
        return yaml.safe_dump(kept, sort_keys=False).encode("utf-8") if kept else b""

    return clean


def _trivyignore_yaml(data: bytes, notes: list[str]) -> bytes:
    _mapping(_load_yaml(data))  # IDs, paths and statements only: kept as written once readable
    return data


def _gitleaks(data: bytes, notes: list[str]) -> bytes:
    """Regex rules kept; `[extend] path` (another config anywhere on disk) removed, `useDefault` kept."""
    config = tomllib.loads(data.decode("utf-8"))
    extend = config.get("extend")
    if not isinstance(extend, dict) or not ({"path", "url"} & extend.keys()):
        return data
    text = _drop_extend_path(data.decode("utf-8"))
    again = tomllib.loads(text).get("extend")
    if isinstance(again, dict) and {"path", "url"} & again.keys():
        raise Unusable("[extend] path could not be removed")
    notes.append("ignored key 'extend.path'")
    return text.encode("utf-8")


_TABLE = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+")
_EXTEND_KEY = re.compile(r"""^\s*(?:extend\s*\.\s*)?["']?(path|url)["']?\s*=""")


def _drop_extend_path(text: str) -> str:
    lines, table = [], ""
    for line in text.splitlines(keepends=True):
        header = _TABLE.match(line)
        if header:
            table = header.group(1).replace(" ", "")
        key = _EXTEND_KEY.match(line)
        in_extend = table == "extend" or (table == "" and line.lstrip().startswith("extend"))
        if not (key and in_extend):
            lines.append(line)
    return "".join(lines)


def _secrets_baseline(data: bytes, notes: list[str]) -> bytes:
    """detect-secrets' baseline without custom plugins or filters (`path` entries load Python files)."""
    baseline = _mapping(json.loads(data.decode("utf-8")), empty_ok=False)
    kept = _keep(baseline, dict.fromkeys(_SECRETS_BASELINE), notes)
    for key in ("plugins_used", "filters_used"):
        entries = kept.get(key)
        if isinstance(entries, list):
            safe = [entry for entry in entries if _builtin(entry)]
            if len(safe) != len(entries):
                notes.append(f"ignored {len(entries) - len(safe)} custom {key} entr(y/ies)")
            kept[key] = safe
    return json.dumps(kept, indent=2).encode("utf-8")


def _builtin(entry: Any) -> bool:
    if not isinstance(entry, dict):
        return False
    path = entry.get("path")
    return path is None or (isinstance(path, str) and path.startswith("detect_secrets."))


def _bandit_ini(data: bytes, notes: list[str]) -> bytes:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(data.decode("utf-8"))
    if not parser.has_section("bandit"):
        return b""
    out = ["[bandit]\n"]
    for key, value in parser.items("bandit"):
        if key in _BANDIT_INI and "\n" not in value:
            out.append(f"{key} = {value}\n")
        else:
            notes.append(f"ignored key {key[:60]!r}")
    return "".join(out).encode("utf-8")


_HANDLERS: dict[str, Callable[[bytes, list[str]], bytes]] = {
    ".checkov.yaml": _yaml_allow(dict.fromkeys(_CHECKOV)),
    ".checkov.yml": _yaml_allow(dict.fromkeys(_CHECKOV)),
    ".hadolint.yaml": _yaml_allow(dict.fromkeys(_HADOLINT)),
    ".hadolint.yml": _yaml_allow(dict.fromkeys(_HADOLINT)),
    "trivy.yaml": _yaml_allow(_TRIVY),
    ".trivyignore.yaml": _trivyignore_yaml,
    ".gitleaks.toml": _gitleaks,
    ".secrets.baseline": _secrets_baseline,
    ".bandit": _bandit_ini,
}
