"""A Debian 12.0 image as `debootstrap --variant=minbase bookworm` leaves it, plus `apt-get install curl`.

Only what Trivy reads to find Debian packages is written: `/etc/os-release`, `/etc/debian_version`
and `/var/lib/dpkg/status` (the stanzas trimmed to the fields Trivy reads, and to a few of minbase's
packages). The versions are those Debian 12.0 shipped (bookworm, 10 June 2023); the advisories in
`tests/trivydb.py` were fixed after it. The second layer is what the Dockerfile's RUN line made: apt
rewrote the whole status file, adding curl and libcurl4, so Trivy tells their layer apart from the
base image's by where each package first appears.
"""

from __future__ import annotations

from tests.imagebuild import Image, Layer

DOCKERFILE = """# syntax=docker/dockerfile:1
FROM debian:bookworm-slim
LABEL org.opencontainers.image.title=api

RUN apt-get update \\
    && apt-get install -y --no-install-recommends curl
USER nobody
"""
FROM, APT_GET = 2, 5
# (package, version, source package when it differs, section)
MINBASE = (
    ("base-files", "12.4", "", "admin"),
    ("bash", "5.2.15-2+b2", "bash (5.2.15-2)", "shells"),
    ("dpkg", "1.21.22", "", "admin"),
    ("libc-bin", "2.36-9", "glibc", "libs"),
    ("libc6", "2.36-9", "glibc", "libs"),
    ("perl-base", "5.36.0-7", "perl", "perl"),
    ("tar", "1.34+dfsg-1.2", "", "utils"),
    ("zlib1g", "1:1.2.13.dfsg-1", "zlib", "libs"),
)
CURL = (
    ("curl", "7.88.1-10", "", "web"),
    ("libcurl4", "7.88.1-10", "curl", "libs"),
)
OS_RELEASE = b"""PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
"""


def image(tag: str = "shop/api:1.0") -> Image:
    """The two layers with the history BuildKit writes; the base image's layer came from an ADD."""
    base = {
        "etc/os-release": OS_RELEASE,
        "etc/debian_version": b"12.0\n",
        "var/lib/dpkg/status": _status(MINBASE),
    }
    installed = {"var/lib/dpkg/status": _status(MINBASE + CURL)}
    apt_get = "apt-get update && apt-get install -y --no-install-recommends curl"
    return Image(
        layers=[
            Layer(base, "/bin/sh -c #(nop) ADD file:a1b2c3d4e5f6 in / "),
            Layer(installed, f"RUN /bin/sh -c {apt_get} # buildkit"),
        ],
        empty_history=[
            (1, 'CMD ["bash"]'),  # the base image's own last entry
            (2, "LABEL org.opencontainers.image.title=api"),
            (4, "USER nobody"),
        ],
        user="nobody",
        tag=tag,
    )


def _status(packages: tuple[tuple[str, str, str, str], ...]) -> bytes:
    stanzas = []
    for name, version, source, section in sorted(packages):
        fields = [f"Package: {name}", "Status: install ok installed", f"Section: {section}"]
        fields += ["Architecture: amd64", *([f"Source: {source}"] if source else []), f"Version: {version}"]
        stanzas.append("\n".join([*fields, f"Description: {name} (Debian 12.0)"]) + "\n")
    return "\n".join(stanzas).encode()
