"""Helpers for the libvirt driver tests: domain XML of our own, the administrator's view
of a node (config files, ``vzctl status``, ``vzlist``, ``simvz inspect``) and the node
commands a call caused, as argv lists.

Arranging goes through vzctl as an administrator would, or through files the driver
itself writes (``#UUID:`` lines, as ``openvz_conf.c:openvzSetDefinedUUID`` appends them).
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

from simvz.harness.claims import CallRecord
from simvz.harness.libvirt_runner import Session, default_build
from simvz.harness.xfail import evidence
from simvz.host import Host
from simvz.inspect import inspect
from simvz.results import Result

VZCTL = "/usr/sbin/vzctl"
VZLIST = "/usr/sbin/vzlist"
VZMIGRATE = "/usr/sbin/vzmigrate"
TEMPLATE = "centos-6-x86"  # vz.conf's DEF_OSTEMPLATE, shipped by `simvz init`
# the thread's <uuid>8dea22b31d52d8f32516782e98ab8fa0</uuid>, in libvirt's dashed form
UUID_209 = "8dea22b3-1d52-d8f3-2516-782e98ab8fa0"
MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$", re.IGNORECASE)
REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "corpus" / "domains"

# virDomainState and flags (libvirt-domain.h)
SHUTOFF, RUNNING, PAUSED = 5, 1, 3
AFFECT_CURRENT, AFFECT_LIVE, AFFECT_CONFIG, VCPU_MAXIMUM = 0, 1, 2, 4


def uuid_for(name: int | str) -> str:
    """A fixed UUID per domain name, so that every run shows the same values."""
    return str(UUID(hashlib.sha256(str(name).encode()).hexdigest()[:32]))


def mount_fs(private: str) -> str:
    """A ``<filesystem type='mount'>`` on a private area (thread: LXC's bind-mount form)."""
    return f"<filesystem type='mount'><source dir='{private}'/><target dir='/'/></filesystem>"


def template_fs(name: str, hard_kib: int | None = None, soft_kib: int | None = None) -> str:
    """A ``<filesystem type='template'>`` as the thread's summary message has it."""
    hard = f"<space_hard_limit unit='KiB'>{hard_kib}</space_hard_limit>" if hard_kib else ""
    soft = f"<space_soft_limit unit='KiB'>{soft_kib}</space_soft_limit>" if soft_kib else ""
    return f"<filesystem type='template'><source name='{name}'/><target dir='/'/>{hard}{soft}</filesystem>"


def bridge_if(bridge: str, mac: str) -> str:
    """The thread's bridged interface: ``<interface type='bridge'>`` with a fixed MAC."""
    return f"<interface type='bridge'><source bridge='{bridge}'/><mac address='{mac}'/></interface>"


def ethernet_if(*ips: str, target: str = "", mac: str = "52:54:00:00:00:01") -> str:
    """A routed (venet) interface: ``<interface type='ethernet'>`` with IPs."""
    dev = f"<target dev='{target}'/>" if target else ""
    addrs = "".join(f"<ip address='{ip}'/>" for ip in ips)
    return f"<interface type='ethernet'><mac address='{mac}'/>{addrs}{dev}</interface>"


def domain_xml(
    name: str | int = 101,
    *,
    uuid: str | None = None,
    memory_kib: int | None = 262144,
    vcpu: int | None = 1,
    devices: str = "",
) -> str:
    """Domain XML of our own (``type='openvz'``, ``<os><type>exe``), with a fixed UUID."""
    mem = f"<memory unit='KiB'>{memory_kib}</memory>" if memory_kib is not None else ""
    cpus = f"<vcpu>{vcpu}</vcpu>" if vcpu is not None else ""
    return (
        f"<domain type='openvz'><name>{name}</name><uuid>{uuid or uuid_for(name)}</uuid>"
        f"{mem}{cpus}<os><type>exe</type></os><devices>{devices}</devices></domain>"
    )


def vzctl(host: Host, *args: str) -> Result:
    """The administrator runs ``vzctl ARGS`` on the node."""
    return host.run("vzctl", ["vzctl", *args])


def vzlist(host: Host, *args: str) -> str:
    """The administrator's ``vzlist ARGS`` (stdout)."""
    return host.run("vzlist", ["vzlist", *args]).out


def status(host: Host, veid: int) -> str:
    """``vzctl status VEID`` as printed, e.g. ``CTID 101 exist mounted running``."""
    return vzctl(host, "status", str(veid)).out.strip()


def create_ct(host: Host, veid: int = 101, *extra: str, uuid: str | None = None) -> None:
    """The administrator creates a CT with vzctl; ``uuid`` appends the ``#UUID:`` line the
    driver would append at connect (``openvzSetDefinedUUID``), so that runs repeat."""
    r = vzctl(host, "create", str(veid), "--ostemplate", TEMPLATE, *extra)
    assert r.exit == 0, (r.exit, r.err)
    if uuid:
        with conf_path(host, veid).open("a") as f:
            f.write(f"\n#UUID: {uuid}\n")


def prepare_private(host: Host, veid: int | str, template: str = TEMPLATE) -> str:
    """The administrator pre-creates ``/vz/private/VEID`` from a template cache, as a
    ``<filesystem type='mount'>`` domain needs (the driver copies no files)."""
    private = host.root / "vz" / "private" / str(veid)
    private.mkdir(parents=True)
    with tarfile.open(host.root / "vz" / "template" / "cache" / f"{template}.tar.gz") as tar:
        tar.extractall(private)  # our own template tarballs: small, no links out
    return f"/vz/private/{veid}"


def conf_path(host: Host, veid: int | str) -> Path:
    """``/etc/vz/conf/VEID.conf`` on the node."""
    return host.root / "etc" / "vz" / "conf" / f"{veid}.conf"


def conf_values(host: Host, veid: int | str, key: str) -> list[str]:
    """Every ``KEY=`` value in ``VEID.conf``, unquoted (``grep ^KEY=`` by an administrator)."""
    text = conf_path(host, veid).read_text()
    return [line.split("=", 1)[1].strip('"') for line in text.splitlines() if line.startswith(f"{key}=")]


def uuid_lines(host: Host, veid: int | str) -> list[str]:
    """The ``#UUID:`` lines of ``VEID.conf``."""
    return [line for line in conf_path(host, veid).read_text().splitlines() if line.startswith("#UUID:")]


def argvs(journal: Sequence[dict[str, Any]]) -> list[list[str]]:
    """The argv of each node command in ``journal``."""
    return [list(e["argv"]) for e in journal]


def connect(host: Host) -> tuple[Session, list[list[str]]]:
    """Open a connection; returns it with the node commands the open caused."""
    before = len(host.journal())
    session = Session(host)
    return session, argvs(host.journal()[before:])


def node_state(host: Host) -> dict[str, Any]:
    """Everything an administrator can see on the node: the files under etc, vz, var and
    proc, and ``simvz inspect`` (kernel state). The journal and the simulator's own clock
    are not part of the node."""
    files = {
        str(p.relative_to(host.root)): p.read_bytes() if p.is_file() else None
        for top in ("etc", "vz", "var", "proc")
        for p in sorted((host.root / top).rglob("*"))
    }
    return {"files": files, "inspect": inspect(host)}


def netif_fields(arg: str) -> list[str]:
    """``--netif_add ifname,mac,host_ifname,host_mac,bridge`` split; the host MAC the
    driver draws at random (``virDomainNetGenerateMAC``) is checked and replaced by ``*``."""
    fields = arg.split(",")
    assert MAC_RE.match(fields[3]), fields
    return [*fields[:3], "*", *fields[4:]]


def virsh(host: Host, *args: str, uri: str = "openvz:///system") -> subprocess.CompletedProcess[str]:
    """``simvz run DIR -- virsh -c URI ARGS`` in a subprocess."""
    build = default_build()  # pytest's --libvirt-build: its virsh and libvirt.so
    chosen = ["--libvirt-build", str(build.root)] if build is not None else []
    cmd = [sys.executable, "-m", "simvz", "run", *chosen, str(host.root), "--", "virsh", "-c", uri]
    done = subprocess.run([*cmd, *args], capture_output=True, text=True, cwd=REPO, check=False, timeout=120)
    _evidence_of_virsh(" ".join(args), done.stderr)
    return done


def _evidence_of_virsh(args: str, stderr: str) -> None:
    """virsh's libvirt errors (``error: ...`` lines) and the signal it died of (``simvz run``
    names it) join the test's evidence, for its ``xfail_claim``: they happen in another
    process, which the Sessions' record does not see."""
    errors = [line.removeprefix("error: ") for line in stderr.splitlines() if line.startswith("error: ")]
    ev = evidence()
    for message in errors:
        ev.calls.append(CallRecord(f"virsh {args}", {"message": message}))
    killed = re.search(r"^simvz: virsh killed by (SIG\w+)$", stderr, re.M)
    ev.signal = ev.signal or (killed.group(1) if killed else None)
