"""Container images to scan: their specs (`REF`, `REF=Dockerfile`, archives, OCI layouts) and Dockerfiles.

An image is matched to the Dockerfile that built it, so its findings land on lines of that file:
1. an explicit pairing, `IMAGE=path/to/Dockerfile` (relative to the scanned directory);
2. else the Dockerfile whose directory is named like the image's repository (its last path
   component, without registry, tag or digest): `shop/api:1.2` ↔ `api/Dockerfile`, `services/api/Dockerfile`
   or `api.Dockerfile` / `Dockerfile.api`; a unique match wins;
3. else, when the repository has exactly one Dockerfile, that one.
Otherwise the image has no Dockerfile and its findings are placed at `container-image/<repository>`.
"""

from __future__ import annotations

import enum
import json
import os
import re
import tarfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from mergeguard.core import gitrepo
from mergeguard.core.errors import UsageError
from mergeguard.core.filekinds import is_dockerfile

_DIGEST = re.compile(r"@sha256:[0-9a-fA-F]+$")
_TAG = re.compile(r":[^/:]*$")
_SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__"})


class ImageKind(enum.StrEnum):
    """Where an image is read from."""

    DAEMON = "daemon"  # the Docker daemon (GitHub mounts its socket into container actions)
    REGISTRY = "registry"
    ARCHIVE = "archive"  # a `docker save` tarball
    OCI = "oci"  # an OCI image layout directory


_TRANSPORTS = {
    "docker-archive:": ImageKind.ARCHIVE,
    "oci:": ImageKind.OCI,
    "docker-daemon:": ImageKind.DAEMON,
    "docker://": ImageKind.REGISTRY,
}


@dataclass(frozen=True, slots=True)
class ImageSpec:
    """One image to scan: its source (a reference, or a path for archives and layouts), and its Dockerfile."""

    source: str
    kind: ImageKind
    dockerfile: str | None = None  # repo-relative POSIX, once paired or matched

    @property
    def repository(self) -> str:
        """The image's name without registry port confusion, tag or digest (`ghcr.io/shop/api`)."""
        if self.kind in (ImageKind.ARCHIVE, ImageKind.OCI):
            return archive_name(Path(self.source))
        name = _DIGEST.sub("", self.source)
        return _TAG.sub("", name) if "/" not in name.rsplit(":", 1)[-1] else name

    @property
    def short_name(self) -> str:
        """The repository's last component, which the Dockerfile convention matches (`api`)."""
        return PurePosixPath(self.repository).name.lower()


def parse_specs(texts: Iterable[str], root: Path) -> tuple[ImageSpec, ...]:
    """Specs from `--image` flags or the `images` input (one per line or comma-separated)."""
    items = [item.strip() for text in texts for item in re.split(r"[,\n]", text) if item.strip()]
    return tuple(parse_spec(item, root) for item in dict.fromkeys(items))


def parse_spec(text: str, root: Path) -> ImageSpec:
    """`REF`, `REF=Dockerfile`, `docker-archive:FILE`, `oci:DIR`, `docker-daemon:REF`, `docker://REF`.

    A bare value naming an existing file is a `docker save` tarball, an existing directory an OCI
    layout. Paths are relative to the working directory; the Dockerfile is relative to `root`.
    """
    source, _, dockerfile = text.strip().partition("=")
    kind, source = _kind(source.strip())
    if not source:
        raise UsageError(f"image {text!r}: no image reference or path")
    if kind in (ImageKind.ARCHIVE, ImageKind.OCI):
        source = _existing(source, kind, text)
    return ImageSpec(source, kind, _dockerfile(dockerfile.strip(), root, text) if dockerfile else None)


def with_dockerfiles(specs: Sequence[ImageSpec], dockerfiles: Sequence[str]) -> tuple[ImageSpec, ...]:
    """Each spec with its Dockerfile: the explicit pairing, else the convention (module docstring)."""
    return tuple(s if s.dockerfile else replace(s, dockerfile=match(s, dockerfiles)) for s in specs)


def match(spec: ImageSpec, dockerfiles: Sequence[str]) -> str | None:
    """The Dockerfile named like the image, or the repository's only Dockerfile; None when ambiguous."""
    named = [path for path in dockerfiles if spec.short_name in _names(path)]
    if len(named) == 1:
        return named[0]
    return dockerfiles[0] if len(dockerfiles) == 1 else None


def repository_dockerfiles(root: Path) -> list[str]:
    """Every Dockerfile under `root`: the tracked ones in a git work tree, else every one on disk."""
    repo = gitrepo.open_repo(root)
    paths = gitrepo.tracked_files(repo) if repo else _walk(root)
    return sorted(p for p in paths if is_dockerfile(PurePosixPath(p).name))


def archive_name(path: Path) -> str:
    """An archive's image name: the first `RepoTags` entry of a `docker save` tarball, else the file or
    directory name without its extensions (`build/api.tar.gz` → `api`)."""
    tagged = _repo_tag(path) if path.is_file() else None
    if tagged:
        return _TAG.sub("", _DIGEST.sub("", tagged))
    return path.resolve().name.split(".")[0] or "image"


def _names(dockerfile: str) -> set[str]:
    """What a Dockerfile is named after: its directory, and NAME in `NAME.Dockerfile`, `Dockerfile.NAME`."""
    path = PurePosixPath(dockerfile)
    lower = path.name.lower()
    names = {path.parent.name.lower()} if path.parent.name else set()
    for marker in ("dockerfile", "containerfile"):
        if lower.endswith("." + marker):
            names.add(lower[: -len(marker) - 1])
        elif lower.startswith(marker + "."):
            names.add(lower[len(marker) + 1 :])
    return names


def _kind(source: str) -> tuple[ImageKind, str]:
    for prefix, kind in _TRANSPORTS.items():
        if source.startswith(prefix):
            return kind, source[len(prefix) :]
    path = Path(source)
    if path.is_file():
        return ImageKind.ARCHIVE, source
    if path.is_dir():
        return ImageKind.OCI, source
    return ImageKind.DAEMON, source


def _existing(source: str, kind: ImageKind, text: str) -> str:
    path = Path(source)
    if kind is ImageKind.ARCHIVE and not path.is_file():
        raise UsageError(f"image {text!r}: {source} is not a file (a `docker save` tarball)")
    if kind is ImageKind.OCI and not (path / "index.json").is_file():
        raise UsageError(f"image {text!r}: {source} is not an OCI image layout (no index.json)")
    return str(path.resolve())


def _dockerfile(path: str, root: Path, text: str) -> str:
    clean = PurePosixPath(path.replace("\\", "/"))
    if clean.is_absolute() or ".." in clean.parts or not (root / clean).is_file():
        raise UsageError(f"image {text!r}: Dockerfile {path} is not a file under {root}")
    return clean.as_posix()


def _repo_tag(path: Path) -> str | None:
    """The first RepoTags entry of a `docker save` tarball's manifest.json (None if unreadable)."""
    try:
        with tarfile.open(path) as archive:
            member = archive.extractfile("manifest.json")
            manifest = json.loads(member.read()) if member else None
    except (OSError, KeyError, tarfile.TarError, ValueError):
        return None
    tags = manifest[0].get("RepoTags") if isinstance(manifest, list) and manifest else None
    return tags[0] if isinstance(tags, list) and tags and isinstance(tags[0], str) else None


def _walk(root: Path) -> list[str]:
    found = []
    for current, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS]
        found += [(Path(current) / f).relative_to(root).as_posix() for f in files]
    return found
