"""What a host command names, read the way the tool itself reads its argv: the guard's
parser (:meth:`simvz.harness.guard.Guard.check` then asks the host what those names
are). Anything this cannot read is :class:`Unreadable`, and the guard refuses it.

- ``vzctl``: leading global options exactly as vzctl 4.11.1 strips them (only
  ``--verbose``, ``--quiet``, ``--version`` and ``--skiplock``, only before the command:
  ``KV:src/vzctl.c:main``), the command word, the CT argument (a number when vzctl's
  ``parse_int`` takes it, else a name), then the command's options through the same
  getopt tables the simulated vzctl uses (``KV:src/vzctl-actions.c:parse_opt``).
- ``vzmigrate``: its getopt(1) option string and the script's two operands,
  ``destination CTID`` (``KV:bin/vzmigrate.in``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from simvz.cli import setopts
from simvz.cli import vzctl as vzctl_cli
from simvz.cli.getopt import GetoptError, Opt, getopt_long
from simvz.results import Console
from simvz.syntax.values import Invalid, parse_int

# vzctl's own global options (KV:src/vzctl.c:main compares them with strcmp, in front
# of the command only); ``-q``/``-v`` are not among them.
VZCTL_GLOBAL_OPTS = ("--verbose", "--quiet", "--version", "--skiplock")
# Commands that only look; every other one may change the container it names.
READ_ONLY_VZCTL = frozenset({"status"})
# The vzctl 4.11.1 commands (KV:src/vzctl.c:main) with the option tables the simulated
# vzctl parses them by; None: the rest of argv is not vzctl's (a command line run inside
# the container, a script).
_OPTIONS: dict[str, tuple[list[Opt], str] | None] = {
    "set": (setopts.longopts(setopts.SET_OPTIONS)[0], setopts.SHORT),
    "create": (setopts.longopts(setopts.CREATE_OPTIONS)[0], ""),
    **{c: (vzctl_cli.STARTSTOP_OPTIONS, "") for c in ("start", "stop", "restart")},
    **{c: ([], "") for c in ("destroy", "delete", "mount", "umount", "quotaon", "quotaoff", "quotainit")},
    **{c: (vzctl_cli.CHKPNT_OPTIONS, "") for c in ("suspend", "chkpnt")},
    **{c: (vzctl_cli.RESTORE_OPTIONS, "") for c in ("resume", "restore")},
    **{c: None for c in ("exec", "exec2", "exec3", "runscript", "enter", "console")},
}
# Options whose value is a host path the container will use as its own.
PATH_OPTIONS = {"private": "VE_PRIVATE", "root": "VE_ROOT"}


class Unreadable(Exception):
    """The guard cannot tell what this command would touch."""


@dataclass(frozen=True)
class VzctlCall:
    """A vzctl command line as vzctl reads it."""

    command: str  # "" for ``--version``/``--help``/usage: nothing is touched
    target: int | str | None = None  # a CT ID, a name, or None (missing)
    paths: dict[str, str] = field(default_factory=dict)  # VE_PRIVATE/VE_ROOT set by options
    samples: tuple[str, ...] = ()  # config samples applied (--config, --applyconfig)
    dumpfile: str | None = None

    @property
    def read_only(self) -> bool:
        """Only looks (or prints usage, version): may name any container."""
        return self.command in READ_ONLY_VZCTL or not self.command or self.target is None


def read_vzctl(args: list[str]) -> VzctlCall:
    """``args``: vzctl's argv without argv[0]."""
    while args and args[0] in VZCTL_GLOBAL_OPTS:
        if args[0] == "--version":
            return VzctlCall("")  # prints the version and exits
        args = args[1:]
    if not args or args[0] == "--help":
        return VzctlCall("")
    command = args[0]
    if command not in _OPTIONS and command not in READ_ONLY_VZCTL:
        raise Unreadable(f"vzctl command {command!r} is not one the guard knows")
    if len(args) < 2:
        return VzctlCall(command)  # vzctl answers "CT ID missing"
    target = vzctl_ctid(args[1])
    table = _OPTIONS.get(command)
    if command in READ_ONLY_VZCTL or table is None:
        return VzctlCall(command, target)
    return _with_options(command, target, args[2:], *table)


def vzctl_ctid(arg: str) -> int | str:
    """vzctl's CT argument: a number when ``parse_int`` reads one (ASCII digits only;
    ``+``, leading zeros and blanks allowed), else a name (``get_veid_by_name``)."""
    try:
        return parse_int(arg)
    except Invalid:
        return arg


def _with_options(
    command: str, target: int | str, rest: list[str], longopts: list[Opt], short: str
) -> VzctlCall:
    operands: list[str] = []
    paths: dict[str, str] = {}
    samples: list[str] = []
    dumpfile = None
    try:
        for p in getopt_long("vzctl", rest, longopts, operands, short):
            if p.id in PATH_OPTIONS:
                paths[PATH_OPTIONS[p.id]] = p.value or ""
            elif p.id in ("config", "applyconfig"):
                samples.append(p.value or "")
            elif p.id == "dumpfile":
                dumpfile = p.value or ""
    except GetoptError as err:
        raise Unreadable(str(err)) from None
    if operands:
        raise Unreadable(f"extra arguments {' '.join(operands)}")
    return VzctlCall(command, target, paths, tuple(samples), dumpfile)


@dataclass(frozen=True)
class MigrateCall:
    """A vzmigrate command line: the container it moves, or None (usage, help)."""

    ctid: int | None


# vzmigrate options that hand the rest to programs it runs (ssh's -o ProxyCommand=...)
_RUNS_PROGRAMS = frozenset({"--ssh", "--rsync"})


def read_vzmigrate(args: list[str]) -> MigrateCall:
    """``args``: vzmigrate's argv without argv[0]."""
    from simvz.cli.vzmigrate.args import getopt

    if not args:
        return MigrateCall(None)  # usage
    parsed, operands, ok = getopt(Console(), args)
    if not ok:
        raise Unreadable("vzmigrate's getopt refuses its options")
    names = {name for name, _ in parsed}
    if names & {"-h", "--help", "--usage"}:
        return MigrateCall(None)
    if names & _RUNS_PROGRAMS:
        raise Unreadable("--ssh/--rsync options run programs the guard cannot follow")
    if len(operands) != 2:
        raise Unreadable(f"vzmigrate takes a destination and one CT ID, not {operands}")
    if not re.fullmatch(r"[0-9]+", operands[1]):
        raise Unreadable(f"CT ID {operands[1]!r} is not a number")
    return MigrateCall(int(operands[1]))
