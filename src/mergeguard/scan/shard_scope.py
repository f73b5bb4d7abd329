"""What every shard of one gate and its merge must share: base, mode, scanned directory and config.

A shard records them in its report; `merge` refuses shards that disagree, naming the one that
differs from the others, and refuses a checkout that differs from the shards (exit 2 either way:
the reports cannot be folded into one result). The config is compared by a digest of its
effective settings (the file, the command-line overrides and, in PR mode, the base's copy).
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, is_dataclass
from typing import Any, TypeVar

from mergeguard.core.changes import ChangeSet
from mergeguard.core.config import Config
from mergeguard.core.errors import UsageError
from mergeguard.core.text import plain

KEYS = ("base", "mode", "root", "config")
NAMES = {"base": "base commit", "mode": "mode", "root": "scanned directory", "config": "config"}

_R = TypeVar("_R")


def of(changes: ChangeSet, config: Config) -> dict[str, str | None]:
    """The scope of one scan: base commit (PR mode), mode, directory inside the repository, config."""
    commits = changes.commit_range
    return {
        "base": commits.base if commits else None,
        "mode": changes.mode.value,
        "root": changes.repo.prefix if changes.repo else None,
        "config": config_digest(config),
    }


def read(data: object) -> dict[str, str | None]:
    """A recorded scope (ValueError when it is not one of this version's)."""
    if not isinstance(data, dict) or set(data) != set(KEYS):
        raise ValueError("scope does not match this mergeguard version")
    if not all(value is None or isinstance(value, str) for value in data.values()):
        raise ValueError("scope: unexpected value")
    return {key: data[key] for key in KEYS}


def config_digest(config: Config) -> str:
    """sha256 of the effective settings (not of where they were read: `source` and `lines` are left out)."""
    settings = {
        f.name: _plain(getattr(config, f.name)) for f in fields(config) if f.name not in ("source", "lines")
    }
    text = json.dumps(settings, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def odd_one(reports: Sequence[_R], value: Callable[[_R], object]) -> tuple[_R, _R] | None:
    """(a report whose value differs from most reports', one holding that common value), or None."""
    keys = [json.dumps(_plain(value(r)), sort_keys=True) for r in reports]
    common = Counter(keys).most_common(1)[0][0]  # ties: the first report's value
    odd = next((r for r, k in zip(reports, keys, strict=True) if k != common), None)
    if odd is None:
        return None
    return odd, next(r for r, k in zip(reports, keys, strict=True) if k == common)


def check_here(recorded: Mapping[str, str | None], here: Mapping[str, str | None]) -> None:
    """UsageError when this checkout's scope is not the one the shards scanned."""
    for key in KEYS:
        if recorded[key] != here[key]:
            raise UsageError(
                f"merge: the shards scanned with {NAMES[key]} {shown(recorded[key])}, "
                f"this checkout has {shown(here[key])}"
            )


def shown(value: str | None) -> str:
    return "(none)" if value is None else plain(value, 80) or '""'


def _plain(value: object) -> Any:
    """`value` as JSON-able data in a canonical form (mappings by key, enums by value)."""
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)
