"""Times mergeguard on big generated inputs: a 100,000-entry baseline, 200,000 exclude globs, ...

Usage: .venv/bin/python benchmarks/bench_big.py [--repeat N] [--only NAME[,NAME]] [--profile NAME]

Every input is generated in a temporary directory (nothing is committed) and each figure is printed
in seconds, the median of N runs (one run for the slow detect-secrets figure), with the median CPU
seconds beside it (steadier than wall time when other jobs share the machine). `--profile NAME`
runs that figure once under cProfile and prints the 25 most expensive functions instead.
The goals are the "Big results" table of docs/performance.md; run it on an idle machine.
"""

from __future__ import annotations

import argparse
import compileall
import cProfile
import json
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mergeguard.cli import main as cli
from mergeguard.core import baseline, config, gcpause, globs, policy
from mergeguard.core.changes import ChangeSet, Mode, collect
from mergeguard.core.errors import ConfigError
from mergeguard.core.model import Finding, Kind, Location, Severity
from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.scan import fingerprints
from mergeguard.scan.registry import REGISTRY

LINE = "the quick brown fox jumps over the lazy dog, again and again and again 0123456789\n"
FILES = 1_000  # source files the generated findings point into
LINES = 120  # lines per generated source file


def make_sources(root: Path) -> None:
    """FILES Python files of LINES lines each, the files the generated reports name."""
    for i in range(FILES):
        path = root / "src" / f"pkg{i % 20}" / f"mod{i}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"value_{n} = call({i}, {n})  # line {n}\n" for n in range(LINES)))


def source_path(n: int) -> str:
    return f"src/pkg{n % FILES % 20}/mod{n % FILES}.py"


def bench_baseline(tmp: Path) -> Callable[[], object]:
    """100,000 findings, all accepted in a 100,000-entry baseline: load it and decide."""
    make_sources(tmp)
    findings = [
        Finding(
            "bandit", f"B{600 + n % 40}", Severity.HIGH, "title", "message",
            Location(source_path(n), 1 + n % LINES), Kind.CODE, evidence=f"evidence {n}",
        )
        for n in range(100_000)
    ]  # fmt: skip
    findings = fingerprints.assign(findings, tmp)
    path = tmp / baseline.BASELINE_FILE
    baseline.save(path, baseline.accept(findings, "accepted: legacy code", "bench", None))
    outcome = ScanOutcome("bandit", Status.OK, tuple(findings))
    changes = ChangeSet(tmp, Mode.ALL, ())

    def run() -> object:
        entries = baseline.load(path)
        decision = policy.decide(findings, [outcome], changes, config.Config(), baseline=entries)
        assert sum(a.status is policy.FindingStatus.ACCEPTED for a in decision.assessed) == 100_000
        return decision

    return run


def exclude_config(tmp: Path, count: int) -> Path:
    """2,000 files, and a config of `count` exclude globs of every shape, three of which match."""
    for i in range(2_000):
        path = tmp / f"dir{i % 50}" / f"file{i}.{('py', 'txt', 'tmp', 'js')[i % 4]}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"x = {i}\n")
    shapes = (
        "vendor/lib{i}/mod{i}.py",  # a literal path
        "name{i}.lock",  # a literal name at any depth
        "*.ext{i}",  # a suffix
        "gen{i}/**",  # a directory
        "**/build{i}/*.o",  # anything else: one regex
        "dir{j}/file{i}.t?p",
    )
    globs = [shapes[i % len(shapes)].format(i=i, j=i % 50) for i in range(count - 3)]
    globs += ["*.tmp", "dir7/**", "file9.js"]
    cfg = tmp / "mergeguard.yml"
    cfg.write_text("exclude:\n" + "".join(f"  - '{g}'\n" for g in globs))
    return cfg


def bench_exclude(tmp: Path) -> Callable[[], object]:
    """A config of 200,000 exclude globs: refused, naming the limit."""
    cfg = exclude_config(tmp, 200_000)

    def run() -> object:
        try:
            config.load(cfg, REGISTRY.keys())
        except ConfigError as exc:
            assert "at most 10,000" in str(exc), exc
            return exc
        raise AssertionError("200,000 globs were read")

    return run


def bench_exclude_limit(tmp: Path) -> Callable[[], object]:
    """A config of 10,000 exclude globs (the limit) of every shape, read and applied to 2,000 files."""
    cfg = exclude_config(tmp, 10_000)

    def run() -> object:
        settings = config.load(cfg, REGISTRY.keys())
        changes = collect(tmp, None, settings.exclude)
        assert changes.excluded and changes.files, "the globs must exclude some files and keep others"
        globs.compile_globs.cache_clear()  # each run compiles them afresh
        return changes

    return run


def sarif_log(results: int = 100_000) -> dict[str, object]:
    rules = [{"id": f"R{r}", "shortDescription": {"text": f"rule {r}"}} for r in range(50)]
    return {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "bigtool", "rules": rules}},
                "results": [
                    {
                        "ruleId": f"R{n % 50}",
                        "level": ("error", "warning", "note")[n % 3],
                        "message": {"text": f"problem {n} in this line"},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": source_path(n)},
                                    "region": {"startLine": 1 + n % LINES},
                                }
                            }
                        ],
                    }
                    for n in range(results)
                ],
            }
        ],
    }


def trivy(vulns: int = 100_000) -> dict[str, object]:
    def vuln(n: int) -> dict[str, object]:
        return {
            "VulnerabilityID": f"CVE-2020-{n:05d}",
            "PkgName": f"pkg{n % 5000}",
            "InstalledVersion": f"1.{n % 7}.0",
            "FixedVersion": "" if n % 5 == 0 else f"1.{n % 7}.1",
            "Status": "affected" if n % 5 == 0 else "fixed",
            "Severity": ("LOW", "MEDIUM", "HIGH", "CRITICAL")[n % 4],
            "Title": f"package {n % 5000}: a problem",
            "Description": "A long description of the problem. " * 5,
            "CweIDs": ["CWE-79"],
            "PrimaryURL": f"https://avd.aquasec.com/nvd/cve-2020-{n:05d}",
        }

    per = vulns // 10
    results = [
        {"Target": "example.com/app:1 (debian 12.5)", "Class": "os-pkgs", "Type": "debian",
         "Vulnerabilities": [vuln(n) for n in range(i * per, (i + 1) * per)]}
        for i in range(10)
    ]  # fmt: skip
    return {"SchemaVersion": 2, "ArtifactName": "example.com/app:1", "ArtifactType": "container_image",
            "Results": results}  # fmt: skip


def bench_convert(tmp: Path, tool: str, *, every_format: bool = True) -> Callable[[], object]:
    """`mergeguard convert` of the generated report, as a user runs it: to JSON, SARIF and Markdown
    files, or (`every_format=False`, the command's default) to SARIF on standard output."""
    make_sources(tmp)
    report = sarif_log() if tool == "sarif" else trivy()
    source = tmp / f"report.{tool}.json"
    source.write_text(json.dumps(report))
    exe = str(Path(sys.executable).parent / "mergeguard")
    outputs = (
        "--json",
        str(tmp / "out.json"),
        "--sarif",
        str(tmp / "out.sarif"),
        "--markdown",
        str(tmp / "out.md"),
    )
    argv = ["convert", "--tool", tool, str(source), "--root", str(tmp), *(outputs if every_format else ())]

    def run() -> object:
        with (tmp / "stdout.sarif").open("w") as out:
            done = subprocess.run([exe, *argv], stdout=out, stderr=subprocess.PIPE, text=True, check=False)
        assert done.returncode == 0, done.stderr
        return done

    run.in_process = lambda: cli.main(argv)  # type: ignore[attr-defined]
    return run


def bench_secrets(tmp: Path) -> Callable[[], object]:
    """`mergeguard scan` with detect-secrets of a directory holding one 50 MB text file."""
    big = tmp / "big.txt"
    with big.open("w") as out:
        out.write(LINE * (50 * 1024 * 1024 // len(LINE)))
    (tmp / "small.py").write_text('password = "hunter2-but-longer-Xy9"\n')  # pragma: allowlist secret
    exe = str(Path(sys.executable).parent / "mergeguard")
    argv = [exe, "scan", str(tmp), "--all-files", "--scanners", "detect-secrets", "--timeout", "300"]

    def run() -> object:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        assert "big.txt" in done.stdout, "the skipped file must be listed\n" + done.stdout + done.stderr
        return done

    return run


def throughput() -> str:
    """detect-secrets' own time for 1 MB of the 50 MB file's text (the size limit is chosen from it)."""
    exe = str(Path(sys.executable).parent / "detect-secrets")
    with tempfile.TemporaryDirectory() as name:
        path = Path(name) / "one-mb.txt"
        path.write_text(LINE * (1024 * 1024 // len(LINE)))
        started = time.perf_counter()
        subprocess.run([exe, "scan", "--no-verify", path.name], cwd=name, capture_output=True, check=False)
        return f"{time.perf_counter() - started:.2f}s for 1 MB (limit: 2 MB per file)"


BENCHES: dict[str, tuple[str, float, Callable[[Path], Callable[[], object]]]] = {
    "baseline": ("baseline with 100,000 entries, loaded and matched", 1.0, bench_baseline),
    "exclude": ("exclude list of 200,000 globs (refused: more than 10,000)", 1.0, bench_exclude),
    "exclude-limit": ("exclude list of 10,000 globs, applied to 2,000 files", 1.0, bench_exclude_limit),
    "sarif": (
        "convert of a SARIF log with 100,000 results to JSON, SARIF and Markdown", 3.0,
        lambda t: bench_convert(t, "sarif"),
    ),
    "trivy": (
        "convert of a Trivy report, 100,000 vulnerabilities, to the three", 3.0,
        lambda t: bench_convert(t, "trivy"),
    ),
    "sarif-stdout": (
        "convert of the SARIF log to SARIF on standard output (the default)", 3.0,
        lambda t: bench_convert(t, "sarif", every_format=False),
    ),
    "trivy-stdout": (
        "convert of the Trivy report to SARIF on standard output (the default)", 3.0,
        lambda t: bench_convert(t, "trivy", every_format=False),
    ),
    "secrets": ("scan (detect-secrets) of a directory with one 50 MB text file: listed", 10.0, bench_secrets),
}  # fmt: skip


def measure(run: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    """Wall and CPU times of `run` (CPU: this process and its children, steadier on a shared
    machine); in-process runs pause the cyclic GC, as the `mergeguard` command does."""
    walls, cpus = [], []
    for _ in range(repeat):
        with gcpause.paused():
            cpu, started = _cpu(), time.perf_counter()
            run()
            walls.append(time.perf_counter() - started)
            cpus.append(_cpu() - cpu)
    return walls, cpus


def _cpu() -> float:
    """User and system seconds of this process and of its waited-for children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", help="comma-separated names: " + ", ".join(BENCHES))
    parser.add_argument("--profile", choices=sorted(BENCHES), help="profile one figure (in-process)")
    parser.add_argument("--sort", choices=("cumulative", "tottime"), default="cumulative")
    args = parser.parse_args()
    names = [args.profile] if args.profile else (args.only.split(",") if args.only else list(BENCHES))
    # Every module's bytecode up to date, as an install has it: with PYTHONDONTWRITEBYTECODE set (or a
    # source tree edited since it last ran) each run would compile the edited modules again first.
    compileall.compile_dir(Path(cli.__file__).parents[1], quiet=1)
    over = 0
    for name in names:
        title, goal, make = BENCHES[name]
        with tempfile.TemporaryDirectory(prefix=f"mergeguard-bench-{name}-") as tmp:
            run = make(Path(tmp))
            if args.profile:
                profiler = cProfile.Profile()
                with gcpause.paused():
                    profiler.runcall(getattr(run, "in_process", run))
                pstats.Stats(profiler).sort_stats(args.sort).print_stats(45)
                return 0
            samples, cpus = measure(run, 1 if name == "secrets" else args.repeat)
        median = statistics.median(samples)
        over += median > goal
        verdict = "ok" if median <= goal else "OVER GOAL"
        runs = ", ".join(f"{s:.2f}" for s in samples)
        cpu = statistics.median(cpus)
        print(
            f"{title}: {median:.2f}s (median of [{runs}], CPU {cpu:.2f}s; goal <= {goal:g}s: {verdict})",
            flush=True,
        )
    if "secrets" in names:
        print(f"detect-secrets throughput: {throughput()}")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
