"""Random sequences of network ``vzctl set`` / ``start`` / ``stop`` commands on three
containers sharing a small pool of IPs, NICs and veth names keep the node's network
consistent, as an administrator sees it in
``/proc/vz/{veinfo,veip,veth}`` and the node's ``ip route`` / ``ip neigh show proxy`` /
``brctl show`` / ``ip link`` (``simvz inspect``):

* the venet hash is unique: no address twice in ``/proc/vz/veip``, and veip holds exactly
  the addresses on the running containers' veinfo rows (``venet_core.c``);
* every address a running container holds has exactly one ``IP dev venet0`` route
  (``vzaddrouting`` skips an existing one, ``KV:scripts/vps-functions.in``), and a route or
  proxy-ARP entry for an address nobody holds exists only where vzctl itself leaves one
  behind (see LEAKS below);
* no veth pair without its running container (the kernel destroys them with the VE);
* every host NIC is on the node or in exactly one running container, and bridges have
  only ports that exist (a moved NIC or a vanished veth leaves its bridge);
* a refused command (non-zero exit) changes no file, except where vzctl 4.11.1 itself
  changes the node before failing (LEAKS).

Each ``set`` carries one network option with one value, so one resource group of
``vps_setup_res`` (``KV:src/lib/res.c``) is applied: vzctl rolls back within a group
(``vps_ip_ctl``) but never across groups, so a multi-group ``set`` that fails half way
is, on a real node too, half applied; tests/cli/test_network.py covers single cases.

LEAKS, the failure paths on which vzctl 4.11.1 changes the node (tests/cli/test_network.py
has one test for each):

* a start failing after its IPs were mapped and routed (NIC or veth stage): ``vps_start``
  only kills the VE (``env_stop``), so routes and proxy-ARP entries stay; a veth-stage
  failure comes after the distribution scripts wrote DNS and hostname inside the CT
  (``KV:src/lib/env.c``, ``KV:src/lib/res.c``);
* ``--ipadd`` of an address the CT holds but its config lacks: EADDRINUSE (78), and
  ``vps_ip_ctl``'s rollback deletes it from the CT without vps-net_del (``KV:src/lib/net.c``);
* the first live ``--netif_add`` of a CT without NETIF: vznetaddbr exits 1 (130) and the
  new pair is not rolled back (``KV:bin/vznetaddbr.in``, ``KV:src/lib/hooks_vz.c:vz_veth_ctl``);
* the mount point a first start makes (``KV:src/lib/fs.c:fsmount``).
"""

from __future__ import annotations

import os
import random
import re
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from simvz import inspect
from simvz.harness.nodes import Snapshot as NodeSnapshot
from simvz.host import Host
from simvz.results import Result
from tests.conftest import create_ct, make_host, vzctl

CTS = (101, 102, 103)
IPS = ("10.0.0.1", "10.0.0.2", "10.0.0.3")
NICS = ("eth1", "eth2", "eth9")  # eth9: no such NIC on the node
NETIFS = ("eth0", "eth1,,,,vmbr0", "eth2,,shared0", "eth3,,,,vmbr7")  # shared0: clashes; vmbr7: none
VALUES = {
    "--ipadd": (*IPS, "10.0.0.1/24"),
    "--ipdel": (*IPS, "all"),
    "--netif_add": NETIFS,
    "--netif_del": ("eth0", "eth1", "eth2", "all"),
    "--netdev_add": NICS,
    "--netdev_del": NICS,
}

Command = tuple[str, ...]


def commands(seed: int) -> list[Command]:
    """A sequence of 10-16 commands drawn uniformly from ``seed``: half of them a ``set``
    with one option, one value, with or without --save; starts twice as likely as stops,
    so that containers run for most of a sequence. Uniform draws rather than hypothesis's
    own (which favour short, simple data) make clashes between the CTs common."""
    rnd = random.Random(seed)
    out: list[Command] = []
    for _ in range(rnd.randint(10, 16)):
        ct = str(rnd.choice(CTS))
        if rnd.random() < 0.5:
            option = rnd.choice(sorted(VALUES))
            save = ("--save",) if rnd.random() < 0.5 else ()
            out.append(("set", ct, option, rnd.choice(VALUES[option]), *save))
        else:
            out.append((rnd.choice(["start", "start", "stop"]), ct))
    return out


# -- the node and what its administrator sees ---------------------------------------------------


# Configs saved while stopped that clash once the CTs run (config files are never
# cross-checked): one IP, one NIC and one veth host name in two CTs each.
SHARED: list[Command] = [
    ("set", "101", "--ipadd", "10.0.0.1", "--netif_add", "eth0", "--save"),
    ("set", "102", "--ipadd", "10.0.0.1", "--netdev_add", "eth1", "--save"),
    ("set", "103", "--ipadd", "10.0.0.2", "--netdev_add", "eth1", "--save"),
    ("set", "101", "--netif_add", "eth2,,shared0", "--save"),
    ("set", "103", "--netif_add", "eth2,,shared0", "--save"),
    ("set", "102", "--netif_add", "eth3,,,,vmbr7", "--save"),
]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, NodeSnapshot]:
    """Nodes with CTs 101-103 created and stopped: ``plain`` with nothing configured,
    ``shared`` with SHARED saved; each example works on a copy of one."""
    out = {}
    for base in ("plain", "shared"):
        host = make_host(tmp_path_factory.mktemp("netprop") / base)
        for veid in CTS:
            create_ct(host, veid)
        for cmd in SHARED if base == "shared" else []:
            r = vzctl(host, *cmd)
            assert r.exit == 0, (cmd, r.err)
        out[base] = NodeSnapshot.of(host.root)
    return out


Snapshot = dict[str, tuple[str, int, bytes | str | None]]


def snapshot(root: Path) -> Snapshot:
    """Every dir, symlink and file under the node, but the journal and lock files."""
    out: Snapshot = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            if rel.startswith(".simvz/journal") or rel.endswith(".lock"):
                continue
            st_ = path.lstat()
            kind = "link" if stat.S_ISLNK(st_.st_mode) else "dir" if stat.S_ISDIR(st_.st_mode) else "file"
            content = os.readlink(path) if kind == "link" else path.read_bytes() if kind == "file" else None
            out[rel] = (kind, stat.S_IMODE(st_.st_mode), content)
    return out


@dataclass
class View:
    """The node's network state, read from /proc/vz and ``simvz inspect``."""

    running: set[int]
    held: dict[int, list[str]]  # veinfo IPs per running CT
    veip: list[str]
    veth: list[list[str]]  # host MAC, host ifname, CT MAC, CT ifname, CT ID
    routes: list[str]
    proxy: list[tuple[str, str]]
    nics: dict[str, int | None]
    ports: dict[str, list[str]]
    netdev: dict[int, list[str]] = field(default_factory=dict)


def view(host: Host) -> View:
    proc = host.root / "proc/vz"
    held: dict[int, list[str]] = {}
    for line in (proc / "veinfo").read_text().splitlines():
        cols = line.split()
        if cols and cols[0] != "0":
            held[int(cols[0])] = cols[3:]
    veip = [line.split()[0] for line in (proc / "veip").read_text().splitlines()[1:]]
    veth = [line.split() for line in (proc / "veth").read_text().splitlines() if line.strip()]
    net = inspect.network(host)
    netdev = {veid: ifs["netdev"] for veid, ifs in net["interfaces"].items()}
    return View(
        running=set(held),
        held=held,
        veip=veip,
        veth=veth,
        routes=list(net["routes"]),
        proxy=[(p["ip"], p["dev"]) for p in net["proxy_arp"]],
        nics={n["name"]: n["owner"] for n in net["nics"]},
        ports={b["name"]: list(b["ports"]) for b in net["bridges"]},
        netdev=netdev,
    )


def conf_value(root: Path, veid: int, key: str) -> str:
    text = (root / f"etc/vz/conf/{veid}.conf").read_text()
    found = re.findall(rf'^{key}="([^"]*)"', text, flags=re.M)
    return found[-1] if found else ""


# -- the invariants ------------------------------------------------------------------------------


def check_invariants(v: View, may_leak: set[str], where: str) -> None:
    held = [ip for ips in v.held.values() for ip in ips]
    assert len(v.veip) == len(set(v.veip)), f"{where}: veip not unique: {v.veip}"
    assert sorted(v.veip) == sorted(held), f"{where}: veip {v.veip} vs veinfo {v.held}"
    venet = [r.split()[0] for r in v.routes if re.match(r"^\S+ dev venet0\b", r)]
    for ip in held:
        assert venet.count(ip) == 1, f"{where}: {ip} held, routed {venet.count(ip)} times: {v.routes}"
    stray = {ip for ip in venet if ip not in held} - may_leak
    assert not stray, f"{where}: routes for addresses no running CT holds: {stray}"
    stray_arp = {ip for ip, _dev in v.proxy if ip not in venet}
    assert not stray_arp, f"{where}: proxy-ARP entries without a route: {stray_arp}"
    orphans = [row for row in v.veth if int(row[4]) not in v.running]
    assert not orphans, f"{where}: veth pairs of CTs not running: {orphans}"
    for name, owner in v.nics.items():
        assert owner is None or owner in v.running, f"{where}: {name} in stopped CT {owner}"
        inside = [ct for ct, devs in v.netdev.items() if name in devs]
        assert inside == ([] if owner is None else [owner]), f"{where}: {name} inside {inside}"
    existing = {n for n, owner in v.nics.items() if owner is None} | {row[1] for row in v.veth}
    for bridge, members in v.ports.items():
        assert set(members) <= existing, f"{where}: {bridge} has ports {members} not on the node"


@dataclass
class Allowed:
    """What a refused command may change, and the addresses it may leave routed."""

    paths: set[str]
    prefixes: tuple[str, ...] = ()
    leak: set[str] = field(default_factory=set)
    anything: bool = False


def config_ips(root: Path, veid: int) -> set[str]:
    return {ip.split("/")[0] for ip in conf_value(root, veid, "IP_ADDRESS").split()}


def allowed_on_refusal(root: Path, before: View, cmd: Command, result: Result) -> Allowed:
    """The changes vzctl 4.11.1 makes on this failure path (module docstring, LEAKS)."""
    veid = int(cmd[1])
    mount_point = {f"vz/root/{veid}"}
    if cmd[0] == "start" and result.exit != 78:
        ips = config_ips(root, veid)
        return Allowed(mount_point, (f"vz/private/{veid}/etc/",), ips, anything=bool(ips))
    option, value = (cmd[2], cmd[3]) if cmd[0] == "set" else ("", "")
    ip = value.split("/")[0]
    held_unsaved = ip in before.held.get(veid, []) and ip not in config_ips(root, veid)
    if (option, result.exit) == ("--ipadd", 78) and held_unsaved:
        return Allowed(mount_point, leak={ip}, anything=True)
    first_veth = veid in before.running and not conf_value(root, veid, "NETIF")
    if (option, result.exit) == ("--netif_add", 130) and first_veth:
        return Allowed(mount_point, anything=True)
    return Allowed(mount_point)


class Walk:
    """A sequence of commands on one node, checking every step; what one step observed
    after the command is what the next one starts from."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.may_leak: set[str] = set()
        self.files = snapshot(host.root)
        self.view = view(host)

    def step(self, cmd: Command, label: str) -> None:
        root, before, before_files = self.host.root, self.view, self.files
        result = vzctl(self.host, *cmd)
        where = f"{label} vzctl {' '.join(cmd)} -> {result.exit} {result.err.strip()!r}"
        assert result.exit in (0, 21, 31, 32, 78, 104, 130), where
        self.files = snapshot(root)
        if result.exit != 0:
            allowed = allowed_on_refusal(root, before, cmd, result)
            self.may_leak |= allowed.leak
            diff = {
                k for k in before_files.keys() | self.files.keys() if before_files.get(k) != self.files.get(k)
            }
            kernel = {k for k in diff if k.startswith((".simvz/", "proc/"))} if allowed.anything else set()
            unexplained = {k for k in diff - kernel if k not in allowed.paths}
            unexplained = {k for k in unexplained if not k.startswith(allowed.prefixes)}
            assert not unexplained, f"{where}: a refusal changed {sorted(unexplained)}"
        self.view = view(self.host)
        check_invariants(self.view, self.may_leak, where)
        check_nics_stay(before, self.view, cmd, result, where)


def check_nics_stay(before: View, after: View, cmd: Command, result: Result, where: str) -> None:
    """A NIC moved into a CT stays there while the CT runs, until ``--netdev_del`` moves
    it back: nothing else can take it, since it is no longer in the node's namespace
    (``VZCTL_VE_NETDEV`` of a device not there is ENODEV, ``KV:src/lib/net.c:set_netdev``)."""
    for name, owner in before.nics.items():
        if owner is None or owner not in after.running:
            continue
        released = cmd[:3] == ("set", str(owner), "--netdev_del") and cmd[3] == name and result.exit == 0
        if not released:
            assert after.nics[name] == owner, f"{where}: {name} left CT {owner} for {after.nics[name]}"


@pytest.fixture
def node_copies() -> Iterator[Path]:
    """A directory under which each example makes its own copy of the template node."""
    with tempfile.TemporaryDirectory(prefix="simvz-netprop-") as tmp:
        yield Path(tmp)


# No shrinking: every step is a whole vzctl run on a real directory, so shrinking a failure
# takes minutes, while each assertion already names the step, the command and its result.
@settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(base=st.sampled_from(["plain", "shared"]), seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_network_commands_keep_the_node_consistent(
    template: dict[str, NodeSnapshot], node_copies: Path, base: str, seed: int
) -> None:
    """The module docstring's invariants over random command sequences."""
    root = Path(tempfile.mkdtemp(dir=node_copies))
    template[base].copy_to(root / "node")
    walk = Walk(Host(root / "node"))
    sequence = commands(seed)
    for i, cmd in enumerate(sequence):
        walk.step(cmd, f"{base} node, step {i + 1}/{len(sequence)}:")
    for veid in CTS:  # stopping everything gives every NIC back and removes every pair
        walk.step(("stop", str(veid)), "at the end:")
    assert walk.view.veth == [] and walk.view.veip == []
    assert all(owner is None for owner in walk.view.nics.values())


def test_a_scripted_sequence(template: dict[str, NodeSnapshot], tmp_path: Path) -> None:
    """One fixed sequence through every invariant: shared IP, shared NIC, shared veth
    host name, a missing bridge and NIC, live changes with and without --save."""
    template["plain"].copy_to(tmp_path / "node")
    walk = Walk(Host(tmp_path / "node"))
    script: list[Command] = [
        ("set", "101", "--ipadd", "10.0.0.1", "--save"),
        ("set", "102", "--ipadd", "10.0.0.1", "--save"),
        ("set", "101", "--netdev_add", "eth1", "--save"),
        ("set", "102", "--netdev_add", "eth1", "--save"),
        ("set", "101", "--netif_add", "eth2,,shared0", "--save"),
        ("set", "103", "--netif_add", "eth2,,shared0", "--save"),
        ("set", "103", "--netif_add", "eth3,,,,vmbr7", "--save"),
        ("start", "101"),
        ("start", "102"),
        ("start", "103"),
        ("set", "103", "--netif_del", "all", "--save"),
        ("start", "103"),
        ("set", "103", "--ipadd", "10.0.0.2"),
        ("set", "103", "--netdev_add", "eth2"),
        ("stop", "101"),
        ("start", "102"),
        ("set", "102", "--ipdel", "all"),
        ("stop", "103"),
    ]
    for i, cmd in enumerate(script):
        walk.step(cmd, f"step {i + 1}:")
    assert walk.view.nics["eth1"] == 102
