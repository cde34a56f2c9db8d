"""iproute2's ``ip link`` and ``ip addr`` output: the one renderer of it, for the node's
own ``ip`` (:mod:`simvz.cli.ip`, iproute2 6.1 of Debian 12) and for ``ip`` inside a
container (:mod:`simvz.cli.shell`, the older iproute of a CentOS 6 template, which
prints neither ``mode``/``group``/``qlen`` nor address lifetimes).

Both print each device as ``N: NAME: <FLAGS> mtu ... state ...`` then its link line
(``link/TYPE ADDRESS brd BROADCAST``, ``ip/ipaddress.c:print_linkinfo``) and, for
``ip addr``, one ``inet[6] ADDR scope SCOPE LABEL`` line per address
(``ip/ipaddress.c:print_addrinfo``).
"""

from __future__ import annotations

from dataclasses import dataclass

LOOPBACK = "link/loopback"
ETHER = "link/ether"
VOID = "link/void"


@dataclass(frozen=True)
class Addr:
    """One address line: ``inet 10.0.0.1/24 scope global eth0``."""

    family: str  # inet, inet6
    cidr: str
    scope: str
    label: str

    def render(self) -> str:
        """The line without indentation."""
        return f"{self.family} {self.cidr} scope {self.scope} {self.label}"


@dataclass(frozen=True)
class Link:
    """One interface as ``ip link`` shows it."""

    name: str
    flags: str
    kind: str  # link/ether, link/loopback, link/void
    mac: str
    master: str | None = None
    addrs: tuple[Addr, ...] = ()


def _brd(link: Link) -> str:
    if link.kind == LOOPBACK:
        return " brd 00:00:00:00:00:00"
    return " brd ff:ff:ff:ff:ff:ff" if link.kind == ETHER else ""


def node_link(index: int, link: Link, oneline: bool, family: str | None) -> str:
    """``ip [-o] link`` (``family`` None) or ``ip [-o] [-4|-6] addr`` (``family`` "" for
    both, "4" or "6") for one device, as iproute2 6.1 prints it."""
    sep = "\\" if oneline else "\n"
    inet = [a for a in link.addrs if a.family == "inet"] if family != "6" else []
    if family is not None and oneline:
        return "".join(
            f"{index}: {link.name}    {a.render()}{sep}       valid_lft forever preferred_lft forever\n"
            for a in inet
        )
    mtu = 65536 if link.kind == LOOPBACK else 1500
    master = f" master {link.master}" if link.master else ""
    state = "UNKNOWN" if link.kind != ETHER else "UP"
    head = (
        f"{index}: {link.name}: <{link.flags}> mtu {mtu} qdisc noqueue{master} state {state}"
        " mode DEFAULT group default qlen 1000"
    )
    # 6.1 prints the address field even when empty: "link/void " keeps its space
    text = f"{head}{sep}    {link.kind}{(' ' + link.mac) if link.mac else ' '}{_brd(link)}"
    if family is not None:
        text += "".join(f"\n    {a.render()}\n       valid_lft forever preferred_lft forever" for a in inet)
    return text + "\n"


def ct_link(index: int, link: Link, addrs: bool) -> str:
    """``ip link`` (``addrs`` False) or ``ip addr`` for one device inside a container."""
    line = f"{link.kind}{(' ' + link.mac) if link.mac else ''}{_brd(link)}"
    text = f"{index}: {link.name}: <{link.flags}> mtu 1500 qdisc noqueue state UNKNOWN \n    {line}\n"
    return text + ("".join(f"    {a.render()}\n" for a in link.addrs) if addrs else "")
