# mergeguard as a GitHub Docker action: mergeguard plus every scanner of scanners.lock.
#
# The base is an ARG so a build without a registry can substitute a local stand-in
# (ci/image-check.sh does: a debootstrapped Debian with python3 3.11). Its default is
# python:3.11-slim pinned by digest. The digest was taken from public Dockerfiles that pin it
# (the same value in three unrelated repositories, one of them through AWS's public mirror of the
# official images); it could not be resolved against Docker Hub from the machine that wrote this.
# To move it: `docker buildx imagetools inspect python:3.11-slim` and copy the index digest.
ARG BASE=python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7
# checkov:skip=CKV_DOCKER_7: the base is the ARG above, pinned by digest; Checkov does not read ARG defaults
FROM ${BASE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PATH=/opt/mergeguard/bin:$PATH

# git: mergeguard reads the change from git and Gitleaks reads history. Not pinned to a Debian
# version: the archive drops superseded versions, so an exact pin breaks the build at the next
# security update; the digest above already fixes the Debian release it comes from.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends git \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*

# Every scanner, each in its own venv under /opt/mergeguard/scanners, linked into /opt/mergeguard/bin,
# at the versions of scanners.lock; binaries shipped in wheels are checked against its sha256.
# This layer changes only when the lock or the installer does. pip leaves the scanners' venvs once
# they are installed (16 MB each), except pip-audit's, which asks pip for the installed packages.
# The CA secret is for builds behind a TLS-intercepting proxy (`--secret id=ca,src=…`); without it
# nothing is mounted.
COPY scanners.lock /opt/mergeguard-build/scanners.lock
COPY tools/install_scanners.py /opt/mergeguard-build/install_scanners.py
RUN --mount=type=secret,id=ca,target=/etc/ssl/certs/ca-certificates.crt,required=false \
    python3 -m venv /opt/mergeguard \
 && python3 /opt/mergeguard-build/install_scanners.py /opt/mergeguard --lock /opt/mergeguard-build/scanners.lock \
 && for env in /opt/mergeguard/scanners/*/; do \
      case "$env" in */pip-audit/) ;; *) "$env/bin/python" -m pip uninstall --quiet --yes pip ;; esac; \
    done \
 && rm -rf /opt/mergeguard-build /root/.cache

# mergeguard itself: the layer that changes most, so it comes last.
COPY pyproject.toml README.md /opt/mergeguard-src/
COPY src /opt/mergeguard-src/src
RUN --mount=type=secret,id=ca,target=/etc/ssl/certs/ca-certificates.crt,required=false \
    /opt/mergeguard/bin/python -m pip install --quiet /opt/mergeguard-src \
 && rm -rf /opt/mergeguard-src /root/.cache \
 && mergeguard --version

# A one-shot action has no service to probe.
HEALTHCHECK NONE

# No USER: GitHub runs Docker actions as the image's default user and mounts the workspace owned
# by the runner's uid; a non-root user could not write reports there. The "runs as root" finding is
# accepted, with this reason, in .mergeguard-baseline.yml.
ENTRYPOINT ["mergeguard", "action"]
