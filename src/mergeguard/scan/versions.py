"""Remembers each scanner's version by the identity of its executable, so a scan need not ask again.

Asking a Python tool for its version costs an interpreter start-up (about 3 s of CPU for Checkov,
competing with the scans on a small runner). The answer is cached in ~/.cache/mergeguard, keyed on
the resolved executable's path, size and modification time: reinstalling or upgrading a tool
changes the key, so a stale version is never reported.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

_LOCK = threading.Lock()


def cache_file() -> Path:
    return Path.home() / ".cache" / "mergeguard" / "versions.json"


def cached(exe: str, probe: Callable[[], str], store: Path | None = None) -> str:
    """The version of `exe`: from the cache when its identity is unchanged, else `probe()`, stored."""
    store = store or cache_file()
    key = _identity(exe)
    with _LOCK:
        known = _read(store)
    if key in known:
        return known[key]
    version = probe()
    if version:
        with _LOCK:
            write_json_cache(store, {**_read(store), key: version})
    return version


def _identity(exe: str) -> str:
    real = Path(exe).resolve()
    try:
        info = real.stat()
    except OSError:
        return str(real)
    return f"{real}|{info.st_size}|{info.st_mtime_ns}"


def _read(store: Path) -> dict[str, str]:
    return {str(k): str(v) for k, v in read_json_cache(store).items()}


def read_json_cache(store: Path) -> dict[str, object]:
    """The JSON object in cache file `store`; {} when it is missing, unreadable or not an object."""
    try:
        data = json.loads(store.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a cache that cannot be read is only a cache: ask the tools again
    return data if isinstance(data, dict) else {}


def write_json_cache(store: Path, data: dict[str, str] | dict[str, float]) -> None:
    """Replace cache file `store` with `data`; a read-only home keeps nothing (the cache is a hint)."""
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        tmp = store.with_name(f".{store.name}.{os.getpid()}.{threading.get_ident()}")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(store)
    except OSError:
        pass  # read-only home: the next run asks again
