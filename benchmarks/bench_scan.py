"""Times `mergeguard scan --all-files` against running the same scanners one after another.

Usage: .venv/bin/python benchmarks/bench_scan.py [PATH] [--repeat N]

The sequential baseline runs exactly the command lines mergeguard's adapters build (same flags,
same files, same scan view), one after another, the way a CI script of `tool ... || true` steps
would. Both sides are timed wall-clock over N repetitions; the median of each and their ratio are
printed. Run it on an idle machine; numbers go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from mergeguard.core.changes import collect
from mergeguard.core.config import load
from mergeguard.core.errors import ScannerError
from mergeguard.scan.registry import REGISTRY
from mergeguard.scan.scope_dir import scan_view
from mergeguard.scanners.base import Target
from mergeguard.scanners.commands import find_executable, run_command

REPO = Path(__file__).resolve().parent.parent


def time_mergeguard(path: Path) -> float:
    """Wall time of one full `mergeguard scan --all-files` as a user runs it."""
    exe = str(Path(sys.executable).parent / "mergeguard")
    started = time.perf_counter()
    subprocess.run([exe, "scan", str(path), "--all-files"], capture_output=True, check=False)
    return time.perf_counter() - started


def time_sequential(path: Path) -> tuple[float, dict[str, float]]:
    """Wall time of the same scanner commands run one after another (no parsing, no policy), and of
    each command alone (the slowest of them bounds what running them side by side can reach)."""
    settings = load(path / ".mergeguard.yml", REGISTRY) if (path / ".mergeguard.yml").is_file() else None
    changes = collect(path, None, settings.exclude if settings else ())
    alone: dict[str, float] = {}
    started = time.perf_counter()
    with scan_view(changes) as view:
        for scanner in REGISTRY.values():
            files = changes.paths(scanner.applies_to)
            exe = find_executable(scanner.executable)
            if not files or exe is None:
                continue
            workdir = view.parent / scanner.name
            workdir.mkdir()
            target = Target(view, files, path, "", None, workdir)
            # A tool that fails (offline: trivy-deps, pip-audit) still costs its time, as in CI.
            one = time.perf_counter()
            with contextlib.suppress(ScannerError):
                run_command(scanner.command(exe, target), view, timeout_s=900)
            alone[scanner.name] = time.perf_counter() - one
    return time.perf_counter() - started, alone


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=REPO / "examples" / "demo-app")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    path = args.path.resolve()
    time_mergeguard(path)  # warm the page cache and the tools' own caches once
    ours = [time_mergeguard(path) for _ in range(args.repeat)]
    runs = [time_sequential(path) for _ in range(args.repeat)]
    sequential = [total for total, _ in runs]
    ours_s, seq_s = statistics.median(ours), statistics.median(sequential)
    slowest = max(runs[0][1], key=lambda name: statistics.median(r[1][name] for r in runs))
    slowest_s = statistics.median(r[1][slowest] for r in runs)
    print(f"path: {path}")
    print(f"mergeguard scan --all-files: median {ours_s:.2f}s over {args.repeat} runs {_fmt(ours)}")
    print(f"same tools one after another: median {seq_s:.2f}s over {args.repeat} runs {_fmt(sequential)}")
    print(f"slowest scanner alone ({slowest}): median {slowest_s:.2f}s")
    print(f"cores: {os.cpu_count()}; files: {len(collect(path, None, ()).files)}")
    print(f"ratio gate / slowest alone: {ours_s / slowest_s:.2f} (goal <= 1.2)")
    print(f"ratio gate / one after another: {ours_s / seq_s:.2f} (goal <= 0.5)")
    return 0


def _fmt(samples: list[float]) -> str:
    return "[" + ", ".join(f"{s:.2f}" for s in samples) + "]"


if __name__ == "__main__":
    raise SystemExit(main())
