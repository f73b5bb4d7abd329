"""The writer registry: every format renders a real result, files are written once, paths stay contained."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest

from mergeguard.cli import main as cli
from mergeguard.cli import parser
from mergeguard.core.config import Config
from mergeguard.core.errors import UsageError
from mergeguard.report import markdown, writers
from mergeguard.scan import imported, pipeline

REPO = Path(__file__).resolve().parents[2]
BANDIT = REPO / "tests" / "fixtures" / "reports" / "bandit" / "v1.9.4-flask-app.json"
SCHEMA = json.loads((REPO / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())


@pytest.fixture(scope="module")
def result() -> pipeline.ScanResult:
    """A real Bandit report of a Flask app, converted: findings of several severities."""
    report = pipeline.ImportedReport("bandit", str(BANDIT), imported.read_report(str(BANDIT)))
    return pipeline.convert(report, REPO, Config())


def test_every_format_renders_the_result(result: pipeline.ScanResult) -> None:
    texts = {name: writers.render(name, result) for name in writers.WRITERS}
    assert set(texts) >= {"sarif", "json", "markdown"}
    jsonschema.validate(json.loads(texts["sarif"]), SCHEMA)
    assert len(json.loads(texts["json"])["findings"]) == len(result.decision.assessed) > 0
    assert texts["markdown"] == markdown.render_summary(result)


def test_files_are_written_from_one_rendering_and_the_texts_returned(
    result: pipeline.ScanResult, tmp_path: Path
) -> None:
    outputs = [
        writers.Output("sarif", str(tmp_path / "a.sarif"), "--sarif"),
        writers.Output("json", str(tmp_path / "out" / "r.json"), "--json"),
    ]
    context = writers.RenderContext(sections={"shard": {"index": 1}})
    texts = writers.write(result, writers.targets(outputs), context)
    assert (tmp_path / "a.sarif").read_bytes() == texts["sarif"]
    written = json.loads((tmp_path / "out" / "r.json").read_text())
    assert written["shard"] == {"index": 1} and written["verdict"] == result.decision.verdict.value
    assert "markdown" not in texts


def test_links_reach_the_markdown(result: pipeline.ScanResult) -> None:
    links = markdown.LinkContext(server_url="https://github.com", repository="acme/shop", head_sha="a" * 40)
    text = writers.render("markdown", result, writers.RenderContext(links=links))
    assert text == markdown.render_summary(result, links=links)


@pytest.mark.parametrize(
    ("name", "refusal"),
    [("../escaped.sarif", "outside"), (".git/config", ".git directory"), ("", "is not a path")],
)
def test_in_a_workspace_a_path_is_refused_naming_the_input(tmp_path: Path, name: str, refusal: str) -> None:
    workspace = tmp_path / "ws"
    (workspace / ".git").mkdir(parents=True)
    output = writers.Output("sarif", name, "input sarif-file")
    with pytest.raises(UsageError, match=r"^input sarif-file: ") as caught:
        writers.targets([output], workspace)
    assert refusal in str(caught.value)


def test_an_unknown_format_is_refused(result: pipeline.ScanResult, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown report format 'junit'"):
        writers.targets([writers.Output("junit", str(tmp_path / "r.xml"), "--junit")])
    with pytest.raises(UsageError, match="not one of sarif, json, markdown"):
        writers.render("junit", result)


@pytest.mark.parametrize(
    "command", [["scan"], ["merge", "x.json"], ["convert", "--tool", "bandit", "-"], ["precommit"]]
)
def test_the_cli_offers_a_flag_per_registered_format(command: list[str]) -> None:
    """A new format needs no CLI edit: `scan`, `merge`, `convert` and `precommit` take `--FORMAT FILE`."""
    flags = [arg for name in writers.WRITERS for arg in (f"--{name}", f"{name}.out")]
    args = parser.build().parse_args([*command, *flags])
    assert all(getattr(args, name.replace("-", "_")) == f"{name}.out" for name in writers.WRITERS)


def test_convert_writes_every_requested_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = {name: tmp_path / f"report.{name}" for name in writers.WRITERS}
    flags = [arg for name, path in paths.items() for arg in (f"--{name}", str(path))]
    assert cli.main(["convert", "--tool", "bandit", str(BANDIT), "--root", str(REPO), *flags]) == 0
    assert all(path.stat().st_size > 0 for path in paths.values())
    assert capsys.readouterr().out == ""  # no SARIF on stdout once a file is asked for


def test_a_format_is_written_while_the_next_one_renders(
    result: pipeline.ScanResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The JSON file is on disk before the Markdown (rendered after it) is done: the write ran beside it."""
    render = writers.render_bytes
    seen: list[bool] = []

    def markdown_waits_for_the_json(fmt: str, res: pipeline.ScanResult, context: object = None) -> bytes:
        if fmt == "markdown":
            deadline = time.monotonic() + 10
            while not (tmp_path / "r.json").exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            seen.append((tmp_path / "r.json").exists())
        return render(fmt, res, None)

    monkeypatch.setattr(writers, "render_bytes", markdown_waits_for_the_json)
    outputs = [
        writers.Output("json", str(tmp_path / "r.json"), "--json"),
        writers.Output("markdown", str(tmp_path / "r.md"), "--markdown"),
    ]
    texts = writers.write(result, writers.targets(outputs))
    assert seen == [True]
    assert (tmp_path / "r.json").read_bytes() == texts["json"]
    assert (tmp_path / "r.md").read_bytes() == texts["markdown"]


def test_a_failed_write_is_raised_after_the_others_and_one_file_twice_is_the_later_format(
    result: pipeline.ScanResult, tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("not a directory")
    outputs = [
        writers.Output("json", str(tmp_path / "file" / "r.json"), "--json"),
        writers.Output("markdown", str(tmp_path / "r.md"), "--markdown"),
    ]
    with pytest.raises(UsageError, match=r"cannot write .*file/r\.json"):
        writers.write(result, writers.targets(outputs))
    assert (tmp_path / "r.md").read_text().startswith("#")  # still written
    both = [writers.Output(fmt, str(tmp_path / "same"), f"--{fmt}") for fmt in ("json", "markdown")]
    texts = writers.write(result, writers.targets(both))
    assert (tmp_path / "same").read_bytes() == texts["markdown"]
