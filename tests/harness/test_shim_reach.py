"""Every way a program runs a node tool or opens a node path goes through the shim:
under ``simvz run`` the exec family, posix_spawn, system/popen, shells, env, xargs,
Perl and Python each run ``/usr/sbin/vzlist`` and read the node's kernel files, and
nothing outside the node directory changes (README, "The shim").

A small C program (tests/harness/data/shim_probe.c, compiled here with the system cc)
calls one libc entry point at a time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from simvz.host import Host
from tests.conftest import create_ct, make_host, start_ct

PROBE_SOURCE = Path(__file__).with_name("data") / "shim_probe.c"
# Paths a real OpenVZ host has; this machine must look the same before and after.
REAL_PATHS = ("/etc/vz", "/vz", "/proc/bc", "/proc/user_beancounters", "/var/lib/vz", "/var/vzquota")

EXEC_ENTRIES = (
    "execve", "execv", "execvp", "execvpe", "execl", "execle", "execlp", "execveat",
    "posix_spawn", "posix_spawnp", "system", "popen",
)  # fmt: skip
PATH_ENTRIES = (
    "stat", "lstat", "fstatat", "statx", "statvfs", "access", "open", "fopen", "opendir",
    "scandir", "readlink", "realpath", "getxattr", "lgetxattr", "listxattr", "llistxattr",
    "chdir", "mkdir",
)  # fmt: skip


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Host:
    """A node with CT 101 running (read-only for the tests that share it)."""
    host = make_host(tmp_path_factory.mktemp("reach") / "node")
    create_ct(host, 101)
    start_ct(host, 101)
    return host


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler")
    out = tmp_path_factory.mktemp("probe") / "shim_probe"
    subprocess.run([compiler, "-Wall", "-o", str(out), str(PROBE_SOURCE)], check=True)
    return out


def _real_state() -> dict[str, bool]:
    return {p: os.path.lexists(p) for p in REAL_PATHS}


def simvz_run(node: Host, *command: str) -> subprocess.CompletedProcess[str]:
    """``simvz run NODE -- COMMAND``; the machine's own OpenVZ paths stay as they were."""
    before = _real_state()
    done = subprocess.run(
        [sys.executable, "-m", "simvz", "run", str(node.root), "--", *command],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert _real_state() == before
    return done


@pytest.mark.parametrize("entry", EXEC_ENTRIES)
def test_c_exec_entry_runs_the_node_tool(node: Host, probe: Path, entry: str) -> None:
    """Each exec/spawn call of libc reaches the node's vzlist (bare names through a PATH
    that has only the machine's /usr/sbin)."""
    r = simvz_run(node, str(probe), "exec", entry)
    assert (r.returncode, r.stdout.split()) == (0, ["101"]), r.stderr


@pytest.mark.parametrize("entry", PATH_ENTRIES)
def test_c_path_entry_reads_the_node(node: Host, probe: Path, entry: str) -> None:
    r = simvz_run(node, str(probe), "path", entry)
    assert r.returncode == 0 and r.stdout.splitlines()[-1] == f"{entry} ok", (r.stdout, r.stderr)


def test_c_writes_land_in_the_node_only(tmp_path: Path, probe: Path) -> None:
    """open(O_CREAT), chmod, chown, utimensat, truncate, link, unlink and rename on a node
    path change the node's file; the machine has no /etc/vz afterwards either."""
    host = make_host(tmp_path / "node")
    r = simvz_run(host, str(probe), "path", "write")
    assert r.stdout == "write ok\n", r.stderr
    kept = host.root / "etc/vz/conf/shim-probe.kept"
    assert kept.read_text() == "x" and oct(kept.stat().st_mode & 0o777) == "0o600"
    assert not (host.root / "etc/vz/conf/shim-probe").exists()
    assert not os.path.lexists("/etc/vz/conf/shim-probe.kept")


# Each program prints vzlist's answer and the first line of a kernel file.
PROGRAMS = {
    "sh": ["sh", "-c", "/usr/sbin/vzlist -H -o ctid; head -1 /proc/user_beancounters"],
    "env": ["sh", "-c", "env /usr/sbin/vzlist -H -o ctid && env head -1 /proc/bc/resources"],
    "xargs": ["sh", "-c", "echo -H -o ctid | xargs /usr/sbin/vzlist; echo /proc/bc/101/resources | "
              "xargs head -1 | cut -c1-24"],
    "perl": ["perl", "-e", 'print `/usr/sbin/vzlist -H -o ctid`; '
             'open(F, "/proc/user_beancounters") or die; print scalar <F>'],
    "python-subprocess": [sys.executable, "-c", "import subprocess; "
                          "subprocess.run(['/usr/sbin/vzlist', '-H', '-o', 'ctid'], check=True); "
                          "print(open('/proc/vz/vestat').readline().rstrip())"],
    "python-posix_spawn": [sys.executable, "-c", "import os; "
                           "argv = ['vzlist', '-H', '-o', 'ctid']; "
                           "pid = os.posix_spawn('/usr/sbin/vzlist', argv, os.environ); "
                           "os.waitpid(pid, 0); print(open('/proc/bc/resources').readline().rstrip())"],
}  # fmt: skip
FIRST_LINES = {
    "sh": "Version: 2.5",
    "env": "Version: 2.5",
    "xargs": "            kmemsize    ",
    "perl": "Version: 2.5",
    "python-subprocess": "Version: 2.2",
    "python-posix_spawn": "Version: 2.5",
}


@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_programs_run_node_tools_and_read_node_files(node: Host, program: str) -> None:
    if shutil.which(PROGRAMS[program][0]) is None:
        pytest.skip(f"{PROGRAMS[program][0]} is not installed")
    r = simvz_run(node, *PROGRAMS[program])
    lines = r.stdout.splitlines()
    assert r.returncode == 0, r.stderr
    assert lines[0].strip() == "101" and lines[1].rstrip() == FIRST_LINES[program].rstrip(), lines
    if program == "xargs":
        assert lines[1] == FIRST_LINES[program]


def test_ls_l_lists_mapped_paths(node: Host) -> None:
    """ls -l asks for extended attributes (ACLs, SELinux labels) of every name."""
    r = simvz_run(node, "ls", "-l", "/etc/vz/conf", "/proc/bc/101")
    assert r.returncode == 0, r.stderr
    assert "101.conf" in r.stdout and "resources" in r.stdout


def test_cd_into_a_node_directory_keeps_node_paths(node: Host) -> None:
    r = simvz_run(node, "sh", "-c", "cd /etc/vz/conf && /bin/pwd && ls 101.conf && realpath ../vz.conf")
    assert r.stdout.splitlines() == ["/etc/vz/conf", "101.conf", "/etc/vz/vz.conf"], r.stderr
