"""One command's view of a container, as every model operation takes it: shared by
:mod:`simvz.model.lifecycle` and :mod:`simvz.model.network`, which call each other."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from simvz import errors as E
from simvz.errors import VzError
from simvz.model import container as C
from simvz.model.kernel import Ct
from simvz.model.node import Node
from simvz.model.params import ParamSet

Log = Callable[[int, str], None]


@dataclass
class Ctx:
    """One command's view of a container: node, ID, merged params and logger."""

    host: Node
    veid: int
    ps: ParamSet
    log: Log

    @property
    def private(self) -> str:
        """Expanded VE_PRIVATE (23 if unset)."""
        p = C.private_of(self.ps, self.veid)
        if not p:
            raise VzError(E.VE_PRIVATE_NOTSET, "VE_PRIVATE is not set")
        return p

    @property
    def root(self) -> str:
        """Expanded VE_ROOT (22 if unset)."""
        r = C.root_of(self.ps, self.veid)
        if not r:
            raise VzError(E.VE_ROOT_NOTSET, "VE_ROOT is not set")
        return r

    @property
    def dumpfile(self) -> str:
        """Default checkpoint file ``<DUMPDIR>/Dump.<id>``."""
        return f"{self.ps.str('DUMPDIR') or '/vz/dump'}/Dump.{self.veid}"

    @property
    def kct(self) -> Ct:
        """Kernel state of this CT."""
        return self.host.kernel.ct(self.veid)

