"""What a real OpenVZ host keeps in its kernel (and in vzquota's files), kept under
the host directory so that every process sees one host.

Config lives in files and is never mirrored here: this is only running/mounted state,
venet IPs, quota usage, devices and counters. The files are the state: other programs, libvirt's driver among
them, edit the configs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simvz.model.hostnet import HostNet
from simvz.model.plain import plain


@dataclass
class Quota:
    """A vzquota master block (``/var/vzquota/quota.<id>``): usage survives a stop.

    Blocks are 1 KiB; ``btime``/``itime`` are the clock second at which the grace
    period ends once usage passed the soft limit (0 = under the soft limit).
    """

    bused: int = 0
    iused: int = 0
    bsoft: int = 0
    bhard: int = 0
    isoft: int = 0
    ihard: int = 0
    grace: int = 259200
    btime: int = 0
    itime: int = 0
    on: bool = False


@dataclass
class Ct:
    """Kernel-side state of one container."""

    running: bool = False
    mounted: bool = False
    frozen: bool = False  # `chkpnt --suspend`: still running, all processes stopped
    ips: list[str] = field(default_factory=list)  # in order of addition
    nproc: int = 0
    started_at: int = 0
    cpu_ticks: int = 0
    # beancounter barrier:limit pairs given to setublimit, by vzctl's upper-case name
    ubc: dict[str, list[int]] = field(default_factory=dict)
    quota: Quota | None = None
    files: dict[str, str] = field(default_factory=dict)  # sizes written inside, by path
    # failures fault injection added to a beancounter's failcnt (simvz/faults.py)
    failcnt: dict[str, int] = field(default_factory=dict)

    def is_empty(self) -> bool:
        """Nothing left worth keeping (stopped, unmounted, no quota file)."""
        return not (self.running or self.mounted or self.quota)


@dataclass
class Kernel:
    """The whole host's kernel state plus the simulated clock (seconds)."""

    clock: int = 1_200_000_000  # 2008-01-10: the era of the thread
    cts: dict[int, Ct] = field(default_factory=dict)
    net: HostNet = field(default_factory=HostNet)

    def ct(self, veid: int) -> Ct:
        """The state of ``veid``, created empty on first use."""
        return self.cts.setdefault(veid, Ct())

    def peek(self, veid: int) -> Ct:
        """The state of ``veid`` without registering it."""
        return self.cts.get(veid) or Ct()

    def running(self) -> list[int]:
        """IDs of running containers, ascending."""
        return sorted(v for v, c in self.cts.items() if c.running)

    def ip_owner(self, ip: str) -> int | None:
        """The running CT that holds ``ip`` in the venet hash, if any."""
        for veid, c in self.cts.items():
            if c.running and ip in c.ips:
                return veid
        return None

    def prune(self) -> None:
        """Forget containers with no kernel state left."""
        self.cts = {v: c for v, c in self.cts.items() if not c.is_empty()}

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "clock": self.clock,
            "cts": {str(k): plain(v) for k, v in sorted(self.cts.items())},
            "net": self.net.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Kernel:
        """Inverse of :meth:`to_json`."""
        cts: dict[int, Ct] = {}
        for key, raw in data.get("cts", {}).items():
            quota = raw.pop("quota", None)
            ct = Ct(**raw)
            ct.quota = Quota(**quota) if quota else None
            cts[int(key)] = ct
        net = HostNet.from_json(data.get("net", {}))
        return cls(clock=int(data.get("clock", cls.clock)), cts=cts, net=net)
