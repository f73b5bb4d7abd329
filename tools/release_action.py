#!/usr/bin/env python3
"""Points action.yml's `runs.image` at the released image, by digest, and checks a release's action.yml.

Usage: release_action.py sha256:<64 hex> --owner OWNER [--action action.yml]
       release_action.py --check [--owner OWNER] [--action action.yml]

The first form rewrites the one `image:` line under `runs:` to
`docker://ghcr.io/<owner>/mergeguard@sha256:<digest>` (every other byte of the file kept), so a
workflow that uses a release pulls that exact image instead of building the Dockerfile. It refuses
anything but a sha256 digest: a tag can be moved, a digest cannot. `--check` fails (exit 1) unless
the action runs such an image, e.g. on a tag whose action.yml still says `Dockerfile`; the release
workflow runs it before it publishes. Bad arguments exit 2. Standard library only.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ACTION = Path(__file__).resolve().parent.parent / "action.yml"
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
RELEASED = re.compile(r"docker://ghcr\.io/(?P<owner>[a-z0-9-]+)/mergeguard@(?P<digest>sha256:[0-9a-f]{64})")
IMAGE_LINE = re.compile(r"^(?P<indent>[ \t]+)image:[ \t]*(?P<value>[^#\n]*?)[ \t]*(?P<comment>#.*)?$")


class ReleaseError(Exception):
    """A refusal, with the exit status it means."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


def image_line(text: str, path: Path) -> tuple[int, re.Match[str]]:
    """(line index, match) of the one `image:` key inside the top-level `runs:` block."""
    lines, found, in_runs = text.split("\n"), [], False
    for index, line in enumerate(lines):
        if line and not line[0].isspace() and not line.startswith("#"):
            in_runs = line.rstrip() == "runs:"
        elif in_runs and (match := IMAGE_LINE.match(line)):
            found.append((index, match))
    if len(found) != 1:
        raise ReleaseError(f"{path}: expected one `image:` under `runs:`, found {len(found)}")
    return found[0]


def rewrite(path: Path, digest: str, owner: str) -> str:
    """The new image reference, once written to `path`."""
    if not DIGEST.fullmatch(digest):
        raise ReleaseError(f"digest {digest!r}: not sha256:<64 lowercase hex> (tags move; digests do not)")
    if not OWNER.fullmatch(owner):
        raise ReleaseError(f"owner {owner!r}: not a GitHub user or organisation name")
    text = _read(path)
    index, match = image_line(text, path)
    image = f"docker://ghcr.io/{owner.lower()}/mergeguard@{digest}"
    lines = text.split("\n")
    comment = f" {match['comment']}" if match["comment"] else ""
    lines[index] = f"{match['indent']}image: {image}{comment}"
    path.write_text("\n".join(lines), encoding="utf-8")
    return image


def check(path: Path, owner: str | None) -> str:
    """The released image `path` runs; ReleaseError (exit 1) unless it is one, pinned by digest."""
    _, match = image_line(_read(path), path)
    value = match["value"].strip("'\"")
    released = RELEASED.fullmatch(value)
    if released is None:
        raise ReleaseError(
            f"{path}: runs.image is {value!r}, not docker://ghcr.io/OWNER/mergeguard@sha256:<digest>: "
            "a release must not build the Dockerfile (run tools/release_action.py DIGEST --owner OWNER)",
            status=1,
        )
    if owner is not None and released["owner"] != owner.lower():
        raise ReleaseError(f"{path}: runs.image belongs to {released['owner']!r}, not {owner.lower()!r}", 1)
    return value


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReleaseError(f"{path}: cannot be read: {getattr(exc, 'strerror', None) or exc}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("digest", nargs="?", help="sha256:<64 hex>, the pushed image's index digest")
    parser.add_argument("--owner", help="the GitHub owner the image is published under (ghcr.io/OWNER)")
    parser.add_argument(
        "--check", action="store_true", help="only check that action.yml runs a released image"
    )
    parser.add_argument("--action", type=Path, default=ACTION)
    args = parser.parse_args(argv)
    try:
        if args.check:
            print(f"{args.action}: runs {check(args.action, args.owner)}")
        elif args.digest is None or args.owner is None:
            raise ReleaseError("give DIGEST and --owner, or --check")
        else:
            print(f"{args.action}: runs.image is now {rewrite(args.action, args.digest, args.owner)}")
    except ReleaseError as exc:
        print(f"release_action: {exc}", file=sys.stderr)
        return exc.status
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
