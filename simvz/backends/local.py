"""This machine's own OpenVZ host as a backend (``--vz-host local``).

libvirt's OpenVZ driver is local-only (``openvz:///system`` runs vzctl on the machine
that opens it), so the harness runs on the OpenVZ host itself and the driver's process
gets no shim. Everything is observed the way an administrator would: the real tools
(``/usr/sbin/vzlist``, ``vzctl status``, ``vzctl exec CT ip addr``, ``ip link``, ``ip
addr``, ``ip route``, ``brctl show``) and files (``/etc/vz/conf/<CT>.conf``,
``/proc/vz/veth``, ``/proc/vz/version``).

Nothing here is simulator-aware: run under ``simvz run DIR -- ...`` the same code
observes a simulated node, which is how it is tested.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Container
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from simvz.backends.base import CommandResult, Driver, HostBackend, Migrated, Unavailable, spare_nic_problem
from simvz.hostview import ContainerView, HostView, InterfacesView, NetworkView, NicView, StatusView
from simvz.inspect import CONFIG_KEYS  # the same config keys as the simulator's view

if TYPE_CHECKING:
    from simvz.harness.libvirt_build import LibvirtBuild

TEMPLATE_CACHE = "/vz/template/cache"
VZ_TOOLS = {"vzctl": "/usr/sbin/vzctl", "vzlist": "/usr/sbin/vzlist", "vzmigrate": "/usr/sbin/vzmigrate"}
# Where distributions put iproute2 and bridge-utils: usr-merged Debian, then RHEL6.
NET_TOOLS = {
    "ip": ("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"),
    "brctl": ("/usr/sbin/brctl", "/sbin/brctl"),
}
TIMEOUT = 900  # a vzctl create or stop on a loaded host can take minutes


class HostError(Exception):
    """An observation command failed (its argv, exit status and stderr)."""


def _find(tool: str) -> str:
    if tool in VZ_TOOLS:
        return VZ_TOOLS[tool]
    candidates = NET_TOOLS.get(tool, ())
    for path in candidates:
        if os.access(path, os.X_OK):
            return path
    if candidates:
        return candidates[0]  # not installed: run() answers as a shell would
    raise ValueError(f"the real-host backend runs only {', '.join([*VZ_TOOLS, *NET_TOOLS])}, not {tool!r}")


class LocalBackend:
    """The OpenVZ host this process runs on."""

    name = "local"

    def __init__(self, libvirt: LibvirtBuild | None = None, inside: Container[int] | None = None) -> None:
        self.libvirt = libvirt  # None: the system's libvirt.so
        # The containers whose insides may be looked at (``vzctl exec CT ip addr``); the
        # guard passes its reserved range, so an operator's container never runs a
        # command of ours. None: every container.
        self.inside = inside
        self._vzctl_version: str | None = None

    # -- the contract ------------------------------------------------------------------
    def run(self, argv: list[str]) -> CommandResult:
        """Run one of the host's tools by name (``vzctl``, ``vzlist``, ``ip``, ``brctl``)."""
        tool = argv[0].rsplit("/", 1)[-1]
        path = _find(tool)
        if not os.access(path, os.X_OK):
            # as a shell reports a missing command: exit 127
            return CommandResult(tuple(argv), 127, "", f"{path}: No such file or directory\n")
        done = subprocess.run(
            [path, *argv[1:]], capture_output=True, stdin=subprocess.DEVNULL, check=False,
            timeout=TIMEOUT, env=_tool_env(),
        )  # fmt: skip
        out = done.stdout.decode("utf-8", "surrogateescape")
        err = done.stderr.decode("utf-8", "surrogateescape")
        return CommandResult(tuple(argv), done.returncode, out, err)

    def read(self, path: str) -> str | None:
        """A file of this machine."""
        try:
            return Path(path).read_text(encoding="utf-8", errors="surrogateescape")
        except (FileNotFoundError, NotADirectoryError):
            return None

    def list_dir(self, path: str) -> list[str]:
        """Names in a directory of this machine."""
        try:
            return sorted(os.listdir(path))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def remove_tree(self, path: str) -> None:
        """``rm -rf`` (the guard calls it only for paths of the reserved range). A
        symlink is not followed (rmtree refuses one), so nothing it points at goes."""
        shutil.rmtree(path, ignore_errors=True)

    def resolve(self, path: str) -> str:
        """``realpath``: this machine's kernel resolves the symlinks."""
        return os.path.realpath(path)

    def driver(self) -> Driver:
        """libvirt's OpenVZ driver on this machine, in a child process, no shim."""
        from simvz.harness.libvirt_runner import Session

        return Session(None, libvirt=self.libvirt)

    def describe(self) -> str:
        """``real OpenVZ host (kernel K, OpenVZ V, vzctl X)``."""
        openvz = (self.read("/proc/vz/version") or "").strip()
        kernel = os.uname().release + (f", OpenVZ {openvz}" if openvz else "")
        return f"real OpenVZ host {os.uname().nodename} (kernel {kernel}, vzctl {self.vzctl_version()})"

    def vzctl_version(self) -> str:
        """What ``vzctl --version`` says (``vzctl version 4.11.1``), the version alone;
        asked once per backend (every inspection reports it)."""
        if self._vzctl_version is None:
            r = self.run(["vzctl", "--version"])
            words = (r.stdout or r.stderr).split()
            self._vzctl_version = (
                words[2] if words[:2] == ["vzctl", "version"] and len(words) > 2 else "unknown"
            )
        return self._vzctl_version

    def prepare_private(self, path: str, template: str) -> None:
        """Unpack the template cache into ``path`` as vzctl's create does (owners kept)."""
        from simvz import tarsafe

        self.ensure_template(template)
        Path(path).mkdir(parents=True, exist_ok=True)
        tarball = f"{TEMPLATE_CACHE}/{template}.tar.gz"
        # the same checked extraction as the simulated node's create: a hostile cache
        # cannot write outside ``path``, even as root
        tarsafe.extract(Path(tarball), Path(path), shown_as=tarball, keep_owners=True)

    def ensure_bridge(self, name: str) -> None:
        """The bridge exists (``brctl show``); never created on a real host."""
        if name not in {b["name"] for b in self.network()["bridges"]}:
            raise Unavailable(f"the host has no bridge {name!r} (brctl addbr {name}, or pick another host)")

    def ensure_template(self, name: str) -> None:
        """``/vz/template/cache/<name>.tar.gz`` exists."""
        if not os.path.isfile(f"{TEMPLATE_CACHE}/{name}.tar.gz"):
            raise Unavailable(
                f"no OS template {name!r} in {TEMPLATE_CACHE} (vztmpl-dl {name}, or copy the cache)"
            )

    def ensure_spare_nic(self, name: str) -> None:
        """The NIC is on the host, without address, on no bridge (a NIC inside a running
        container is named as such: the containers are looked into)."""
        problem = spare_nic_problem(self.inspect()["network"], name)
        if problem is not None:
            raise Unavailable(problem)

    def peer(self) -> HostBackend:
        """A real host has no second OpenVZ host configured: migration scenarios are not
        runnable here. Driving one would need the peer's own guard (its reserved range
        checked and cleaned as this host's is) and a destination URI for
        ``virDomainMigrate3``; neither exists yet."""
        raise Unavailable("no second OpenVZ host is configured for a real-host run (migration needs one)")

    def migrate(self, name: str, peer: HostBackend, live: bool) -> Migrated:
        """Not on a real host (see :meth:`peer`)."""
        raise Unavailable("migrating from a real host is not supported: no second OpenVZ host is configured")

    # -- observation ---------------------------------------------------------------------
    def inspect(self) -> HostView:
        """The host's containers and network, in ``simvz inspect``'s shape (the parts a
        real host shows its administrator)."""
        net = self.network()
        cts = [self._container(ctid, net) for ctid in self.ctids()]
        for ct in cts:
            for nic in ct["interfaces"]["netdev"] if ct["interfaces"] else []:
                net["nics"].append({"name": nic, "mac": "", "addr": "", "owner": ct["ctid"]})
        return {
            "hostname": os.uname().nodename,
            "vzctl_version": self.vzctl_version(),
            "containers": cts,
            "ips_in_use": {ip: ct["ctid"] for ct in cts for ip in ct["ips"]},
            "network": net,
        }

    def ctids(self) -> list[int]:
        """Every container the host knows (``vzlist -a -H -o ctid``)."""
        out = self._ok(["vzlist", "-a", "-H", "-o", "ctid"])
        return sorted(int(w) for w in out.split() if w.isdigit() and int(w) != 0)

    def status(self, ctid: int) -> StatusView:
        """``vzctl status CT``: exist, mounted, running, suspended."""
        words = self.run(["vzctl", "status", str(ctid)]).stdout.split()
        return {
            "exist": "exist" in words,
            "mounted": "mounted" in words,
            "running": "running" in words,
            "suspended": "suspended" in words,
        }

    def config(self, ctid: int) -> dict[str, str]:
        """``/etc/vz/conf/<CT>.conf`` as vzctl reads it: the last ``KEY=`` line wins."""
        return parse_config(self.read(f"/etc/vz/conf/{ctid}.conf") or "")

    def network(self) -> NetworkView:
        """NICs, bridges with their ports, and routes, as the host's tools print them."""
        links = parse_ip_link(self._ok(["ip", "-o", "link", "show"]))
        addrs = parse_ip_addr(self._ok(["ip", "-o", "-4", "addr", "show"]))
        bridges = parse_brctl_show(self._ok(["brctl", "show"]))
        veths = {v.host_ifname for v in self.veths()}
        skip = {*bridges, *veths, "lo", "venet0"}
        nics: list[NicView] = [
            {"name": link.name, "mac": link.mac, "addr": (addrs.get(link.name) or [""])[0], "owner": None}
            for link in links
            if link.kind == "link/ether" and link.name not in skip
        ]
        return {
            "nics": nics,
            "bridges": [
                {"name": b, "addr": (addrs.get(b) or [""])[0], "ports": p} for b, p in bridges.items()
            ],
            "routes": [
                " ".join(line.split())
                for line in self._ok(["ip", "route", "show"]).splitlines()
                if line.strip()
            ],
        }

    def veths(self) -> list[VethPair]:
        """``/proc/vz/veth``: host MAC, host name, CT MAC, CT name, CT ID per pair."""
        return parse_proc_veth(self.read("/proc/vz/veth") or "")

    def _container(self, ctid: int, net: NetworkView) -> ContainerView:
        status = self.status(ctid)
        conf = self.config(ctid)
        may_look = self.inside is None or ctid in self.inside
        interfaces = self._interfaces(ctid, net) if status["running"] and may_look else None
        return {
            "ctid": ctid,
            "status": status,
            "config": {k: conf.get(k) for k in CONFIG_KEYS},
            "private": conf.get("VE_PRIVATE", "").replace("$VEID", str(ctid)) or None,
            "ips": list(interfaces["venet0"]) if interfaces else [],
            "interfaces": interfaces,
        }

    def _interfaces(self, ctid: int, net: NetworkView) -> InterfacesView:
        """Inside (``vzctl exec CT ip addr``) paired with /proc/vz/veth and the bridges."""
        inside = parse_ip_addr_blocks(self.run(["vzctl", "exec", str(ctid), "ip", "addr"]).stdout)
        ports = {p: b["name"] for b in net["bridges"] for p in b["ports"]}
        pairs = sorted((v for v in self.veths() if v.veid == ctid), key=lambda v: v.ifname)
        ifnames = {v.ifname for v in pairs}
        return {
            "venet0": [
                a for name, link in inside.items() if name.split(":")[0] == "venet0" for a in link.globals
            ],
            "veth": [
                {
                    "ifname": v.ifname,
                    "mac": v.mac,
                    "host_ifname": v.host_ifname,
                    "host_mac": v.host_mac,
                    "bridge": ports.get(v.host_ifname),
                }
                for v in pairs
            ],
            "netdev": [n for n, link in inside.items() if link.kind == "link/ether" and n not in ifnames],
        }

    def _ok(self, argv: list[str]) -> str:
        r = self.run(argv)
        if not r.ok:
            raise HostError(f"{' '.join(argv)}: exit {r.exit}: {r.stderr.strip()}")
        return r.stdout


def _tool_env() -> dict[str, str]:
    # the tools' output is parsed: C locale, whatever the operator's shell uses
    return {**os.environ, "LC_ALL": "C"}


# -- parsers of the real tools' output ---------------------------------------------------------


@dataclass(frozen=True)
class IpLink:
    """One interface of ``ip link``/``ip addr``."""

    name: str
    kind: str
    mac: str
    master: str | None
    globals: tuple[str, ...] = ()  # scope global addresses, without prefix length


@dataclass(frozen=True)
class VethPair:
    """One line of ``/proc/vz/veth``."""

    host_mac: str
    host_ifname: str
    mac: str
    ifname: str
    veid: int


_LINK_HEAD = re.compile(r"^\d+:\s+([^:@\s]+)(?:@\S+)?:\s+<[^>]*>(.*)$")


def parse_ip_link(text: str) -> list[IpLink]:
    """``ip -o link show`` (iproute2 2.6.32 to 6.x): name, link type, MAC, master."""
    links = []
    for line in text.splitlines():
        head, _, rest = line.partition("\\")
        m = _LINK_HEAD.match(head)
        if not m:
            continue
        master = re.search(r"\bmaster (\S+)", m.group(2))
        link = rest.split()
        kind = link[0] if link else ""
        mac = link[1].lower() if len(link) > 1 and kind == "link/ether" else ""
        links.append(IpLink(m.group(1), kind, mac, master.group(1) if master else None))
    return links


def parse_ip_addr(text: str) -> dict[str, list[str]]:
    """``ip -o -4 addr show``: addresses (with prefix length) by device."""
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 4 and words[2] in ("inet", "inet6"):
            out.setdefault(words[1], []).append(words[3])
    return out


def parse_ip_addr_blocks(text: str) -> dict[str, IpLink]:
    """``ip addr`` (multi-line, as inside a container): per interface its type, MAC and
    scope-global addresses by label (venet0's come as ``venet0:0``, ``venet0:1``)."""
    links: dict[str, IpLink] = {}
    current: IpLink | None = None
    for line in text.splitlines():
        m = _LINK_HEAD.match(line)
        if m:
            current = IpLink(m.group(1), "", "", None)
            links[current.name] = current
            continue
        words = line.split()
        if current is None or not words:
            continue
        if words[0].startswith("link/"):
            mac = words[1].lower() if len(words) > 1 and words[0] == "link/ether" else ""
            current = IpLink(current.name, words[0], mac, None, current.globals)
        elif words[0] in ("inet", "inet6") and "global" in words:
            current = IpLink(
                current.name, current.kind, current.mac, None, (*current.globals, words[1].split("/")[0])
            )
        links[current.name] = current
    return links


def parse_brctl_show(text: str) -> dict[str, list[str]]:
    """``brctl show``: ports by bridge (continuation lines start with a tab)."""
    bridges: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines()[1:]:
        words = line.split()
        if not words:
            continue
        if not line[0].isspace():
            current = words[0]
            bridges[current] = words[3:4]
        elif current is not None:
            bridges[current].append(words[0])
    return bridges


def parse_proc_veth(text: str) -> list[VethPair]:
    """``/proc/vz/veth`` lines: ``host_mac host_ifname ct_mac ct_ifname veid``."""
    pairs = []
    for line in text.splitlines():
        w = line.split()
        if len(w) == 5 and w[4].isdigit():
            pairs.append(VethPair(w[0].lower(), w[1], w[2].lower(), w[3], int(w[4])))
    return pairs


def parse_config(text: str) -> dict[str, str]:
    """``KEY="value"`` lines of a vzctl config (comments and blanks skipped; the last
    occurrence of a key wins, as vzctl's parser keeps it)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        m = re.match(r"^\s*([A-Z_][A-Z0-9_]*)=(.*)$", line)
        if m:
            value = m.group(2).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            out[m.group(1)] = value
    return out
