# mergeguard as a GitHub Docker action: mergeguard plus every scanner of scanners.lock.
#
# The base is an ARG so a build without a registry can substitute a local stand-in
# (ci/image-check.sh does: a debootstrapped Debian with python3 3.11). Its default is
# python:3.11-slim pinned by digest. The digest was taken from public Dockerfiles that pin it
# (the same value in three unrelated repositories, one of them through AWS's public mirror of the
# official images); it could not be resolved against Docker Hub from the machine that wrote this.
# To move it: `docker buildx imagetools inspect python:3.11-slim` and copy the index digest.
ARG BASE=python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7
FROM ${BASE} AS build

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# Every dependency from a hash lock (locks/*.txt, made from scanners.lock and pyproject.toml by
# `make locks`): mergeguard's own into /opt/mergeguard, each scanner into its own venv under
# /opt/mergeguard/scanners, linked into /opt/mergeguard/bin (tools/install_scanners.py; binaries
# shipped in wheels are also checked against scanners.lock's sha256). Wheels only, every file
# checked against the lock: nothing resolves anew and no source distribution runs at build time.
# This layer changes only when a lock or the installer does. The CA secret is for builds behind a
# TLS-intercepting proxy (`--secret id=ca,src=…`); without it nothing is mounted.
COPY scanners.lock /opt/mergeguard-build/scanners.lock
COPY locks /opt/mergeguard-build/locks
COPY tools/install_scanners.py /opt/mergeguard-build/
RUN --mount=type=secret,id=ca,target=/etc/ssl/certs/ca-certificates.crt,required=false \
    python3 -m venv /opt/mergeguard \
 && /opt/mergeguard/bin/python -m pip install --quiet --no-compile \
      --require-hashes --no-deps --only-binary :all: -r /opt/mergeguard-build/locks/mergeguard.txt \
 && python3 /opt/mergeguard-build/install_scanners.py /opt/mergeguard \
      --lock /opt/mergeguard-build/scanners.lock --locks /opt/mergeguard-build/locks

# mergeguard itself (built with the locked setuptools, no download), then every venv slimmed
# (tools/slim_env.py: no pip/setuptools where unneeded, no tests, headers or stale caches, byte-code
# compiled once, identical files hard-linked): only the result goes to the image below.
COPY tools/slim_env.py /opt/mergeguard-build/
COPY pyproject.toml README.md /opt/mergeguard-src/
COPY src /opt/mergeguard-src/src
RUN /opt/mergeguard/bin/python -m pip install --quiet --no-compile --no-deps --no-build-isolation /opt/mergeguard-src \
 && python3 /opt/mergeguard-build/slim_env.py /opt/mergeguard --locks /opt/mergeguard-build/locks

FROM ${BASE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/mergeguard/bin:$PATH

# git: mergeguard reads the change from git and Gitleaks reads history. Not pinned to a Debian
# version: the archive drops superseded versions, so an exact pin breaks the build at the next
# security update; the digest above already fixes the Debian release it comes from. No docs, man
# pages or translations; no perl: git's perl scripts (send-email, svn, instaweb) are never run here
# and perl is half of git's weight (the commands mergeguard and Gitleaks run are built in).
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# hadolint ignore=DL3008
RUN printf '%s\n' 'path-exclude=/usr/share/doc/*' 'path-exclude=/usr/share/man/*' \
      'path-exclude=/usr/share/locale/*' 'path-exclude=/usr/share/info/*' >/etc/dpkg/dpkg.cfg.d/mergeguard-nodoc \
 && apt-get update \
 && apt-get install -y --no-install-recommends git \
 && dpkg-query -W -f '${Package}\n' 'perl-modules-*' 'libperl5*' \
      | xargs dpkg --purge --force-depends perl liberror-perl \
 && git --version \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*

COPY --from=build /opt/mergeguard /opt/mergeguard
# Checkov's HCL parser builds its grammar on first use (about a second) and caches it in /tmp: built
# here once, it is in every container's /tmp.
RUN mergeguard --version \
 && /opt/mergeguard/scanners/checkov/bin/python -c "import hcl2.parser" \
 && ls /tmp/.lark_cache_*

# A one-shot action has no service to probe.
HEALTHCHECK NONE

# No USER: GitHub runs Docker actions as the image's default user and mounts the workspace owned
# by the runner's uid; a non-root user could not write reports there. The "runs as root" finding is
# accepted, with this reason, in .mergeguard-baseline.yml.
ENTRYPOINT ["mergeguard", "action"]
