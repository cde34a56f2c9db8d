"""One vzctl invocation as every command's parser and action get it, and the command
table's row: shared by :mod:`simvz.cli.vzctl` (the dispatch) and the modules of its
larger commands (vzctl_create, vzctl_set, vzctl_save, vzctl_simfs), which the dispatch
imports, so they cannot import it back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simvz.cli.setopts import Request
from simvz.model.ctx import Ctx
from simvz.model.params import ParamSet
from simvz.results import Console

if TYPE_CHECKING:
    from simvz.host import Host


@dataclass
class Opts:
    """What a command's parser found that its action reads; each field is for the
    commands named beside it (the rest stay at their defaults)."""

    flags: set[str] = field(default_factory=set)  # start, stop, restart; set, create: req.flags
    req: Request | None = None  # set, create: every option, as vps_set/vps_create get them
    sub: str | None = None  # suspend/chkpnt, resume/restore: the one sub-command given
    dumpfile: str | None = None  # suspend/chkpnt, resume/restore: --dumpfile
    layout: str | None = None  # convert: --layout, as config.c reads it

    def request(self) -> Request:
        """set's and create's options (their parser always sets them)."""
        assert self.req is not None, "set/create parsed no options"
        return self.req


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
    opts: Opts = field(default_factory=lambda: Opts())
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

