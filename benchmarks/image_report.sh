#!/usr/bin/env bash
# `make image-report`: what the action's image weighs, per layer and per scanner environment.
#
# Reads an image built by ci/image-check.sh (buildah, no Docker engine): the layers' uncompressed
# sizes from an OCI copy of the image (paired with the Dockerfile step that made each),
# then the image mounted: each venv under /opt/mergeguard (files hard-linked between venvs are
# counted in each venv, once in the total) and the biggest packages of each.
# Usage: benchmarks/image_report.sh [IMAGE]   (default localhost/mergeguard:image-check)
# Environment: MERGEGUARD_IMAGE_WORK, MERGEGUARD_STORAGE_DRIVER as for ci/image-check.sh. Needs root.
set -euo pipefail

IMAGE="${1:-localhost/mergeguard:image-check}"
WORK="${MERGEGUARD_IMAGE_WORK:-/var/tmp/mergeguard-image-check}"
DRIVER="${MERGEGUARD_STORAGE_DRIVER:-overlay}"
bh() { buildah --root "$WORK/storage" --runroot "$WORK/run" --storage-driver "$DRIVER" "$@"; }

OCI="$(mktemp -d "$WORK/report.XXXXXX")"
CTR=""
cleanup() {
    [[ -n $CTR ]] && bh rm "$CTR" >/dev/null 2>&1
    rm -rf "$OCI"
}
trap cleanup EXIT

bh push --quiet "$IMAGE" "oci:$OCI/layout" >/dev/null
python3 - "$OCI/layout" "$IMAGE" <<'EOF'
import gzip
import json
import sys
from pathlib import Path

layout = Path(sys.argv[1])
blob = lambda digest: layout / "blobs" / digest.replace(":", "/")
index = json.loads((layout / "index.json").read_text())
manifest = json.loads(blob(index["manifests"][0]["digest"]).read_text())
config = json.loads(blob(manifest["config"]["digest"]).read_text())
steps = [h.get("created_by", "") for h in config.get("history", []) if not h.get("empty_layer")]


def uncompressed(layer: dict) -> int:
    """The layer's tar size: buildah's OCI copies are gzip-compressed whatever it is told."""
    if not layer["mediaType"].endswith("gzip"):
        return int(layer["size"])
    total = 0
    with gzip.open(blob(layer["digest"])) as stream:
        while chunk := stream.read(1 << 22):
            total += len(chunk)
    return total


sizes = [uncompressed(layer) for layer in manifest["layers"]]
steps = ["(base)"] * (len(sizes) - len(steps)) + steps
print(f"{sys.argv[2]}: {sum(sizes) / 1e6:.0f} MB uncompressed in {len(sizes)} layers\n")
print(f"| {'layer (Dockerfile step)':<80} | {'MB':>6} |\n|{'-' * 82}|{'-' * 8}|")
for step, size in zip(steps, sizes, strict=True):
    text = " ".join(step.replace("|", "/").split())
    print(f"| {text[:80]:<80} | {size / 1e6:6.1f} |")
EOF

mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k * 1.024 / 1000 }'; } # KiB -> MB

CTR="$(bh from --pull-never "$IMAGE")"
MNT="$(bh mount "$CTR")"
echo
printf '| %-44s | %6s |\n|%s|%s|\n' "environment under /opt/mergeguard" MB "$(printf -- '-%.0s' {1..46})" "--------"
for env in "$MNT"/opt/mergeguard/scanners/* "$MNT"/opt/mergeguard; do
    if [[ $env == "$MNT/opt/mergeguard" ]]; then
        size="$(du -sk --exclude=scanners "$env" | cut -f1)" name="mergeguard (its own venv)"
    else
        size="$(du -sk "$env" | cut -f1)" name="scanners/${env##*/}"
    fi
    printf '| %-44s | %6s |\n' "$name" "$(mb "$size")"
done
printf '| %-44s | %6s |\n' "all of /opt/mergeguard (hard links once)" "$(mb "$(du -sk "$MNT/opt/mergeguard" | cut -f1)")"
echo
echo "biggest packages in the scanners' environments (MB):"
du -sk "$MNT"/opt/mergeguard/scanners/*/lib/python3*/site-packages/* 2>/dev/null | sort -rn | head -n 12 |
    awk -v m="$MNT/opt/mergeguard/scanners/" '{sub(m, "", $2); printf "  %7.1f  %s\n", $1 * 1.024 / 1000, $2}'
