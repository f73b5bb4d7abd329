#!/usr/bin/env bash
# Checkov's start-up inside the action's image: `checkov --version` and `import checkov.main`, timed.
#
# The image (built by ci/image-check.sh with buildah) is mounted and entered with chroot, with the
# image's own environment (read from its config, as ci/image-check.sh does) and no network. Every run
# starts as a fresh container does on GitHub: whatever an earlier run left in /tmp (and HOME, under
# it) is removed first, so a cache a run writes there never helps the next. The first run is
# reported apart (a cold page cache); then the medians of RUNS runs, wall and CPU time.
# Usage: benchmarks/image_startup.sh [IMAGE] [RUNS]   (default localhost/mergeguard:image-check, 7)
# Environment: MERGEGUARD_IMAGE_WORK, MERGEGUARD_STORAGE_DRIVER as for ci/image-check.sh. Needs root.
set -euo pipefail

IMAGE="${1:-localhost/mergeguard:image-check}"
RUNS="${2:-7}"
WORK="${MERGEGUARD_IMAGE_WORK:-/var/tmp/mergeguard-image-check}"
DRIVER="${MERGEGUARD_STORAGE_DRIVER:-overlay}"
bh() { buildah --root "$WORK/storage" --runroot "$WORK/run" --storage-driver "$DRIVER" "$@"; }

CTR="" MNT=""
cleanup() {
    set +e
    [[ -n $MNT ]] && umount "$MNT/proc" "$MNT/dev" 2>/dev/null
    [[ -n $CTR ]] && bh rm "$CTR" >/dev/null 2>&1
}
trap cleanup EXIT
CTR="$(bh from --pull-never "$IMAGE")"
MNT="$(bh mount "$CTR")"
mkdir -p "$MNT/dev" "$MNT/proc" "$MNT/tmp"
mount --bind /dev "$MNT/dev"
mount -t proc proc "$MNT/proc"
mapfile -t IMAGE_ENV < <(bh inspect --type image --format '{{range .OCIv1.Config.Env}}{{println .}}{{end}}' "$IMAGE" | sed '/^$/d')

mapfile -t IMAGE_TMP < <(ls -A "$MNT/tmp")

# fresh_tmp: /tmp as the image has it (what runs left there removed).
fresh_tmp() {
    local entry
    while IFS= read -r entry; do
        printf '%s\n' "${IMAGE_TMP[@]}" | grep -qxF -- "$entry" || rm -rf "${MNT:?}/tmp/$entry"
    done < <(ls -A "$MNT/tmp")
}

# seconds COMMAND...: "wall cpu" of one run in the image, in seconds (cpu: user + system, children
# included; less sensitive than wall time to other work on a shared machine).
seconds() {
    local times="$WORK/startup.times"
    fresh_tmp
    /usr/bin/time -o "$times" -f '%e %U %S' unshare --net chroot "$MNT" /usr/bin/env -i --chdir=/tmp \
        "${IMAGE_ENV[@]}" HOME=/tmp/home "$@" >/dev/null 2>&1 ||
        { echo "image_startup: '$*' failed in $IMAGE" >&2; exit 1; }
    awk '{printf "%.2f %.2f\n", $1, $2 + $3}' "$times"
}

median() { sort -n | sed -n "$((RUNS / 2 + 1))p"; }

measure() {
    local label=$1 first runs=() i
    shift
    first="$(seconds "$@")"
    for ((i = 0; i < RUNS; i++)); do runs+=("$(seconds "$@")"); done
    printf '| %-34s | %12s | %11s | %10s |\n' "$label" "${first% *} / ${first#* }" \
        "$(printf '%s\n' "${runs[@]}" | cut -d' ' -f1 | median)" "$(printf '%s\n' "${runs[@]}" | cut -d' ' -f2 | median)"
}

echo "$IMAGE: Checkov start-up, seconds (first run wall / cpu, then medians of $RUNS runs)"
printf '| %-34s | %12s | %11s | %10s |\n' command "first" "median wall" "median cpu"
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..36})" -------------- ------------- ------------
measure "checkov --version" checkov --version
measure "python -c 'import checkov.main'" /opt/mergeguard/scanners/checkov/bin/python -c "import checkov.main"
