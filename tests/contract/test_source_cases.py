"""Contract cases read off vzctl 4.11.1's source where no recording exists
(corpus/vzctl-4.11.1/source-cases.jsonl: argv, exit code, exact stdout and stderr, and
the source location each is derived from), replayed on a fresh simulated node. The
recordings (test_vzctl_transcripts.py) win wherever both speak.

Setups: ``none`` (an empty node), ``stopped`` (CT 101 created from centos-6-x86 with the
default vswap sample), ``basic`` (CT 101 from the ve-basic sample), ``running`` (CT 101
started); ``kernel`` picks the kernel persona. A refused command leaves CT 101's config
and the name links as they were.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from simvz.harness.nodes import fresh_node
from simvz.host import Host
from tests.contract.replay import run_case, runs

CASES_FILE = Path(__file__).resolve().parents[2] / "corpus" / "vzctl-4.11.1" / "source-cases.jsonl"
CASES = [json.loads(line) for line in CASES_FILE.read_text().splitlines() if line.strip()]
FIELDS = {"case", "setup", "argv", "exit", "stdout", "stderr", "source", "kernel"}


def _node(root: Path, case: dict[str, Any]) -> Host:
    host = fresh_node(root, **({"kernel": case["kernel"]} if "kernel" in case else {}))
    if case["setup"] == "none":
        return host
    extra = ["--config", "basic"] if case["setup"] == "basic" else []
    r = host.run("vzctl", ["vzctl", "create", "101", "--ostemplate", "centos-6-x86", *extra])
    assert r.exit == 0, r
    if case["setup"] == "running":
        assert host.run("vzctl", ["vzctl", "start", "101"]).exit == 0
    return host


def _snapshot(host: Host) -> tuple[str | None, list[str]]:
    return host.fs.read("/etc/vz/conf/101.conf"), sorted(host.fs.listdir("/etc/vz/names"))


def test_cases_are_well_formed() -> None:
    names = [c["case"] for c in CASES]
    assert len(names) == len(set(names))
    for c in CASES:
        assert set(c) <= FIELDS and c["source"] and c["setup"] in ("none", "stopped", "basic", "running"), c


@pytest.mark.parametrize(("case", "path"), runs(CASES, "vzctl"))  # paths: docs/fastpath.md
def test_source_case(case: dict[str, Any], path: str, tmp_path: Path, tool_server: Path) -> None:
    host = _node(tmp_path / "node", case)
    before = _snapshot(host)
    r = run_case(host, "vzctl", case["argv"], path, tool_server)
    assert (r.exit, r.out, r.err) == (case["exit"], case["stdout"], case["stderr"]), case["source"]
    if case["exit"] != 0:
        assert _snapshot(host) == before
