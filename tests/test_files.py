"""Report files: an ordinary file's permissions, symlinks and descriptors written through, no half file."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mergeguard.core.errors import UsageError
from mergeguard.core.files import write_atomic


@pytest.fixture
def umask() -> Iterator[None]:
    """Restores the process umask a test sets."""
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask")
@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_report_gets_the_mode_the_umask_gives(tmp_path: Path, mask: int, expected: int) -> None:
    os.umask(mask)
    target = tmp_path / "deep" / "report.json"

    write_atomic(target, "{}\n")

    assert target.read_text() == "{}\n"
    assert mode(target) == expected
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]  # no temporary file left


@pytest.mark.usefixtures("umask")
def test_a_replaced_report_keeps_its_own_mode(tmp_path: Path) -> None:
    os.umask(0o022)
    target = tmp_path / "baseline.yml"
    target.write_text("old\n")
    target.chmod(0o640)

    write_atomic(target, "new\n")

    assert target.read_text() == "new\n"
    assert mode(target) == 0o640


def test_a_symlink_is_written_through_and_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "reports" / "real.sarif"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "out.sarif"
    link.symlink_to("reports/real.sarif")
    dangling = tmp_path / "new.sarif"
    dangling.symlink_to("reports/created.sarif")

    write_atomic(link, "new")
    write_atomic(dangling, "made")

    assert link.is_symlink() and real.read_text() == "new"
    assert dangling.is_symlink() and (tmp_path / "reports" / "created.sarif").read_text() == "made"


def test_a_dev_fd_pipe_is_written_through(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    try:
        write_atomic(Path(f"/dev/fd/{write_end}"), '{"findings": []}\n')
    finally:
        os.close(write_end)
    with os.fdopen(read_end) as pipe:
        assert pipe.read() == '{"findings": []}\n'
    assert list(tmp_path.iterdir()) == []


def test_a_fifo_is_written_through_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()

    write_atomic(fifo, "through the pipe\n")
    reader.join(timeout=10)

    assert received == ["through the pipe\n"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_process_substitution_gets_the_report() -> None:
    """`--json >(cat)` as a shell passes it: the path is /dev/fd/N, the reader a child process."""
    code = (
        "import sys; from pathlib import Path; from mergeguard.core.files import write_atomic; "
        "write_atomic(Path(sys.argv[1]), 'via /dev/fd\\n')"
    )
    script = f'exec {sys.executable} -c "{code}" >(cat) ; wait'
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "via /dev/fd\n"


def test_a_directory_or_an_unwritable_place_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    with pytest.raises(UsageError, match=r"^cannot write .*dir: Is a directory$"):
        write_atomic(tmp_path / "dir", "x")
    (tmp_path / "file").write_text("")
    with pytest.raises(UsageError, match=r"^cannot write .*: Not a directory$"):
        write_atomic(tmp_path / "file" / "below.json", "x")


def test_a_lone_surrogate_does_not_stop_the_report(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    write_atomic(target, "name: caf\udce9.py\n")
    assert target.read_text() == "name: caf\\udce9.py\n"


@pytest.mark.parametrize("through", [False, True], ids=["replaced", "written-through"])
def test_bytes_are_written_as_they_are(tmp_path: Path, through: bool) -> None:
    """A report rendered as bytes (JSON, SARIF) lands byte for byte, in a new file or through a pipe."""
    data = b'{"path": "caf\\u00e9.py"}\n\xff'
    if not through:
        write_atomic(tmp_path / "report.json", data)
        assert (tmp_path / "report.json").read_bytes() == data
        return
    read_end, write_end = os.pipe()
    try:
        write_atomic(Path(f"/dev/fd/{write_end}"), data)
    finally:
        os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        assert pipe.read() == data
