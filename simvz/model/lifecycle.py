"""Container lifecycle on a simulated node: mount, start, stop, destroy, suspend,
resume, create (``KV:src/lib/env.c``, ``fs.c``, ``destroy.c``, ``create.c``, ``cpt.c``).

Functions log what vzctl logs (through ``log(level, text)``) and raise VzError with
vzctl's exit code. Nothing is changed on the node before a check has passed.
"""

from __future__ import annotations

from simvz import errors as E
from simvz import tarsafe
from simvz.errors import VzError
from simvz.model import container as C
from simvz.model import dist
from simvz.model import quota as Q
from simvz.model.ctx import Ctx
from simvz.model.params import ParamSet


def is_running(ctx: Ctx) -> bool:
    """CT 0 always runs; others per kernel state."""
    return ctx.veid == 0 or ctx.host.kernel.peek(ctx.veid).running


def quota_enabled(ctx: Ctx) -> bool:
    """DISK_QUOTA not ``no`` (``KV:src/lib/quota.c:vps_quotaon``)."""
    return ctx.ps.flag("DISK_QUOTA") is not False


def quota_limits(ps: ParamSet) -> tuple[tuple[int, int], tuple[int, int]]:
    """DISKSPACE/DISKINODES soft:hard (LONG_MAX when unset)."""
    big = (2**63 - 1, 2**63 - 1)
    return ps.pair("DISKSPACE") or big, ps.pair("DISKINODES") or big


def mount(ctx: Ctx, announce: bool = True) -> None:
    """Mount the private area on VE_ROOT, turning the quota on first."""
    k = ctx.kct
    if k.mounted:
        ctx.log(-1, "Container is already mounted")
        return
    if not ctx.host.fs.isdir(ctx.private):
        raise VzError(E.FS_NOPRVT, f"Container private area {ctx.private} does not exist")
    if quota_enabled(ctx):
        quota_on(ctx)
    ctx.host.fs.mkdir(ctx.root)
    k.mounted = True
    if announce:
        ctx.log(0, "Container is mounted")


def quota_on(ctx: Ctx) -> None:
    """Turn the CT's disk quota on: initialised from the config's limits and the private
    area's usage the first time, its limits refreshed from the config after that
    (``KV:src/lib/quota.c:vps_quotaon``)."""
    k = ctx.kct
    if k.quota is None:
        ctx.log(0, "Initializing quota ...")
        k.quota = Q.new(quota_limits(ctx.ps), ctx.ps.int("QUOTATIME"), usage_of(ctx))
    else:
        Q.setlimit(k.quota, quota_limits(ctx.ps), ctx.ps.int("QUOTATIME"), ctx.host.kernel.clock)
    k.quota.on = True


def quota_init(ctx: Ctx) -> None:
    """``vzctl quotainit``: the quota file made (or its limits refreshed), and left on
    only if the CT is mounted, where the quota must be on."""
    quota_on(ctx)
    k = ctx.kct
    assert k.quota is not None
    k.quota.on = k.mounted


def quota_off(ctx: Ctx) -> None:
    """Turn the CT's disk quota off; its usage is kept (the vzquota file stays)."""
    q = ctx.kct.quota
    if q is not None:
        q.on = False


def quota_new(ctx: Ctx, usage: tuple[int, int]) -> None:
    """A fresh quota for a CT whose private area was just made with ``usage`` (1K blocks,
    inodes) in it, off until the CT is mounted."""
    ctx.kct.quota = Q.new(quota_limits(ctx.ps), ctx.ps.int("QUOTATIME"), usage)


def quota_drop(ctx: Ctx) -> None:
    """Forget the CT's quota (its private area is gone)."""
    ctx.kct.quota = None


def quota_set_limits(ctx: Ctx) -> None:
    """Set a live CT's quota limits to those of ``ctx.ps`` (``vzctl set --diskspace``...)."""
    q = ctx.kct.quota
    if q is not None:
        Q.setlimit(q, quota_limits(ctx.ps), ctx.ps.int("QUOTATIME"), ctx.host.kernel.clock)


def script_umount(ctx: Ctx) -> None:
    """Unmount, without a message, a CT that ``runscript`` mounted to run its script."""
    _umount_quiet(ctx)
    quota_off(ctx)


def usage_of(ctx: Ctx) -> tuple[int, int]:
    """Usage of a private area with no quota file: the template's declared size."""
    t = ctx.host.settings.templates.get(ctx.ps.str("OSTEMPLATE") or "")
    return (t.kb, t.inodes) if t else (0, 0)


def umount(ctx: Ctx) -> None:
    """Unmount; the quota is turned off but its usage is kept (vzquota file)."""
    k = ctx.host.kernel.peek(ctx.veid)
    if is_running(ctx):
        raise VzError(E.VE_RUNNING, "Container is running -- stop it first")
    if not k.mounted:
        raise VzError(E.FS_NOT_MOUNTED, "CT is not mounted")
    _umount(ctx)


def _umount(ctx: Ctx) -> None:
    k = ctx.kct
    k.mounted = False
    if k.quota is not None:
        k.quota.on = False
    ctx.log(0, "Container is unmounted")


def start(ctx: Ctx, force: bool = False, wait: bool = False, setup: bool = True) -> None:
    """``vzctl start`` (``KV:src/vzctl-actions.c:start``, ``KV:src/lib/env.c:vps_start``);
    ``setup=False`` is ``SKIP_SETUP``: no IPs, CPU, hostname or veths
    (``KV:src/lib/res.c:vps_setup_res``), as set's temporary start for a password."""
    if ctx.ps.flag("DISABLED") and not force:
        raise VzError(E.VE_START_DISABLED, "Container start disabled")
    if not ctx.host.fs.isdir(ctx.private):
        raise VzError(E.FS_NOPRVT, f"Container private area {ctx.private} does not exist")
    if is_running(ctx):
        raise VzError(E.VE_RUNNING, "Container is already running")
    if ctx.host.fs.exists(ctx.dumpfile):
        ctx.log(0, f"Dump file {ctx.dumpfile} exists, trying to restore from it")
        resume(ctx)
        return
    ctx.log(0, "Starting container...")
    _check_ubc(ctx)
    # vps_start_custom reads the distribution's action config before mounting
    # (KV:src/lib/env.c:vps_start_custom, KV:src/lib/dist.c:read_dist_actions)
    dist.read_actions(ctx.host.fs, ctx.ps.str("OSTEMPLATE"), ctx.log)
    was_mounted = ctx.kct.mounted
    if was_mounted:
        _umount_quiet(ctx)
    mount(ctx)
    _run(ctx, was_mounted, setup)
    ctx.log(0, "Container start in progress, waiting ..." if wait else "Container start in progress...")
    if wait:
        ctx.log(0, "Container started successfully")


def _umount_quiet(ctx: Ctx) -> None:
    ctx.kct.mounted = False


def _check_ubc(ctx: Ctx) -> None:
    from simvz.model.params import UBC

    phys = ctx.ps.pair("PHYSPAGES")
    vswap = phys is not None and phys[1] not in (2**63 - 1, 2**31 - 1)
    needed = ["PHYSPAGES", "SWAPPAGES"] if vswap else [k for k in UBC if k not in ("AVNUMPROC", "SWAPPAGES")]
    missing = [k for k in needed if ctx.ps.pair(k) is None]
    lines = [f"Error: required UB parameter {k.lower()} not set" for k in missing]
    if vswap and not ctx.host.fs.exists("/proc/vz/vswap"):
        # a vswap config on a kernel without vswap (KV:src/lib/ub.c:check_ub)
        lines.append("Error: detected vswap CT config but kernel does not support vswap")
        lines.append("This means either old kernel or bad config (physpages NOT set to 0:unlimited)")
        raise VzError(E.BAD_KERNEL, *lines)
    if missing:
        raise VzError(E.NOTENOUGHUBCPARAMS, *lines)


def _run(ctx: Ctx, was_mounted: bool = False, setup: bool = True) -> None:
    """Create the VE and apply its resources in vps_start's order; a failure kills and
    unmounts it (``KV:src/lib/env.c:vps_start``). Only a CT that was mounted before
    ends up different from before the start, so only then is that state kept."""

    k = ctx.kct
    k.running = True
    k.started_at = ctx.host.kernel.clock
    k.nproc = 12
    apply_ubc(ctx)
    try:
        if setup:
            _setup(ctx)
        _exec_init(ctx)
    except BadInit as err:
        # the child could not exec /sbin/init (KV:src/lib/env.c:vps_start_custom)
        _render_now(ctx, err)
        _stop_failed(ctx, was_mounted, err)
        raise
    except VzError as err:
        # KV:src/lib/env.c:vps_start_custom: the error, "Container start failed (...)",
        # then env_stop(M_KILL) and the unmount, each with its own messages
        _render_now(ctx, err)
        ctx.log(-1, 'Container start failed (try to check kernel messages, e.g. "dmesg | tail")')
        _stop_failed(ctx, was_mounted, err)
        raise


def _setup(ctx: Ctx) -> None:
    from simvz.model import network

    network.add_ips(ctx, ctx.ps.list("IP_ADDRESS"))
    network.start(ctx)
    ctx.log(0, f"Setting CPU units: {ctx.ps.int('CPUUNITS') or 1000}")
    network.apply_inside(ctx)
    network.start_veths(ctx)


def apply_ubc(ctx: Ctx) -> None:
    """The beancounter limits start gives the kernel: the config's, plus the vswap
    defaults of ``vzctl src/lib/ub.c:fill_vswap_ub`` (see :mod:`simvz.model.ubc`)."""
    from simvz.model import ubc

    pairs = {k: p for k in ubc.KERNEL_RESOURCES if (p := ctx.ps.pair(k)) is not None}
    ovc = ctx.ps.get("VM_OVERCOMMIT")
    applied = ubc.applied(pairs, ovc if isinstance(ovc, float) else None)
    ctx.kct.ubc = {k: list(v) for k, v in applied.items()}


def set_ubc(ctx: Ctx, pairs: dict[str, tuple[int, int]]) -> None:
    """Give a running CT's beancounters new barrier:limit pairs (``vzctl set`` on a live
    CT, ``KV:src/lib/ub.c:vps_set_ublimit``); the others keep theirs."""
    ctx.kct.ubc.update({k: list(v) for k, v in pairs.items()})


class BadInit(VzError):
    """The template has no usable /sbin/init: the start fails with exit 47."""

    def __init__(self) -> None:
        super().__init__(
            E.FS_BAD_TMPL, "Unable to start init, probably incorrect template", "Container start failed"
        )


def _exec_init(ctx: Ctx) -> None:
    if not ctx.host.fs.isfile(f"{ctx.private}/sbin/init"):
        raise BadInit


def _stop_failed(ctx: Ctx, was_mounted: bool, err: VzError) -> None:
    """env_stop(M_KILL) and the unmount after a failed start; messages already shown."""
    ctx.log(0, "Killing container ...")
    _kill(ctx)
    ctx.log(0, "Container was stopped")
    _umount(ctx)
    err.lines = []
    err.keep_state = was_mounted


def _render_now(ctx: Ctx, err: VzError) -> None:
    """Log an error where vzctl logs it, before the clean-up messages that follow."""
    for line in err.lines:
        ctx.log(0 if err.stdout else -1, line)


def stop(ctx: Ctx, fast: bool = False, skip_umount: bool = False) -> None:
    """``vzctl stop``: halt (or kill with --fast), then unmount."""
    if not is_running(ctx):
        ctx.log(-1, "Unable to stop: container is not running")
        return
    ctx.log(0, "Killing container ..." if fast else "Stopping container ...")
    _kill(ctx)
    ctx.log(0, "Container was stopped")
    if not skip_umount:
        _umount(ctx)


def _kill(ctx: Ctx) -> None:
    """The VE is gone: its network goes with it (routes, veths, NICs back)."""
    from simvz.model import network

    network.teardown(ctx)
    k = ctx.kct
    k.running = False
    k.frozen = False
    k.ips = []
    k.nproc = 0
    k.failcnt = {}  # the beancounter goes with the VE


def destroy(ctx: Ctx) -> None:
    """``vzctl destroy``: private area removed, config renamed to ``.destroyed``."""
    k = ctx.host.kernel.peek(ctx.veid)
    if is_running(ctx):
        raise VzError(E.VE_RUNNING, "Container is currently running. Stop it first.", stdout=True)
    if k.mounted:
        raise VzError(E.FS_MOUNTED, "Container is currently mounted (umount first)", stdout=True)
    ctx.log(0, f"Destroying container private area: {ctx.private}")
    fs = ctx.host.fs
    fs.rmtree(ctx.private)
    fs.remove(ctx.dumpfile)
    if not fs.rmdir(ctx.root):
        # KV:src/lib/destroy.c: a failed rmdir(VE_ROOT) only warns, with strerror
        why = "Directory not empty" if fs.exists(ctx.root) else "No such file or directory"
        ctx.log(-1, f"Warning: failed to remove {ctx.root}: {why}")
    for ext in ("conf", "mount", "umount", "premount", "postumount", "start", "stop"):
        src = f"{C.CONF_DIR}/{ctx.veid}.{ext}"
        if fs.exists(src):
            fs.rename(src, src + ".destroyed")
    for name in C.names_of(ctx.host, ctx.veid):
        fs.remove(f"{C.NAMES_DIR}/{name}")
    ctx.host.kernel.cts.pop(ctx.veid, None)
    ctx.log(0, "Container private area was destroyed")


def suspend(ctx: Ctx, dumpfile: str | None = None) -> None:
    """Full checkpoint: freeze, dump, kill, unmount (``KV:src/lib/cpt.c``)."""
    if not is_running(ctx):
        raise VzError(E.VE_NOT_RUNNING, "Unable to setup checkpointing: container is not running")
    ctx.log(0, "Setting up checkpoint...")
    for step in ("suspend...", "dump...", "kill..."):
        ctx.log(0, "\t" + step)
    ips = list(ctx.kct.ips)
    ctx.host.fs.write(dumpfile or ctx.dumpfile, "SIMVZ-DUMP\n" + " ".join(ips) + "\n")
    _kill(ctx)
    ctx.log(0, "Checkpointing completed successfully")
    _umount(ctx)


def freeze(ctx: Ctx) -> None:
    """``chkpnt --suspend``: stop every process, keep the CT running (``hooks_vz.c``)."""
    _check_cpt(ctx)
    ctx.log(0, "\tsuspend...")
    ctx.log(0, "\tget context...")
    ctx.kct.frozen = True
    ctx.log(0, "Checkpointing completed successfully")


def dump(ctx: Ctx, dumpfile: str | None) -> None:
    """``chkpnt --dump --dumpfile F``: write a frozen CT's image; its routes are cleared."""
    _check_cpt(ctx)
    if dumpfile is None:
        raise VzError(E.CHKPNT_ERROR, "Error: dumpfile is not specified")
    ctx.log(0, "\tjoin context..")
    ctx.log(0, "\tdump...")
    ctx.host.fs.write(dumpfile, "SIMVZ-DUMP\n" + " ".join(ctx.kct.ips) + "\n")
    ctx.log(0, "Checkpointing completed successfully")
    from simvz.model import network

    network.routes_down(ctx)


def _check_cpt(ctx: Ctx) -> None:
    if not is_running(ctx):
        raise VzError(E.VE_NOT_RUNNING, "Unable to setup checkpointing: container is not running")
    ctx.log(0, "Setting up checkpoint...")


def cpt_kill(ctx: Ctx) -> None:
    """``--kill`` of a checkpoint context (``KV:src/lib/cpt.c:cpt_cmd``)."""
    if not is_running(ctx):
        raise VzError(E.VE_NOT_RUNNING, "Container is not running")
    ctx.log(0, "Killing...")
    _kill(ctx)


def thaw(ctx: Ctx) -> None:
    """``--resume`` of a frozen CT; chkpnt re-adds the routes the dump cleared."""
    if not is_running(ctx):
        raise VzError(E.VE_NOT_RUNNING, "Container is not running")
    ctx.log(0, "Resuming...")
    ctx.kct.frozen = False
    from simvz.model import network

    network.routes_up(ctx)


def resume(ctx: Ctx, dumpfile: str | None = None, frozen: bool = False) -> None:
    """Restore from a dump file; a full restore resumes the CT and deletes the file,
    ``--undump`` leaves it frozen for a later ``--resume`` (``KV:src/lib/hooks_vz.c``)."""
    path = dumpfile or ctx.dumpfile
    if is_running(ctx):
        raise VzError(E.VE_RUNNING, "Unable to perform restore: container already running")
    text = ctx.host.fs.read(path)
    ctx.log(0, "Restoring container ...")
    if text is None:
        raise VzError(E.RESTORE_ERROR, f"Unable to open {path}: No such file or directory")
    mount(ctx)
    ctx.log(0, "\tundump...")
    k = ctx.kct
    k.running, k.started_at, k.nproc, k.frozen = True, ctx.host.kernel.clock, 12, frozen
    apply_ubc(ctx)
    from simvz.model import network

    network.add_ips(ctx, _dump_ips(path, text), quiet=True)
    network.start(ctx)
    network.start_veths(ctx)
    if frozen:
        ctx.log(0, "Restoring completed successfully")
        return
    ctx.log(0, "\tresume...")
    ctx.log(0, "Container start in progress...")
    ctx.log(0, "Restoring completed successfully")
    ctx.host.fs.remove(path)


def _dump_ips(path: str, text: str) -> list[str]:
    """The venet IPs of a dump this node wrote; anything else fails as undump does
    (``KV:src/lib/hooks_vz.c:restore_fn``: "Restore error, undump failed", exit 17)."""
    import ipaddress

    lines = text.splitlines()
    ips = lines[1].split() if len(lines) > 1 else []
    try:
        if lines[:1] != ["SIMVZ-DUMP"]:
            raise ValueError(path)
        for ip in ips:
            ipaddress.ip_address(ip)
    except ValueError:
        raise VzError(E.RESTORE_ERROR, f"Restore error, undump failed: {path} is not a dump") from None
    return ips


def unpack_template(ctx: Ctx, tarball: str) -> tuple[int, int]:
    """Unpack a template cache into ``<VE_PRIVATE>.tmp``, then rename it into place
    (``KV:src/lib/create.c:fs_create``). A tarball that would write outside the private
    area, or cannot be read, fails as vps-create's tar does (48, :mod:`simvz.tarsafe`),
    and what was unpacked is removed (create.c's cleanup handler)."""
    tmp = ctx.private + ".tmp"
    fs = ctx.host.fs
    fs.rmtree(tmp)
    fs.mkdir(tmp)
    # vps-create only untars: a template without /sbin/init is found out at start
    try:
        tarsafe.extract(fs.real(tarball), fs.real(tmp), shown_as=tarball)
    except VzError:
        fs.rmtree(tmp)
        raise
    fs.rename(tmp, ctx.private)
    return usage_of(ctx)
