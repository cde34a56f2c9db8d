"""simvz as others install it: a wheel built from this tree, installed with its
``conformance`` extra into a fresh virtualenv outside the repository, runs the thread's
conformance scenarios from an unrelated directory, with the features, the thread corpus
and the step plugin (``simvz_steps``) all coming from the installed package."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOT_SOURCE = (".git", ".venv", "build", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis")


def _run(cmd: list[str | Path], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(list(map(str, cmd)), cwd=cwd, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, f"{cmd}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.mark.slow
def test_the_wheel_runs_the_conformance_outside_the_repository(tmp_path: Path) -> None:
    """Slow (about 15 s): builds a wheel, installs it and its dependencies from
    the package index into a new virtualenv (pip's cache makes repeats quick), and runs
    the whole conformance there; nothing less shows the package is complete."""
    # built from a copy: setuptools would reuse (and leave) a build/ in the tree, whose
    # files from an earlier build could hide one the package no longer ships
    tree = tmp_path / "tree"
    shutil.copytree(REPO, tree, symlinks=True, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", wheels, tree], tmp_path)
    (wheel,) = wheels.glob("simvz-*.whl")
    venv = tmp_path / "venv"
    # without a pip of its own (this one installs into it): seeding one costs seconds
    _run([sys.executable, "-m", "venv", "--without-pip", venv], tmp_path)
    _run([sys.executable, "-m", "pip", "--python", venv / "bin/python", "install", "-q",
          "--disable-pip-version-check", f"{wheel}[conformance]"], tmp_path)  # fmt: skip
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    probe = "import simvz, simvz_steps; print(simvz.__file__); print(simvz_steps.__file__)"
    where = _run([venv / "bin/python", "-c", probe], work, env)
    assert all(line.startswith(str(venv)) for line in where.split()), where
    # the nodes it makes get the native client of the tool server (its C source shipped)
    _run([venv / "bin/simvz", "init", work / "node"], work, env)
    assert (work / "node/usr/sbin/vzctl").read_bytes().startswith(b"\x7fELF")
    out = _run([venv / "bin/simvz", "conformance", "--json", work / "m.json"], work, env)
    assert "OpenVZ domain XML conformance (July 2008 thread and 1 feature beyond the thread)" in out
    matrix = json.loads((work / "m.json").read_text())
    results = {r["result"] for r in matrix["scenarios"]}
    assert len(matrix["scenarios"]) >= 35 and results <= {"honoured", "not honoured"}, results
    # the catalogue from the installed steps, examples from the installed features
    steps = _run([venv / "bin/simvz", "steps"], work, env)
    assert "the domain is defined" in steps
