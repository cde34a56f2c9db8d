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

from simvz import errors as E
from simvz.cli.call import Call
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


def _parse(call: Call, table: list[Opt]) -> dict[str, str | bool]:
    """``parse_opt``: unknown option 21 (getopt's message), bad value 21, extra 20;
    the first of a repeated option wins (``ERR_DUP``)."""
    operands: list[str] = []
    got: dict[str, str | bool] = {}
    try:
        for p in getopt_long(call.prog, call.args, table, operands):
            value: str | bool = True if p.value is None else p.value
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
    return got


def parse_snapshot(call: Call) -> None:
    """``parse_snapshot_{create,switch,delete,mount}_opt``: the id is required except
    for ``snapshot`` (create makes one); switch refuses --skip-resume with --must-resume."""
    got = _parse(call, SNAPSHOT_OPTS[call.command])
    if call.command == "snapshot":
        return
    if "guid" not in got:
        raise VzError(E.INVALID_PARAMETER_SYNTAX, "Invalid syntax: snapshot id is missing")
    if call.command == "snapshot-switch" and "skip-resume" in got and "must-resume" in got:
        raise VzError(
            E.INVALID_PARAMETER_SYNTAX,
            "Invalid syntax: --skip-resume and --must-resume can not be used together",
        )
    if call.command == "snapshot-mount" and "target" not in got:
        raise VzError(E.INVALID_PARAMETER_SYNTAX, "Invalid syntax: mount target is missing")


def act_snapshot(call: Call) -> int:
    """Each ``vzctl_env_*_snapshot`` of ``KV:src/snapshot.c`` starts with
    ``is_snapshot_supported``; mount and umount first need VE_PRIVATE."""
    if call.command in ("snapshot-mount", "snapshot-umount") and not call.ps.str("VE_PRIVATE"):
        verb = "mount" if call.command == "snapshot-mount" else "umount"
        raise VzError(E.VE_PRIVATE_NOTSET, f"Failed to {verb} snapshot: CT private not set")
    raise VzError(SNAPSHOT_CODES[call.command], NOT_PLOOP)


def parse_convert(call: Call) -> None:
    """``parse_convert_opt``: ``--layout`` with config.c's layout values."""
    from simvz.cli.setopts import layout_value

    got = _parse(call, _CONVERT)
    layout = got.get("layout")
    if isinstance(layout, str):
        try:
            call.opts.layout = layout_value(layout)
        except Invalid:
            name = next(a for a in call.args if a.startswith("--") and "layout" in a).split("=")[0]
            raise BadParameter(name, layout) from None


def act_convert(call: Call) -> int:
    """``KV:src/vzctl-actions.c:convert``: only to ploop; then
    ``KV:src/lib/image.c:vzctl_env_convert_ploop`` needs the kernel's ploop support,
    which a simfs-only node lacks (``is_ploop_supported``)."""
    layout = call.opts.layout or "ploop"
    if not layout.startswith("ploop"):
        raise VzError(E.INVALID_PARAMETER_VALUE, "Only conversion to ploop is supported")
    if not call.host.fs.exists("/proc/vz/ploop_minor"):
        raise VzError(E.PLOOP_UNSUP, *NO_PLOOP_KERNEL)
    raise NotEmulated("vzctl convert to ploop", ["simfs"])


def act_compact(call: Call) -> int:
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


def parse_enter(call: Call) -> None:
    """``parse_action_opt`` for ACTION_ENTER: only ``--exec CMD...`` may follow."""
    if not call.args:
        return
    if call.args[0] != "--exec":
        raise UsageError(f"Invalid option '{call.args[0]}'")
    if len(call.args) == 1 or call.args[1] == "":
        raise UsageError("No command line given for --exec")


def act_enter(call: Call) -> int:
    """``KV:src/vzctl-actions.c:enter``: VE_ROOT set, CT running; then a terminal
    session, which the simulated node does not open."""
    if not call.ps.str("VE_ROOT"):
        raise VzError(E.VE_ROOT_NOTSET, "VE_ROOT is not set")
    if not L.is_running(call.ctx()):
        raise VzError(E.VE_NOT_RUNNING, "Container is not running")
    raise NotEmulated("vzctl enter on a running container (a terminal session)", ["exec", "exec2", "exec3"])


def parse_console(call: Call) -> None:
    """``KV:src/vzctl-actions.c:console_attach`` checks its tty number before attaching."""
    if len(call.args) > 1:
        raise VzError(E.INVALID_PARAMETER_SYNTAX, "Invalid syntax: too many parameters!")
    if call.args:
        try:
            tty = parse_int(call.args[0])
        except Invalid:
            tty = -1
        if tty < 0:
            raise VzError(E.INVALID_PARAMETER_VALUE, f"Invalid tty number: {call.args[0]}")


def act_console(call: Call) -> int:
    """Attaching needs the kernel's tty and a terminal (``KV:src/enter.c:do_console_attach``)."""
    raise NotEmulated("vzctl console", ["exec", "exec2", "exec3"])
