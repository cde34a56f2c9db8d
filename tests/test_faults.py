"""Arrange-only fault injection (simvz/faults.py): failing commands, broken templates, full disk."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from simvz import errors as E
from simvz import faults
from simvz.host import Host
from simvz.hostinit import init_host


@pytest.fixture
def host(tmp_path: Path) -> Host:
    return init_host(tmp_path / "node")


def test_no_fault_means_none(host: Host) -> None:
    assert faults.take(host, "vzctl", ["vzctl", "start", "101"]) is None
    assert faults.load(host) == []


def test_fault_fires_count_times_then_is_gone(host: Host) -> None:
    faults.add(host, "vzctl", ["start", "101"], 9, "Container already locked", count=2)
    for left in (1, 0):
        r = faults.take(host, "vzctl", ["vzctl", "start", "101"])
        assert r is not None
        assert (r.exit, r.stdout, r.stderr) == (9, b"", b"Container already locked\n")
        assert [f.count for f in faults.load(host)] == ([left] if left else [])
    assert faults.take(host, "vzctl", ["vzctl", "start", "101"]) is None


def test_every_word_must_be_an_argument(host: Host) -> None:
    faults.add(host, "vzctl", ["start", "101"], 3, "boom")
    assert faults.take(host, "vzctl", ["vzctl", "start", "102"]) is None
    assert faults.take(host, "vzctl", ["vzctl", "stop", "101"]) is None
    # words are whole arguments, not substrings: "1010" does not contain the word "101"
    assert faults.take(host, "vzctl", ["vzctl", "start", "1010"]) is None
    assert faults.take(host, "vzlist", ["vzlist", "start", "101"]) is None
    assert faults.take(host, "vzctl", ["vzctl", "--verbose", "start", "101", "--wait"]) is not None


def test_empty_words_match_any_run_of_the_tool(host: Host) -> None:
    faults.add(host, "vzlist", [], 1, "")
    r = faults.take(host, "vzlist", ["vzlist", "-a"])
    assert r is not None and (r.exit, r.stderr) == (1, b"")


def test_faults_fire_in_the_order_added(host: Host) -> None:
    faults.add(host, "vzctl", ["start"], 1, "first")
    faults.add(host, "vzctl", ["start"], 2, "second")
    codes = [faults.take(host, "vzctl", ["vzctl", "start", "1"]) for _ in range(2)]
    assert [r.exit for r in codes if r] == [1, 2]


def test_faults_are_seen_by_another_host_object(host: Host) -> None:
    faults.add(host, "vzctl", ["destroy"], 14, "x")
    assert faults.take(Host(host.root), "vzctl", ["vzctl", "destroy", "5"]) is not None


@pytest.mark.parametrize(("exit", "count"), [(0, 0), (1, -1), (256, 1), (-65, 1)])
def test_bad_fault_values_are_refused(host: Host, exit: int, count: int) -> None:
    with pytest.raises(ValueError):
        faults.add(host, "vzctl", [], exit, "", count=count)


def test_clear(host: Host) -> None:
    faults.add(host, "vzctl", [], 1, "")
    faults.clear(host)
    assert faults.load(host) == []


def test_host_run_returns_the_fault_and_journals_it(host: Host) -> None:
    faults.add(host, "vzctl", ["status", "101"], 9, "Locked by: pid 1, cmdline init")
    r = host.run("vzctl", ["vzctl", "status", "101"])
    assert (r.exit, r.stdout, r.stderr) == (9, b"", b"Locked by: pid 1, cmdline init\n")
    last = host.journal()[-1]
    assert (last["argv"], last["exit"]) == (["vzctl", "status", "101"], 9)
    # the fault is spent: the next run is the real one
    assert host.run("vzctl", ["vzctl", "status", "101"]).stdout == b"CTID 101 deleted unmounted down\n"


def test_failed_fault_leaves_config_untouched(host: Host) -> None:
    faults.add(host, "vzctl", ["create"], 46, "Not enough disk space")
    r = host.run("vzctl", ["vzctl", "create", "101", "--ostemplate", "centos-6-x86"])
    assert r.exit == 46
    assert not host.fs.exists("/etc/vz/conf/101.conf")


def _template_names(host: Host, name: str) -> list[str]:
    data = host.fs.real(f"/vz/template/cache/{name}.tar.gz").read_bytes()
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return tar.getnames()


def test_break_template_drops_sbin_init(host: Host) -> None:
    faults.break_template(host, "centos-6-x86")
    names = _template_names(host, "centos-6-x86")
    assert "./sbin/init" not in names and "./bin/sh" in names
    assert "./sbin/init" in _template_names(host, "centos-4-i386")


def test_broken_template_makes_start_fail_with_47(host: Host) -> None:
    """vps-create only untars (``KV:scripts/vps-create.in``); the missing /sbin/init is
    found out when the CT's init cannot be executed (``KV:src/lib/env.c``)."""
    faults.break_template(host, "centos-6-x86")
    r = host.run("vzctl", ["vzctl", "create", "101", "--ostemplate", "centos-6-x86"])
    assert r.exit == 0
    r = host.run("vzctl", ["vzctl", "start", "101"])
    assert r.exit == E.FS_BAD_TMPL
    assert "Unable to start init, probably incorrect template" in r.err


def test_break_unknown_template_is_refused(host: Host) -> None:
    with pytest.raises(ValueError):
        faults.break_template(host, "no-such-template")


def test_set_disk_free(host: Host) -> None:
    faults.set_disk_free(host, 1000)
    assert host.settings.disk_free_kb == 1000
    with pytest.raises(ValueError):
        faults.set_disk_free(host, -1)


def test_full_disk_makes_create_fail_with_46(host: Host) -> None:
    faults.set_disk_free(host, 1000)
    r = host.run("vzctl", ["vzctl", "create", "101", "--ostemplate", "centos-6-x86"])
    assert r.exit == E.FS_NO_DISK_SPACE
    assert not host.fs.exists("/vz/private/101")
