"""vzctl 4.11.1 commands whose answer on a simfs node is simple: the ploop-only ones
(``snapshot*``, ``convert``, ``compact``), and ``enter``/``console``/``exec3`` up to
the point where they would need a terminal (``KV:src/vzctl-actions.c:parse_action_opt``,
``run_action``; ``KV:src/snapshot.c``; ``KV:src/lib/image.c``).

A simfs private area is never ploop, so every snapshot action ends at
``is_snapshot_supported`` with its own exit code, after the option checks of its
``parse_snapshot_*_opt``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simvz import errors as E
from simvz.cli.call import Call, Command, NoOpts, Opts, command
from simvz.cli.getopt import GetoptError, Opt, getopt_long
from simvz.errors import BadParameter, NotEmulated, UsageError, VzError
from simvz.model import lifecycle as L
from simvz.syntax.values import Invalid, parse_int

NOT_PLOOP = "Snapshot feature is only available for ploop-based CTs"
NO_PLOOP_KERNEL = (
    "No ploop support in the kernel, or kernel is way too old.",
    "Make sure you have OpenVZ kernel 042stab058.7 or later running,",
    "and kernel ploop modules loaded.",
)
_HEX = "[0-9a-fA-F]"
_GUID_RE = re.compile(rf"^\{{?({_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}})\}}?$")

# The option tables of KV:src/vzctl-actions.c parse_snapshot_*_opt and
# parse_convert_opt: (name, takes an argument, what it sets).
_ID = [Opt("id", True, "guid"), Opt("uuid", True, "guid")]
SNAPSHOT_OPTS: dict[str, list[Opt]] = {
    "snapshot": [*_ID, Opt("name", True), Opt("description", True),
                 Opt("skip-suspend", False), Opt("skip-config", False)],
    "snapshot-switch": [*_ID, Opt("skip_arpdetect", False), Opt("skip-resume", False),
                        Opt("skip-config", False), Opt("must-resume", False)],
    "snapshot-delete": _ID,
    "snapshot-umount": _ID,
    "snapshot-mount": [*_ID, Opt("target", True)],
}  # fmt: skip
SNAPSHOT_CODES = {
    "snapshot": E.CREATE_SNAPSHOT,
    "snapshot-switch": E.SWITCH_SNAPSHOT,
    "snapshot-delete": E.DELETE_SNAPSHOT,
    "snapshot-mount": E.MOUNT_SNAPSHOT,
    "snapshot-umount": E.UMOUNT_SNAPSHOT,
}
# What these commands leave unemulated (docs/emulation.md lists it).
PARTIAL = {
    "enter": "the terminal session on a running container",
    "console": "attaching to the container's console",
    "convert": "the conversion itself, on a kernel with ploop support",
}
_CONVERT = [Opt("layout", True, "layout"), Opt("ve_layout", True, "layout"), Opt("velayout", True, "layout")]


def _guid(value: str) -> str:
    """``KV:src/lib/util.c:vzctl_get_normalized_guid``: 36 characters, dashes at 8, 13,
    18 and 23, hex digits elsewhere; a leading and a trailing brace are each optional;
    stored with braces."""
    m = _GUID_RE.match(value)
    if m is None:
        raise Invalid(value)
    return "{" + m.group(1) + "}"


@dataclass(frozen=True)
class Got:
    """The options a snapshot or convert command line gave, by identity: the value of
    one taking an argument, None for a switch."""

    values: dict[str, str | None]

    def text(self, ident: str) -> str | None:
        """The argument of an option that takes one, if given."""
        return self.values.get(ident)

    def on(self, ident: str) -> bool:
        """Whether the option was given."""
        return ident in self.values


def _parse(call: Call, args: list[str], table: list[Opt]) -> Got:
    """``parse_opt``: unknown option 21 (getopt's message), bad value 21, extra 20;
    the first of a repeated option wins (``ERR_DUP``)."""
    operands: list[str] = []
    got: dict[str, str | None] = {}
    try:
        for p in getopt_long(call.prog, args, table, operands):
            value = p.value
            if p.id == "guid":
                try:
                    value = _guid(str(value))
                except Invalid:
                    raise BadParameter(f"--{p.name}", str(p.value)) from None
            got.setdefault(p.id, value)
    except GetoptError as err:
        raise UsageError(str(err), code=E.INVALID_PARAMETER_VALUE) from None
    if operands:
        raise UsageError("Invalid extra arguments: " + "".join(f"{o} " for o in operands))
    return Got(got)


@dataclass(frozen=True)
class SnapshotOpts(Opts):
    """``snapshot`` (create: its id is made when not given)."""

    guid: str | None
    name: str | None
    description: str | None
    skip_suspend: bool
    skip_config: bool


@dataclass(frozen=True)
class SnapshotIdOpts(Opts):
    """``snapshot-delete``, ``snapshot-umount``: the snapshot's id (braced)."""

    guid: str


@dataclass(frozen=True)
class SnapshotSwitchOpts(SnapshotIdOpts):
    """``snapshot-switch``."""

    skip_arpdetect: bool
    skip_resume: bool
    skip_config: bool
    must_resume: bool


@dataclass(frozen=True)
class SnapshotMountOpts(SnapshotIdOpts):
    """``snapshot-mount``."""

    target: str


def _syntax(message: str) -> VzError:
    return VzError(E.INVALID_PARAMETER_SYNTAX, f"Invalid syntax: {message}")


def _snapshot_id(call: Call, args: list[str]) -> tuple[Got, str]:
    """``parse_snapshot_{delete,switch,mount}_opt``: the id is required."""
    got = _parse(call, args, SNAPSHOT_OPTS[call.command])
    guid = got.text("guid")
    if guid is None:
        raise _syntax("snapshot id is missing")
    return got, guid


def parse_snapshot_create(call: Call, args: list[str]) -> SnapshotOpts:
    """``parse_snapshot_create_opt``."""
    got = _parse(call, args, SNAPSHOT_OPTS["snapshot"])
    texts = (got.text("guid"), got.text("name"), got.text("description"))
    return SnapshotOpts(*texts, got.on("skip-suspend"), got.on("skip-config"))


def parse_snapshot_id(call: Call, args: list[str]) -> SnapshotIdOpts:
    """``parse_snapshot_delete_opt`` (delete and umount)."""
    return SnapshotIdOpts(_snapshot_id(call, args)[1])


def parse_snapshot_switch(call: Call, args: list[str]) -> SnapshotSwitchOpts:
    """``parse_snapshot_switch_opt``: --skip-resume and --must-resume exclude each other."""
    got, guid = _snapshot_id(call, args)
    if got.on("skip-resume") and got.on("must-resume"):
        raise _syntax("--skip-resume and --must-resume can not be used together")
    return SnapshotSwitchOpts(
        guid, got.on("skip_arpdetect"), got.on("skip-resume"), got.on("skip-config"), got.on("must-resume")
    )


def parse_snapshot_mount(call: Call, args: list[str]) -> SnapshotMountOpts:
    """``parse_snapshot_mount_opt``: a target is required."""
    got, guid = _snapshot_id(call, args)
    target = got.text("target")
    if target is None:
        raise _syntax("mount target is missing")
    return SnapshotMountOpts(guid, target)


def act_snapshot(call: Call, _opts: Opts) -> int:
    """Each ``vzctl_env_*_snapshot`` of ``KV:src/snapshot.c`` starts with
    ``is_snapshot_supported``; mount and umount first need VE_PRIVATE."""
    if call.command in ("snapshot-mount", "snapshot-umount") and not call.ps.str("VE_PRIVATE"):
        verb = "mount" if call.command == "snapshot-mount" else "umount"
        raise VzError(E.VE_PRIVATE_NOTSET, f"Failed to {verb} snapshot: CT private not set")
    raise VzError(SNAPSHOT_CODES[call.command], NOT_PLOOP)


@dataclass(frozen=True)
class ConvertOpts(Opts):
    """``convert``: the layout asked for (``--layout``), as config.c reads it."""

    layout: str | None


def parse_convert(call: Call, args: list[str]) -> ConvertOpts:
    """``parse_convert_opt``: ``--layout`` with config.c's layout values."""
    from simvz.cli.setopts import layout_value

    layout = _parse(call, args, _CONVERT).text("layout")
    if layout is None:
        return ConvertOpts(None)
    try:
        return ConvertOpts(layout_value(layout))
    except Invalid:
        name = next(a for a in args if a.startswith("--") and "layout" in a).split("=")[0]
        raise BadParameter(name, layout) from None


def act_convert(call: Call, opts: ConvertOpts) -> int:
    """``KV:src/vzctl-actions.c:convert``: only to ploop; then
    ``KV:src/lib/image.c:vzctl_env_convert_ploop`` needs the kernel's ploop support,
    which a simfs-only node lacks (``is_ploop_supported``)."""
    layout = opts.layout or "ploop"
    if not layout.startswith("ploop"):
        raise VzError(E.INVALID_PARAMETER_VALUE, "Only conversion to ploop is supported")
    if not call.host.fs.exists("/proc/vz/ploop_minor"):
        raise VzError(E.PLOOP_UNSUP, *NO_PLOOP_KERNEL)
    raise NotEmulated("vzctl convert to ploop", ["simfs"])


def act_compact(call: Call, _opts: NoOpts) -> int:
    """``KV:src/vzctl-actions.c:compact``: the root and private must be set and the
    private area must exist; a simfs CT then needs nothing."""
    ps = call.ps
    root, private = ps.str("VE_ROOT"), ps.str("VE_PRIVATE")
    if not root:
        raise VzError(E.VE_ROOT_NOTSET, "VE_ROOT is not set")
    if not private:
        raise VzError(E.VE_PRIVATE_NOTSET, "VE_PRIVATE is not set")
    ctx = call.ctx()
    if not call.host.fs.exists(ctx.private):
        raise VzError(E.FS_NOPRVT, f"Container private area {ctx.private} does not exist")
    call.con.info("Compact only makes sense for ploop containers")
    return 0


@dataclass(frozen=True)
class EnterOpts(Opts):
    """``enter``: the command line of ``--exec``, or None for a shell."""

    exec_argv: tuple[str, ...] | None


def parse_enter(call: Call, args: list[str]) -> EnterOpts:
    """``parse_action_opt`` for ACTION_ENTER: only ``--exec CMD...`` may follow."""
    if not args:
        return EnterOpts(None)
    if args[0] != "--exec":
        raise UsageError(f"Invalid option '{args[0]}'")
    if len(args) == 1 or args[1] == "":
        raise UsageError("No command line given for --exec")
    return EnterOpts(tuple(args[1:]))


def act_enter(call: Call, _opts: EnterOpts) -> int:
    """``KV:src/vzctl-actions.c:enter``: VE_ROOT set, CT running; then a terminal
    session, which the simulated node does not open."""
    if not call.ps.str("VE_ROOT"):
        raise VzError(E.VE_ROOT_NOTSET, "VE_ROOT is not set")
    if not L.is_running(call.ctx()):
        raise VzError(E.VE_NOT_RUNNING, "Container is not running")
    raise NotEmulated("vzctl enter on a running container (a terminal session)", ["exec", "exec2", "exec3"])


@dataclass(frozen=True)
class ConsoleOpts(Opts):
    """``console``: the tty number, or None for the console itself."""

    tty: int | None


def parse_console(call: Call, args: list[str]) -> ConsoleOpts:
    """``KV:src/vzctl-actions.c:console_attach`` checks its tty number before attaching."""
    if len(args) > 1:
        raise _syntax("too many parameters!")
    if not args:
        return ConsoleOpts(None)
    try:
        tty = parse_int(args[0])
    except Invalid:
        tty = -1
    if tty < 0:
        raise VzError(E.INVALID_PARAMETER_VALUE, f"Invalid tty number: {args[0]}")
    return ConsoleOpts(tty)


def act_console(call: Call, _opts: ConsoleOpts) -> int:
    """Attaching needs the kernel's tty and a terminal (``KV:src/enter.c:do_console_attach``)."""
    raise NotEmulated("vzctl console", ["exec", "exec2", "exec3"])


SNAPSHOT_COMMANDS: dict[str, Command] = {
    "snapshot": command(parse_snapshot_create, act_snapshot),
    "snapshot-switch": command(parse_snapshot_switch, act_snapshot),
    "snapshot-delete": command(parse_snapshot_id, act_snapshot),
    "snapshot-umount": command(parse_snapshot_id, act_snapshot),
    "snapshot-mount": command(parse_snapshot_mount, act_snapshot),
}
