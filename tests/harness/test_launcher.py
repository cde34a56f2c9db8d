"""Driver processes forked by a launcher that has libvirt loaded
(``simvz/harness/launcher.py``): each is what a freshly started driver process is."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from simvz.harness import launcher
from simvz.harness.launcher import LaunchedProcess
from simvz.harness.libvirt_build import LibvirtBuild
from simvz.harness.libvirt_runner import DriverCrash, DriverHung, Session, forkable
from simvz.host import Host
from tests.conftest import create_ct, make_host


def test_sessions_on_two_nodes_each_see_their_own(tmp_path: Path) -> None:
    """The launcher loaded libvirt once; each forked process still has its own node
    (the shim reads SIMVZ_ROOT from the environment the Session gave it)."""
    one, two = make_host(tmp_path / "one"), make_host(tmp_path / "two")
    assert create_ct(one, 101).exit == 0
    with Session(one) as a, Session(two) as b:
        assert isinstance(a._proc, LaunchedProcess) and isinstance(b._proc, LaunchedProcess)
        assert [d.name for d in a.call("listAllDomains")] == ["101"]
        assert b.call("listAllDomains") == []
        assert a._proc.pid != b._proc.pid
    assert any(e["argv"][-1] == "--help" for e in two.journal())


def test_a_launched_process_answers_as_a_started_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same library, version and answers with the launcher switched off."""
    host = make_host(tmp_path / "node")
    assert create_ct(host, 101).exit == 0

    def answers() -> tuple[object, ...]:
        with Session(host) as s:
            return (type(s._proc).__name__, s.library, s.version, s.call("getVersion"),
                    s.dom("101", "XMLDesc", 0), s.dom("101", "info"))  # fmt: skip

    forked = answers()
    monkeypatch.setenv(launcher.SWITCH, "off")
    started = answers()
    assert forked[0] == "LaunchedProcess" and started[0] == "Popen"
    assert forked[1:] == started[1:]


def test_a_crash_is_the_signal_of_the_forked_process(sim_host: Host) -> None:
    """The crash-trace handler is inherited from the launcher: the backtrace comes too."""
    with Session(sim_host) as s:
        assert isinstance(s._proc, LaunchedProcess)
        with pytest.raises(DriverCrash) as crash:
            s.crash_worker()
    assert crash.value.returncode == -signal.SIGSEGV
    assert "simvz-crashtrace: backtrace" in crash.value.stderr


def test_a_hung_forked_process_is_killed_with_its_session(sim_host: Host) -> None:
    """setsid in the child: the hang's kill takes its whole process group."""
    with Session(sim_host, timeout=0.5) as s:
        proc = s._proc
        assert isinstance(proc, LaunchedProcess)
        os.kill(proc.pid, signal.SIGSTOP)  # a driver that answers nothing
        with pytest.raises(DriverHung):
            s.call("listAllDomains")
        assert proc.wait(timeout=5) == -signal.SIGKILL


def test_closing_a_session_reports_a_clean_exit(sim_host: Host) -> None:
    s = Session(sim_host)
    proc = s._proc
    assert isinstance(proc, LaunchedProcess)
    assert proc.poll() is None
    s.close()
    assert proc.wait(timeout=5) == 0
    with pytest.raises(ProcessLookupError):
        os.kill(proc.pid, 0)  # reaped by the launcher, not a zombie


def test_only_builds_without_counters_or_sanitizers_are_forked(tmp_path: Path) -> None:
    """gcov writes its counters and the sanitizers their reports at a normal exit, which
    a forked child's ``os._exit`` skips: such builds start their own processes."""
    lib = tmp_path / "src"
    lib.mkdir()
    cases = {"plain": b"\x7fELF virConnectOpen", "gcov": b"\x7fELF /b/src/x.gcda",
             "asan": b"\x7fELF __asan_init", "ubsan": b"\x7fELF __ubsan_handle_add_overflow"}  # fmt: skip
    got = {}
    for name, data in cases.items():
        (lib / "libvirt.so.0").write_bytes(data)
        got[name] = forkable(LibvirtBuild.find(tmp_path))
    assert got == {"plain": True, "gcov": False, "asan": False, "ubsan": False}
