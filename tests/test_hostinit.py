"""``simvz init``: OpenVZ's layout (``KV:configure.ac``, ``KV:etc/vz.conf.in``,
``KV:etc/conf/``) under a directory."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from simvz import entry, hostinit
from simvz.host import Host
from simvz.hostinit import DEFAULT_TEMPLATES, init_host
from simvz.model import params
from simvz.model.node import TemplateInfo
from simvz.syntax.vzconf import Entry, parse

# Keys of KV:etc/vz.conf.in (vzctl 4.11.1) in their shipped order.
SHIPPED_VZ_CONF_KEYS = [
    "VIRTUOZZO",
    "LOCKDIR",
    "DUMPDIR",
    "VE0CPUUNITS",
    "VE_STOP_MODE",
    "LOGGING",
    "LOGFILE",
    "LOG_LEVEL",
    "VERBOSE",
    "DISK_QUOTA",
    "VZFASTBOOT",
    "ERROR_ON_ARPFAIL",
    "TEMPLATE",
    "VE_ROOT",
    "VE_PRIVATE",
    "CONFIGFILE",
    "DEF_OSTEMPLATE",
    "NAMESERVER",
    "VE_LAYOUT",
    "LOCAL_UID",
    "LOCAL_GID",
    "VZWDOG",
    "IPTABLES_MODULES",
    "IPV6",
]
SAMPLES = [
    "ve-basic",
    "ve-light",
    "ve-vswap-256m",
    "ve-vswap-512m",
    "ve-vswap-1024m",
    "ve-vswap-1g",
    "ve-vswap-2g",
    "ve-vswap-4g",
]


@pytest.fixture
def host(tmp_path: Path) -> Host:
    return init_host(tmp_path / "node")


def entries(text: str) -> dict[str, str]:
    return {e.key: e.value for e in parse(text) if isinstance(e, Entry)}


def test_layout_exists(host: Host) -> None:
    for d in hostinit.DIRS:
        assert host.fs.isdir(d), d
    for f in (
        "/etc/vz/vz.conf",
        "/etc/vz/conf/0.conf",
        "/proc/vz/veinfo",
        "/proc/vz/vestat",
        "/proc/vz/veip",
        "/proc/vz/vzquota",
        "/proc/vz/version",
        "/proc/user_beancounters",
    ):
        assert host.fs.read(f) is not None, f
    assert host.is_initialised()


def test_proc_shows_only_ve0_running(host: Host) -> None:
    # vecalls.c: veinfo lists VE0 first; no CT runs on a new host.
    veinfo = host.fs.read("/proc/vz/veinfo") or ""
    assert veinfo.splitlines() == [f"{0:>10} {0:>5} {120:>5}"]
    assert (host.fs.read("/proc/vz/veip") or "").splitlines() == ["Version: 2.5"]


def test_vz_conf_is_shipped_one_with_simfs(host: Host) -> None:
    text = host.fs.read("/etc/vz/vz.conf") or ""
    keys = [e.key for e in parse(text) if isinstance(e, Entry)]
    assert keys == SHIPPED_VZ_CONF_KEYS
    values = entries(text)
    assert values["VE_LAYOUT"] == "simfs"
    assert values["VE_PRIVATE"] == "/vz/private/$VEID"
    assert values["CONFIGFILE"] == "vswap-256m"
    assert values["DEF_OSTEMPLATE"] == "centos-6-x86"
    assert "@VZDIR@" not in text


def test_vz_conf_parses_without_warnings(host: Host) -> None:
    ps = params.load(host.fs.read("/etc/vz/vz.conf") or "", "/etc/vz/vz.conf", is_global=True)
    assert ps.warnings == []
    assert ps.str("VE_LAYOUT") == "simfs"


@pytest.mark.parametrize("sample", SAMPLES)
def test_samples_parse_without_warnings(host: Host, sample: str) -> None:
    path = f"/etc/vz/conf/{sample}.conf-sample"
    # read through the OS (ve-vswap-1g is a symlink, resolved inside the node)
    ps = params.load(host.fs.real(path).read_text(), path)
    assert ps.warnings == []
    assert ps.pair("DISKSPACE") == ((1048576, 1153433) if sample == "ve-light" else (2097152, 2306867))


def test_vswap_1g_is_a_symlink_to_1024m(host: Host) -> None:
    link = host.fs.real("/etc/vz/conf/ve-vswap-1g.conf-sample", follow=False)
    assert link.is_symlink()
    assert os.readlink(link) == "ve-vswap-1024m.conf-sample"


def test_sample_values_as_shipped(host: Host) -> None:
    # As shipped in KV:etc/conf/ (ve-vswap-512m.conf-sample, 0.conf).
    v = entries(host.fs.read("/etc/vz/conf/ve-vswap-512m.conf-sample") or "")
    assert v == {
        "PHYSPAGES": "0:512M",
        "SWAPPAGES": "0:1G",
        "DISKSPACE": "2G:2.2G",
        "DISKINODES": "131072:144179",
        "QUOTATIME": "0",
        "CPUUNITS": "1000",
        "NETFILTER": "stateless",
    }
    assert entries(host.fs.read("/etc/vz/conf/0.conf") or "") == {
        "ONBOOT": "no",
        "OOMGUARPAGES": "unlimited:unlimited",
    }


def test_no_foreign_copyright_lines(host: Host) -> None:
    for p in host.fs.real("/etc/vz").rglob("*"):
        if p.is_file():
            assert "Copyright" not in p.read_text(), p


def test_default_templates_are_real_gzip_tars(host: Host) -> None:
    for name in DEFAULT_TEMPLATES:
        path = host.fs.real(f"/vz/template/cache/{name}.tar.gz")
        data = path.read_bytes()
        assert data[:2] == b"\x1f\x8b"
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as tar:
            names = tar.getnames()
            assert names == sorted(names)
            assert {
                "./sbin/init",
                "./bin/sh",
                "./etc/issue",
                "./etc/hostname",
                "./etc/resolv.conf",
                "./root",
                "./tmp",
            } <= set(names)
            issue = tar.extractfile("./etc/issue")
            assert issue is not None and name in issue.read().decode()
            assert all(m.mtime == 0 for m in tar.getmembers())


def test_templates_are_byte_identical_across_inits(tmp_path: Path) -> None:
    a, b = init_host(tmp_path / "a"), init_host(tmp_path / "b")
    rel = "/vz/template/cache/centos-6-x86.tar.gz"
    assert a.fs.real(rel).read_bytes() == b.fs.real(rel).read_bytes()


def test_template_sizes(host: Host) -> None:
    t = host.settings.templates
    assert set(t) == set(DEFAULT_TEMPLATES)
    # The thread's `df` right after create: 96424 KiB and 6813 inodes used.
    assert t["fedora-core-5-i386"] == TemplateInfo(kb=96424, inodes=6813)
    for name in DEFAULT_TEMPLATES[1:]:
        assert 200_000 <= t[name].kb <= 600_000
        assert 8_000 <= t[name].inodes <= 20_000


def test_template_sizes_follow_the_seed() -> None:
    assert hostinit.template_info("x", 1) == hostinit.template_info("x", 1)
    assert hostinit.template_info("x", 1) != hostinit.template_info("x", 2)
    assert hostinit.template_info("fedora-core-5-i386", 7) == TemplateInfo(96424, 6813)


def test_extra_templates_and_options(tmp_path: Path) -> None:
    host = init_host(
        tmp_path / "n",
        templates=["ubuntu-8.04-x86", "centos-6-x86"],
        vzctl_version="3.0.22",
        seed=5,
        hostname="hn1",
    )
    s = host.settings
    assert list(s.templates) == sorted([*DEFAULT_TEMPLATES, "ubuntu-8.04-x86"])
    assert host.fs.exists("/vz/template/cache/ubuntu-8.04-x86.tar.gz")
    assert (s.vzctl_version, s.seed, s.hostname) == ("3.0.22", 5, "hn1")


@pytest.mark.parametrize("name", ["", "a/b", "..", "../etc", "x..y", "/abs", "sp ace", "nul\0"])
def test_bad_template_names_are_rejected(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError):
        init_host(tmp_path / "n", templates=[name])
    assert not (tmp_path / "n").exists()


@pytest.mark.parametrize("version", ["", "4.x", "4.11.1.1", "v4"])
def test_bad_versions_are_rejected(tmp_path: Path, version: str) -> None:
    with pytest.raises(ValueError):
        init_host(tmp_path / "n", vzctl_version=version)


def test_init_twice_is_refused(host: Host) -> None:
    with pytest.raises(FileExistsError):
        init_host(host.root)


def test_tools_are_one_native_client_with_a_python_fallback(host: Host) -> None:
    """docs/fastpath.md: the tools are one executable (hard links, or copies across file
    systems); the fallback they exec without a server is a script with an absolute
    interpreter, since the tools run with an empty environment."""
    inodes = set()
    for tool in hostinit.TOOLS:
        path = host.fs.real(f"/usr/sbin/{tool}")
        assert stat.S_IMODE(path.stat().st_mode) == 0o755
        assert path.read_bytes()[:4] == b"\x7fELF"
        inodes.add(path.read_bytes())
    assert len(inodes) == 1
    fallback = host.root / ".simvz/tools/fallback"
    assert stat.S_IMODE(fallback.stat().st_mode) == 0o755
    first = fallback.read_text().splitlines()[0]
    assert first.startswith(f"#!{sys.executable}")
    assert os.path.isabs(first[2:].split()[0])


def test_vzctl_runs_with_an_empty_environment(host: Host) -> None:
    tool = host.fs.real("/usr/sbin/vzctl")
    r = subprocess.run([str(tool), "--version"], env={}, capture_output=True, cwd="/")
    assert (r.returncode, r.stdout, r.stderr) == (0, b"vzctl version 4.11.1\n", b"")


def test_tool_reports_the_configured_version(tmp_path: Path) -> None:
    host = init_host(tmp_path / "n", vzctl_version="3.0.23")
    r = subprocess.run([str(host.fs.real("/usr/sbin/vzctl")), "--version"], env={}, capture_output=True)
    assert r.stdout == b"vzctl version 3.0.23\n"


def test_tool_outside_a_host_fails_in_one_line(host: Host, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere" / "usr" / "sbin"
    elsewhere.mkdir(parents=True)
    shutil.copy(host.fs.real("/usr/sbin/vzctl"), elsewhere / "vzctl")
    r = subprocess.run([str(elsewhere / "vzctl"), "--version"], env={}, capture_output=True)
    assert r.returncode == entry.EXIT_NOT_A_HOST
    assert r.stdout == b""
    assert r.stderr.count(b"\n") == 1 and b"not a simulated host" in r.stderr


@pytest.mark.parametrize(
    ("argv0", "root"),
    [
        ("/h/usr/sbin/vzctl", "/h"),
        ("/usr/sbin/vzlist", "/"),
        ("/h/bin/vzctl", None),
        ("/h/sbin/vzctl", None),
    ],
)
def test_host_root_from_the_tool_path(argv0: str, root: str | None) -> None:
    assert entry.host_root(argv0) == root
