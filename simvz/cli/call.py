"""One vzctl invocation as every command's parser and action get it, and the command
table's row: shared by :mod:`simvz.cli.vzctl` (the dispatch) and the modules of its
larger commands (vzctl_create, vzctl_set, vzctl_save, vzctl_simfs), which the dispatch
imports, so they cannot import it back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simvz.model.ctx import Ctx
from simvz.model.params import ParamSet
from simvz.results import Console

if TYPE_CHECKING:
    from simvz.host import Host


@dataclass
class Call:
    """One vzctl invocation after the global flags: what every action gets."""

    host: Host
    con: Console
    prog: str
    command: str
    veid: int
    name: str | None
    args: list[str]  # after the CT ID
    gps: ParamSet = field(default_factory=ParamSet)
    cps: ParamSet | None = None  # the CT's own config, None when missing
    opts: dict[str, object] = field(default_factory=dict)
    skiplock: bool = False
    stdin: bytes = b""

    @property
    def ps(self) -> ParamSet:
        """Global defaults merged with the CT config."""
        return self.gps.merged(self.cps) if self.cps is not None else ParamSet(dict(self.gps.values))

    def ctx(self) -> Ctx:
        """The model's view of this call."""
        return Ctx(self.host, self.veid, self.ps, self.con.log)


Parser = Callable[[Call], None]
Action = Callable[[Call], int]


@dataclass(frozen=True)
class Command:
    """A row of the command table."""

    parse: Parser
    action: Action
    lock: bool = True
    needs_conf: bool = True

