"""Concurrent ``vzctl set ... --save`` processes never lose an update.

Real vzctl serialises commands on one container with the per-CT lock file and fails the
loser with exit 9 (``Container already locked``, ``KV:src/lib/lock.c``);
a caller then retries, as libvirt's users do. Each config is rewritten through a temp
file and rename (``KV:src/lib/config.c:write_conf``), so whatever the interleaving, every
update must be in the file afterwards. The tools are the host's own executables, run
with an empty environment.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from simvz.host import Host
from simvz.syntax import vzconf
from tests.conftest import create_ct, make_host, vzctl

LOCKED = 9  # VZ_LOCKED (KV:include/vzerror.h)
MAX_ATTEMPTS = 50

# Fifty options of `vzctl set`, each writing a different single-valued config key
# (KV:src/vzctl-actions.c:set_opt; UBC list as in simvz/cli/setopts.py).
UBC = (
    *("kmemsize", "lockedpages", "privvmpages", "shmpages", "numproc", "physpages", "vmguarpages"),
    *("oomguarpages", "numtcpsock", "numflock", "numpty", "numsiginfo", "tcpsndbuf", "tcprcvbuf"),
    *("othersockbuf", "dgramrcvbuf", "numothersock", "numfile", "dcachesize", "numiptent"),
    *("avnumproc", "swappages"),
)
OTHERS = (
    ("--description", "concurrent update"),
    ("--hostname", "ct.example.com"),
    ("--onboot", "yes"),
    ("--bootorder", "7"),
    ("--cpuunits", "2500"),
    ("--cpulimit", "50%"),
    ("--cpus", "2"),
    ("--cpuweight", "3"),
    ("--quotatime", "600"),
    ("--quotaugidlimit", "100"),
    ("--diskspace", "3G:3.3G"),
    ("--diskinodes", "200000:220000"),
    ("--ioprio", "6"),
    ("--iolimit", "10M"),
    ("--iopslimit", "300"),
    ("--disabled", "no"),
    ("--ostemplate", "centos-4-i386"),
    ("--stop-timeout", "30"),
    ("--vm_overcommit", "1.5"),
    ("--netfilter", "full"),
    ("--meminfo", "pages:1000"),
    ("--cpumask", "0-1"),
    ("--mount_opts", "noatime"),
    ("--name", "concurrent"),
    ("--searchdomain", "example.com"),
    ("--nameserver", "192.0.2.1"),
    ("--ipadd", "10.1.0.1"),
    ("--features", "nfs:on"),
)
OPTIONS = tuple((f"--{u}", f"{1000 + i}:{2000 + i}") for i, u in enumerate(UBC)) + OTHERS


@pytest.fixture
def served(pytestconfig: pytest.Config) -> bool:
    """Whether the session's tool server runs the tools (``--tool-server``)."""
    return bool(pytestconfig.getoption("tool_server") == "on")


def test_fifty_distinct_options() -> None:
    """The table really holds 50 options naming 50 different config keys."""
    assert len(OPTIONS) == 50
    assert len({o for o, _v in OPTIONS}) == 50


def _keys(host: Host, veid: int) -> dict[str, str]:
    """KEY -> value of ``<veid>.conf`` as vzctl parses it (first assignment wins,
    ``KV:src/lib/config.c:vps_parse_config``)."""
    text = (host.root / f"etc/vz/conf/{veid}.conf").read_text()
    out: dict[str, str] = {}
    for e in vzconf.parse(text):
        if isinstance(e, vzconf.Entry):
            out.setdefault(e.key, e.value)
    return out


def _serial(tmp: Path, runs: list[tuple[int, str, str]]) -> dict[str, str]:
    """The same updates applied one after the other to one CT: the expected keys."""
    ref = make_host(tmp / "reference")
    create_ct(ref, 101)
    for _veid, opt, value in runs:
        r = vzctl(ref, "set", "101", opt, value, "--save")
        assert r.exit == 0, (opt, value, r.err)
    return _keys(ref, 101)


def _each_alone(tmp: Path, runs: list[tuple[int, str, str]]) -> dict[int, dict[str, str]]:
    """Each update applied alone to a freshly created config (created configs do not
    depend on the CT ID: VE_ROOT/VE_PRIVATE keep ``$VEID``, ``KV:src/lib/config.c:store_fs``)."""
    ref = make_host(tmp / "reference")
    create_ct(ref, 101)
    conf = ref.root / "etc/vz/conf/101.conf"
    fresh = conf.read_bytes()
    out = {}
    for veid, opt, value in runs:
        conf.write_bytes(fresh)
        for link in (ref.root / "etc/vz/names").iterdir():
            link.unlink()
        r = vzctl(ref, "set", "101", opt, value, "--save")
        assert r.exit == 0, (opt, value, r.err)
        out[veid] = _keys(ref, 101)
    return out


Outcome = tuple[tuple[int, str, str], int, bytes, bytes]  # run, exit, stdout, stderr


def _argv(host: Host, veid: int, opt: str, value: str) -> list[str]:
    return [str(host.root / "usr/sbin/vzctl"), "set", str(veid), opt, value, "--save"]


def _wave(host: Host, runs: list[tuple[int, str, str]], served: bool) -> list[Outcome]:
    """Start every ``DIR/usr/sbin/vzctl set`` at once (empty environment), then reap
    them. With the session's tool server (docs/fastpath.md) all of them run in it: the
    journal names the server's children, never a client."""
    before = len(host.journal())
    procs = [
        subprocess.Popen(
            _argv(host, *run),
            env={},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for run in runs
    ]
    out = []
    for run, proc in zip(runs, procs, strict=True):
        stdout, stderr = proc.communicate()
        out.append((run, proc.returncode, stdout, stderr))
    ran_in = {e["pid"] for e in host.journal()[before:]}
    assert len(host.journal()) - before == len(runs)
    if served:
        assert not ran_in & {p.pid for p in procs}, "a call fell back instead of using the server"
    return out


def _retry_locked(host: Host, outcomes: list[Outcome]) -> None:
    """What a caller of vzctl does on exit 9: run the same command again."""
    for run, code, stdout, stderr in outcomes:
        tries = 1
        while code == LOCKED and tries < MAX_ATTEMPTS:
            assert b"Container already locked\n" in stderr, stderr
            again = subprocess.run(
                _argv(host, *run), env={}, stdin=subprocess.DEVNULL, capture_output=True, check=False
            )
            code, stdout, stderr, tries = again.returncode, again.stdout, again.stderr, tries + 1
        assert code == 0, (run, code, stdout, stderr)
        assert f"CT configuration saved to /etc/vz/conf/{run[0]}.conf\n".encode() in stdout, (run, stdout)


def _run_all(host: Host, runs: list[tuple[int, str, str]], served: bool) -> None:
    _retry_locked(host, _wave(host, runs, served))


def _no_leftovers(host: Host) -> None:
    """No lock file stays behind (``vps_unlock``: unlinked at exit), no temp file of a rewrite."""
    assert os.listdir(host.root / "vz/lock") == []
    stray = [n for n in os.listdir(host.root / "etc/vz/conf") if n.startswith(".") or "tmp" in n]
    assert stray == []


@pytest.mark.slow
def test_fifty_concurrent_sets_on_one_container(tmp_path: Path, served: bool) -> None:
    """``KV:src/lib/lock.c`` and ``KV:src/lib/config.c:write_conf``: 50 processes each
    saving a different key of CT 101; afterwards 101.conf holds all 50 updates, exactly
    as if they had run one by one."""
    host = make_host(tmp_path / "node")
    create_ct(host, 101)
    runs = [(101, opt, value) for opt, value in OPTIONS]
    _run_all(host, runs, served)
    assert _keys(host, 101) == _serial(tmp_path, runs)
    assert os.readlink(host.root / "etc/vz/names/concurrent") == "/etc/vz/conf/101.conf"
    _no_leftovers(host)


@pytest.mark.slow
def test_fifty_concurrent_sets_across_containers(tmp_path: Path, served: bool) -> None:
    """``KV:src/lib/lock.c`` and ``KV:src/lib/config.c:write_conf``: one process per
    container, 50 containers at once; every container's config holds its update and
    nothing of another's."""
    host = make_host(tmp_path / "node")
    runs = [(1000 + i, opt, value) for i, (opt, value) in enumerate(OPTIONS)]
    for veid, _opt, _value in runs:
        create_ct(host, veid)
    _run_all(host, runs, served)
    expected = _each_alone(tmp_path, runs)
    for veid, _opt, _value in runs:
        assert _keys(host, veid) == expected[veid], veid
    named = 1000 + [o for o, _v in OPTIONS].index("--name")
    assert os.readlink(host.root / "etc/vz/names/concurrent") == f"/etc/vz/conf/{named}.conf"
    _no_leftovers(host)


@pytest.mark.slow
def test_locked_container_refuses_every_writer_until_released(tmp_path: Path, served: bool) -> None:
    """``KV:src/lib/lock.c:vps_lock``: while a live process holds
    ``/vz/lock/101.lck`` every ``set`` exits 9 naming the holder and saves nothing; once
    the holder is gone the retries all land."""
    host = make_host(tmp_path / "node")
    create_ct(host, 101)
    conf = host.root / "etc/vz/conf/101.conf"
    before = conf.read_bytes()
    lock = host.root / "vz/lock/101.lck"
    lock.write_text(f"{os.getpid()}\n\n")
    # A writer in five (and --name) shows every one refused as well as fifty would; the fifty-process
    # tests above are the ones about many at once.
    some = [(o, v) for i, (o, v) in enumerate(OPTIONS) if i % 5 == 0 or o == "--name"]
    runs = [(101, opt, value) for opt, value in some]
    outcomes = _wave(host, runs, served)
    for _run, code, stdout, stderr in outcomes:
        assert code == LOCKED, (code, stdout, stderr)
        assert stderr.startswith(f"Locked by: pid {os.getpid()}, cmdline ".encode()), stderr
        assert stderr.endswith(b"Container already locked\n"), stderr
    assert conf.read_bytes() == before
    assert not (host.root / "etc/vz/names/concurrent").exists()
    lock.unlink()
    _retry_locked(host, outcomes)
    assert _keys(host, 101) == _serial(tmp_path, runs)
    _no_leftovers(host)
