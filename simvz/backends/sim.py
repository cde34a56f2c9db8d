"""The simulated host as a backend: commands run through the node's own tools, the
driver through the preload shim."""

from __future__ import annotations

from typing import Any

from simvz.backends.base import CommandResult, Driver
from simvz.host import Host

TOOLS = ("vzctl", "vzlist", "vzmigrate")


class SimBackend:
    """A simulated node (``simvz init``)."""

    name = "sim"

    def __init__(self, host: Host) -> None:
        self.host = host

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

    def inspect(self) -> dict[str, Any]:
        """``simvz inspect``'s data."""
        from simvz.inspect import inspect

        return inspect(self.host)

    def driver(self) -> Driver:
        """libvirt's OpenVZ driver on this node, in a child process with the shim."""
        from simvz.harness.libvirt_runner import Session

        return Session(self.host)

    def describe(self) -> str:
        """``simulated (vzctl X.Y.Z)``."""
        return f"simulated OpenVZ host (vzctl {self.host.settings.vzctl_version})"

    def prepare_private(self, path: str, template: str) -> None:
        """Untar ``<template>.tar.gz`` from the node's cache into ``path``."""
        import tarfile

        from simvz.model.lifecycle import _extract

        with self.host.locked():
            target = self.host.fs.real(path)
            target.mkdir(parents=True, exist_ok=True)
            with tarfile.open(self.host.fs.real(f"/vz/template/cache/{template}.tar.gz")) as tar:
                _extract(tar, target)

    def ensure_bridge(self, name: str) -> None:
        """Add the bridge to the node's network if it lacks it (arrange-only)."""
        from simvz.model.hostnet import Bridge

        with self.host.locked() as h:
            h.kernel.net.bridges.setdefault(name, Bridge(name))
            h.commit()

    def inject_fault(self, tool: str, words: list[str], exit: int, message: str) -> None:
        """Make the node's next matching command fail (simulated hosts only)."""
        from simvz import faults

        faults.add(self.host, tool, words, exit, message + "\n")
