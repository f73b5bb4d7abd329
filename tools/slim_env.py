#!/usr/bin/env python3
"""Slims installed venvs for the image: no installers, tests, headers or caches; byte-code compiled once.

Usage: slim_env.py PREFIX [--locks DIR]

PREFIX is the image's venv (mergeguard's own) and PREFIX/scanners/* the scanners' venvs. In each:
pip, setuptools and wheel go unless the venv's hash lock pins them as a runtime dependency (pip-audit
asks pip for the installed packages; mergeguard's own venv needs none: they only built it); test
packages inside packages, C sources and headers, and every stale __pycache__ go; then every module is
compiled with `--invalidation-mode unchecked-hash` (no stat of the source at import: the image is
read-only in practice). Last, files with identical content anywhere under PREFIX become hard links of
one another (the scanners' venvs share requests, urllib3, PyYAML and more). Checkov's venv also gets
a .pth that raises the cyclic garbage collector's first threshold: its start-up imports about 6,000
modules, and fewer collections while they load take about a tenth off it (semantics unchanged; the
objects a collection would find are reclaimed at the next one). Prints what it removed.
Standard library only, like install_scanners.py.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

INSTALLERS = ("pip", "setuptools", "wheel")
JUNK_DIRS = ("tests", "test", "__pycache__")
JUNK_SUFFIXES = (".c", ".h", ".pyx", ".pxd", ".pyc")
GC_TUNED = ("checkov",)
GC_PTH = "import gc; gc.set_threshold(50000, 20, 100)  # mergeguard image: fewer collections at start-up\n"


def venvs(prefix: Path) -> list[Path]:
    scanners = prefix / "scanners"
    found = [prefix, *sorted(p for p in scanners.iterdir() if p.is_dir())] if scanners.is_dir() else [prefix]
    return [env for env in found if (env / "pyvenv.cfg").is_file()]


def site_packages(env: Path) -> Path:
    return next((env / "lib").glob("python3*/site-packages"))


def pinned(lock: Path) -> set[str]:
    if not lock.is_file():
        return set()
    names = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", lock.read_text(encoding="utf-8"), re.MULTILINE)
    return {re.sub(r"[-_.]+", "-", name).lower() for name in names}


def remove_installers(env: Path, keep: set[str]) -> int:
    """Deletes the files each installer's RECORD lists, then its dist-info; returns bytes freed."""
    site, freed = site_packages(env), 0
    for info in site.glob("*.dist-info"):
        name = re.sub(r"[-_.]+", "-", info.name.split("-")[0]).lower()
        if name not in INSTALLERS or name in keep:
            continue
        for line in (info / "RECORD").read_text(encoding="utf-8").splitlines():
            path = (site / line.split(",")[0]).resolve()
            if path.is_file() and path.is_relative_to(env.resolve()):
                freed += path.stat().st_size
                path.unlink()
        shutil.rmtree(info)
    for leftover in ("_distutils_hack", "pkg_resources", "setuptools", "pip", "distutils-precedence.pth"):
        if (path := site / leftover).exists() and leftover.split("-")[0] not in keep:
            freed += size(path)
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    return freed


def remove_junk(site: Path) -> int:
    freed = 0
    for root, dirs, files in os.walk(site, topdown=True):
        nested = Path(root) != site  # a top-level package named test(s) is somebody's real package
        for name in [d for d in dirs if d in JUNK_DIRS and (nested or d == "__pycache__")]:
            freed += size(Path(root) / name)
            shutil.rmtree(Path(root) / name)
            dirs.remove(name)
        for name in (f for f in files if f.endswith(JUNK_SUFFIXES)):
            freed += (Path(root) / name).stat().st_size
            (Path(root) / name).unlink()
    return freed


def size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def compile_all(env: Path) -> None:
    """Byte-code for every module, once, at build time (failures, e.g. templates, are printed only)."""
    site = site_packages(env)
    argv = [str(env / "bin" / "python"), "-m", "compileall", "-q", "-j0", "--invalidation-mode"]
    subprocess.run([*argv, "unchecked-hash", str(site)], check=False, stdout=subprocess.DEVNULL)


def link_duplicates(prefix: Path) -> int:
    """Hard-links regular files of identical content and mode; returns the bytes saved."""
    first: dict[tuple[str, int], Path] = {}
    saved = 0
    for path in sorted(p for p in prefix.rglob("*") if p.is_file() and not p.is_symlink()):
        stat = path.stat()
        if stat.st_size < 512:
            continue
        key = (hashlib.sha256(path.read_bytes()).hexdigest(), stat.st_mode)
        original = first.setdefault(key, path)
        if original != path and not original.samefile(path):
            path.unlink()
            os.link(original, path)
            saved += stat.st_size
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefix", type=Path)
    parser.add_argument("--locks", type=Path, default=Path(__file__).resolve().parent.parent / "locks")
    args = parser.parse_args()
    prefix = args.prefix.resolve()
    for env in venvs(prefix):
        keep = set() if env == prefix else pinned(args.locks / f"{env.name}.txt")
        freed = remove_installers(env, keep) + remove_junk(site_packages(env))
        compile_all(env)
        if env.name in GC_TUNED and env != prefix:
            (site_packages(env) / "mergeguard-gc.pth").write_text(GC_PTH, encoding="utf-8")
        print(f"slimmed {env}: {freed / 1e6:.1f} MB removed")
    print(f"hard-linked duplicates: {link_duplicates(prefix) / 1e6:.1f} MB saved")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
