"""``vzctl create`` on simfs (``KV:src/lib/create.c``)."""

from __future__ import annotations

from simvz import errors as E
from simvz.cli import setopts
from simvz.cli.call import Call
from simvz.cli.vzctl_save import rendered, save
from simvz.errors import VzError
from simvz.model import container as C
from simvz.model import dist
from simvz.model import lifecycle as L
from simvz.model import params as P
from simvz.model.ctx import Ctx
from simvz.model.params import ParamSet

FAILED = "Creation of container private area failed"
PLOOP_UNSUPPORTED = (
    "No ploop support in the kernel, or kernel is way too old.",
    "Make sure you have OpenVZ kernel 042stab058.7 or later running,",
    "and kernel ploop modules loaded.",
    "Alternatively, if you can't or don't want to use ploop, please",
    "add --layout simfs option, or set VE_LAYOUT=simfs in /etc/vz/vz.conf",
)


def run(call: Call, req: setopts.CreateOpts) -> int:
    """Create the private area from a template cache and write the config."""
    conf = C.conf_path(call.veid)
    base, sample = _base_config(call, req, conf)
    ps = call.gps.merged(P.load(base, conf)).merged(ParamSet(dict(req.keys)))
    ctx = Ctx(call.host, call.veid, ps, call.con.log)
    _check_paths(ctx, ps)
    _check_layout(call, req)
    _assign_name(call, req)
    # an --ostemplate given empty is kept (and then not found), not replaced by a default
    given = req.keys.get("OSTEMPLATE")
    tmpl = given if isinstance(given, str) else (ps.str("OSTEMPLATE") or ps.str("DEF_OSTEMPLATE"))
    if not isinstance(tmpl, str) or (not tmpl and given is None):
        raise VzError(E.VE_OSTEMPLATE_NOTSET, "OS template is not specified", FAILED)
    tarball = _find_template(call, ps, tmpl)
    ctx.ps = ps.merged(ParamSet({"OSTEMPLATE": tmpl}))
    _check_disk(call, ctx)
    call.con.info(f"Creating container private area ({tmpl})")
    usage = L.unpack_template(ctx, tarball)
    L.quota_new(ctx, usage)
    # postcreate mounts the CT to run its scripts: fsmount() creates VE_ROOT, which stays
    # (KV:src/lib/create.c:vps_postcreate, KV:src/lib/fs.c:fsmount)
    call.host.fs.mkdir(ctx.root)
    _postcreate(call, ctx, tmpl)
    _clean_destroyed(call)
    call.host.fs.write(conf, base)
    save(call, _stored(call, req, ps, tmpl, sample))
    call.con.info("Container private area was created")
    return 0


def _postcreate(call: Call, ctx: Ctx, tmpl: str) -> None:
    """``KV:src/lib/create.c:vps_postcreate``: the distribution's action config names
    the postcreate script; without a config at all creation fails, and ``vps_create``
    removes the root and the private area it made (``err_root``)."""
    try:
        actions = dist.read_actions(call.host.fs, tmpl, call.con.log)
    except VzError as err:
        call.host.fs.rmdir(ctx.root)
        call.host.fs.rmtree(ctx.private)
        L.quota_drop(ctx)
        raise VzError(err.code, *err.lines, FAILED) from None
    if "POST_CREATE" in actions.scripts:
        call.con.info("Performing postcreate actions")


def _base_config(call: Call, req: setopts.CreateOpts, conf: str) -> tuple[str, str | None]:
    """The sample copied verbatim, or the existing config (then no sample)."""
    fs = call.host.fs
    name = req.config
    existing = fs.read(conf)
    if name is None and existing is not None:
        call.con.info("Warning: CT config file already exists, not applying a default config sample.")
        call.con.info("It might lead to incomplete CT configuration, you can use --applyconfig to fix.")
        return existing, None
    sample_name = name or call.gps.str("CONFIGFILE") or ""
    path = f"{C.CONF_DIR}/ve-{sample_name}.conf-sample"
    text = fs.read(path)
    if text is None:
        extra = () if name else ("Fix the value of CONFIGFILE in /etc/vz/vz.conf",)
        raise VzError(
            E.CP_CONFIG, f"Sample config {path} not found: No such file or directory", *extra, FAILED
        )
    if existing is not None:
        raise VzError(
            E.CP_CONFIG,
            f"Error: container config file {conf} already exists, can not use --config option",
            FAILED,
        )
    return text, sample_name


def _check_paths(ctx: Ctx, ps: ParamSet) -> None:
    if not ps.str("TEMPLATE"):
        raise VzError(E.VE_TMPL_NOTSET, "TEMPLATE is not set", FAILED)
    priv, _root = ctx.private, ctx.root
    if ctx.host.fs.listdir(priv) or (ctx.host.fs.exists(priv) and not ctx.host.fs.isdir(priv)):
        raise VzError(E.FS_PRVT_AREA_EXIST, f"Private area already exists in {priv}", FAILED)


def _check_layout(call: Call, req: setopts.CreateOpts) -> None:
    layout = req.keys.get("VE_LAYOUT") or call.gps.str("VE_LAYOUT") or "ploop"
    if str(layout).startswith("ploop") and not call.host.fs.exists("/proc/vz/ploop_minor"):
        raise VzError(E.PLOOP_UNSUP, *PLOOP_UNSUPPORTED, FAILED)


def _assign_name(call: Call, req: setopts.CreateOpts) -> None:
    name = req.name
    if not name:
        return
    owner = C.name_target(call.host, name)
    if owner is not None and owner != call.veid:
        raise VzError(E.SET_NAME_ERROR, f"Conflict: name {name} already used by container {owner}", FAILED)
    link = f"{C.NAMES_DIR}/{name}"
    try:
        call.host.fs.symlink(C.conf_path(call.veid), link)
    except OSError as err:
        # KV:src/lib/config.c:set_name: "." and ".." are the names directory itself
        raise VzError(E.SET_NAME_ERROR, f"Unable to create link {link}: {err.strerror}", FAILED) from None
    call.con.info(f"Name {name} assigned")


def _find_template(call: Call, ps: ParamSet, tmpl: str) -> str:
    """``<TEMPLATE>/cache/<t>.tar[.gz|.bz2|.xz]``; the node has no network for vztmpl-dl."""
    cache = f"{ps.str('TEMPLATE')}/cache/{tmpl}"
    for ext in (".tar", ".tar.gz", ".tar.bz2", ".tar.xz"):
        if call.host.fs.isfile(cache + ext):
            return cache + ext
    call.con.error(f"vztmpl-dl ERROR: template {tmpl} not found!")
    raise VzError(E.OSTEMPLATE_NOT_FOUND, f"Cached OS template {cache}.tar[.gz|.bz2|.xz] not found", FAILED)


def _check_disk(call: Call, ctx: Ctx) -> None:
    need = L.usage_of(ctx)[0]
    free = call.host.settings.disk_free_kb
    if need > free:
        raise VzError(
            E.FS_NO_DISK_SPACE,
            f"Insufficient disk space in {ctx.private}; available: {free}, needed: {need}",
            FAILED,
        )


def _clean_destroyed(call: Call) -> None:
    for name in call.host.fs.listdir(C.CONF_DIR):
        if name.startswith(f"{call.veid}.") and name.endswith(".destroyed"):
            call.host.fs.remove(f"{C.CONF_DIR}/{name}")


def _stored(
    call: Call, req: setopts.CreateOpts, ps: ParamSet, tmpl: str, sample: str | None
) -> list[tuple[str, str]]:
    """Keys create writes after the copied sample (``KV:src/lib/create.c:vps_create``)."""
    out: list[tuple[str, str]] = []
    if req.ip_add:
        out.append(("IP_ADDRESS", " ".join(req.ip_add)))
    for key in ("HOSTNAME", "DESCRIPTION", "DISKSPACE", "DISKINODES", "LOCAL_UID", "LOCAL_GID"):
        if key in req.keys:
            out.append(rendered(key, req.keys[key]))
    out.append(("VE_ROOT", ps.str("VE_ROOT") or ""))
    out.append(("VE_PRIVATE", ps.str("VE_PRIVATE") or ""))
    out.append(("VE_LAYOUT", "simfs"))
    out.append(("OSTEMPLATE", tmpl.rsplit("/", 1)[-1]))
    if (
        sample is not None
        and "ORIGIN_SAMPLE"
        not in P.load(call.host.fs.read(f"{C.CONF_DIR}/ve-{sample}.conf-sample") or "", "").values
    ):
        out.append(("ORIGIN_SAMPLE", sample))
    if req.name:
        out.append(("NAME", req.name))
    return out
