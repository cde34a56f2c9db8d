"""What a migration does to the kernel state of the two nodes it joins
(``vzctl scripts/vzmigrate.in``): the destination's quota takes over the source's usage
as rsync fills the private area, ``vzquota off|drop`` on the destination, and a tool the
script runs on the source under its own lock leaves the kernel as it was when it is
refused. vzmigrate (a tool) calls these; it never writes kernel state itself
(docs/architecture.md: every change to a container goes through the model).
"""

from __future__ import annotations

from typing import Any

from simvz.model.kernel import Kernel
from simvz.model.node import Node


def kernel_state(node: Node) -> dict[str, Any]:
    """The node's kernel state, to be put back by :func:`restore_kernel`."""
    return node.kernel.to_json()


def restore_kernel(node: Node, saved: dict[str, Any]) -> None:
    """Put back the kernel state of :func:`kernel_state`: a refused tool leaves the node
    as it was. ``Host.run`` has that by not committing; a tool vzmigrate runs on the
    source inside the lock it already holds shares its uncommitted state, so it is put
    back here."""
    old = Kernel.from_json(saved)
    node.kernel.clock, node.kernel.cts, node.kernel.net = old.clock, old.cts, old.net


def quota_usage(node: Node, veid: int) -> tuple[int, int] | None:
    """A container's first-level quota usage (blocks, inodes); vzquota's file survives a
    stop, so a stopped container has one too. None without a quota file."""
    q = node.kernel.peek(veid).quota
    return (q.bused, q.iused) if q is not None else None


def receive_usage(node: Node, veid: int, usage: tuple[int, int] | None) -> None:
    """The destination's quota counts what rsync wrote into the private area: the
    source's usage (``vzmigrate.in``: the quota is on during the copy)."""
    q = node.kernel.ct(veid).quota
    if q is not None and usage is not None:
        q.bused, q.iused = usage


def quota_off(node: Node, veid: int) -> None:
    """``vzquota off <id>`` on the destination: the quota file stays, inactive."""
    ct = node.kernel.cts.get(veid)
    if ct is not None and ct.quota is not None:
        ct.quota.on = False


def quota_drop(node: Node, veid: int) -> None:
    """``vzquota drop <id>`` on the destination: the quota file is gone."""
    ct = node.kernel.cts.get(veid)
    if ct is not None and ct.quota is not None:
        ct.quota = None
