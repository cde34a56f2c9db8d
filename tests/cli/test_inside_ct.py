"""Inside a running container: the shell ``vzctl exec`` runs (``bash -c "ARGS "`` with
vzctl's stdin, ``KV:src/vzctl-actions.c:exec``), the common commands, and the CT's own
/proc as the RHEL6 OpenVZ kernel virtualises it (docs/usage.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simvz import faults
from simvz.host import Host
from simvz.results import Result
from tests.conftest import create_ct, make_host, start_ct, vzctl, vzlist

MONITOR = Path(__file__).resolve().parents[1] / "data" / "monitor.py"


@pytest.fixture
def node(tmp_path: Path) -> Host:
    """CT 101 (centos-6-x86, 512M RAM and swap, 2 CPUs) running on a seed-0 node."""
    host = make_host(tmp_path / "node")
    create_ct(host, 101)
    ok(vzctl(host, "set", "101", "--ram", "512M", "--swap", "512M", "--cpus", "2", "--save"))
    start_ct(host, 101)
    return host


def ok(r: Result) -> str:
    assert r.exit == 0, (r.exit, r.out, r.err)
    return r.out


def sh(host: Host, script: str, stdin: bytes = b"", veid: int = 101) -> tuple[int, str, str]:
    r = host.run("vzctl", ["vzctl", "exec2", str(veid), script], stdin)
    return r.exit, r.out, r.err


# -- what monitoring runs inside --------------------------------------------------------------


def test_load_uptime_free_pipeline(node: Host) -> None:
    """The issue's pipeline, as a CentOS 6 CT prints it: /proc/loadavg (VE avenrun,
    running/threads with the exec's bash and cat, last pid), procps' uptime cut at the
    first comma, free -m's header and Mem line (512 MiB from PHYSPAGES), then $?."""
    r = vzctl(node, "exec", "101", "cat /proc/loadavg; uptime | cut -d, -f1; free -m | head -2; echo $?")
    assert (r.exit, r.err) == (0, "")
    assert r.out == (
        "0.87 0.88 0.88 1/14 230\n"
        " 21:20:04 up 0 min\n"
        "             total       used       free     shared    buffers     cached\n"
        "Mem:           512         22        490          0          0          6\n"
        "0\n"
    )


def test_proc_meminfo_cpuinfo_from_the_cts_limits(node: Host) -> None:
    """``bc_fill_sysinfo``: MemTotal is PHYSPAGES' limit, SwapTotal SWAPPAGES'; the CT
    sees ``--cpus`` processors (``__c_start``: ``num_online_vcpus``)."""
    code, out, _ = sh(node, "grep -E '^(MemTotal|SwapTotal)' /proc/meminfo; grep -c ^processor /proc/cpuinfo")
    assert (code, out.split()) == (0, ["MemTotal:", "524288", "kB", "SwapTotal:", "524288", "kB", "2"])
    # one command reads both: the same processes (bash, cat) are running for each
    code, out, _ = sh(node, "cat /proc/meminfo /proc/user_beancounters")
    words = [ln.split()[1:] if ln.split()[0][:-1].isdigit() else ln.split() for ln in out.splitlines()]
    rows = {w[0]: w for w in words}
    assert int(rows["MemFree:"][1]) == 524288 - int(rows["physpages"][1]) * 4
    slab = int(rows["Slab:"][1])
    assert slab * 1024 >= int(rows["kmemsize"][1]) > (slab - 8) * 1024  # kmemsize, rounded up to pages


def test_user_beancounters_inside_shows_only_its_own_block(node: Host) -> None:
    """``kernel/bc/proc.c:ub_accessible``: from inside, only the CT's own beancounter;
    the host file lists every running CT and the host's block 0."""
    create_ct(node, 102)
    start_ct(node, 102)
    _, inside, _ = sh(node, "cat /proc/user_beancounters", veid=102)
    lines = inside.splitlines()
    assert lines[0] == "Version: 2.5" and len(lines) == 2 + 24
    assert [ln.split()[0] for ln in lines[2:] if ln.split()[0].endswith(":")] == ["102:"]
    outside = node.fs.read("/proc/user_beancounters") or ""
    heads = [ln.split()[0] for ln in outside.splitlines()[2:]]
    assert [h for h in heads if h.endswith(":")] == ["102:", "101:", "0:"]


def test_ps_lists_the_services_and_the_session(node: Host) -> None:
    """numproc counts the processes ``ps ax`` shows: 12 services, the exec's bash and the
    commands of the pipeline running (ps and wc; then grep and awk)."""
    code, out, _ = sh(node, "ps ax | wc -l; grep -w numproc /proc/user_beancounters | awk '{print $2}'")
    assert (code, out.split()) == (0, ["16", "15"])  # a header and 15 processes; held 15
    code, out, _ = sh(node, "ps ax | head -2")
    assert out == "  PID TTY      STAT   TIME COMMAND\n    1 ?        Ss     0:00 init [3]\n"


def test_uname_id_hostname(node: Host) -> None:
    _, out, _ = sh(node, "uname; uname -r; uname -m; id; id -u; hostname")
    assert out.splitlines() == [
        "Linux", "2.6.32-042stab120.11", "x86_64", "uid=0(root) gid=0(root) groups=0(root)", "0",
        "localhost.localdomain",
    ]  # fmt: skip


# -- the shell language -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "out", "code"),
    [
        ("echo a; echo b", "a\nb\n", 0),
        ("false && echo no; echo $?", "1\n", 0),
        ("false || echo yes", "yes\n", 0),
        ("true && false || echo both", "both\n", 0),
        ("X=5; echo \"x=$X\" 'x=$X' x=\\$X ${X}0", "x=5 x=$X x=$X 50\n", 0),
        ("echo 'a  b'   c\"  d\"", "a  b c  d\n", 0),
        ("A='1 2'; echo $A | wc -w; echo \"$A\" | wc -c", "2\n4\n", 0),
        ("nope; echo $?", "127\n", 0),
        ("echo -n x; echo y", "xy\n", 0),
        ("exit 3; echo never", "", 3),
        ("false", "", 1),
        ("[ 2 -gt 1 ] && test -f /etc/issue && test ! -d /etc/issue && echo t", "t\n", 0),
        ("test -z '' && [ abc = abc ] && [ 1 -eq 2 ] || echo f", "f\n", 0),
        ("printf x 2>/dev/null; echo $?", "127\n", 0),
        ("echo out; nope 2>&1 | grep -c found", "out\n1\n", 0),
        ("cat /etc/issue | grep -v nothing | head -1 | cut -d' ' -f1", "centos-6-x86\n", 0),
        ("echo 'a:b:c' | cut -d: -f2,3; echo abcdef | cut -c2-4", "b:c\nbcd\n", 0),
        ("printf_missing | tail -1; echo done", "done\n", 0),
        ("echo one > /f; echo two >> /f; cat < /f; wc -l < /f", "one\ntwo\n2\n", 0),
        ("echo 1 2 3 | awk '{print $3, $1}'; echo a:b | awk -F: '{print $NF}'", "3 1\nb\n", 0),
        ("seq 3 | head -1", "", 0),  # a pipeline's status is its last command's
    ],
)
def test_shell_language(node: Host, script: str, out: str, code: int) -> None:
    got_code, got_out, _ = sh(node, script)
    assert (got_out, got_code) == (out, code)


def test_stderr_redirections_and_messages(node: Host) -> None:
    code, out, err = sh(node, "cat /nope; cat /nope 2>/dev/null; cat /nope 2>&1 >/dev/null | wc -l")
    assert (code, out, err) == (0, "1\n", "cat: /nope: No such file or directory\n")
    code, out, err = sh(node, "echo 'unterminated")
    assert (code, out, err) == (2, "", "bash: -c: line 0: unexpected EOF while looking for matching `''\n")
    code, out, err = sh(node, "| echo")
    assert (code, err) == (2, "bash: -c: line 0: syntax error near unexpected token `|'\n")


def test_stdin_reaches_the_first_reader(node: Host) -> None:
    """vzctl forwards its stdin to the CT's bash: ``vzctl exec CT 'cat > F' < file``."""
    code, out, _ = sh(node, "echo first; cat > /data; wc -c /data; cat /data", stdin=b"hello\n")
    assert (code, out) == (0, "first\n6 /data\nhello\n")
    assert vzctl(node, "exec", "101", "exit", "4").exit == 8  # exec: any failure is 8


def test_chpasswd_and_passwd(node: Host) -> None:
    """shadow-utils' chpasswd reads user:password lines; an unknown user changes nothing."""
    code, _, err = sh(node, "chpasswd", stdin=b"bob:x\n")
    assert (code, err) == (
        1,
        "chpasswd: line 1: user 'bob' does not exist\nchpasswd: error detected, changes ignored\n",
    )
    code, out, _ = sh(node, "test -f /etc/shadow || echo none")
    assert out == "none\n"
    code, out, _ = sh(node, "echo root:secret | chpasswd && grep -c '^root:\\$6\\$' /etc/shadow")
    assert (code, out) == (0, "1\n")
    code, out, _ = sh(node, "passwd --stdin root", stdin=b"other\n")
    assert (code, out) == (
        0,
        "Changing password for user root.\npasswd: all authentication tokens updated successfully.\n",
    )


# -- held values that move ----------------------------------------------------------------------


def test_cpu_time_and_maxheld_grow_with_the_clock(node: Host) -> None:
    """vestat's CPU time grows as the node's clock advances; maxheld never falls."""

    def vestat_101() -> list[int]:
        text = node.fs.read("/proc/vz/vestat") or ""
        return [int(w) for w in text.splitlines()[2].split()]

    def row(name: str) -> list[int]:
        text = node.fs.read("/proc/bc/101/resources") or ""
        return next([int(w) for w in ln.split()[1:]] for ln in text.splitlines() if ln.split()[0] == name)

    before, phys_before = vestat_101(), row("physpages")
    for _ in range(30):  # every command that changes the node moves its clock by a second
        ok(vzctl(node, "set", "101", "--onboot", "yes", "--save"))
    after, phys_after = vestat_101(), row("physpages")
    assert after[4] - before[4] == 30 * 100  # uptime, jiffies
    assert sum(after[1:4]) > sum(before[1:4])  # user + nice + system
    assert after[8] <= after[4] * 10**7 * 2  # used ns never more than uptime on 2 CPUs
    assert phys_after[1] >= phys_before[1] and phys_after[0] <= phys_after[1]


def test_same_seed_same_numbers_other_seed_others(tmp_path: Path) -> None:
    def boot(name: str, seed: int) -> str:
        from simvz.hostinit import init_host

        host = init_host(tmp_path / name, seed=seed)
        create_ct(host, 101)
        start_ct(host, 101)
        return host.fs.read("/proc/user_beancounters") or ""

    assert boot("a", 7) == boot("b", 7)
    assert boot("c", 7) != boot("d", 8)


def test_fault_injection_raises_failcnt(node: Host) -> None:
    """A failed allocation shows in failcnt, and maxheld reached the barrier it failed at."""
    ok(vzctl(node, "set", "101", "--numproc", "100:100", "--save"))
    faults.raise_failcnt(node, 101, "numproc", 3)
    assert ok(vzlist(node, "-H", "-o", "numproc,numproc.m,numproc.f")).split() == ["12", "100", "3"]
    _, out, _ = sh(node, "grep -w numproc /proc/user_beancounters")
    assert out.split()[1:] == ["14", "100", "100", "100", "3"]
    with pytest.raises(ValueError, match="not running"):
        faults.raise_failcnt(node, 555, "numproc")


def test_a_limit_below_the_demand_fails_allocations(node: Host) -> None:
    """numfile at a barrier below what the services open: held stops at it, failcnt grows."""
    ok(vzctl(node, "set", "101", "--numfile", "50:50", "--save"))
    held, maxheld, barrier, limit, failcnt = (
        int(x)
        for x in ok(vzlist(node, "-H", "-o", "numfile,numfile.m,numfile.b,numfile.l,numfile.f")).split()
    )
    assert (held, maxheld, barrier, limit) == (50, 50, 50, 50) and failcnt >= 1


def test_monitor_script_sees_consistent_numbers(tmp_path: Path) -> None:
    """tests/data/monitor.py, run under ``simvz run`` as on a real host: user_beancounters,
    /proc/bc/<id>/resources, vestat and vzlist -o agree for every running CT."""
    host = make_host(tmp_path / "node")
    for veid, extra in ((101, ()), (102, ("--ram", "256M", "--swap", "128M")), (103, ())):
        create_ct(host, veid, extra=())
        if extra:
            ok(vzctl(host, "set", str(veid), *extra, "--save"))
        start_ct(host, veid)
    faults.raise_failcnt(host, 103, "kmemsize", 2)
    done = subprocess.run(
        [sys.executable, "-m", "simvz", "run", str(host.root), "--", sys.executable, str(MONITOR)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    report = json.loads(done.stdout)
    assert report["problems"] == []
    assert sorted(report["vzlist"]) == ["101", "102", "103"]
    assert report["vzlist"]["102"]["physpages"][3] == 65536  # 256M
    assert report["user_beancounters"]["103"]["kmemsize"][4] == 2
    assert all(report["vestat"][c]["uptime"] > 0 for c in ("101", "102"))
