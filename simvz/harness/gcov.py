"""Line and branch coverage of libvirt's OpenVZ driver (``src/openvz/*.c``) over a run,
from a libvirt built with ``-Db_coverage=true`` (``simvz libvirt-build --coverage``).

gcov's counters live in the process and are written as ``.gcda`` files when it exits;
each :class:`~simvz.harness.libvirt_runner.Session` is its own process, so each test's
sessions write theirs under ``GCOV_PREFIX`` = ``<dir>/<test>/`` (:func:`prefix_for`),
which is how a scenario's reach is told from the others'. :func:`collect` hands each
test's data to gcovr (its gcov runs; no hand-written parser), merges the tracefiles, and
writes gcovr's HTML, the summary and ``coverage.json`` (which tests reach which driver
functions, and the functions none enters).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV = "SIMVZ_GCOV_DIR"
NODEID = ".nodeid"  # the test a directory of counters belongs to
DRIVER = "src/openvz/"


class CoverageError(Exception):
    """Coverage cannot be collected (no gcovr, no gcov data, gcovr failed)."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


def prefix_for(test: str | None, base: str | None = None) -> str | None:
    """The ``GCOV_PREFIX`` of a driver process started during ``test`` (pytest's
    ``PYTEST_CURRENT_TEST``), under ``$SIMVZ_GCOV_DIR``; None when coverage is off."""
    base = base if base is not None else os.environ.get(ENV)
    if not base:
        return None
    nodeid = (test or "outside-tests").rsplit(" (", 1)[0]
    return str(Path(base) / _slug(nodeid))


def _slug(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid)[:200]


@dataclass
class FileCoverage:
    """One driver source file's figures."""

    name: str
    lines: tuple[int, int]  # covered, total
    branches: tuple[int, int]
    never_entered: list[str] = field(default_factory=list)

    @staticmethod
    def percent(pair: tuple[int, int]) -> str:
        """``83.1% (512/616)``."""
        done, total = pair
        return f"{100.0 * done / total:.1f}% ({done}/{total})" if total else "-"


@dataclass
class Coverage:
    """A run's coverage of the driver."""

    files: list[FileCoverage]
    reach: dict[str, list[str]]  # test -> driver functions it entered
    html: Path
    json: Path
    unread: list[str] = field(default_factory=list)  # tests whose counters gcov could not read

    def summary(self) -> list[str]:
        """The lines printed at the end of a run."""
        out = [f"{'file':<28} {'lines':>20} {'branches':>20}"]
        for f in self.files:
            lines, branches = FileCoverage.percent(f.lines), FileCoverage.percent(f.branches)
            out.append(f"{f.name:<28} {lines:>20} {branches:>20}")
        for f in self.files:
            if f.never_entered:
                out.append(f"never entered in {f.name} ({len(f.never_entered)}):")
                out += _wrap(", ".join(f.never_entered))
        out += [f"not counted (gcov could not read the counters): {u}" for u in self.unread]
        out.append(f"HTML: {self.html}")
        out.append(f"JSON (functions each test reaches): {self.json}")
        return out


def _wrap(text: str) -> list[str]:
    import textwrap

    return textwrap.wrap(text, 100, initial_indent="  ", subsequent_indent="  ")


def gcovr() -> list[str]:
    """The gcovr command (this Python's, from simvz's test extras)."""
    beside = Path(sys.executable).with_name("gcovr")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("gcovr")
    if found is None:
        raise CoverageError("gcovr is not installed (pip install gcovr; it is in simvz[test])")
    return [found]


def collect(data: Path, build_root: Path, out: Path) -> Coverage:
    """Coverage of the driver from the ``.gcda`` files under ``data`` (one directory per
    test), for the build tree ``build_root``; reports go to ``out``."""
    source = _source_root(build_root)
    out.mkdir(parents=True, exist_ok=True)
    work = out / "work"
    shutil.rmtree(work, ignore_errors=True)
    (out / "tests").mkdir(exist_ok=True)
    dirs = sorted(p for p in data.iterdir() if p.is_dir())
    # one gcovr at a time: gcovr replaces the .gcov files it leaves beside the sources'
    # root, whose names two runs share
    done = [_trace(d, work / d.name, out, source, build_root.resolve()) for d in dirs]
    traces = {name: trace for name, trace, _ in done if trace is not None}
    unread = sorted(f"{name}: {why}" for name, _, why in done if why)
    if not traces:
        why = f"no gcov data of the OpenVZ driver under {data} (was the build made with --coverage?)"
        raise CoverageError(why)
    merged, html = out / "merged.json", out / "html" / "index.html"
    html.parent.mkdir(exist_ok=True)
    adds = [a for t in traces.values() for a in ("--add-tracefile", str(t))]
    _gcovr([*adds, "--root", str(source), "--json", str(merged), "--html-details", str(html)], source)
    files = _figures(json.loads(merged.read_text()))
    reach = {name: _entered(json.loads(t.read_text())) for name, t in traces.items()}
    report = out / "coverage.json"
    report.write_text(json.dumps({
        "files": [{"file": f.name, "lines": f.lines, "branches": f.branches,
                   "never_entered": f.never_entered} for f in files],
        "reach": reach,
    }, indent=1))  # fmt: skip
    return Coverage(files, reach, html, report, unread)


def _trace(
    test_dir: Path, mine: Path, out: Path, source: Path, build: Path
) -> tuple[str, Path | None, str]:
    """gcovr's tracefile of one test's counters (None when it never ran the driver, or
    with why it could not be read)."""
    # only the driver's objects (src/openvz/*.a.p/), each with the notes file of the
    # build beside its counts, in a tree of their own laid out as the build is
    # (MINE/build/src/openvz/...), so that the notes' ../src paths meet the link MINE/src
    # from MINE/build; GCOV_PREFIX put the counts under the build's absolute path
    for gcda in (g for g in test_dir.rglob("*.gcda") if g.parent.parent.name == "openvz"):
        built = Path("/") / gcda.relative_to(test_dir)
        if not built.is_relative_to(build):
            continue
        rel = Path("build") / built.relative_to(build)
        gcno = built.with_suffix(".gcno")
        if gcno.exists():
            (mine / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(gcda, mine / rel)
            shutil.copy2(gcno, (mine / rel).with_suffix(".gcno"))
    nodeid = test_dir / NODEID
    name = nodeid.read_text(encoding="utf-8") if nodeid.is_file() else test_dir.name
    if not mine.is_dir():
        return name, None, ""
    trace = out / "tests" / f"{test_dir.name}.json"
    # gcov resolves the notes' source paths (../src/openvz/...) from the directory it runs
    # in: a directory of this test's own, beside a link to the sources
    (mine / "cwd").mkdir(exist_ok=True)
    (mine / "src").symlink_to(source / "src")
    try:
        _gcovr(["--root", str(mine), "--filter", str(source / DRIVER), "--json", str(trace), str(mine)],
               mine / "cwd")  # fmt: skip
    except CoverageError as err:  # one test's counters unreadable: said, the rest still counted
        (out / "tests" / f"{test_dir.name}.error").write_text(f"{name}: {err}\n{err.detail}\n")
        return name, None, str(err)
    data = json.loads(trace.read_text())
    for f in data.get("files", []):  # named through the link: named as in the source tree
        f["file"] = DRIVER + Path(str(f["file"])).name
    trace.write_text(json.dumps(data))
    return name, trace, ""


def _source_root(build_root: Path) -> Path:
    """The source tree of a meson build directory (its parent, as ``meson setup build``)."""
    for candidate in (build_root.parent, build_root):
        if (candidate / "src" / "openvz").is_dir():
            return candidate
    raise CoverageError(f"{build_root}: no src/openvz beside it (give the build tree of a source tree)")


def _gcovr(args: list[str], cwd: Path) -> None:
    done = subprocess.run([*gcovr(), *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        raise CoverageError(f"gcovr failed (exit {done.returncode}): {last}", done.stderr)


def _driver_files(trace: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in trace.get("files", []) if str(f.get("file", "")).startswith(DRIVER)]


def _figures(trace: dict[str, Any]) -> list[FileCoverage]:
    out = []
    for f in sorted(_driver_files(trace), key=lambda f: str(f["file"])):
        lines = [ln for ln in f.get("lines", []) if not ln.get("gcovr/noncode")]
        branches = [b for ln in lines for b in ln.get("branches", [])]
        never = sorted({_name(fn) for fn in f.get("functions", []) if not fn.get("execution_count")})
        out.append(FileCoverage(
            str(f["file"]),
            (sum(1 for ln in lines if ln.get("count", 0) > 0), len(lines)),
            (sum(1 for b in branches if b.get("count", 0) > 0), len(branches)),
            never,
        ))  # fmt: skip
    return out


def _name(fn: dict[str, Any]) -> str:
    return str(fn.get("demangled_name") or fn.get("name") or "?")


def _entered(trace: dict[str, Any]) -> list[str]:
    return sorted({_name(fn) for f in _driver_files(trace) for fn in f.get("functions", [])
                   if fn.get("execution_count")})  # fmt: skip
