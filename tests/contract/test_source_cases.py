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

from simvz.harness.nodes import Snapshot, fresh_node
from simvz.host import Host
from tests.contract.replay import run_case, runs

CASES_FILE = Path(__file__).resolve().parents[2] / "corpus" / "vzctl-4.11.1" / "source-cases.jsonl"
CASES = [json.loads(line) for line in CASES_FILE.read_text().splitlines() if line.strip()]
FIELDS = {"case", "setup", "argv", "exit", "stdout", "stderr", "source", "kernel"}


class Prepared:
    """The node of each (setup, kernel) made once, by the commands the setup names, and
    copied for every case (a create and a start per case were a third of the replay)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._made: dict[tuple[str, str], Snapshot] = {}

    def node(self, root: Path, case: dict[str, Any]) -> Host:
        kernel = {"kernel": case["kernel"]} if "kernel" in case else {}
        if case["setup"] == "none":
            return fresh_node(root, **kernel)
        key = (case["setup"], case.get("kernel", ""))
        if key not in self._made:
            made = self.directory / f"{len(self._made)}-{case['setup']}"
            _set_up(fresh_node(made, **kernel), case["setup"])
            self._made[key] = Snapshot.of(made)
        self._made[key].copy_to(root)
        return Host(root)


def _set_up(host: Host, setup: str) -> None:
    extra = ["--config", "basic"] if setup == "basic" else []
    r = host.run("vzctl", ["vzctl", "create", "101", "--ostemplate", "centos-6-x86", *extra])
    assert r.exit == 0, r
    if setup == "running":
        assert host.run("vzctl", ["vzctl", "start", "101"]).exit == 0


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    return Prepared(tmp_path_factory.mktemp("prepared"))


def _snapshot(host: Host) -> tuple[str | None, list[str]]:
    return host.fs.read("/etc/vz/conf/101.conf"), sorted(host.fs.listdir("/etc/vz/names"))


def test_cases_are_well_formed() -> None:
    names = [c["case"] for c in CASES]
    assert len(names) == len(set(names))
    for c in CASES:
        assert set(c) <= FIELDS and c["source"] and c["setup"] in ("none", "stopped", "basic", "running"), c


@pytest.mark.parametrize(("case", "path"), runs(CASES, "vzctl"))  # paths: docs/fastpath.md
def test_source_case(
    case: dict[str, Any], path: str, tmp_path: Path, tool_server: Path, prepared: Prepared
) -> None:
    host = prepared.node(tmp_path / "node", case)
    before = _snapshot(host)
    r = run_case(host, "vzctl", case["argv"], path, tool_server)
    assert (r.exit, r.out, r.err) == (case["exit"], case["stdout"], case["stderr"]), case["source"]
    if case["exit"] != 0:
        assert _snapshot(host) == before
