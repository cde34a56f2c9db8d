"""One vzctl invocation as every command's parser and action get it, the base of the
commands' option types, and the command table's row: shared by :mod:`simvz.cli.vzctl`
(the dispatch) and the modules of its larger commands (setopts, vzctl_create,
vzctl_set, vzctl_save, vzctl_simfs), which the dispatch imports, so they cannot import
it back.

Each command has its own options type (a subclass of :class:`Opts`): its parser
returns one, its action takes that one, and :func:`command` binds the two so that
mypy proves an action reads only what its command's parser can give it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from simvz.model.ctx import Ctx
from simvz.model.params import ParamSet
from simvz.results import Console

if TYPE_CHECKING:
    from simvz.host import Host


class Opts:
    """What one command's parser found: each command (or family) subclasses it with
    the options it takes."""

    def runs_without_kernel(self) -> bool:
        """Whether the command goes on without ``/proc/vz``: only ``set --save --force``
        does (``KV:src/vzctl-actions.c:run_action``)."""
        return False


@dataclass(frozen=True)
class NoOpts(Opts):
    """A command that takes no options (``parse_action_opt``'s default case)."""


@dataclass
class Call:
    """One vzctl invocation after the global flags, the command and the CT ID: what
    every parser and action gets besides the command's own arguments and options."""

    host: Host
    con: Console
    prog: str
    command: str
    veid: int
    name: str | None
    gps: ParamSet = field(default_factory=ParamSet)
    cps: ParamSet | None = None  # the CT's own config, None when missing
    skiplock: bool = False
    stdin: bytes = b""

    @property
    def ps(self) -> ParamSet:
        """Global defaults merged with the CT config."""
        return self.gps.merged(self.cps) if self.cps is not None else ParamSet(dict(self.gps.values))

    def ctx(self) -> Ctx:
        """The model's view of this call."""
        return Ctx(self.host, self.veid, self.ps, self.con.log)


OptsT = TypeVar("OptsT", bound=Opts)


@dataclass(frozen=True)
class Bound:
    """A command line parsed: its options, and its action on them, not yet run."""

    opts: Opts
    run: Callable[[], int]


@dataclass(frozen=True)
class Command:
    """A row of the command table: the parser and the action bound by :func:`command`."""

    prepare: Callable[[Call, list[str]], Bound]
    lock: bool = True
    needs_conf: bool = True
    reads_only: bool = False  # changes no file (simvz/confine.py:cached may serve it)


def command(
    parse: Callable[[Call, list[str]], OptsT],
    action: Callable[[Call, OptsT], int],
    *,
    lock: bool = True,
    needs_conf: bool = True,
    reads_only: bool = False,
) -> Command:
    """The row for a parser and the action that takes what it returns (the arguments
    after the CT ID go to the parser only)."""

    def prepare(call: Call, args: list[str]) -> Bound:
        opts = parse(call, args)
        return Bound(opts, lambda: action(call, opts))

    return Command(prepare, lock, needs_conf, reads_only)
