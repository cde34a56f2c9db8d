"""Replay a recorded vzctl/vzlist 4.11.1 run against a simulated host set up like the
recording host (corpus/vzctl-4.11.1/PROVENANCE.md)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from simvz.host import Host, Settings
from simvz.hostinit import install_tools, write_dists

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "vzctl-4.11.1" / "transcripts.jsonl"
DATA = Path(__file__).resolve().parents[2] / "simvz" / "data"


def cases() -> list[dict[str, Any]]:
    """Every recorded case."""
    return [json.loads(line) for line in CORPUS.read_text().splitlines() if line]


def recording_host(root: Path, case: dict[str, Any]) -> Host:
    """A node like the recording one: shipped configs, no template cache, no CT running."""
    conf = root / "etc/vz/conf"
    conf.mkdir(parents=True)
    (root / "etc/vz/names").mkdir()
    shutil.copy(DATA / "vz.conf", root / "etc/vz/vz.conf")
    for sample in (DATA / "conf").iterdir():
        shutil.copy(sample, conf / sample.name, follow_symlinks=True)
    for d in ("private", "root", "lock", "dump", "template/cache"):
        (root / "vz" / d).mkdir(parents=True, exist_ok=True)
    host = Host(root)
    write_dists(host)  # installed with vzctl on the recording host
    # The recording kernel had the vswap marker, except where the case removed it.
    vswap = "nonvswap" not in case["case"]
    host.save_settings(Settings(hwid=case.get("host_hwid", "00:00:00:00:00:00"), vswap=vswap))
    if case["mode"] == "fake-vz-kernel":
        (root / "proc/vz").mkdir(parents=True)
        with host.locked():
            host.commit()
    _arrange(root, case)
    return host


def _arrange(root: Path, case: dict[str, Any]) -> None:
    for rel, text in case["files_before"].items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text.encode("utf-8", "surrogateescape"))
    for rel in case["dirs_before"]:
        (root / rel).mkdir(parents=True, exist_ok=True)
    for rel, target in case["symlinks_before"].items():
        os.symlink(target, root / rel)
    if "no_ct0_conf" in case["case"]:
        (root / "etc/vz/conf/0.conf").unlink()
    if case["case"] == "create_existing_private":
        # dirs_* list only top-level entries; this private area held files.
        (root / "vz/private/101/etc").mkdir()


def observed(root: Path, case: dict[str, Any]) -> dict[str, Any]:
    """Files, symlinks and dirs after the run, in the transcript's terms."""
    files = {}
    for rel in set(case["files_before"]) | set(case["files_after"]):
        p = root / rel
        if p.exists():
            files[rel] = p.read_bytes().decode("utf-8", "surrogateescape")
    for p in sorted((root / "etc/vz/conf").glob("*.conf")):
        rel = str(p.relative_to(root))
        if rel not in files and rel != "etc/vz/conf/0.conf":
            files[rel] = p.read_text()
    links = {str(p.relative_to(root)): os.readlink(p) for p in (root / "etc/vz/names").iterdir()}
    dirs = sorted(
        str(p.relative_to(root))
        for d in ("private", "root", "lock", "dump")
        for p in (root / "vz" / d).iterdir()
    )
    return {"files": files, "symlinks": links, "dirs": dirs}


# How a case is run: in-process (Host.run), or as the node's executable through the
# tool server (fast) or the Python entry (fallback), docs/fastpath.md.
PATHS = ("in-process", "fast", "fallback")


def runs(cases: list[dict[str, Any]], tool: str) -> list[Any]:
    """``(case, path)`` parameters: every case in-process and through the tool server;
    through the fallback (slow: a Python start per call) the first case of each command
    and exit code. The fallback runs the same entry as the server's child, started
    another way: what it can change is how a command's answer reaches its caller
    (streams, interleaving, exit status), which one case per command and exit status
    shows; the content of every answer is the in-process and server runs'.
    tests/fastpath/test_fastpath.py compares the server and the fallback call for call."""
    out: list[Any] = []
    seen: set[tuple[str, str, int]] = set()
    for case in cases:
        out += [pytest.param(case, path, id=f"{case['case']}-{path}") for path in PATHS[:2]]
        words = [a for a in case["argv"][1:] if not a.startswith("-")]
        kind = (tool, words[0] if words else " ".join(case["argv"][1:2]), case["exit"])
        if kind not in seen:
            seen.add(kind)
            out.append(pytest.param(case, "fallback", id=f"{case['case']}-fallback", marks=pytest.mark.slow))
    return out


@dataclass
class Outcome:
    """exit, stdout, stderr and their interleaving on one terminal."""

    exit: int
    out: str
    err: str
    combined: str


def run_case(host: Host, tool: str, argv: list[str], path: str, sockdir: Path) -> Outcome:
    """Run ``argv`` on ``host`` the ``path`` way; through an executable, stdout and
    stderr share one pipe (the interleaving a terminal shows) and each stream's own
    bytes come from the journal, and the call must really have taken that path."""
    if path == "in-process":
        r = host.run(tool, argv)
        return Outcome(r.exit, r.out, r.err, r.combined.decode("utf-8", "surrogateescape"))
    install_tools(host, str(sockdir if path == "fast" else sockdir / "no-server"))
    proc = subprocess.Popen(
        [str(host.root / "usr/sbin" / tool), *argv[1:]],
        env={"SIMVZ_ARGV0": argv[0]},  # the name it was called by, as the shim passes it
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    combined, _ = proc.communicate()
    entry = host.journal()[-1]
    assert (entry["pid"] != proc.pid) == (path == "fast"), f"the call did not take the {path} path"
    out, err = (
        base64.b64decode(entry[k]).decode("utf-8", "surrogateescape") for k in ("stdout_b64", "stderr_b64")
    )
    return Outcome(proc.returncode, out, err, combined.decode("utf-8", "surrogateescape"))
