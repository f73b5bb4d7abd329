"""Builds small container images without an engine: a `docker save` tarball or an OCI image layout.

Each layer is an uncompressed tar written here; the image config carries the history a builder
would have written (BuildKit's words), so Trivy can say which instruction made each layer.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Layer:
    """Files (path inside the image → content) and the history entry that made them."""

    files: Mapping[str, bytes]
    created_by: str


@dataclass(frozen=True)
class Image:
    """Layers, the config's env and user, and history entries that made no layer (ENV, CMD…)."""

    layers: Sequence[Layer]
    env: Sequence[str] = ()
    user: str = ""
    empty_history: Sequence[tuple[int, str]] = ()  # (position in the history, created_by)
    tag: str = "shop/api:1.2"


def docker_archive(image: Image, path: Path) -> Path:
    """`docker save` format: manifest.json, the config JSON, one tar per layer."""
    blobs = [_layer_tar(layer) for layer in image.layers]
    config = _config(image, blobs)
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = [
        {
            "Config": config_name,
            "RepoTags": [image.tag],
            "Layers": [f"{i}/layer.tar" for i in range(len(blobs))],
        }
    ]
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as archive:
        _add(archive, config_name, config)
        for i, blob in enumerate(blobs):
            _add(archive, f"{i}/layer.tar", blob)
        _add(archive, "manifest.json", json.dumps(manifest).encode())
    return path


def oci_layout(image: Image, directory: Path) -> Path:
    """An OCI image layout: oci-layout, index.json, and every blob under blobs/sha256."""
    blobs_dir = directory / "blobs" / "sha256"
    blobs_dir.mkdir(parents=True)
    layers = [_layer_tar(layer) for layer in image.layers]
    config = _config(image, layers)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": _blob(blobs_dir, config, "application/vnd.oci.image.config.v1+json"),
        "layers": [_blob(blobs_dir, layer, "application/vnd.oci.image.layer.v1.tar") for layer in layers],
    }
    entry = _blob(blobs_dir, json.dumps(manifest).encode(), "application/vnd.oci.image.manifest.v1+json")
    entry["annotations"] = {"org.opencontainers.image.ref.name": image.tag.rsplit(":", 1)[-1]}
    (directory / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    (directory / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [entry]}))
    return directory


def _config(image: Image, layers: Sequence[bytes]) -> bytes:
    history: list[dict[str, Any]] = [{"created_by": layer.created_by} for layer in image.layers]
    for position, created_by in image.empty_history:
        history.insert(position, {"created_by": created_by, "empty_layer": True})
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": "2024-01-01T00:00:00Z",
        "config": {"User": image.user, "Env": ["PATH=/usr/bin:/bin", *image.env], "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(b).hexdigest() for b in layers]},
        "history": history,
    }
    return json.dumps(config).encode()


def _layer_tar(layer: Layer) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, content in layer.files.items():
            _add(archive, name.lstrip("/"), content)
    return buffer.getvalue()


def _blob(directory: Path, data: bytes, media_type: str) -> dict[str, Any]:
    digest = hashlib.sha256(data).hexdigest()
    (directory / digest).write_bytes(data)
    return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    archive.addfile(info, io.BytesIO(data))
