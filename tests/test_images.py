"""Image specs, the Dockerfile convention, and reading Dockerfiles to find the instruction behind a layer."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mergeguard.core import dockerfile, dockerstages, imagehistory, shellcommands
from mergeguard.core.errors import UsageError
from mergeguard.vulns import anchors, images
from mergeguard.vulns.images import ImageKind, ImageSpec
from tests.imagebuild import Image, Layer, docker_archive, oci_layout


@pytest.mark.parametrize(
    ("text", "kind", "source", "repository"),
    [
        ("shop/api:1.2", ImageKind.DAEMON, "shop/api:1.2", "shop/api"),
        ("localhost:5000/shop/api", ImageKind.DAEMON, "localhost:5000/shop/api", "localhost:5000/shop/api"),
        (
            "ghcr.io/o/api@sha256:" + "a" * 64,
            ImageKind.DAEMON,
            "ghcr.io/o/api@sha256:" + "a" * 64,
            "ghcr.io/o/api",
        ),
        ("docker://ghcr.io/o/api:2", ImageKind.REGISTRY, "ghcr.io/o/api:2", "ghcr.io/o/api"),
        ("docker-daemon:api:dev", ImageKind.DAEMON, "api:dev", "api"),
    ],
)
def test_references(text: str, kind: ImageKind, source: str, repository: str, tmp_path: Path) -> None:
    spec = images.parse_spec(text, tmp_path)
    assert (spec.kind, spec.source, spec.repository, spec.dockerfile) == (kind, source, repository, None)


def test_archives_and_layouts_are_told_apart_by_what_is_on_disk(tmp_path: Path) -> None:
    image = Image([Layer({"a": b"1"}, "COPY a / # buildkit")], tag="shop/worker:9")
    tar = docker_archive(image, tmp_path / "build.tar")
    layout = oci_layout(image, tmp_path / "payments")
    assert images.parse_spec(str(tar), tmp_path) == ImageSpec(str(tar.resolve()), ImageKind.ARCHIVE)
    assert images.parse_spec(f"oci:{layout}", tmp_path).kind is ImageKind.OCI
    assert images.parse_spec(str(tar), tmp_path).repository == "shop/worker"  # from the tarball's RepoTags
    assert images.parse_spec(str(layout), tmp_path).short_name == "payments"  # the layout's directory


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("docker-archive:missing.tar", "is not a file"),
        ("oci:.", "not an OCI image layout"),
        ("api:1=../outside/Dockerfile", "is not a file under"),
        ("api:1=nope/Dockerfile", "is not a file under"),
        ("=Dockerfile", "no image reference"),
    ],
)
def test_bad_specs_are_usage_errors_naming_the_spec(text: str, problem: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=problem) as error:
        images.parse_spec(text, tmp_path)
    assert repr(text) in str(error.value)


def test_an_explicit_pairing_wins_over_the_convention(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "api.Dockerfile").write_text("FROM scratch\n")
    specs = images.parse_specs(
        ["shop/api:1=deploy/api.Dockerfile, worker:2\nshop/api:1=deploy/api.Dockerfile"], tmp_path
    )
    assert [s.source for s in specs] == ["shop/api:1", "worker:2"]  # split on commas and lines, once each
    matched = images.with_dockerfiles(specs, ["api/Dockerfile", "worker/Dockerfile"])
    assert [s.dockerfile for s in matched] == ["deploy/api.Dockerfile", "worker/Dockerfile"]


@pytest.mark.parametrize(
    ("image", "dockerfiles", "expected"),
    [
        ("shop/api:1.2", ["api/Dockerfile", "web/Dockerfile"], "api/Dockerfile"),
        ("shop/api:1.2", ["services/api/Dockerfile", "Dockerfile"], "services/api/Dockerfile"),
        ("shop/api:1.2", ["docker/api.Dockerfile", "docker/web.Dockerfile"], "docker/api.Dockerfile"),
        ("shop/api:1.2", ["Dockerfile.api", "Dockerfile.web"], "Dockerfile.api"),
        ("anything:1", ["Dockerfile"], "Dockerfile"),  # the only Dockerfile
        ("shop/api:1.2", ["api/Dockerfile", "old/api/Dockerfile"], None),  # ambiguous: no guess
        ("shop/api:1.2", ["web/Dockerfile", "db/Dockerfile"], None),
    ],
)
def test_the_convention(image: str, dockerfiles: list[str], expected: str | None, tmp_path: Path) -> None:
    assert images.match(images.parse_spec(image, tmp_path), dockerfiles) == expected


def test_dockerfiles_are_the_tracked_ones_in_a_work_tree(tmp_path: Path) -> None:
    for path in ("api/Dockerfile", "web/Containerfile", "untracked/Dockerfile", "README.md"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("FROM scratch\n")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "add", "api", "web", "README.md"], check=True)
    assert images.repository_dockerfiles(tmp_path) == ["api/Dockerfile", "web/Containerfile"]


DOCKERFILE = """# syntax=docker/dockerfile:1
FROM python:3.12-slim AS build
RUN pip wheel -r requirements.txt

FROM python:3.12-slim
# a comment
RUN --mount=type=cache,target=/root/.cache \\
    pip install \\
      # inside a continuation
      -r requirements.txt
COPY --from=build /wheels /wheels
COPY . .
COPY . .
RUN ["pip", "install", "gunicorn==20.0.0"]
"""


def test_instructions_keep_their_first_line_and_join_continuations() -> None:
    parsed = dockerfile.parse(DOCKERFILE)
    assert [(i.keyword, i.line) for i in parsed] == [
        ("FROM", 2),
        ("RUN", 3),
        ("FROM", 5),
        ("RUN", 7),
        ("COPY", 11),
        ("COPY", 12),
        ("COPY", 13),
        ("RUN", 14),
    ]
    assert dockerfile.from_line(parsed) == 5
    assert dockerfile.run_command(parsed[3]) == "pip install -r requirements.txt"


@pytest.mark.parametrize(
    ("created_by", "occurrence", "line"),
    [
        ("RUN /bin/sh -c pip install -r requirements.txt # buildkit", 0, 7),  # not the build stage's
        ("|1 X=y /bin/sh -c pip install    -r requirements.txt", 0, 7),  # classic, with a build arg
        ("COPY /wheels /wheels # buildkit", 0, 11),
        ("/bin/sh -c #(nop) COPY dir:0a1b2c in /wheels ", 0, 11),  # the classic builder's words
        ("COPY . . # buildkit", 0, 13),  # the last such layer is the last such instruction
        ("COPY . . # buildkit", 1, 12),
        ("COPY . . # buildkit", 2, None),  # a third one came from the base image
        ("RUN pip install gunicorn==20.0.0 # buildkit", 0, 14),  # exec form
        ("/bin/sh -c #(nop) ADD file:abc in / ", 0, None),  # the base image's root file system
        ("RUN /bin/sh -c apt-get update # buildkit", 0, None),
    ],
)
def test_the_instruction_that_made_a_layer(created_by: str, occurrence: int, line: int | None) -> None:
    stage = dockerfile.final_stage(dockerfile.parse(DOCKERFILE))
    assert imagehistory.layer_instruction(created_by, stage, occurrence) == line


def test_an_escape_directive_changes_the_continuation_character() -> None:
    parsed = dockerfile.parse("# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir `\n  c:\\\nCOPY a b\n")
    assert [(i.keyword, i.line, i.args) for i in parsed][1:] == [("RUN", 3, "dir  c:\\"), ("COPY", 5, "a b")]
    # Parser directives head the file in any order; the first other line (a comment) ends them.
    after_syntax = dockerfile.parse("# syntax=docker/dockerfile:1\n# escape=`\nFROM x\nRUN a `\n  b\n")
    assert [(i.keyword, i.args) for i in after_syntax] == [("FROM", "x"), ("RUN", "a  b")]
    too_late = dockerfile.parse("# a comment\n# escape=`\nFROM x\nRUN a `\n  b\n")
    assert [(i.keyword, i.args) for i in too_late] == [("FROM", "x"), ("RUN", "a `"), ("B", "")]


HEREDOCS = (
    "FROM python:3.12-slim AS build\n"
    "RUN pip install build\n"
    "FROM python:3.12-slim\n"
    "COPY <<EOF /app/main.py\n"
    "from flask import Flask\n"
    "run app\n"
    "EOF\n"
    "RUN <<EOT bash\n"
    "set -eux\n"
    "pip install --no-cache-dir flask==3.0.3 requests\n"
    "EOT\n"
    "USER 10001\n"
)


def test_heredoc_bodies_belong_to_their_instruction() -> None:
    """A body line is no instruction (`from flask import Flask` starts no stage); a RUN's body is what
    it runs, so the package it installs is found on its line."""
    parsed = dockerfile.parse(HEREDOCS)
    assert [(i.keyword, i.line) for i in parsed] == [
        ("FROM", 1), ("RUN", 2), ("FROM", 3), ("COPY", 4), ("RUN", 8), ("USER", 12),
    ]  # fmt: skip
    assert dockerfile.from_line(parsed) == 3
    copy, run = parsed[3], parsed[4]
    assert copy.words == ["<<EOF", "/app/main.py"] and copy.body == "from flask import Flask\nrun app\nEOF\n"
    assert "requests" in run.text and "requests" not in run.args
    anchor = anchors.Anchor("Dockerfile", tuple(parsed))
    assert anchors._install_line("requests", anchor) == 8


DIGEST = "@sha256:" + "9c" * 32


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("FROM alpine:3.20\n", 1, None),
        ("FROM alpine\n", 1, 1),
        ("FROM alpine:latest\n", 1, 1),
        ("FROM registry:5000/team/app\n", 1, 1),  # a port is no tag
        ("FROM registry:5000/team/app:1.2\n", 1, None),
        (f"FROM alpine{DIGEST}\n", 1, None),
        (f"ARG BASE=python:3.11-slim{DIGEST}\nFROM ${{BASE}} AS build\nFROM build\n", 2, None),
        ('ARG BASE="python:3.11"\nFROM $BASE\n', 2, None),  # quoted, and without braces
        ("ARG REG=docker.io\nARG BASE=${REG}/alpine:3.20\nFROM ${BASE}\n", 3, None),  # an arg in an arg
        ("ARG BASE\nFROM ${BASE}\n", 2, 2),  # no default: the build supplies it
        ("FROM ${NOWHERE}\n", 1, 1),  # never declared
        ("FROM ${BASE:-alpine:3.20}\n", 1, None),
        ("ARG TAG=3.20\nFROM alpine:${TAG}\n", 2, None),
        ("ARG SUFFIX\nFROM alpine${SUFFIX:+:$SUFFIX}\n", 2, 2),
        ("FROM alpine:3.20\nARG BASE=alpine:3.20\nFROM ${BASE}\n", 1, 3),  # an ARG after FROM: not for FROMs
        ("ARG B=alpine:3.20\nFROM ${B} AS one\nFROM one\nFROM scratch\nFROM debian\n", 2, 5),  # moves on
        ("FROM --platform=$BUILDPLATFORM golang:1.23 AS build\nFROM BUILD\n", 1, None),  # any case
        ("FROM alpine\nRUN true\n", 2, 2),  # no FROM on that line: left where it is
    ],
)
def test_the_first_unpinned_base_with_the_build_args_read(text: str, line: int, expected: int | None) -> None:
    assert dockerstages.unpinned_from(dockerfile.parse(text), line) == expected


@pytest.mark.parametrize(
    ("run", "runs_sudo"),
    [
        (
            "RUN apt-get update && apt-get install -y --no-install-recommends sudo && rm -rf /var/lib/apt",
            False,
        ),
        ("RUN apk add sudo", False),
        ("RUN echo sudo", False),
        ("RUN useradd -G sudo bob", False),
        ('RUN echo "**** Add sudo user ****" && useradd bob', False),
        ("RUN bash -lc 'apt-get update && sudo ls'", True),
        ('RUN eval "sudo ls"', True),
        ("RUN <<EOF\napt-get install -y sudo\nEOF", False),
        ("RUN sudo apt-get update", True),
        ("RUN apt-get update && sudo apt-get install x", True),
        ("RUN sh -c 'sudo ls'", True),  # inside a string a shell runs
        ("RUN X=1 sudo ls", True),
        ("RUN env A=b sudo ls", True),
        ("RUN timeout 5 sudo ls", True),
        ("RUN /usr/bin/sudo ls", True),
        ("RUN ls | xargs sudo rm", True),
        ('RUN ["sudo", "ls"]', True),
        ("RUN if true; then sudo ls; fi", True),
        ("RUN <<EOF\napt-get install sudo\nsudo ls\nEOF", True),
        ("RUN echo 'unclosed", True),  # a shell it cannot read: assumed to run it
    ],
)
def test_whether_a_run_runs_a_command(run: str, runs_sudo: bool) -> None:
    [ins] = [i for i in dockerfile.parse(f"FROM alpine:3.20\n{run}\n") if i.keyword == "RUN"]
    assert shellcommands.runs(ins, "sudo") is runs_sudo


def test_the_shell_of_a_stage_through_stages() -> None:
    text = (
        "ARG TAG\nFROM mcr.microsoft.com/windows/servercore:$TAG AS win\n"
        'SHELL ["C:\\\\Program Files\\\\PowerShell\\\\pwsh.EXE", "-Command"]\nRUN a\n'
        "FROM win AS test\nRUN b\nFROM debian:12\nRUN c\nSHELL not-json\nRUN d\n"
    )
    parsed = dockerfile.parse(text)
    assert [dockerstages.stage_shell(parsed, line) for line in (2, 4, 6, 8, 10)] == [
        None,
        "pwsh",
        "pwsh",
        None,
        None,
    ]


def test_the_base_of_a_stage_through_stages_and_build_args() -> None:
    text = (
        "ARG WIN=mcr.microsoft.com/windows/servercore:ltsc2019\nARG OTHER\n"
        "FROM ${WIN} AS build\nRUN a\nFROM build AS test\nRUN b\n"
        "FROM debian:12 AS linux\nRUN c\nFROM ${OTHER}\nRUN d\n"
    )
    parsed = dockerfile.parse(text)
    bases = [dockerstages.stage_base(parsed, line) for line in (1, 4, 6, 8, 10)]
    win = "mcr.microsoft.com/windows/servercore:ltsc2019"
    assert bases == [None, win, win, "debian:12", None]
    assert [
        dockerstages.is_windows_image(b) for b in (win, "mcr.microsoft.com/dotnet/aspnet:8.0-nanoserver-1809")
    ] == [
        True,
        True,
    ]
    assert not dockerstages.is_windows_image("debian:12")
    paths = ("C:/app", "c:\\app", "\\\\srv\\share", "app", "/app")
    assert [dockerstages.is_windows_absolute(p) for p in paths] == [True, True, True, False, False]
