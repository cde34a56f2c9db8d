"""``vzctl set`` (``KV:src/vzctl-actions.c:set, check_set_opt``, ``KV:src/lib/env.c:vps_set``).

Running CT: apply live, then save with ``--save``. Stopped CT with ``--save``: save
only. Stopped CT without ``--save``: vzctl still tries to apply and fails (exit 31).
"""

from __future__ import annotations

from simvz import errors as E
from simvz.cli import setopts
from simvz.cli.call import Call
from simvz.cli.vzctl_save import rendered, save
from simvz.errors import VzError
from simvz.model import container as C
from simvz.model import dist, envflags, network, ubc
from simvz.model import lifecycle as L
from simvz.model import netif as N
from simvz.model.ctx import Ctx
from simvz.model.params import ParamSet

FAILED_APPLY = "Error: failed to apply some parameters, not saving configuration file!"
QUOTA_KEYS = ("DISKSPACE", "DISKINODES", "QUOTATIME")
LOST_ON_RESTART = (
    "WARNING: Settings were not saved to config and will be lost after CT restart (use --save flag)"
)


def run(call: Call, req: setopts.SetOpts) -> int:
    """Check, apply, save; with ``--save`` any refusal ends with the not-saving line
    (``KV:src/vzctl-actions.c:vps_set``)."""
    try:
        return _run(call, req, req.has("save"))
    except VzError as err:
        if req.has("save") and FAILED_APPLY not in err.lines:
            err.lines.append(FAILED_APPLY)
        raise


def _run(call: Call, req: setopts.SetOpts, save_flag: bool) -> int:
    _check(call, req, save_flag)
    ctx = call.ctx()
    running = L.is_running(ctx)
    names: dict[str, str] = {}
    if not req.has("reset_ub"):
        _apply_name(call, req, names)
    if running and ({"VE_PRIVATE", "VE_ROOT"} & req.keys.keys()):
        what = "VE_PRIVATE" if "VE_PRIVATE" in req.keys else "VE_ROOT"
        raise VzError(E.VE_RUNNING, f"Unable to change {what} on a running container")
    actions = _dist_actions(call, req)
    if req.userpw:
        _userpasswd(call, req, actions, running)
    if not save_flag and not running:
        if req.only_userpasswd:
            return 0  # only --userpasswd and its value: no "not saved" warning (vps_set)
        return _stopped_unsaved(call, req)
    stored = _config_changes(call, req)
    stored.update(names)
    if running:
        try:
            if not _check_set_mode(call, req):
                _apply_live(call, req, stored)
        except VzError as err:
            if save_flag:
                err.lines.append(FAILED_APPLY)
            raise
    if not save_flag:
        if not req.only_userpasswd:  # vps_set's warn_save
            call.con.info(LOST_ON_RESTART)
        return 0
    if call.cps is None:
        call.con.error(f"WARNING: {C.conf_path(call.veid)} not found: No such file or directory")
    save(call, list(stored.items()))
    return 0


def _check(call: Call, req: setopts.SetOpts, save_flag: bool) -> None:
    """Up-front refusals in ``KV:src/vzctl-actions.c:check_set_opt`` order; with
    ``--save`` each is followed by vps_set's "not saving" line."""
    try:
        _check_opts(call, req, save_flag)
    except VzError as err:
        if save_flag:
            err.lines.append(FAILED_APPLY)
        raise


def _check_opts(call: Call, req: setopts.SetOpts, save_flag: bool) -> None:
    syntax = E.INVALID_PARAMETER_SYNTAX
    if req.has("reset_ub") and len(req.seen) > 1:
        raise VzError(syntax, "Error: option --reset_ub is exclusive")
    cmd = {k: v for k, v in req.keys.items() if k in ("PHYSPAGES", "SWAPPAGES") and isinstance(v, tuple)}
    cfg = {k: p for k in ("PHYSPAGES", "SWAPPAGES") if (p := call.ps.pair(k)) is not None}
    if (ubc.is_vswap_config(cmd) or ubc.is_vswap_config(cfg)) and "SWAPPAGES" not in cmd | cfg:
        raise VzError(E.NOTENOUGHUBCPARAMS, "Error: required UB parameter (swap) not set")
    if req.has("offline_resize"):
        if "DISKSPACE" not in req.keys:
            raise VzError(syntax, "Error: option --offline-resize can only be used with --diskspace")
        call.con.info("Warning: option --offline-resize only makes sense for a ploop CT")
    if "NODEMASK" in req.keys and "CPUMASK" not in req.keys:
        raise VzError(syntax, "Error: option --nodemask requires --cpumask")
    if req.keys.get("CPUMASK") == "auto" and "NODEMASK" not in req.keys:
        raise VzError(syntax, "Error: --cpumask auto requires --nodemask")
    if save_flag:
        return
    needs_save = [
        (req.name is not None, E.SET_NAME_ERROR, "Error: unable to use --name option without --save"),
        ("OSTEMPLATE" in req.keys, syntax, "Error: unable to use --ostemplate option without --save"),
        ("STOP_TIMEOUT" in req.keys, syntax, "Error: unable to use --stop-timeout option without --save"),
        (req.has("force"), syntax, "Error: --force is useless without --save"),
        (req.setmode == "restart", syntax,
         "Error: --setmode restart doesn't make sense without --save flag"),
    ]  # fmt: skip
    for given, code, message in needs_save:
        if given:
            raise VzError(code, message)


# What a running CT cannot change (``KV:src/vzctl-actions.c:check_set_mode``).
_RUNNING_ONLY_MESSAGES = {
    "caps": "Unable to set capability on a running container",
    "netfilter": "Unable to set iptables/netfilter on a running container",
    "features": "Unable to set features on a running container",
    "ugid_on": "Unable to turn on second-level disk quota on a running container",
    "ugid_off": "Unable to turn off second-level disk quota on a running container",
    "diskquota": "Unable to switch DISK_QUOTA on or off on a running container",
    "mount_opts": "Unable to change mount options on a running container",
}


def _not_live(call: Call, req: setopts.SetOpts) -> list[str]:
    """The changes ``check_set_mode`` finds that only a restart applies."""
    ps = call.ps
    found = []
    old_caps = ps.pair("CAPABILITY") or (0, 0)
    if req.caps and any(new and new != old for new, old in zip(req.caps, old_caps, strict=True)):
        found.append("caps")
    ipt, nf = req.keys.get("IPTABLES"), req.keys.get("NETFILTER")
    if (ipt and str(ipt).split() != (ps.str("IPTABLES") or "").split()) or (nf and nf != ps.str("NETFILTER")):
        found.append("netfilter")
    if req.features and req.features[1] and req.features[0] != (ps.pair("FEATURES") or (0, 0))[0]:
        found.append("features")
    if "QUOTAUGIDLIMIT" in req.keys:
        new_ugid, old_ugid = req.keys["QUOTAUGIDLIMIT"], ps.int("QUOTAUGIDLIMIT") or 0
        if new_ugid and not old_ugid:
            found.append("ugid_on")
        elif not new_ugid and old_ugid:
            found.append("ugid_off")
    if "DISK_QUOTA" in req.keys and req.keys["DISK_QUOTA"] != ps.flag("DISK_QUOTA"):
        found.append("diskquota")
    if "MOUNT_OPTS" in req.keys and req.keys["MOUNT_OPTS"] != ps.str("MOUNT_OPTS"):
        found.append("mount_opts")
    return found


def _check_set_mode(call: Call, req: setopts.SetOpts) -> bool:
    """A running CT: report what only a restart applies; ``--setmode restart``
    restarts it quietly (True: nothing else to apply), ``ignore`` refuses with 32,
    no setmode warns and goes on."""
    found = _not_live(call, req)
    if not found:
        return False
    mode = req.setmode
    if mode != "restart":
        for what in found:
            call.con.error(_RUNNING_ONLY_MESSAGES[what])
    if mode == "ignore":
        raise VzError(E.VE_RUNNING)
    if mode == "restart":
        ctx = call.ctx()
        merged = Ctx(call.host, call.veid, ctx.ps.merged(ParamSet(dict(req.keys))), call.con.log)
        call.con.info("Restarting container")
        L.stop(merged)
        L.start(merged)
        return True
    call.con.error("WARNING: Some of the parameters could not be applied to a running container.")
    call.con.error("\tPlease consider using --setmode option")
    return False


def needs_configure(req: setopts.SetOpts) -> bool:
    """What vzctl configures inside the CT through the distribution's scripts
    (``KV:src/lib/vps_configure.c:need_configure``, and ``--userpasswd``)."""
    inside = {"HOSTNAME", "NAMESERVER", "SEARCHDOMAIN", "QUOTAUGIDLIMIT"}
    return bool(
        inside & req.keys.keys() or req.ip_add or req.ip_del or req.has("ipdel_all")
        or req.userpw
    )  # fmt: skip


def _dist_actions(call: Call, req: setopts.SetOpts) -> dist.Actions | None:
    """The distribution's action config, chosen by OSTEMPLATE, is read before anything
    is applied, on a running or a stopped CT alike (``KV:src/vzctl-actions.c:set``
    calls ``read_dist_actions``; ``KV:src/lib/dist.c``)."""
    if not needs_configure(req):
        return None
    try:
        return dist.read_actions(call.host.fs, call.ps.str("OSTEMPLATE"), call.con.log)
    except VzError as err:
        if req.has("save"):
            err.lines.append(FAILED_APPLY)  # KV:src/vzctl-actions.c:vps_set
        raise


def _userpasswd(call: Call, req: setopts.SetOpts, actions: dist.Actions | None, running: bool) -> None:
    """``--userpasswd``: a stopped CT is started for it without its setup (no IPs, CPU
    or hostname; ``SKIP_SETUP|SKIP_ACTION_SCRIPT``), the distribution's
    ``SET_USERPASS`` script runs inside, and the CT is killed and unmounted again
    (``KV:src/vzctl-actions.c:set``, ``KV:src/lib/vps_configure.c:vps_pw_configure``)."""
    from simvz.model import passwd

    ctx = call.ctx()
    if not running:
        L.start(ctx, setup=False)
    failed = False
    if actions is not None and "SET_USERPASS" not in actions.scripts:
        call.con.info("Warning: set_userpass action script is not specified")
    else:
        user, password = passwd.split_userpw(req.userpw)
        failed = not user or not password
        if not failed:
            hashed = passwd.pw_hash(call.host.settings.seed, call.veid, user, password)
            passwd.set_password(call.host.fs, ctx.private, user, hashed)
    if failed:
        call.con.info("Password change failed")
    if not running:
        L.stop(ctx, fast=True)
    if failed:
        err = VzError(E.CHANGEPASS)
        if req.has("save"):
            err.lines.append(FAILED_APPLY)
        raise err


def _stopped_unsaved(call: Call, req: setopts.SetOpts) -> int:
    """Applying to a stopped CT: the first resource group vzctl tries fails."""
    if req.has("reset_ub"):
        raise VzError(E.VE_NOT_RUNNING, "Container is not running")
    if _calc_ub(call, req):
        raise VzError(E.VE_NOT_RUNNING, "Unable to apply UBC parameters: container is not running")
    if req.ip_add or req.ip_del or req.has("ipdel_all"):
        raise VzError(E.VE_NOT_RUNNING, "Unable to apply network parameters: container is not running")
    if req.netdev_add or req.netdev_del:
        raise VzError(E.VE_NOT_RUNNING, "Unable to setup network devices: container is not running")
    if {"CPUUNITS", "CPULIMIT", "CPUS", "CPUUWEIGHT"} & req.keys.keys():
        raise VzError(E.VE_NOT_RUNNING, "Unable to apply CPU parameters: container is not running")
    if req.netif_add or req.netif_del or req.netif_mod:
        raise VzError(E.VE_NOT_RUNNING, "Unable to create veth: container is not running")
    if set(QUOTA_KEYS) & req.keys.keys():
        raise VzError(E.DQ_SET, "Error: Unable to apply new quota values: quota not running")
    if {"HOSTNAME", "NAMESERVER", "SEARCHDOMAIN"} & req.keys.keys():
        call.con.info("Unable to configure container: not running")
    call.con.info("WARNING: Settings were not saved to config (use --save flag)")
    return 0


def _config_changes(call: Call, req: setopts.SetOpts) -> dict[str, str]:
    """Every KEY="value" line the save will write, merged with the old config."""
    old = call.cps or ParamSet()
    out: dict[str, str] = {}
    if call.cps is not None and call.cps.str("VE_LAYOUT"):
        # vzctl writes the layout again on every save (KV:src/lib/config.c:store_ve_layout)
        out["VE_LAYOUT"] = call.cps.str("VE_LAYOUT") or ""
    _apply_sample(call, req, out)
    for key, value in req.keys.items():
        out.update([rendered(key, value)])
    if req.ip_add or req.ip_del or req.has("ipdel_all"):
        out["IP_ADDRESS"] = " ".join(_merge_ips(old.list("IP_ADDRESS"), req))
    if req.netdev_add or req.netdev_del:
        devs = [d for d in old.list("NETDEV") + req.netdev_add if d not in req.netdev_del]
        out["NETDEV"] = " ".join(devs)
    if req.netif_add or req.netif_del or req.netif_mod:
        out["NETIF"] = N.render_conf(_merge_netif(old, req))
    if req.features:
        old_f = old.pair("FEATURES") or (0, 0)
        out["FEATURES"] = envflags.render_features(envflags.merge_features(old_f, req.features))
    if req.caps:
        old_c = old.pair("CAPABILITY") or (0, 0)
        out["CAPABILITY"] = envflags.render_caps(envflags.merge_caps(old_c, req.caps))
    return out


def _apply_sample(call: Call, req: setopts.SetOpts, out: dict[str, str]) -> None:
    """``--applyconfig``: a sample's keys except identity ones (``KV:src/vzctl-actions.c``)."""
    name = req.applyconfig
    if name is None:
        return
    from simvz.model import params

    path = f"{C.CONF_DIR}/ve-{name}.conf-sample"
    text = call.host.fs.read(path)
    if text is None:
        raise VzError(E.APPLY_CONFIG_ERROR, f"Sample config file not found: {path}")
    skip = {"HOSTNAME", "IP_ADDRESS", "OSTEMPLATE", "VE_ROOT", "VE_PRIVATE", "DESCRIPTION", "AVNUMPROC"}
    for key, value in params.load(text, path).values.items():
        if key not in skip:
            out.update([rendered(key, value)])
    out["ORIGIN_SAMPLE"] = name


def _merge_ips(old: list[str], req: setopts.SetOpts) -> list[str]:
    """Old entries minus deleted and re-added ones, then the new ones (``store_ip``)."""
    ips = [] if req.has("ipdel_all") else list(old)
    gone = set(req.ip_del) | {network.bare(i) for i in req.ip_add}
    ips = [i for i in ips if network.bare(i) not in gone]
    return ips + req.ip_add


def _merge_netif(old: ParamSet, req: setopts.SetOpts) -> list[N.Netif]:
    devs = N.parse_conf(old.str("NETIF") or "")
    if "all" in req.netif_del:
        devs = []
    devs = [d for d in devs if d.ifname not in req.netif_del]
    for new in req.netif_add:
        devs = N.merge(devs, new)
    if req.netif_mod:
        devs = _modify_netif(devs, req.netif_mod)
    return devs


def _modify_netif(devs: list[N.Netif], mod: dict[str, str]) -> list[N.Netif]:
    ifname = mod.get("ifname")
    if ifname is None:
        raise VzError(E.INVALID_PARAMETER_SYNTAX, "Invalid usage.  Option --ifname not specified")
    if not any(d.ifname == ifname for d in devs):
        raise VzError(
            E.INVALID_PARAMETER_SYNTAX,
            f"Invalid usage: veth device {ifname} is not configured, use --netif_add option first",
        )
    return N.merge(devs, N.Netif(**mod))


def _apply_name(call: Call, req: setopts.SetOpts, stored: dict[str, str]) -> None:
    """``--applyconfig_map name`` re-links the config's NAME; ``--name`` sets a new one
    (``KV:src/vzctl-actions.c:set`` calls ``set_name`` for both)."""
    if req.applyconfig_map:
        current = call.ps.str("NAME")
        _set_name(call, current, current)
    name = req.name
    if name is not None:
        _set_name(call, name, call.cps.str("NAME") if call.cps else None)
        stored["NAME"] = name


def _set_name(call: Call, new: str | None, old: str | None) -> None:
    """``KV:src/lib/config.c:set_name``: conflict 131; nothing to do when the link is
    already this CT's; otherwise (re)link, drop the old alias, say so."""
    if new is None:
        return
    owner = C.name_target(call.host, new)
    if owner is not None and owner != call.veid:
        raise VzError(
            E.SET_NAME_ERROR, f"Conflict: name {new} already used by container {owner}", FAILED_APPLY
        )
    if old == new and owner == call.veid:
        return
    if new:
        link = f"{C.NAMES_DIR}/{new}"
        try:
            call.host.fs.symlink(C.conf_path(call.veid), link)
        except OSError as err:
            # set_name's unlink+symlink: names "." and ".." are the directory itself
            raise VzError(E.SET_NAME_ERROR, f"Unable to create link {link}: {err.strerror}") from None
    if old and old != new and C.name_target(call.host, old) == call.veid:
        call.host.fs.remove(f"{C.NAMES_DIR}/{old}")
    call.con.info(f"Name {new} assigned")


def _calc_ub(call: Call, req: setopts.SetOpts) -> dict[str, tuple[int, int]]:
    """The UBC pairs ``set`` hands to ``vps_set_ublimit``: the command line's, plus the
    vswap defaults for what neither it nor the config sets (``KV:src/vzctl-actions.c:set``
    calls ``fill_vswap_ub(&g_p->res.ub, &calc_ub)``). So on a vswap CT whose config lacks
    e.g. LOCKEDPAGES even ``--hostname`` applies UBC parameters."""
    cmd = {k: v for k, v in req.keys.items() if k in ubc.KERNEL_RESOURCES and isinstance(v, tuple)}
    ps = call.ps
    cfg = {k: p for k in ubc.KERNEL_RESOURCES if (p := ps.pair(k)) is not None}
    ovc = req.keys.get("VM_OVERCOMMIT", ps.get("VM_OVERCOMMIT"))
    return {**cmd, **ubc.fill_vswap(cfg, cmd, ovc if isinstance(ovc, float) else None)}


def _apply_live(call: Call, req: setopts.SetOpts, stored: dict[str, str]) -> None:
    """Apply to a running CT in ``vps_setup_res`` order (``KV:src/lib/res.c``): UBC, IPs
    (delete, then add), NICs, CPU, hostname/DNS, quota limits, veth devices."""
    ctx = call.ctx()
    calc = _calc_ub(call, req)
    if calc:
        L.set_ubc(ctx, calc)
        call.con.info("UB limits were set successfully")
    network.del_ips(ctx, req.ip_del + _readded(call, req), every=req.has("ipdel_all"))
    network.add_ips(ctx, req.ip_add)
    network.netdev_del(ctx, req.netdev_del)
    network.netdev_add(ctx, req.netdev_add)
    for key, label in (("CPULIMIT", "CPU limit"), ("CPUUNITS", "CPU units"), ("CPUS", "CPUs")):
        if key in req.keys:
            call.con.info(f"Setting {label}: {req.keys[key]}")
    merged = Ctx(call.host, call.veid, ctx.ps.merged(ParamSet(dict(req.keys))), call.con.log)
    if {"HOSTNAME", "NAMESERVER", "SEARCHDOMAIN"} & req.keys.keys():
        network.apply_inside(merged)
    if set(QUOTA_KEYS) & req.keys.keys():
        L.quota_set_limits(merged)
    network.veth_del(ctx, req.netif_del, every="all" in req.netif_del)
    # vznetaddbr reads the config on disk, which is saved only after this: a veth added
    # live is therefore not put on its bridge until the next start (KV:bin/vznetaddbr.in)
    network.veth_add(
        ctx, [d for d in _merge_netif(ctx.ps, req) if d.ifname in {n.ifname for n in req.netif_add}]
    )
    del stored


def _readded(call: Call, req: setopts.SetOpts) -> list[str]:
    """``--ipadd`` of an address the *config* has deletes the config's entry first
    (``KV:src/vzctl-actions.c:fix_ip_param``, ``KV:src/lib/net.c:find_ip``)."""
    old = call.cps.list("IP_ADDRESS") if call.cps else []
    return [found for ip in req.ip_add if (found := find_ip(old, ip)) is not None]


def find_ip(entries: list[str], ip: str) -> str | None:
    """The entry for ``ip``: the same string, the same address, or ``addr/`` any mask."""
    bare = network.bare(ip)
    for e in entries:
        if e in (ip, bare) or e.startswith(bare + "/"):
            return e
    return None
