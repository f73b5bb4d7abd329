"""Dockerfiles whose names Checkov does not read, given to it as copies under names it does.

Checkov 3.3.30 takes a file for a Dockerfile only by its name (`checkov/common/util/dockerfile.py`,
`DOCKERFILE_MASK`: `Dockerfile`, `x.Dockerfile`, `Dockerfile.x`, lowercase `dockerfile` likewise),
and filters `--file` arguments the same way: a `Containerfile`, `Dockerfile-prod`, `api-Dockerfile`
or `prod_Dockerfile` (all of them `docker build -f` files, classified as Dockerfiles here) got none of
its checks, so a pull request that renamed a Dockerfile made its CKV2_DOCKER_* findings vanish. Each
such file in scope is copied, same bytes and so same lines, to `COPIES/<its path>.Dockerfile`;
Checkov's second run reads that directory (`--framework dockerfile`) and its findings are put back
on the real path.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from mergeguard.core.basepolicy import read_regular
from mergeguard.core.errors import ParseError
from mergeguard.core.filekinds import is_dockerfile
from mergeguard.core.model import Finding
from mergeguard.scanners.base import Target

# Checkov 3.3.30's DOCKERFILE_MASK, applied to a file's base name.
CHECKOV_READS = re.compile(r"^(?:.+\.)?[Dd]ockerfile(?:\..+)?$(?<!\.[Dd]ockerignore)")
SUFFIX = ".Dockerfile"  # `NAME.Dockerfile` is a name Checkov reads, whatever NAME is
COPIES = "checkov-dockerfiles"  # the copies' directory in the scanner's workdir


def copies(files: tuple[str, ...]) -> dict[str, str]:
    """Copy path -> the file's repo path, for each Dockerfile of `files` whose name Checkov skips."""
    return {
        name + SUFFIX: name
        for name in files
        if is_dockerfile(PurePosixPath(name).name) and not CHECKOV_READS.match(PurePosixPath(name).name)
    }


def lay_out(target: Target) -> Path | None:
    """The copies' directory, written in the target's workdir; None when every name is Checkov's.

    A file that is not a regular file in the view (a symlink) is not copied, as Checkov's own walk
    of the view would not read it as its own either.
    """
    renamed = copies(target.files)
    if not renamed:
        return None
    directory = target.workdir / COPIES
    for copy, name in renamed.items():
        data = read_regular(target.root / name)
        if data is not None:
            path = directory / copy  # repo-relative paths of the view: they stay inside
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def copies_target(target: Target) -> Target:
    """The target the copies' report is read against: their directory and names."""
    return dataclasses.replace(target, root=target.workdir / COPIES, files=tuple(copies(target.files)))


def put_back(findings: list[Finding], renamed: Mapping[str, str]) -> list[Finding]:
    """The findings on copies moved to the files they are copies of (same lines)."""
    strays = sorted({f.location.path for f in findings} - set(renamed))
    if strays:
        raise ParseError(f"checkov: the renamed Dockerfiles' report names {strays[0]!r}, not one of them")
    return [
        dataclasses.replace(f, location=dataclasses.replace(f.location, path=renamed[f.location.path]))
        for f in findings
    ]
