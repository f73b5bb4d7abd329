#!/usr/bin/env bash
# Builds the action's image from the real Dockerfile and runs mergeguard inside it, with no Docker engine.
#
# The base is a local stand-in for python:3.11-slim (Debian bookworm with python3 3.11, made with
# debootstrap), passed through the Dockerfile's BASE argument; everything after FROM is the real
# Dockerfile, built by buildah. The built image is then mounted and entered with chroot, in a network
# namespace of its own (loopback only), on small test workspaces owned by another uid, as the
# runner's checkout is. It checks that every scanner reports its pinned version and that a scan
# gives the expected verdict, so a missing install step or tool fails.
#
# Needs root, buildah and debootstrap (Debian: apt-get install buildah debootstrap).
# Environment: MERGEGUARD_IMAGE_WORK (state kept between runs: the stand-in base and the layer
# cache; default /var/tmp/mergeguard-image-check), MERGEGUARD_STORAGE_DRIVER (overlay or vfs).
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${MERGEGUARD_IMAGE_WORK:-/var/tmp/mergeguard-image-check}"
DRIVER="${MERGEGUARD_STORAGE_DRIVER:-overlay}"
SUITE=bookworm
PACKAGES=python3,python3-venv,ca-certificates # no git: the Dockerfile must install it
BASE_IMAGE="localhost/mergeguard-base-standin:$SUITE"
IMAGE=localhost/mergeguard:image-check
CA=/etc/ssl/certs/ca-certificates.crt

bh() { buildah --root "$WORK/storage" --runroot "$WORK/run" --storage-driver "$DRIVER" "$@"; }
say() { printf '%s\n' "image-check: $*" >&2; }
die() { say "FAILED: $*"; exit 1; }
elapsed() { printf '%ss' "$((SECONDS - $1))"; }

preflight() {
    [[ $(id -u) -eq 0 ]] || die "run as root (buildah and chroot need it)"
    local tool
    for tool in buildah debootstrap chroot unshare mount python3; do
        command -v "$tool" >/dev/null || die "$tool not found (apt-get install buildah debootstrap)"
    done
    mkdir -p "$WORK"
}

# The stand-in base: made once, kept in $WORK between runs (base.stamp records its suite and packages).
standin_base() {
    local stamp="$SUITE:$PACKAGES" start=$SECONDS rootfs ctr
    if bh inspect --type image "$BASE_IMAGE" >/dev/null 2>&1 && [[ $(cat "$WORK/base.stamp" 2>/dev/null) == "$stamp" ]]; then
        say "stand-in base $BASE_IMAGE: kept from an earlier run"
        return
    fi
    rootfs="$WORK/rootfs"
    rm -rf "$rootfs"
    debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" >"$WORK/debootstrap.log" 2>&1 ||
        { tail -n 20 "$WORK/debootstrap.log" >&2; die "debootstrap failed (log: $WORK/debootstrap.log)"; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    ctr="$(bh from scratch)"
    bh copy --quiet "$ctr" "$rootfs/" / >/dev/null
    bh config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd /bin/sh "$ctr"
    bh commit --quiet --rm "$ctr" "$BASE_IMAGE" >/dev/null
    rm -rf "$rootfs"
    printf '%s' "$stamp" >"$WORK/base.stamp"
    say "stand-in base $BASE_IMAGE: debootstrapped $SUITE in $(elapsed "$start")"
}

build_image() {
    local start=$SECONDS secret=()
    [[ -r $CA ]] && secret=(--secret "id=ca,src=$CA")
    bh bud --isolation chroot --layers --format docker --pull-never --build-arg "BASE=$BASE_IMAGE" \
        "${secret[@]}" -t "$IMAGE" -f "$REPO/Dockerfile" "$REPO" >"$WORK/build.log" 2>&1 ||
        { tail -n 40 "$WORK/build.log" >&2; die "the Dockerfile did not build (log: $WORK/build.log)"; }
    bh rmi --prune >/dev/null 2>&1 || true # layers of earlier builds no image uses any more
    say "built $IMAGE from Dockerfile in $(elapsed "$start")"
}

# --- running the image: mounted, entered with chroot, the image's own environment and entrypoint ---
CTR="" MNT="" WS="" PLANTED_SHA=""
cleanup() {
    set +e
    if [[ -n $MNT ]]; then
        umount "$MNT/github/workspace" "$MNT/proc" "$MNT/dev" 2>/dev/null
    fi
    [[ -n $CTR ]] && bh rm "$CTR" >/dev/null 2>&1
    [[ -n $WS ]] && rm -rf "$WS"
}

open_container() {
    CTR="$(bh from --pull-never "$IMAGE")"
    MNT="$(bh mount "$CTR")"
    mkdir -p "$MNT/github/workspace" "$MNT/dev" "$MNT/proc"
    mount --bind /dev "$MNT/dev" # buildah run's /dev is read-only: git and subprocess.DEVNULL fail there
    mount -t proc proc "$MNT/proc"
    mount --bind "$WS" "$MNT/github/workspace"
    mapfile -t IMAGE_ENV < <(bh inspect --type image --format '{{range .OCIv1.Config.Env}}{{println .}}{{end}}' "$IMAGE" | sed '/^$/d')
    mapfile -t ENTRYPOINT < <(bh inspect --type image --format '{{range .OCIv1.Config.Entrypoint}}{{println .}}{{end}}' "$IMAGE" | sed '/^$/d')
    [[ ${ENTRYPOINT[*]} == "mergeguard action" ]] || die "ENTRYPOINT is '${ENTRYPOINT[*]}', expected mergeguard action"
}

# in_image [NAME=VALUE ...] -- COMMAND...: runs in the image, cwd /github/workspace, no network.
in_image() {
    local vars=()
    while [[ $1 != -- ]]; do vars+=("$1"); shift; done
    shift
    unshare --net chroot "$MNT" /usr/bin/env -i --chdir=/github/workspace "${IMAGE_ENV[@]}" \
        HOME=/github/home GITHUB_WORKSPACE=/github/workspace "${vars[@]}" "$@"
}

# --- the test workspaces: a git repository each, owned by another uid like the runner's checkout ---
make_workspaces() {
    WS="$(mktemp -d "$WORK/ws.XXXXXX")"
    mkdir -p "$WS/planted" "$WS/clean"
    cat >"$WS/planted/Dockerfile" <<'EOF'
FROM python:3.11-slim
COPY app.py /app/app.py
CMD ["python3", "/app/app.py"]
EOF
    cat >"$WS/planted/app.py" <<'EOF'
"""Lists a directory the caller names."""

import subprocess
import sys


def listing(path: str) -> int:
    return subprocess.call(f"ls -l {path}", shell=True)


if __name__ == "__main__":
    sys.exit(listing(sys.argv[1]))
EOF
    cat >"$WS/clean/Dockerfile" <<'EOF'
FROM python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7
RUN useradd --system --no-create-home --uid 10001 app
COPY app.py /app/app.py
USER 10001
HEALTHCHECK CMD ["python3", "-c", "print('ok')"]
CMD ["python3", "/app/app.py"]
EOF
    cat >"$WS/clean/app.py" <<'EOF'
"""Prints the sizes of the files the caller names."""

import sys
from pathlib import Path


def sizes(paths: list[str]) -> list[int]:
    return [Path(p).stat().st_size for p in paths]


if __name__ == "__main__":
    print(sizes(sys.argv[1:]))
EOF
    local repo
    for repo in "$WS/planted" "$WS/clean"; do
        git -C "$repo" init --quiet
        git -C "$repo" add -A
        git -C "$repo" -c user.name=ci -c user.email=ci@invalid commit --quiet -m "test workspace"
    done
    PLANTED_SHA="$(git -C "$WS/planted" rev-parse HEAD)"
    chown -R 1001:1001 "$WS"
}

# --- the checks ---
check_scanners() {
    local out name version path lockname locked count=0
    # git is no scanner, but without it mergeguard would take the workspace for a plain directory.
    out="$(in_image -- git --version)" || die "git is not in the image"
    say "$out"
    out="$(in_image -- mergeguard scanners)" || { printf '%s\n' "$out" >&2; die "mergeguard scanners: a scanner is missing"; }
    printf '%s\n' "$out" >&2
    while read -r name version path; do
        case $name in trivy-*) lockname=trivy ;; *) lockname=$name ;; esac
        if [[ $name == compose-check ]]; then
            # mergeguard's own check, run by the image's Python: its version is mergeguard's.
            locked="$(awk -F'"' '/^version = / {print $2; exit}' "$REPO/pyproject.toml")"
        else
            locked="$(awk -v n="$lockname" '$1 == n {print $3}' "$REPO/scanners.lock")"
        fi
        [[ -n $locked ]] || die "scanner $name is not in scanners.lock"
        [[ $version =~ ^[0-9]+\.[0-9]+ && $locked == "$version"* ]] ||
            die "scanner $name reports version '$version', scanners.lock pins $locked"
        [[ $path == /opt/mergeguard/* ]] || die "scanner $name found at $path, not in the image's /opt/mergeguard"
        count=$((count + 1))
    done <<<"$out"
    ((count >= 7)) || die "mergeguard scanners listed $count scanners, expected 7 or more"
    say "every scanner ($count) reports the version scanners.lock pins"
}

# expect_scan DIR STATUS [TOOL:RULE...]: scans DIR in the image; expects the exit status, every scanner
# that applies to a Dockerfile and Python to have run (none failed, none skipped but as not applicable),
# and exactly these problems blocking (a merged finding counts under each tool that reported it).
expect_scan() {
    local dir=$1 want=$2 status=0
    shift 2
    in_image -- mergeguard scan --all-files --json "/github/workspace/$dir.json" "/github/workspace/$dir" \
        >"$WORK/scan-$dir.log" 2>&1 || status=$?
    [[ $status -eq $want ]] || { cat "$WORK/scan-$dir.log" >&2; die "scan of $dir exited $status, expected $want"; }
    python3 - "$WS/$dir.json" "$@" <<'EOF' || { cat "$WORK/scan-$dir.log" >&2; die "scan of $dir: report not as expected"; }
import json
import sys

report = json.load(open(sys.argv[1], encoding="utf-8"))
expected = set(sys.argv[2:])
# A scanner may be skipped only as not applicable (no file of its kinds here); never failed.
not_run = sorted(
    f"{s['name']} ({s['status']}: {s['reason']})"
    for s in report["scanners"]
    if s["status"] != "ok"
    and not (s["status"] == "skipped" and s["reason"].startswith(("no files of kind", "no images given")))
)
ran = sum(s["status"] == "ok" for s in report["scanners"])
blocking = [f for f in report["findings"] if f["blocking"]]
names = [{f"{f['tool']}:{f['rule_id']}"} | {f"{a['tool']}:{a['rule_id']}" for a in f["also"]} for f in blocking]
unexpected = [sorted(n) for n in names if not n & expected]
missing = sorted(e for e in expected if not any(e in n for n in names))
print(f"  {sys.argv[1].rsplit('/', 1)[-1]}: verdict {report['verdict']}, {ran} scanners ran,"
      f" blocking {sorted(min(n) for n in names)}", file=sys.stderr)
problems = [f"scanners that did not run: {not_run}"] if not_run else []
problems += [f"only {ran} scanners ran, expected 7 on a Dockerfile and Python"] if ran < 7 else []
problems += [f"missing blocking {missing}"] if missing else []
problems += [f"unexpected blocking {unexpected}"] if unexpected else []
sys.exit("; ".join(problems) if problems else 0)
EOF
}

check_scans() {
    expect_scan planted 1 bandit:B602 trivy-config:DS-0002
    expect_scan clean 0
    say "scans in the image give the expected verdicts (planted: fail, clean: pass)"
}

# ============================================================================================
# THE `mergeguard action` RUN: the one place where the image's ENTRYPOINT is run as GitHub would.
# Inputs arrive as INPUT_<NAME> with hyphens kept, plus GITHUB_* and an event file. No token: the
# comment, upload and check run are not asked for (a push); verdict, reports, summary, outputs and
# annotations must all be there.
check_action() {
    local event="$WS/event.json" status=0
    cat >"$event" <<EOF
{"ref": "refs/heads/main", "before": "0000000000000000000000000000000000000000", "after": "$PLANTED_SHA",
 "repository": {"full_name": "octo/planted", "default_branch": "main"}}
EOF
    : >"$WS/step_summary.md"
    : >"$WS/output.txt"
    chown 1001:1001 "$event" "$WS/step_summary.md" "$WS/output.txt"
    local action_env=(
        INPUT_GITHUB-TOKEN= INPUT_FAIL-ON=high INPUT_SCANNERS= INPUT_CONFIG= INPUT_BASELINE= INPUT_IMAGES=
        INPUT_SCOPE=all INPUT_COMMENT=false INPUT_UPLOAD-SARIF=false INPUT_SARIF-FILE=mergeguard.sarif
        INPUT_JSON-FILE=mergeguard.json INPUT_CHECK-NAME= INPUT_ANNOTATIONS=true INPUT_WORKING-DIRECTORY=planted
        GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push GITHUB_EVENT_PATH=/github/workspace/event.json
        GITHUB_REPOSITORY=octo/planted GITHUB_SHA="$PLANTED_SHA" GITHUB_REF=refs/heads/main
        GITHUB_SERVER_URL=https://github.com GITHUB_API_URL=https://api.github.com
        GITHUB_STEP_SUMMARY=/github/workspace/step_summary.md GITHUB_OUTPUT=/github/workspace/output.txt
    )
    in_image "${action_env[@]}" -- "${ENTRYPOINT[@]}" >"$WORK/action.log" 2>&1 || status=$?
    [[ $status -eq 1 ]] || action_failed "exited $status, expected 1 (the planted workspace fails)"
    grep -q '^::error file=.*B602' "$WORK/action.log" || action_failed "no error annotation for shell=True"
    ! grep -q 'Traceback' "$WORK/action.log" || action_failed "a traceback"
    [[ $(tail -n 1 "$WORK/action.log") == "mergeguard: FAIL: "* ]] || action_failed "no verdict on the last line"
    grep -q 'mergeguard: failed' "$WS/step_summary.md" || action_failed "no job summary"
    grep -A1 '^verdict<<' "$WS/output.txt" | grep -qx fail || action_failed "no verdict output"
    [[ -s $WS/mergeguard.sarif && -s $WS/mergeguard.json ]] || action_failed "the reports were not written"
    say "mergeguard action (the ENTRYPOINT): verdict, annotations, summary, outputs and reports as expected"
}

action_failed() {
    cat "$WORK/action.log" >&2
    die "mergeguard action: $*"
}
# ============================================================================================

main() {
    local start=$SECONDS
    trap cleanup EXIT
    preflight
    standin_base
    build_image
    make_workspaces
    open_container
    check_scanners
    check_scans
    check_action
    say "passed in $(elapsed "$start")"
}

main "$@"
