"""``vzctl`` 4.11.1: argv to model calls and exact output (``KV:src/vzctl.c``,
``KV:src/vzctl-actions.c``). The command table is the dispatch; a command vzctl has
but the simulator does not emulate fails loudly, naming itself and what is emulated.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING

from simvz import errors as E
from simvz import results as output
from simvz.cli import setopts
from simvz.cli.call import Call, Command
from simvz.cli.getopt import GetoptError, Opt, getopt_long
from simvz.errors import BadParameter, NotEmulated, UsageError, VzError
from simvz.model import container as C
from simvz.model import lifecycle as L
from simvz.model import netif, network
from simvz.model.ctx import Ctx
from simvz.model.params import ParamSet
from simvz.results import Console, Result
from simvz.syntax.values import Invalid, Truncated, parse_int

if TYPE_CHECKING:
    from simvz.host import Host


def main(host: Host, argv: list[str], stdin: bytes) -> Result:
    """Run vzctl with ``argv`` (``argv[0]`` included) on ``host``."""
    return output.run(lambda con: _main(host, con, argv, stdin))


def usage_text(host: Host) -> str:
    """vzctl's usage, headed with the version this host reports."""
    from importlib import resources

    text = resources.files("simvz.data").joinpath("vzctl-usage.txt").read_text()
    return text.replace("vzctl version 4.11.1", f"vzctl version {host.settings.vzctl_version}", 1)


def _main(host: Host, con: Console, argv: list[str], stdin: bytes) -> int:
    prog, args = (argv[0] if argv else "vzctl"), argv[1:]
    skiplock = False
    while args and args[0] in ("--verbose", "--quiet", "--version", "--skiplock"):
        flag = args.pop(0)
        if flag == "--version":
            con.write(1, f"vzctl version {host.settings.vzctl_version}\n")
            return 0
        con.verbose += flag == "--verbose"
        con.quiet = con.quiet or flag == "--quiet"
        skiplock = skiplock or flag == "--skiplock"
    if not args:
        con.write(2, usage_text(host))
        return E.INVALID_PARAMETER_SYNTAX
    word = args[0]
    if word == "--help":
        con.write(1, usage_text(host))
        return 0
    command = _lookup(word)
    if word == "status":
        con.verbose = -1
    call = _resolve(host, con, prog, word, args[1:])
    call.skiplock = skiplock
    call.stdin = stdin
    call.gps = _parse_conf(call, C.GLOBAL_CONF, is_global=True)
    _apply_verbose(call)
    command.parse(call)
    _validate_global(call)
    if call.veid == 0 and word != "set":
        raise UsageError("Only set actions are allowed for CT0", code=E.INVALID_PARAMETER_VALUE)
    _read_ct_conf(call, command)
    return _run_action(call, command, stdin)


def _apply_verbose(call: Call) -> None:
    # VERBOSE from vz.conf applies unless --verbose was given (KV:src/vzctl.c:main)
    v = call.gps.int("VERBOSE")
    if call.con.verbose == 0 and v is not None and call.command != "status":
        call.con.verbose = v


def _validate_global(call: Call) -> None:
    """NETFILTER is per container; vzctl drops it from vz.conf with a warning whose
    second line really lacks a space (``KV:src/vzctl.c:validate_global_config``)."""
    if call.gps.values.pop("NETFILTER", None) is not None:
        call.con.info(f"Warning: NETFILTER should not be set in {C.GLOBAL_CONF}, ignoring")
        call.con.info(f"Please remove NETFILTER from {C.GLOBAL_CONF}to get rid of this warning")


def _lookup(word: str) -> Command:
    if word in COMMANDS:
        return COMMANDS[word]
    if word in NOT_EMULATED:
        raise NotEmulated(f"vzctl {word}", list(COMMANDS))
    raise UsageError(f"Bad command: {word}")


def _resolve(host: Host, con: Console, prog: str, word: str, rest: list[str]) -> Call:
    """CT ID or name (``KV:src/vzctl.c:main``)."""
    if not rest:
        raise UsageError("CT ID missing", code=E.INVALID_PARAMETER_VALUE)
    arg = rest[0]
    name: str | None = None
    try:
        veid = parse_int(arg)
    except Invalid:
        name = arg
        found = C.name_target(host, arg)
        veid = -1 if found is None else found
    if veid < 0 or veid > C.VEID_MAX:
        raise UsageError(f"Bad CT ID {arg}", code=E.INVALID_PARAMETER_VALUE)
    return Call(host, con, prog, word, veid, name, rest[1:])


def _parse_conf(call: Call, path: str, is_global: bool = False) -> ParamSet:
    from simvz.model import params

    text = call.host.fs.read(path)
    if text is None:
        if is_global:
            raise VzError(E.NOCONFIG, f"Unable to open {path}: No such file or directory")
        return ParamSet()
    ps = params.load(text, path, is_global=is_global)
    for w in ps.warnings:
        call.con.log(w.level, w.text)
    return ps


def _read_ct_conf(call: Call, command: Command) -> None:
    path = C.conf_path(call.veid)
    if call.host.fs.read(path) is not None:
        call.cps = _parse_conf(call, path)
        own = call.cps.str("NAME")
        if call.name is not None and own is not None and own != call.name:
            raise VzError(E.INVALID_PARAMETER_VALUE, f"Unable to find container by name {call.name}")
    elif command.needs_conf:
        raise VzError(E.NOVECONFIG, "Container config file does not exist")


# -- kernel and lock ---------------------------------------------------------------------


def _run_action(call: Call, command: Command, stdin: bytes) -> int:
    if not call.host.fs.isdir("/proc/vz") and not _no_kernel_ok(call):
        return E.BAD_KERNEL
    if not command.lock or call.skiplock:
        return command.action(call)
    lock = _take_lock(call)
    try:
        return command.action(call)
    finally:
        call.host.fs.remove(lock)


def _no_kernel_ok(call: Call) -> bool:
    """Without /proc/vz vzctl assumes an upstream kernel it was built without
    (``KV:src/lib/env.c:vz_open``; the recorded ``nk_*`` cases in
    corpus/vzctl-4.11.1/transcripts.jsonl); only ``set --save --force`` goes on
    (``KV:src/vzctl-actions.c:run_action``)."""
    call.con.info("Directory /proc/vz not found, assuming non-OpenVZ kernel")
    call.con.error("No suitable kernel support compiled in")
    return call.command == "set" and {"save", "force"} <= call.opts.flags


def _take_lock(call: Call) -> str:
    """``<LOCKDIR>/<id>.lck`` holding ``pid\\n\\n`` (``KV:src/lib/lock.c``)."""
    path = f"{call.ps.str('LOCKDIR') or '/vz/lock'}/{call.veid}.lck"
    fs = call.host.fs
    text = fs.read(path)
    if text is not None:
        m = re.match(r"[ \t\n\v\f\r]*([+-]?[0-9]+)", text)  # sscanf("%d")
        pid = int(m.group(1)) if m else 0
        if pid == 0:
            # not a pid: removed without a console message (KV:src/lib/lock.c:vps_lock)
            call.con.log(1, f"Incorrect pid: {text} in {path}")
        elif pid != os.getpid() and _alive(pid):
            call.con.error(f"Locked by: pid {pid}, cmdline {_cmdline(pid)}")
            raise VzError(E.LOCKED, "Container already locked")
        else:
            call.con.info(f"Removing stale lock file {path}")
    fs.write(path, f"{os.getpid()}\n\n")
    return path


def _alive(pid: int) -> bool:
    return os.path.exists(f"/proc/{pid}")


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


# -- option parsing ------------------------------------------------------------------------


def _parse_table(call: Call, table: list[tuple[str, bool, setopts.Handler]], short: str) -> None:
    """set/create options (``KV:src/vzctl-actions.c:parse_opt``)."""
    h = call.host.settings
    req = setopts.Request(
        call.veid,
        h.cpus,
        network.hwid(call.host),
        call.host.fs.exists("/proc/vz/vswap"),
        call.gps.flag("IPV6") is True,
    )
    req.bridge_field = netif.takes_bridge(h.vzctl_version)
    call.opts.req = req
    call.opts.flags = req.flags
    longopts, handlers = setopts.longopts(table)
    operands: list[str] = []
    try:
        for p in getopt_long(call.prog, call.args, longopts, operands, short):
            req.seen.append(p.id)
            _apply_option(call, req, p.id, p.name, p.value, p.long, handlers)
    except GetoptError as err:
        raise UsageError(str(err), code=E.INVALID_PARAMETER_VALUE) from None
    if operands:
        raise UsageError("Invalid extra arguments: " + "".join(f"{o} " for o in operands))


def _apply_option(
    call: Call,
    req: setopts.Request,
    ident: str,
    name: str,
    value: str | None,
    long: bool,
    handlers: dict[str, setopts.Handler],
) -> None:
    handler = handlers.get(ident) if long else setopts.short_handler(ident)
    if handler is None:
        raise UsageError(f"Invalid option -{ident}")
    try:
        handler(req, value or "")
    except (Invalid, Truncated) as exc:
        for w in req.warnings:
            call.con.info(w)
        detail = [str(exc.args[0])] if isinstance(exc, Invalid) and exc.args and exc.args[0] != value else []
        if long:
            raise BadParameter(f"--{name}", value or "", *detail) from None
        raise VzError(E.INVALID_PARAMETER_VALUE, *detail, f"Bad parameter for -{ident} : {value}") from None
    except setopts.OtherError as exc:
        raise VzError(E.SYSTEM_ERROR, str(exc), "Error parsing options") from None
    for w in req.warnings:
        call.con.info(w)
    req.warnings.clear()


def parse_set(call: Call) -> None:
    """``vzctl set`` options."""
    _parse_table(call, setopts.SET_OPTIONS, setopts.SHORT)


def parse_create(call: Call) -> None:
    """``vzctl create`` options."""
    _parse_table(call, setopts.CREATE_OPTIONS, "")


_STARTSTOP = [
    Opt(n, False)
    for n in ("force", "skip_ve_setup", "wait", "fast", "skip-umount", "skip-fsck", "skip-remount")
]
_START_ONLY = {"force", "skip_ve_setup", "wait", "skip-fsck", "skip-remount"}
_STOP_ONLY = {"fast", "skip-umount"}
STARTSTOP_OPTIONS = _STARTSTOP  # the real-host guard reads argv with the same tables


def _startstop(call: Call, start: bool, stop: bool) -> None:
    """``KV:src/vzctl-actions.c:parse_startstop_opt``: unknown options exit 20."""
    operands: list[str] = []
    flags: set[str] = set()
    try:
        for p in getopt_long(call.prog, call.args, _STARTSTOP, operands):
            if (p.id in _START_ONLY and not start) or (p.id in _STOP_ONLY and not stop):
                raise UsageError(
                    f"Option --{p.name} is not applicable to {'start' if start else 'stop'} command"
                )
            flags.add(p.id)
    except GetoptError as err:
        raise UsageError(str(err)) from None
    if operands:
        raise UsageError("Invalid extra arguments: " + "".join(f"{o} " for o in operands))
    call.opts.flags = flags


def parse_start(call: Call) -> None:
    """``start`` options."""
    _startstop(call, True, False)


def parse_stop(call: Call) -> None:
    """``stop`` options."""
    _startstop(call, False, True)


def parse_restart(call: Call) -> None:
    """``restart`` takes both sets."""
    _startstop(call, True, True)


def parse_none(call: Call) -> None:
    """Commands without options: ``Invalid options: x `` (``parse_action_opt`` default)."""
    if call.args:
        raise UsageError("Invalid options: " + "".join(f"{a} " for a in call.args))


def parse_exec(call: Call) -> None:
    """exec/exec2 need a command line."""
    if not call.args:
        raise UsageError("No command line given for exec")


def parse_runscript(call: Call) -> None:
    """runscript needs a script."""
    if not call.args:
        raise UsageError("Script not specified")


_CPT_COMMON = [Opt("dumpfile", True), Opt("flags", True), Opt("context", True), Opt("skip_arpdetect", False)]
# KV:src/vzctl-actions.c parse_chkpnt_opt / parse_restore_opt
_CHKPNT = [*_CPT_COMMON, Opt("kill", False), Opt("resume", False), Opt("suspend", False), Opt("dump", False)]
_RESTORE = [*_CPT_COMMON, Opt("undump", False), Opt("kill", False), Opt("resume", False),
            Opt("skip-fsck", False), Opt("skip-remount", False)]  # fmt: skip
_SUBCOMMANDS = {"kill", "resume", "suspend", "dump", "undump"}
CHKPNT_OPTIONS, RESTORE_OPTIONS = _CHKPNT, _RESTORE


def parse_cpt(call: Call) -> None:
    """suspend/resume options; only one sub-command may be given."""
    operands: list[str] = []
    table = _CHKPNT if call.command in ("suspend", "chkpnt") else _RESTORE
    try:
        for p in getopt_long(call.prog, call.args, table, operands):
            if p.id == "dumpfile":
                call.opts.dumpfile = p.value
            elif p.id not in _SUBCOMMANDS:
                pass  # accepted and, on a simulated node, without effect
            elif call.opts.sub is not None:
                raise UsageError("Invalid syntax: only one sub command may be used")
            else:
                call.opts.sub = p.id
    except GetoptError as err:
        raise UsageError(str(err)) from None
    if operands:
        raise UsageError("Invalid extra arguments: " + "".join(f"{o} " for o in operands))


# -- actions --------------------------------------------------------------------------------


def act_status(call: Call) -> int:
    """``CTID <id> exist|deleted mounted|unmounted running|down[ suspended]``."""
    ctx = call.ctx()
    exist = C.exists(call.host, call.veid)
    k = call.host.kernel.peek(call.veid)
    root = C.root_of(ctx.ps, call.veid)
    if root and not call.host.fs.exists(root):
        call.con.error(f"stat({root}): No such file or directory")
    running = L.is_running(ctx)
    suspended = exist and not running and call.host.fs.exists(ctx.dumpfile)
    line = (
        f"CTID {call.veid} {'exist' if exist else 'deleted'} "
        f"{'mounted' if k.mounted else 'unmounted'} {'running' if running else 'down'}"
        f"{' suspended' if suspended else ''}\n"
    )
    call.con.write(1, line)
    return 0


def act_start(call: Call) -> int:
    """``vzctl start``."""
    flags = call.opts.flags
    L.start(call.ctx(), force="force" in flags, wait="wait" in flags)
    _save_layout_if_missing(call)
    return 0


def _save_layout_if_missing(call: Call) -> None:
    """First start of a CT lacking VE_LAYOUT stores it (``KV:vzctl-actions.c:start``)."""
    if call.cps is not None and call.cps.str("VE_LAYOUT") is None:
        from simvz.cli import vzctl_save

        call.con.info("Saving VE layout 'simfs' to the VE config file")
        vzctl_save.save(call, [("VE_LAYOUT", "simfs")])


def act_stop(call: Call) -> int:
    """``vzctl stop``."""
    flags = call.opts.flags
    L.stop(call.ctx(), fast="fast" in flags, skip_umount="skip-umount" in flags)
    return 0


def act_restart(call: Call) -> int:
    """``Restarting container``, stop if running, then start."""
    call.con.info("Restarting container")
    ctx = call.ctx()
    if L.is_running(ctx):
        L.stop(ctx)
    return act_start(call)


def act_destroy(call: Call) -> int:
    """``vzctl destroy``."""
    L.destroy(call.ctx())
    return 0


def act_mount(call: Call) -> int:
    """``vzctl mount``."""
    L.mount(call.ctx())
    return 0


def act_umount(call: Call) -> int:
    """``vzctl umount``."""
    L.umount(call.ctx())
    return 0


def _undump(ctx: Ctx, dumpfile: str | None) -> None:
    if dumpfile is None:
        raise VzError(E.RESTORE_ERROR, "Error: dumpfile is not specified")
    L.resume(ctx, dumpfile, frozen=True)


def _full_chkpnt(ctx: Ctx, dumpfile: str | None) -> None:
    try:
        L.suspend(ctx, dumpfile)
    except VzError as err:
        if err.code == E.VE_NOT_RUNNING:
            raise
        raise VzError(E.CHKPNT_ERROR, *err.lines, "Checkpointing failed") from None


# The steps of a checkpoint and of a restore; None is the whole of it. ``--kill`` and
# ``--resume`` act on the CPT context either way (KV:src/vzctl-actions.c:chkpnt/restore).
_CPT_STEPS: dict[str, dict[str | None, Callable[[Ctx, str | None], None]]] = {
    "chkpnt": {
        "kill": lambda c, _f: L.cpt_kill(c), "resume": lambda c, _f: L.thaw(c),
        "suspend": lambda c, _f: L.freeze(c), "dump": L.dump, None: _full_chkpnt,
    },
    "restore": {
        "kill": lambda c, _f: L.cpt_kill(c), "resume": lambda c, _f: L.thaw(c),
        "undump": _undump, None: L.resume,
    },
}  # fmt: skip


def act_suspend(call: Call) -> int:
    """``chkpnt``: a full checkpoint, or one step of it."""
    return _cpt(call, "chkpnt")


def act_resume(call: Call) -> int:
    """``restore``: from the dump file, or one step."""
    return _cpt(call, "restore")


def _cpt(call: Call, which: str) -> int:
    step = _CPT_STEPS[which][call.opts.sub]
    step(call.ctx(), _dumpfile(call))
    return 0


def _dumpfile(call: Call) -> str | None:
    return call.opts.dumpfile


def act_exec(call: Call) -> int:
    """``exec``: any failure is exit 8; ``exec2`` returns the command's status."""
    from simvz.cli import shell

    ctx = call.ctx()
    exec2 = call.command in ("exec2", "exec3")
    if not L.is_running(ctx):
        raise VzError(E.VE_NOT_RUNNING if exec2 else E.COMMAND_EXECUTION_ERROR, "Container is not running")
    line = " ".join(a if a else "''" for a in call.args)
    stdin = call.stdin  # vzctl forwards its stdin to the CT's bash (KV:src/lib/exec.c)
    if call.command == "exec3":
        # exec3 runs its arguments as argv, not through bash -c (MODE_EXEC)
        line = shlex.join(call.args)
    elif call.args == ["-"]:
        # ``-`` reads the commands from stdin (``KV:src/vzctl-actions.c:exec``)
        line, stdin = call.stdin.decode("utf-8", "surrogateescape"), b""
    code = shell.run(ctx, call.con, line, stdin)
    if code != 0 and not exec2:
        return E.COMMAND_EXECUTION_ERROR
    return code


def act_runscript(call: Call) -> int:
    """Run a host script inside the CT, mounting a stopped one for the duration."""
    from simvz.cli import shell

    script = call.args[0]
    text = call.host.fs.read(script)
    if text is None:
        raise VzError(E.NOSCRIPT, f"Script not found: {script}")
    ctx = call.ctx()
    mounted_here = not L.is_running(ctx) and not ctx.kct.mounted
    if mounted_here:
        L.mount(ctx, announce=False)
    try:
        return shell.run(ctx, call.con, text, b"")
    finally:
        if mounted_here:
            L.script_umount(ctx)


def act_quota(call: Call) -> int:
    """quotaon/quotaoff/quotainit (``KV:src/vzctl-actions.c``)."""
    ctx = call.ctx()
    codes = {"quotaon": E.DQ_ON, "quotaoff": E.DQ_OFF, "quotainit": E.DQ_INIT}
    if not L.quota_enabled(ctx):
        call.con.info("Disk quota is not enabled, skipping operation")
        return codes[call.command]
    {"quotaon": L.quota_on, "quotaoff": L.quota_off, "quotainit": L.quota_init}[call.command](ctx)
    return 0


def act_snapshot_list(call: Call) -> int:
    """Snapshots exist only for ploop; the simulated node runs simfs."""
    raise VzError(E.SNAPSHOT_LIST, "Snapshot feature is only available for ploop-based CTs")


def act_set(call: Call) -> int:
    """``vzctl set``; see :mod:`simvz.cli.vzctl_set`."""
    from simvz.cli import vzctl_set

    return vzctl_set.run(call)


def act_create(call: Call) -> int:
    """``vzctl create``; see :mod:`simvz.cli.vzctl_create`."""
    from simvz.cli import vzctl_create

    return vzctl_create.run(call)


COMMANDS: dict[str, Command] = {
    "set": Command(parse_set, act_set, needs_conf=False),
    "create": Command(parse_create, act_create, needs_conf=False),
    "start": Command(parse_start, act_start),
    "stop": Command(parse_stop, act_stop),
    "restart": Command(parse_restart, act_restart),
    "destroy": Command(parse_none, act_destroy),
    "delete": Command(parse_none, act_destroy),
    "mount": Command(parse_none, act_mount),
    "umount": Command(parse_none, act_umount),
    "status": Command(parse_none, act_status, lock=False, needs_conf=False),
    "exec": Command(parse_exec, act_exec, lock=False),
    "exec2": Command(parse_exec, act_exec, lock=False),
    "runscript": Command(parse_runscript, act_runscript),
    "suspend": Command(parse_cpt, act_suspend),
    "chkpnt": Command(parse_cpt, act_suspend),
    "resume": Command(parse_cpt, act_resume),
    "restore": Command(parse_cpt, act_resume),
    "quotaon": Command(parse_none, act_quota),
    "quotaoff": Command(parse_none, act_quota),
    "quotainit": Command(parse_none, act_quota),
    "snapshot-list": Command(parse_none, act_snapshot_list, lock=False),
}


def _simfs_commands() -> None:
    """The ploop-only and terminal commands (:mod:`simvz.cli.vzctl_simfs`)."""
    from simvz.cli import vzctl_simfs as S

    for word in S.SNAPSHOT_OPTS:
        COMMANDS[word] = Command(S.parse_snapshot, S.act_snapshot)
    COMMANDS["convert"] = Command(S.parse_convert, S.act_convert)
    COMMANDS["compact"] = Command(parse_none, S.act_compact)
    COMMANDS["exec3"] = Command(parse_exec, act_exec, lock=False)
    COMMANDS["enter"] = Command(S.parse_enter, S.act_enter, lock=False)
    COMMANDS["console"] = Command(S.parse_console, S.act_console, lock=False)


_simfs_commands()

# vzctl 4.11.1 commands the simulator does not emulate at all (none left: enter and
# console answer everything but the terminal session itself, see vzctl_simfs).
NOT_EMULATED: tuple[str, ...] = ()
