"""What the model needs of a node: its files, its kernel state and two facts of its
settings. :class:`simvz.host.Host` satisfies it structurally; the model never imports
the node (docs/architecture.md), so a rule can be exercised on anything that has these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from simvz.model.kernel import Kernel
from simvz.storage import Storage


@dataclass
class TemplateInfo:
    """A cached OS template's declared unpacked size (1 KiB blocks) and inode count."""

    kb: int
    inodes: int


class NodeSettings(Protocol):
    """The node-wide facts the model reads: the hardware ID veth MACs derive from, the
    cached templates' declared sizes (a fresh private area's quota usage), the CPUs, the
    seed the usage model draws a running CT's numbers from, and the vzctl version (what
    a veth's bridge needs differs before 3.0.23)."""

    @property
    def hwid(self) -> str: ...

    @property
    def cpus(self) -> int: ...

    @property
    def seed(self) -> int: ...

    @property
    def vzctl_version(self) -> str: ...

    @property
    def templates(self) -> Mapping[str, TemplateInfo]: ...


class Node(Protocol):
    """A node as the model sees it: storage, kernel state (valid under the node's lock),
    settings."""

    @property
    def fs(self) -> Storage: ...

    @property
    def kernel(self) -> Kernel: ...

    @property
    def settings(self) -> NodeSettings: ...
