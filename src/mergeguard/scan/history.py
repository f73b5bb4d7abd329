"""How long each scanner took last time (a JSON beside the versions cache), to start the costliest first.

On a two-core runner the order matters: the scanner on the critical path must not wait for a free
worker behind quick ones. The file is only a hint: unreadable, it is ignored; unwritable, not kept.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.scan import versions

_LOCK = threading.Lock()


def durations_file() -> Path:
    return versions.cache_file().with_name("durations.json")


def load(store: Path | None = None) -> dict[str, float]:
    """The last duration in seconds of each scanner that ran to the end; {} when there is none."""
    data = versions.read_json_cache(store or durations_file())
    return {str(k): float(v) for k, v in data.items() if isinstance(v, int | float) and v >= 0}


def record(outcomes: Iterable[ScanOutcome], store: Path | None = None) -> None:
    """Remember the durations of the outcomes that ended well (a failure's time says nothing)."""
    fresh = {o.scanner: round(o.duration_s, 3) for o in outcomes if o.status is Status.OK}
    if not fresh:
        return
    store = store or durations_file()
    with _LOCK:
        versions.write_json_cache(store, {**load(store), **fresh})


def order(names: Iterable[str], known: Mapping[str, float]) -> list[int]:
    """Indexes of `names`, costliest first: never-measured ones first, in their given order."""
    listed = list(names)
    return sorted(range(len(listed)), key=lambda i: -known.get(listed[i], float("inf")))
