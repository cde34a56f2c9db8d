"""``vzctl`` 4.11.1: argv to model calls and exact output (``KV:src/vzctl.c``,
``KV:src/vzctl-actions.c``). The command table is the dispatch; a command vzctl has
but the simulator does not emulate fails loudly, naming itself and what is emulated.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeVar

from simvz import confine
from simvz import errors as E
from simvz import results as output
from simvz.cli import setopts
from simvz.cli.call import Bound, Call, Command, NoOpts, Opts, command
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

K = TypeVar("K", bound=setopts.KeyOpts)


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
    cmd = _lookup(word)
    if word == "status":
        con.verbose = -1
    # a command that changes no file resolves its paths through the directories it met
    # already: it holds the host lock (simvz/host.py:Host.run)
    with confine.cached() if cmd.reads_only else nullcontext():
        call, rest = _resolve(host, con, prog, word, args[1:])
        call.skiplock, call.stdin = skiplock, stdin
        call.gps = _read_global_conf(call)
        _apply_verbose(call)
        bound = cmd.prepare(call, rest)
        _validate_global(call)
        if call.veid == 0 and word != "set":
            raise UsageError("Only set actions are allowed for CT0", code=E.INVALID_PARAMETER_VALUE)
        _read_ct_conf(call, cmd)
        return _run_action(call, cmd, bound)


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


def _resolve(host: Host, con: Console, prog: str, word: str, rest: list[str]) -> tuple[Call, list[str]]:
    """CT ID or name (``KV:src/vzctl.c:main``), and the arguments after it."""
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
    return Call(host, con, prog, word, veid, name), rest[1:]


def _read_global_conf(call: Call) -> ParamSet:
    text = call.host.fs.read(C.GLOBAL_CONF)
    if text is None:
        raise VzError(E.NOCONFIG, f"Unable to open {C.GLOBAL_CONF}: No such file or directory")
    return _load_conf(call, text, C.GLOBAL_CONF, is_global=True)


def _load_conf(call: Call, text: str, path: str, is_global: bool = False) -> ParamSet:
    from simvz.model import params

    ps = params.load(text, path, is_global=is_global)
    for w in ps.warnings:
        call.con.log(w.level, w.text)
    return ps


def _read_ct_conf(call: Call, command: Command) -> None:
    path = C.conf_path(call.veid)
    text = call.host.fs.read(path)
    if text is not None:
        call.cps = _load_conf(call, text, path)
        own = call.cps.str("NAME")
        if call.name is not None and own is not None and own != call.name:
            raise VzError(E.INVALID_PARAMETER_VALUE, f"Unable to find container by name {call.name}")
    elif command.needs_conf:
        raise VzError(E.NOVECONFIG, "Container config file does not exist")


# -- kernel and lock ---------------------------------------------------------------------


def _run_action(call: Call, cmd: Command, bound: Bound) -> int:
    if not call.host.fs.isdir("/proc/vz") and not _no_kernel_ok(call, bound):
        return E.BAD_KERNEL
    if not cmd.lock or call.skiplock:
        return bound.run()
    lock = _take_lock(call)
    try:
        return bound.run()
    finally:
        call.host.fs.remove(lock)


def _no_kernel_ok(call: Call, bound: Bound) -> bool:
    """Without /proc/vz vzctl assumes an upstream kernel it was built without
    (``KV:src/lib/env.c:vz_open``; the recorded ``nk_*`` cases in
    corpus/vzctl-4.11.1/transcripts.jsonl); only ``set --save --force`` goes on
    (``KV:src/vzctl-actions.c:run_action``)."""
    call.con.info("Directory /proc/vz not found, assuming non-OpenVZ kernel")
    call.con.error("No suitable kernel support compiled in")
    return bound.opts.runs_without_kernel()


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


def _parse_table(
    call: Call, args: list[str], opts: K, table: list[tuple[str, bool, setopts.Handler[K]]], short: str
) -> K:
    """set/create options (``KV:src/vzctl-actions.c:parse_opt``), folded into ``opts``."""
    longopts, handlers = setopts.longopts(table)
    operands: list[str] = []
    try:
        for p in getopt_long(call.prog, args, longopts, operands, short):
            opts.seen.append(p.id)
            _apply_option(call, opts, p.id, p.name, p.value, p.long, handlers)
    except GetoptError as err:
        raise UsageError(str(err), code=E.INVALID_PARAMETER_VALUE) from None
    if operands:
        raise UsageError("Invalid extra arguments: " + "".join(f"{o} " for o in operands))
    return opts


def _apply_option(
    call: Call,
    opts: K,
    ident: str,
    name: str,
    value: str | None,
    long: bool,
    handlers: dict[str, setopts.Handler[K]],
) -> None:
    handler = handlers.get(ident) if long else setopts.short_handler(ident)
    if handler is None:
        raise UsageError(f"Invalid option -{ident}")
    try:
        handler(opts, value or "")
    except (Invalid, Truncated) as exc:
        for w in opts.warnings:
            call.con.info(w)
        detail = [str(exc.args[0])] if isinstance(exc, Invalid) and exc.args and exc.args[0] != value else []
        if long:
            raise BadParameter(f"--{name}", value or "", *detail) from None
        raise VzError(E.INVALID_PARAMETER_VALUE, *detail, f"Bad parameter for -{ident} : {value}") from None
    except setopts.OtherError as exc:
        raise VzError(E.SYSTEM_ERROR, str(exc), "Error parsing options") from None
    for w in opts.warnings:
        call.con.info(w)
    opts.warnings.clear()


def parse_set(call: Call, args: list[str]) -> setopts.SetOpts:
    """``vzctl set`` options."""
    h = call.host.settings
    node = setopts.NodeFacts(
        call.veid,
        h.cpus,
        network.hwid(call.host),
        call.host.fs.exists("/proc/vz/vswap"),
        netif.takes_bridge(h.vzctl_version),
    )
    opts = _parse_table(call, args, setopts.SetOpts(node=node), setopts.SET_OPTIONS, setopts.SHORT)
    # vps_set warns "not saved" unless argv was only "--userpasswd VALUE" (its argc == 2)
    opts.only_userpasswd = bool(opts.userpw) and len(args) == 2
    return opts


def parse_create(call: Call, args: list[str]) -> setopts.CreateOpts:
    """``vzctl create`` options."""
    return _parse_table(call, args, setopts.CreateOpts(), setopts.CREATE_OPTIONS, "")


@dataclass(frozen=True)
class StartOpts(Opts):
    """``start``'s switches (``KV:src/vzctl-actions.c:parse_startstop_opt``); the
    simulated node acts on --force and --wait, and takes the others without effect."""

    force: bool = False
    skip_ve_setup: bool = False
    wait: bool = False
    skip_fsck: bool = False
    skip_remount: bool = False


@dataclass(frozen=True)
class StopOpts(Opts):
    """``stop``'s switches."""

    fast: bool = False
    skip_umount: bool = False


@dataclass(frozen=True)
class RestartOpts(Opts):
    """``restart`` takes both sets (``parse_startstop_opt(..., 1, 1)``)."""

    start: StartOpts
    stop: StopOpts


_STARTSTOP = [
    Opt(n, False)
    for n in ("force", "skip_ve_setup", "wait", "fast", "skip-umount", "skip-fsck", "skip-remount")
]
_START_ONLY = {"force", "skip_ve_setup", "wait", "skip-fsck", "skip-remount"}
_STOP_ONLY = {"fast", "skip-umount"}
STARTSTOP_OPTIONS = _STARTSTOP  # the real-host guard reads argv with the same tables


def _startstop(call: Call, args: list[str], start: bool, stop: bool) -> set[str]:
    """``KV:src/vzctl-actions.c:parse_startstop_opt``: unknown options exit 20."""
    operands: list[str] = []
    flags: set[str] = set()
    try:
        for p in getopt_long(call.prog, args, _STARTSTOP, operands):
            if (p.id in _START_ONLY and not start) or (p.id in _STOP_ONLY and not stop):
                raise UsageError(
                    f"Option --{p.name} is not applicable to {'start' if start else 'stop'} command"
                )
            flags.add(p.id)
    except GetoptError as err:
        raise UsageError(str(err)) from None
    if operands:
        raise UsageError("Invalid extra arguments: " + "".join(f"{o} " for o in operands))
    return flags


def _start_opts(flags: set[str]) -> StartOpts:
    return StartOpts(
        force="force" in flags,
        skip_ve_setup="skip_ve_setup" in flags,
        wait="wait" in flags,
        skip_fsck="skip-fsck" in flags,
        skip_remount="skip-remount" in flags,
    )


def _stop_opts(flags: set[str]) -> StopOpts:
    return StopOpts(fast="fast" in flags, skip_umount="skip-umount" in flags)


def parse_start(call: Call, args: list[str]) -> StartOpts:
    """``start`` options."""
    return _start_opts(_startstop(call, args, True, False))


def parse_stop(call: Call, args: list[str]) -> StopOpts:
    """``stop`` options."""
    return _stop_opts(_startstop(call, args, False, True))


def parse_restart(call: Call, args: list[str]) -> RestartOpts:
    """``restart`` takes both sets."""
    flags = _startstop(call, args, True, True)
    return RestartOpts(_start_opts(flags), _stop_opts(flags))


def parse_none(call: Call, args: list[str]) -> NoOpts:
    """Commands without options: ``Invalid options: x `` (``parse_action_opt`` default)."""
    if args:
        raise UsageError("Invalid options: " + "".join(f"{a} " for a in args))
    return NoOpts()


@dataclass(frozen=True)
class ExecOpts(Opts):
    """exec, exec2, exec3: the command line after the CT ID."""

    argv: tuple[str, ...]


def parse_exec(call: Call, args: list[str]) -> ExecOpts:
    """exec/exec2 need a command line."""
    if not args:
        raise UsageError("No command line given for exec")
    return ExecOpts(tuple(args))


@dataclass(frozen=True)
class RunscriptOpts(Opts):
    """runscript: the host script to run (what follows it is not read)."""

    script: str


def parse_runscript(call: Call, args: list[str]) -> RunscriptOpts:
    """runscript needs a script."""
    if not args:
        raise UsageError("Script not specified")
    return RunscriptOpts(args[0])


ChkpntStep = Literal["kill", "resume", "suspend", "dump"]
RestoreStep = Literal["kill", "resume", "undump"]
_CHKPNT_STEPS: dict[str, ChkpntStep] = {"kill": "kill", "resume": "resume", "suspend": "suspend",
                                         "dump": "dump"}  # fmt: skip
_RESTORE_STEPS: dict[str, RestoreStep] = {"kill": "kill", "resume": "resume", "undump": "undump"}
StepT = TypeVar("StepT", bound=str)


@dataclass(frozen=True)
class CptOpts(Opts):
    """What checkpoint and restore both take (``KV:src/vzctl-actions.c:parse_chkpnt_opt``,
    ``parse_restore_opt``): the last of a repeated option wins, as there."""

    dumpfile: str | None = None
    cpu_flags: str | None = None  # --flags and --context: vzctl's strtoul never refuses
    context: str | None = None  # them, and a simulated node has no CPT to give them to
    skip_arpdetect: bool = False


@dataclass(frozen=True)
class ChkpntOpts(CptOpts):
    """suspend/chkpnt: one step, or None for the whole checkpoint."""

    step: ChkpntStep | None = None


@dataclass(frozen=True)
class RestoreOpts(CptOpts):
    """resume/restore: one step, or None for the whole restore."""

    step: RestoreStep | None = None
    skip_fsck: bool = False
    skip_remount: bool = False


_CPT_COMMON = [Opt("dumpfile", True), Opt("flags", True), Opt("context", True), Opt("skip_arpdetect", False)]
# KV:src/vzctl-actions.c parse_chkpnt_opt / parse_restore_opt
_CHKPNT = [*_CPT_COMMON, Opt("kill", False), Opt("resume", False), Opt("suspend", False), Opt("dump", False)]
_RESTORE = [*_CPT_COMMON, Opt("undump", False), Opt("kill", False), Opt("resume", False),
            Opt("skip-fsck", False), Opt("skip-remount", False)]  # fmt: skip
CHKPNT_OPTIONS, RESTORE_OPTIONS = _CHKPNT, _RESTORE


def _cpt_args(
    call: Call, args: list[str], table: list[Opt], steps: dict[str, StepT]
) -> tuple[StepT | None, dict[str, str | None]]:
    """The one sub-command given, and the other options by identity (last wins)."""
    operands: list[str] = []
    step: StepT | None = None
    got: dict[str, str | None] = {}
    try:
        for p in getopt_long(call.prog, args, table, operands):
            if p.id not in steps:
                got[p.id] = p.value
            elif step is not None:
                raise UsageError("Invalid syntax: only one sub command may be used")
            else:
                step = steps[p.id]
    except GetoptError as err:
        raise UsageError(str(err)) from None
    if operands:
        raise UsageError("Invalid extra arguments: " + "".join(f"{o} " for o in operands))
    return step, got


def parse_chkpnt(call: Call, args: list[str]) -> ChkpntOpts:
    """suspend/chkpnt options; only one sub-command may be given."""
    step, got = _cpt_args(call, args, _CHKPNT, _CHKPNT_STEPS)
    return ChkpntOpts(
        got.get("dumpfile"), got.get("flags"), got.get("context"), "skip_arpdetect" in got, step=step
    )


def parse_restore(call: Call, args: list[str]) -> RestoreOpts:
    """resume/restore options; only one sub-command may be given."""
    step, got = _cpt_args(call, args, _RESTORE, _RESTORE_STEPS)
    return RestoreOpts(
        got.get("dumpfile"), got.get("flags"), got.get("context"), "skip_arpdetect" in got,
        step=step, skip_fsck="skip-fsck" in got, skip_remount="skip-remount" in got,
    )  # fmt: skip


# -- actions --------------------------------------------------------------------------------


def act_status(call: Call, _opts: NoOpts) -> int:
    """``CTID <id> exist|deleted mounted|unmounted running|down[ suspended]``."""
    ctx = call.ctx()
    exist = C.exists(call.host, call.veid, ctx.ps)
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


def act_start(call: Call, opts: StartOpts) -> int:
    """``vzctl start``."""
    L.start(call.ctx(), force=opts.force, wait=opts.wait)
    _save_layout_if_missing(call)
    return 0


def _save_layout_if_missing(call: Call) -> None:
    """First start of a CT lacking VE_LAYOUT stores it (``KV:vzctl-actions.c:start``)."""
    if call.cps is not None and call.cps.str("VE_LAYOUT") is None:
        from simvz.cli import vzctl_save

        call.con.info("Saving VE layout 'simfs' to the VE config file")
        vzctl_save.save(call, [("VE_LAYOUT", "simfs")])


def act_stop(call: Call, opts: StopOpts) -> int:
    """``vzctl stop``."""
    L.stop(call.ctx(), fast=opts.fast, skip_umount=opts.skip_umount)
    return 0


def act_restart(call: Call, opts: RestartOpts) -> int:
    """``Restarting container``, stop if running, then start; the stop takes stop's
    switches (``KV:src/vzctl-actions.c:restart`` calls ``stop`` with the same options)."""
    call.con.info("Restarting container")
    ctx = call.ctx()
    if L.is_running(ctx):
        L.stop(ctx, fast=opts.stop.fast, skip_umount=opts.stop.skip_umount)
    return act_start(call, opts.start)


def act_destroy(call: Call, _opts: NoOpts) -> int:
    """``vzctl destroy``."""
    L.destroy(call.ctx())
    return 0


def act_mount(call: Call, _opts: NoOpts) -> int:
    """``vzctl mount``."""
    L.mount(call.ctx())
    return 0


def act_umount(call: Call, _opts: NoOpts) -> int:
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
_CPT_STEP = Callable[[Ctx, str | None], None]
_CHKPNT_DOES: dict[ChkpntStep | None, _CPT_STEP] = {
    "kill": lambda c, _f: L.cpt_kill(c), "resume": lambda c, _f: L.thaw(c),
    "suspend": lambda c, _f: L.freeze(c), "dump": L.dump, None: _full_chkpnt,
}  # fmt: skip
_RESTORE_DOES: dict[RestoreStep | None, _CPT_STEP] = {
    "kill": lambda c, _f: L.cpt_kill(c), "resume": lambda c, _f: L.thaw(c),
    "undump": _undump, None: L.resume,
}  # fmt: skip


def act_suspend(call: Call, opts: ChkpntOpts) -> int:
    """``chkpnt``: a full checkpoint, or one step of it."""
    _CHKPNT_DOES[opts.step](call.ctx(), opts.dumpfile)
    return 0


def act_resume(call: Call, opts: RestoreOpts) -> int:
    """``restore``: from the dump file, or one step."""
    _RESTORE_DOES[opts.step](call.ctx(), opts.dumpfile)
    return 0


def act_exec(call: Call, opts: ExecOpts) -> int:
    """``exec``: any failure is exit 8; ``exec2`` returns the command's status."""
    from simvz.cli import shell

    ctx = call.ctx()
    exec2 = call.command in ("exec2", "exec3")
    if not L.is_running(ctx):
        raise VzError(E.VE_NOT_RUNNING if exec2 else E.COMMAND_EXECUTION_ERROR, "Container is not running")
    line = " ".join(a if a else "''" for a in opts.argv)
    stdin = call.stdin  # vzctl forwards its stdin to the CT's bash (KV:src/lib/exec.c)
    if call.command == "exec3":
        # exec3 runs its arguments as argv, not through bash -c (MODE_EXEC)
        line = shlex.join(opts.argv)
    elif opts.argv == ("-",):
        # ``-`` reads the commands from stdin (``KV:src/vzctl-actions.c:exec``)
        line, stdin = call.stdin.decode("utf-8", "surrogateescape"), b""
    code = shell.run(ctx, call.con, line, stdin)
    if code != 0 and not exec2:
        return E.COMMAND_EXECUTION_ERROR
    return code


def act_runscript(call: Call, opts: RunscriptOpts) -> int:
    """Run a host script inside the CT, mounting a stopped one for the duration."""
    from simvz.cli import shell

    script = opts.script
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


def act_quota(call: Call, _opts: NoOpts) -> int:
    """quotaon/quotaoff/quotainit (``KV:src/vzctl-actions.c``)."""
    ctx = call.ctx()
    codes = {"quotaon": E.DQ_ON, "quotaoff": E.DQ_OFF, "quotainit": E.DQ_INIT}
    if not L.quota_enabled(ctx):
        call.con.info("Disk quota is not enabled, skipping operation")
        return codes[call.command]
    {"quotaon": L.quota_on, "quotaoff": L.quota_off, "quotainit": L.quota_init}[call.command](ctx)
    return 0


def act_snapshot_list(call: Call, _opts: NoOpts) -> int:
    """Snapshots exist only for ploop; the simulated node runs simfs."""
    raise VzError(E.SNAPSHOT_LIST, "Snapshot feature is only available for ploop-based CTs")


def act_set(call: Call, opts: setopts.SetOpts) -> int:
    """``vzctl set``; see :mod:`simvz.cli.vzctl_set`."""
    from simvz.cli import vzctl_set

    return vzctl_set.run(call, opts)


def act_create(call: Call, opts: setopts.CreateOpts) -> int:
    """``vzctl create``; see :mod:`simvz.cli.vzctl_create`."""
    from simvz.cli import vzctl_create

    return vzctl_create.run(call, opts)


# Each row binds a parser to the action taking what it returns (simvz.cli.call.command).
COMMANDS: dict[str, Command] = {
    "set": command(parse_set, act_set, needs_conf=False),
    "create": command(parse_create, act_create, needs_conf=False),
    "start": command(parse_start, act_start),
    "stop": command(parse_stop, act_stop),
    "restart": command(parse_restart, act_restart),
    "destroy": command(parse_none, act_destroy),
    "delete": command(parse_none, act_destroy),
    "mount": command(parse_none, act_mount),
    "umount": command(parse_none, act_umount),
    "status": command(parse_none, act_status, lock=False, needs_conf=False, reads_only=True),
    "exec": command(parse_exec, act_exec, lock=False),
    "exec2": command(parse_exec, act_exec, lock=False),
    "runscript": command(parse_runscript, act_runscript),
    "suspend": command(parse_chkpnt, act_suspend),
    "chkpnt": command(parse_chkpnt, act_suspend),
    "resume": command(parse_restore, act_resume),
    "restore": command(parse_restore, act_resume),
    "quotaon": command(parse_none, act_quota),
    "quotaoff": command(parse_none, act_quota),
    "quotainit": command(parse_none, act_quota),
    "snapshot-list": command(parse_none, act_snapshot_list, lock=False),
}


def _simfs_commands() -> None:
    """The ploop-only and terminal commands (:mod:`simvz.cli.vzctl_simfs`)."""
    from simvz.cli import vzctl_simfs as S

    COMMANDS.update(S.SNAPSHOT_COMMANDS)
    COMMANDS["convert"] = command(S.parse_convert, S.act_convert)
    COMMANDS["compact"] = command(parse_none, S.act_compact)
    COMMANDS["exec3"] = command(parse_exec, act_exec, lock=False)
    COMMANDS["enter"] = command(S.parse_enter, S.act_enter, lock=False)
    COMMANDS["console"] = command(S.parse_console, S.act_console, lock=False)


_simfs_commands()

# vzctl 4.11.1 commands the simulator does not emulate at all (none left: enter and
# console answer everything but the terminal session itself, see vzctl_simfs).
NOT_EMULATED: tuple[str, ...] = ()
