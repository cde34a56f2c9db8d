"""The simulated host as a backend: commands run through the node's own tools, the
driver through the preload shim."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import TYPE_CHECKING

from simvz import confine
from simvz.backends.base import CommandResult, Driver, HostBackend, Migrated, Unavailable, spare_nic_problem
from simvz.host import Host
from simvz.hostview import HostView

if TYPE_CHECKING:
    from simvz.harness.libvirt_build import LibvirtBuild

TOOLS = ("vzctl", "vzlist", "vzmigrate", "ip", "brctl")
TEMPLATE_CACHE = "/vz/template/cache"
PEER_NAME = "simvz-peer"  # the second node's host name, as vzmigrate's DEST names it


class SimBackend:
    """A simulated node (``simvz init``)."""

    name = "sim"

    def __init__(self, host: Host, libvirt: LibvirtBuild | None = None) -> None:
        self.host = host
        self.libvirt = libvirt  # None: the system's libvirt.so
        self._peer: SimBackend | None = None

    def run(self, argv: list[str]) -> CommandResult:
        """The node's vzctl/vzlist/vzmigrate, in-process (recorded in its journal)."""
        tool = argv[0].rsplit("/", 1)[-1]
        if tool not in TOOLS:
            raise ValueError(f"the simulated host runs only {', '.join(TOOLS)}, not {argv[0]!r}")
        r = self.host.run(tool, [tool, *argv[1:]])
        return CommandResult(tuple(argv), r.exit, r.out, r.err)

    def read(self, path: str) -> str | None:
        """A node file by its node path."""
        return self.host.fs.read(path)

    def inspect(self) -> HostView:
        """``simvz inspect``'s data."""
        from simvz.inspect import inspect

        return inspect(self.host)

    def driver(self) -> Driver:
        """libvirt's OpenVZ driver on this node, in a child process with the shim."""
        from simvz.harness.libvirt_runner import Session

        return Session(self.host, libvirt=self.libvirt)

    def describe(self) -> str:
        """``simulated (vzctl X.Y.Z)``."""
        return f"simulated OpenVZ host (vzctl {self.host.settings.vzctl_version})"

    def prepare_private(self, path: str, template: str) -> None:
        """Untar ``<template>.tar.gz`` from the node's cache into ``path``."""
        from simvz import tarsafe

        self.ensure_template(template)
        tarball = f"{TEMPLATE_CACHE}/{template}.tar.gz"
        with self.host.locked():
            self.host.fs.mkdir(path)
            tarsafe.extract(self.host.fs.real(tarball), self.host.fs.real(path), shown_as=tarball)

    def list_dir(self, path: str) -> list[str]:
        """Names in a node directory."""
        real = self.host.fs.real(path)
        return sorted(p.name for p in real.iterdir()) if real.is_dir() else []

    def remove_tree(self, path: str) -> None:
        """Remove a node directory (under the host lock: vzctl may be running)."""
        with self.host.locked():
            self.host.fs.rmtree(path)

    def resolve(self, path: str) -> str:
        """Symlinks followed inside the node: an absolute target starts at the node's
        root, ``..`` stops there (the node is the simulated machine)."""
        return resolve_in(self.host.fs.root, path)

    def ensure_template(self, name: str) -> None:
        """The node's template cache has ``<name>.tar.gz`` (``simvz init --template``)."""
        if not self.host.fs.exists(f"{TEMPLATE_CACHE}/{name}.tar.gz"):
            raise Unavailable(f"no OS template {name!r} in {TEMPLATE_CACHE} (simvz init --template {name})")

    def ensure_spare_nic(self, name: str) -> None:
        """The node has the NIC, spare (``simvz init --nic``)."""
        problem = spare_nic_problem(self.inspect()["network"], name)
        if problem is not None:
            raise Unavailable(problem)

    def ensure_bridge(self, name: str) -> None:
        """Add the bridge to the node's network if it lacks it (arrange-only)."""
        from simvz.model.hostnet import Bridge

        with self.host.locked() as h:
            h.kernel.net.bridges.setdefault(name, Bridge(name))
            h.commit()

    def peer(self) -> SimBackend:
        """A second simulated node beside this one (``<dir>-peer``), made on first use.
        Both are registered in a registry of their own (``<dir>-hosts.json``), which is
        how vzmigrate on this node finds the peer by its host name, and which no other
        scenario's nodes share."""
        if self._peer is None:
            from simvz import registry
            from simvz.hostinit import init_host

            root = self.host.root
            hosts = root.with_name(f"{root.name}-hosts.json")
            registry.register(self.host.settings.hostname, root, hosts)
            peer = init_host(root.with_name(f"{root.name}-peer"), hostname=PEER_NAME, registry=hosts)
            self._peer = SimBackend(peer, self.libvirt)
        return self._peer

    def migrate(self, name: str, peer: HostBackend, live: bool) -> Migrated:
        """libvirt's V3 migration between this node and a simulated peer, each node's
        driver in its own process (:mod:`simvz.harness.migration`)."""
        from simvz.harness.migration import migrate_between

        dst = getattr(peer, "host", None)
        if not isinstance(dst, Host):
            raise Unavailable("a simulated host migrates only to another simulated host")
        return migrate_between(self.host, dst, name, live, self.libvirt)

    def inject_fault(self, tool: str, words: list[str], exit: int, message: str) -> None:
        """Make the node's next matching command fail (simulated hosts only)."""
        from simvz import faults

        faults.add(self.host, tool, words, exit, message + "\n")


def resolve_in(root: Path, path: str) -> str:
    """``realpath`` of the node path ``path`` within the node at ``root`` (the node's one
    path-resolution layer, :mod:`simvz.confine`); OSError(ELOOP) after too many links,
    as the kernel answers."""
    try:
        return confine.resolve(root, path)
    except confine.PathLoop as err:
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path) from err
