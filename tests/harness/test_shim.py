"""The preload shim: only the OpenVZ paths are redirected, by whole components, after
lexical normalisation; everything else stays the real machine's
(``simvz/harness/preload.c``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simvz.harness import shim
from simvz.host import Host
from simvz.hostinit import init_host


@pytest.fixture
def node(tmp_path: Path) -> Host:
    return init_host(tmp_path / "node")


def _py(node: Host, code: str) -> subprocess.CompletedProcess[str]:
    """Run Python code under the shim (Python's own file I/O goes through libc)."""
    env = shim.environ(node.root)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)


def test_openvz_paths_are_the_nodes(node: Host) -> None:
    r = _py(
        node,
        "print(open('/etc/vz/vz.conf').read().count('VE_LAYOUT=simfs'));"
        "import os; print(sorted(os.listdir('/etc/vz/conf'))[0]); print(os.path.isdir('/proc/vz'))",
    )
    assert r.stdout.split() == ["1", "0.conf", "True"], r.stderr


def test_only_whole_components_match(node: Host) -> None:
    (node.root / "etc/vzdump").write_text("node's\n")
    r = _py(node, "import os; print(os.path.exists('/etc/vzdump'), os.path.exists('/etc/vz/'))")
    assert r.stdout.split() == ["False", "True"]


def test_dotdot_is_resolved_before_matching(node: Host) -> None:
    """``/vz/../etc/hostname`` is the machine's /etc/hostname, as the kernel resolves it;
    nothing under the node's directory is reachable outside the mapped prefixes."""
    (node.root / "etc/hostname").write_text("node\n")
    real = Path("/etc/hostname").read_text() if Path("/etc/hostname").exists() else None
    r = _py(
        node,
        "import os; p='/vz/private/../../etc/hostname';"
        "print(open(p).read() if os.path.exists(p) else 'missing', end='')",
    )
    assert r.stdout == (real if real is not None else "missing")


def test_writes_renames_and_unlinks_land_in_the_node(node: Host) -> None:
    code = (
        "open('/etc/vz/conf/9.conf.tmp','w').write('X=1\\n');"
        "import os; os.rename('/etc/vz/conf/9.conf.tmp','/etc/vz/conf/9.conf');"
        "os.mkdir('/vz/private/9'); os.rmdir('/vz/private/9'); os.unlink('/etc/vz/conf/0.conf')"
    )
    assert _py(node, code).returncode == 0
    assert (node.root / "etc/vz/conf/9.conf").read_text() == "X=1\n"
    assert not (node.root / "etc/vz/conf/0.conf").exists()


def test_exec_of_the_tools_is_redirected_and_keeps_the_callers_name(node: Host) -> None:
    """libvirt runs /usr/sbin/vzctl by absolute path; getopt prints argv[0] as given."""
    code = (
        "import subprocess;"
        "r=subprocess.run(['/usr/sbin/vzctl','set','101','--bogus'],capture_output=True,text=True);"
        "print(r.returncode, r.stderr, end='')"
    )
    r = _py(node, code)
    assert r.stdout == "21 /usr/sbin/vzctl: unrecognized option '--bogus'\n"
    assert node.journal()[-1]["argv"][:2] == ["/usr/sbin/vzctl", "set"]


def test_vzctl_help_runs_with_only_lc_all(node: Host) -> None:
    """libvirt reads the version from ``vzctl --help`` run with exactly ``LC_ALL=C``."""
    code = (
        "import os; r,w=os.pipe(); pid=os.fork()\n"
        "if pid==0:\n os.dup2(w,1); os.execve('/usr/sbin/vzctl',['vzctl','--help'],{'LC_ALL':'C'})\n"
        "os.close(w); print(os.read(r,40).decode().splitlines()[0]); os.waitpid(pid,0)"
    )
    assert _py(node, code).stdout == "vzctl version 4.11.1\n"
