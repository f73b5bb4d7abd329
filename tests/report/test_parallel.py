"""Formats rendered side by side: the same texts as one after another, and only where forking is safe."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from mergeguard.core.config import Config
from mergeguard.core.errors import UsageError
from mergeguard.report import parallel, writers
from mergeguard.scan import pipeline


def big_result(root: Path, results: int) -> pipeline.ScanResult:
    """A generated SARIF log of `results` results over 50 rules and 40 files, converted."""
    rules = [{"id": f"R{r}", "shortDescription": {"text": f"rule {r}"}} for r in range(50)]
    found = [
        {
            "ruleId": f"R{n % 50}",
            "level": ("error", "warning", "note")[n % 3],
            "message": {"text": f"problem {n}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": f"src/m{n % 40}.py"}}}],
        }
        for n in range(results)
    ]  # fmt: skip
    log = {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "gen", "rules": rules}}, "results": found}],
    }
    report = pipeline.ImportedReport("sarif", "gen.sarif", json.dumps(log))
    return pipeline.convert(report, root, Config())


@pytest.fixture
def one_spare_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker is forked even on a one-core machine."""
    monkeypatch.setattr(parallel, "_spare_cores", lambda: 1)


@pytest.mark.usefixtures("one_spare_core")
def test_a_big_result_gives_the_same_files_rendered_side_by_side(tmp_path: Path) -> None:
    result = big_result(tmp_path, parallel.MIN_FINDINGS + 500)
    outputs = [writers.Output(fmt, str(tmp_path / f"out.{fmt}"), f"--{fmt}") for fmt in writers.WRITERS]
    texts = writers.write(result, writers.targets(outputs))
    alone = {fmt: writers.render_bytes(fmt, result) for fmt in writers.WRITERS}
    assert texts == alone
    assert {fmt: (tmp_path / f"out.{fmt}").read_bytes() for fmt in writers.WRITERS} == alone
    assert len(json.loads(texts["sarif"])["runs"][0]["results"]) == parallel.MIN_FINDINGS + 500


def _where(fmt: str) -> str:
    return f"{fmt} {os.getpid()}"


@pytest.mark.usefixtures("one_spare_core")
def test_formats_that_share_no_work_go_to_a_worker_only_when_big() -> None:
    formats = ["json", "sarif", "markdown"]
    texts = parallel.render_all(formats, ["sarif"], _where, parallel.MIN_FINDINGS)
    assert list(texts) == formats
    assert texts["json"] == texts["markdown"].replace("markdown", "json") == f"json {os.getpid()}"
    assert texts["sarif"] != f"sarif {os.getpid()}"  # rendered in another process
    small = parallel.render_all(formats, ["sarif"], _where, parallel.MIN_FINDINGS - 1)
    assert small["sarif"] == f"sarif {os.getpid()}"
    alone = parallel.render_all(["sarif"], ["sarif"], _where, parallel.MIN_FINDINGS)  # nothing to overlap
    assert alone["sarif"] == f"sarif {os.getpid()}"


@pytest.mark.usefixtures("one_spare_core")
def test_no_fork_while_another_thread_runs() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        texts = parallel.render_all(["json", "sarif"], ["sarif"], _where, parallel.MIN_FINDINGS)
    finally:
        stop.set()
        other.join()
    assert texts["sarif"] == f"sarif {os.getpid()}"


def _refuse(fmt: str) -> str:
    if fmt == "sarif":
        raise UsageError("sarif: cannot render")
    return fmt


@pytest.mark.usefixtures("one_spare_core")
def test_a_worker_failure_is_the_callers_failure() -> None:
    with pytest.raises(UsageError, match="sarif: cannot render"):
        parallel.render_all(["json", "sarif"], ["sarif"], _refuse, parallel.MIN_FINDINGS)


_PARENT = os.getpid()


def _killed_in_worker(fmt: str) -> str:
    if os.getpid() != _PARENT:
        os.kill(os.getpid(), signal.SIGKILL)  # what the kernel's OOM killer does
    return _where(fmt)


@pytest.mark.usefixtures("one_spare_core")
def test_a_worker_killed_leaves_the_format_to_this_process() -> None:
    texts = parallel.render_all(["json", "sarif"], ["sarif"], _killed_in_worker, parallel.MIN_FINDINGS)
    assert texts == {"json": f"json {_PARENT}", "sarif": f"sarif {_PARENT}"}


def _no_semaphores(*args: object, **kwargs: object) -> None:
    raise OSError(38, "Function not implemented")  # sem_open in a container without /dev/shm


def _no_fork() -> int:
    raise OSError(11, "Resource temporarily unavailable")  # fork at the process limit


@pytest.mark.usefixtures("one_spare_core")
@pytest.mark.parametrize(
    ("target", "name", "stand_in"),
    [(parallel, "ProcessPoolExecutor", _no_semaphores), (os, "fork", _no_fork)],
)
def test_no_worker_to_be_had_renders_everything_here(
    target: object, name: str, stand_in: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(target, name, stand_in)
    texts = parallel.render_all(["json", "sarif"], ["sarif"], _where, parallel.MIN_FINDINGS)
    assert texts == {"json": f"json {os.getpid()}", "sarif": f"sarif {os.getpid()}"}


def _mark(path: Path) -> None:
    path.write_text(str(os.getpid()))


@pytest.mark.usefixtures("one_spare_core")
def test_a_job_apart_runs_in_a_child_and_says_whether_it_ended_well(tmp_path: Path) -> None:
    done = tmp_path / "done"
    with parallel.apart(lambda: _mark(done), worth_it=True) as child:
        assert child.succeeded()
    assert done.read_text() != str(os.getpid())
    with parallel.apart(lambda: _mark(done), worth_it=False) as child:
        assert not child.succeeded()  # not worth a child: the block does the job itself


def _fail() -> None:
    raise UsageError("cannot")


@pytest.mark.usefixtures("one_spare_core")
def test_a_job_apart_that_fails_or_is_killed_did_not_succeed() -> None:
    with parallel.apart(_fail, worth_it=True) as child:
        assert not child.succeeded()
    with parallel.apart(lambda: os.kill(os.getpid(), signal.SIGKILL), worth_it=True) as child:
        assert not child.succeeded()


@pytest.mark.usefixtures("one_spare_core")
def test_leaving_the_block_by_an_error_ends_the_job(tmp_path: Path) -> None:
    done = tmp_path / "done"

    def slow() -> None:
        time.sleep(20)
        _mark(done)

    started = time.monotonic()
    with pytest.raises(UsageError), parallel.apart(slow, worth_it=True):
        raise UsageError("the report is not valid")
    assert time.monotonic() - started < 10
    assert not done.exists()


@pytest.mark.usefixtures("one_spare_core")
def test_no_child_while_another_thread_runs_or_when_fork_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with parallel.apart(lambda: None, worth_it=True) as child:
            assert not child.succeeded()
    finally:
        stop.set()
        other.join()
    monkeypatch.setattr(os, "fork", _no_fork)
    with parallel.apart(lambda: None, worth_it=True) as child:
        assert not child.succeeded()
