"""``vzlist`` 4.11.1: argv, what it collects from the node, and its output
(``KV:src/vzlist.c``; the recorded runs in corpus/vzctl-4.11.1 win).

vzlist reads what a real one reads: ``/etc/vz/conf/<N>.conf`` (only VE_ROOT, VE_PRIVATE
and DUMPDIR come from vz.conf, everything else from the CT's own file), the running set,
IPs, uptime, quota usage from the kernel, and the UBC table from
``/proc/user_beancounters``. The steps below keep the order of ``collect()`` because it
decides which messages appear and when vzlist gives up.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simvz.cli.getopt import GetoptError, Opt, getopt_long
from simvz.confine import PathLoop
from simvz.formats import vzlist as F
from simvz.formats.cfnmatch import fnmatch
from simvz.formats.vzlist import CpuStat, CtInfo, Field, Res
from simvz.model import container as C
from simvz.model import params, usage
from simvz.model.params import ParamSet
from simvz.results import Console, Result
from simvz.syntax.values import strtol

if TYPE_CHECKING:
    from simvz.host import Host

ENOENT = "No such file or directory"
VEINFO = "/proc/vz/veinfo"
HZ = 100  # sysconf(_SC_CLK_TCK) on OpenVZ kernels
DEFAULT_FIELDS = "ctid,numproc,status,ip,hostname"
DEFAULT_NAME_FIELDS = "smart_name,numproc,status,ip,hostname"
SHORTOPTS = "HtSanjN:h:d:o:s:Le1"
# KV:src/vzlist.c list_options[], in its order (getopt lists ambiguous matches in it);
# each long option is identified by the short letter it returns.
LONGOPTS = [
    Opt("no-header", False, "H"),
    Opt("no-trim", False, "t"),
    Opt("stopped", False, "S"),
    Opt("all", False, "a"),
    Opt("name", False, "n"),
    Opt("json", False, "j"),
    Opt("name_filter", True, "N"),
    Opt("hostname", True, "h"),
    Opt("description", True, "d"),
    Opt("output", True, "o"),
    Opt("sort", True, "s"),
    Opt("list", False, "L"),
    Opt("help", False, "e"),
]


class Stop(Exception):
    """vzlist returns from main() with this exit code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Opts:
    """The command line after getopt."""

    all: bool = False
    stopped: bool = False
    header: bool = True
    trim: bool = True
    json: bool = False
    fields: str | None = None
    sort: Field | None = None
    reverse: bool = False
    patterns: dict[str, str] = field(default_factory=dict)  # CtInfo attribute -> pattern
    ids: list[int] | None = None


@dataclass
class Run:
    """One vzlist run: the node, its console, the options and the CTs collected."""

    host: Host
    con: Console
    opts: Opts
    fields: list[Field] | None = None  # None: JSON with every field
    cts: list[CtInfo] = field(default_factory=list)
    dumpdir: str | None = None
    _index: dict[int, CtInfo] = field(default_factory=dict)
    _indexed: list[CtInfo] | None = None  # the list indexed (held, so its id stays its own)
    _indexed_len: int = 0

    def err(self, text: str) -> None:
        """``fprintf(stderr, ...)``."""
        self.con.write(2, text + "\n")

    def wants(self, res: Res) -> bool:
        """``check_param``: is a field of this kind shown (JSON without -o shows all)?"""
        return self.fields is None or any(f.res is res for f in self.fields)

    def allowed(self, veid: int) -> bool:
        """``check_veid_restr``: listed on the command line, or no IDs given."""
        return self.opts.ids is None or veid in self.opts.ids

    def find(self, veid: int) -> CtInfo | None:
        """``find_ve``: a bsearch of the sorted array in vzlist (src/vzlist.c:find_ve);
        here an index by CT ID, rebuilt when the list changed, so that a node with
        thousands of running CTs is not searched once per CT."""
        if self._indexed is not self.cts or self._indexed_len != len(self.cts):
            self._index = {}
            for c in self.cts:
                self._index.setdefault(c.veid, c)
            self._indexed, self._indexed_len = self.cts, len(self.cts)
        return self._index.get(veid)


def main(host: Host, argv: list[str], stdin: bytes) -> Result:
    """Run vzlist with ``argv`` (``argv[0]`` included) on ``host``."""
    con = Console()
    try:
        _main(host, con, argv)
        code = 0
    except Stop as stop:
        code = stop.code
    return con.result(code)


def usage_text() -> str:
    """vzlist's usage text (``KV:src/vzlist.c:usage``)."""
    from importlib import resources

    return resources.files("simvz.data").joinpath("vzlist-usage.txt").read_text()


def _main(host: Host, con: Console, argv: list[str]) -> None:
    prog = argv[0] if argv else "vzlist"
    opts, operands = _parse_options(con, prog, argv[1:])
    if operands:
        opts.ids = sorted(_ct_id(host, con, a) for a in operands)
    run = Run(host, con, opts)
    run.fields = _field_order(run)
    # vzlist exits 1 unless run as root; the simulated node is always run by root.
    if not _collect(run):
        # KV:src/vzlist.c (bug #2149): nothing found is an error only for explicit IDs.
        raise Stop(0 if opts.ids is None else 1)
    _print(run)


# -- command line --------------------------------------------------------------------------


def _parse_options(con: Console, prog: str, args: list[str]) -> tuple[Opts, list[str]]:
    opts, operands = Opts(), list[str]()
    try:
        for p in getopt_long(prog, args, LONGOPTS, operands, SHORTOPTS):
            _apply(con, opts, p.id, p.value)
    except GetoptError as exc:
        con.write(2, f"{exc}\n")
        _usage_exit(con)
    return opts, operands


def _usage_exit(con: Console) -> None:
    con.write(1, usage_text())
    raise Stop(1)


def _apply(con: Console, opts: Opts, letter: str, value: str | None) -> None:
    # Options take effect in order; a later -o, -n or -1 replaces the field list.
    settings: dict[str, dict[str, object]] = {
        "S": {"stopped": True},
        "t": {"trim": False},
        "H": {"header": False},
        "a": {"all": True},
        "j": {"json": True},
        "n": {"fields": DEFAULT_NAME_FIELDS},
        "1": {"fields": "veid", "header": False},
        "o": {"fields": value},
    }
    patterns = {"h": "hostname", "N": "name", "d": "description"}
    if letter in settings:
        for attr, v in settings[letter].items():
            setattr(opts, attr, v)
    elif letter in patterns and value is not None:
        opts.patterns[patterns[letter]] = value
    elif letter == "s" and value is not None:
        _set_sort(con, opts, value)
    elif letter == "L":
        _list_exit(con)
    else:
        # --help lands here too: its case is missing from main()'s switch, so it
        # prints the usage and exits 1 (KV:src/vzlist.c).
        _usage_exit(con)


def _list_exit(con: Console) -> None:
    con.write(1, F.list_text())
    raise Stop(0)


def _set_sort(con: Console, opts: Opts, value: str) -> None:
    name = value[1:] if value.startswith("-") else value
    # sort_rev is only ever set, never reset, by a later -s (KV:src/vzlist.c).
    opts.reverse = opts.reverse or value.startswith("-")
    opts.sort = F.find(name)
    if opts.sort is None:
        con.write(2, f"Invalid sort field name: {value}\n")
        raise Stop(1)


def _ct_id(host: Host, con: Console, arg: str) -> int:
    value, tail = strtol(arg)
    veid = F.c_int(value)  # strtol's long is stored into an int
    if tail or not veid:
        veid = veid_by_name(host, arg)
    if veid < 0 or veid > C.VEID_MAX:
        con.write(2, f"CT ID {arg} is invalid.\n")
        raise Stop(1)
    return veid


def veid_by_name(host: Host, name: str) -> int:
    """``get_veid_by_name``; -1 when the name does not resolve."""
    veid = C.name_target(host, name)
    return -1 if veid is None else veid


def _accessible(host: Host, path: str) -> bool:
    """``access(path, F_OK)``, which follows symlinks: one walk of the path (vzlist
    asks this three times per CT); a symlink loop is answered as Storage answers it."""
    try:
        return host.fs.accessible(path)
    except PathLoop:
        return host.fs.exists(host.fs.resolve(path))


_INT_RE = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)")


def _scan_int(text: str) -> int | None:
    """sscanf ``%d``: optional blanks and sign, digits; a long stored into an int."""
    m = _INT_RE.match(text)
    return F.c_int(int(m.group(1))) if m else None


def _field_order(run: Run) -> list[Field] | None:
    """``build_field_order``: the -o list, the default one, or None for JSON's all fields."""
    spec = run.opts.fields
    if spec is None:
        if run.opts.json:
            return None
        spec = DEFAULT_FIELDS
    out: list[Field] = []
    rest = spec
    while True:
        name, comma, after = rest.partition(",")
        if len(name) + 1 > 31:
            run.err(f"Invalid field: {rest}")
            raise Stop(1)
        fld = F.find(name)
        if fld is None:
            run.err(f"Unknown field: {name}")
            raise Stop(1)
        if run.opts.json and fld.index:
            run.err(f"Field `{name}' is not available in JSON output")
            raise Stop(1)
        out.append(fld)
        if not comma or not after:  # a trailing comma ends the list quietly
            return out
        rest = after


# -- collecting (KV:src/vzlist.c:collect) ------------------------------------------------------


def _collect(run: Run) -> bool:
    opts = run.opts
    if opts.all or opts.ids is not None or opts.stopped:
        _scan_configs(run)
    _running(run)
    if not opts.stopped and not _beancounters(run):
        return False
    if not run.cts:
        if opts.json:
            run.con.write(1, "[]\n")
        else:
            run.err("Container(s) not found")
        return False
    _kernel_extras(run)
    _read_configs(run)
    _mount_status(run, run.wants(Res.STATUS))
    if run.wants(Res.QUOTA):
        _quota(run)
    for attr, pattern in opts.patterns.items():
        for ct in run.cts:
            value = getattr(ct, attr)
            if value is None or not fnmatch(pattern, value):
                ct.hide = True
    return True


_CONF_RE = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)\.[ \t\n\v\f\r]*conf(?![^ \t\n\v\f\r])")


def _scan_configs(run: Run) -> None:
    """``get_ve_list``: every ``sscanf("%d.%5s") == conf`` name in /etc/vz/conf."""
    for entry in run.host.fs.listdir(C.CONF_DIR):
        m = _CONF_RE.match(entry)
        if not m:
            continue
        veid = F.c_int(int(m.group(1)))
        if veid < 0 or veid > C.VEID_MAX:
            run.err(f"Warning: invalid CTID in config file name: {entry}, skipping")
            continue
        if run.allowed(veid):
            run.cts.append(CtInfo(veid))
    run.cts = F.msort(run.cts, lambda a, b: int(a.veid > b.veid))


def _running(run: Run) -> None:
    """``get_run_ve``: running CTs from the kernel, their venet IPs in order of addition."""
    if not run.host.fs.exists(VEINFO):
        run.err(f"Unable to open {VEINFO}: {ENOENT}")
        return
    for veid in run.host.kernel.running():
        if veid == 0 or not run.allowed(veid):
            continue
        ips = [_ntop(ip) for ip in run.host.kernel.cts[veid].ips]
        # invert_ip() leaves a space after every address; none at all means NULL.
        ip = "".join(f"{a} " for a in ips if a) if ips else None
        ct = run.find(veid)
        if ct is None:
            run.cts.append(CtInfo(veid, status=F.RUNNING, ip=ip))
            run.cts = F.msort(run.cts, lambda a, b: int(a.veid > b.veid))
        else:
            ct.ip = ip if ct.ip is None else ct.ip
            ct.status = F.RUNNING


def _ntop(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.split("/")[0]))
    except ValueError:
        return ""


def _beancounters(run: Run) -> bool:
    """``get_ub``: the kernel's UBC table for running CTs; False when it is missing."""
    fs = run.host.fs
    text = fs.read("/proc/bc/resources") or fs.read("/proc/user_beancounters")
    if text is None or not fs.exists(VEINFO):
        run.err(f"Unable to open /proc/user_beancounters: {ENOENT}")
        return False
    for veid, table in _parse_ubc(text).items():
        ct = run.find(veid)
        if ct is not None and ct.status == F.RUNNING and run.allowed(veid):
            ct.ubc = table
    return True


def _parse_ubc(text: str) -> dict[int, dict[str, list[int]]]:
    """``<id>:`` starts a CT's rows; each row is ``name held maxheld barrier limit failcnt``."""
    out: dict[int, dict[str, list[int]]] = {}
    table: dict[str, list[int]] | None = None
    for line in text.splitlines():
        head, colon, rest = line.partition(":")
        if colon:
            veid = _scan_int(head)
            if veid is None:
                continue
            table = out.setdefault(veid, _empty_ubc()) if veid else None
            line = rest
        words = line.split()
        if (
            table is not None
            and len(words) >= 6
            and words[0] in table
            and all(w.isdigit() for w in words[1:6])
        ):
            table[words[0]] = [int(w) for w in words[1:6]]
    return out


def _empty_ubc() -> dict[str, list[int]]:
    return {name: [0, 0, 0, 0, 0] for name, _ in F.UBC_NAMES}


def _kernel_extras(run: Run) -> None:
    """Load average and uptime (an ioctl), CPU limits (/proc/fairsched), CPU counts."""
    kernel_up = run.host.fs.exists(VEINFO)  # /dev/vzctl opens only on an OpenVZ kernel
    if run.wants(Res.CPUSTAT) and kernel_up:
        usages = usage.of_node(run.host)
        for ct in run.cts:
            ct.cpustat = _cpustat(run, ct.veid, usages.get(ct.veid))
    if run.wants(Res.CPU) and not run.opts.stopped:
        for veid in run.host.kernel.running():
            found = run.find(veid)
            if found is not None:
                found.cpu = _fairsched(run, veid)
    if run.wants(Res.CPUNUM) and not run.opts.stopped and run.host.fs.isdir("/proc/vz/fairsched"):
        for ct in run.cts:
            if ct.status == F.RUNNING:
                _cpunum(run, ct)


def _cpustat(run: Run, veid: int, u: usage.Usage | None) -> CpuStat | None:
    k = run.host.kernel
    ct = k.cts.get(veid)
    if ct is None or not ct.running:
        return None  # the ioctl fails for a stopped CT
    jiffies = max(0, k.clock - ct.started_at) * HZ
    # the VE's load average (simvz/model/usage.py) as the ioctl's integer part and
    # hundredths; uptime as (float)uptime_jif / clk_tck
    digits = usage.load_digits(u) if u else ((0, 0),) * 3
    la = [F.f32(F.f32(float(i)) + F.f32(frac / 100)) for i, frac in digits]
    return CpuStat((la[0], la[1], la[2]), F.f32(F.f32(float(jiffies)) / HZ))


def _fairsched(run: Run, veid: int) -> tuple[int, int]:
    """A running CT's fairsched rate and weight as vzctl set them at start, read back."""
    ps = C.effective(run.host, veid)
    limit = ps.int("CPULIMIT") or 0
    units = ps.int("CPUUNITS") or 1000  # DEF_CPUUNITS, applied when none is configured
    rate = int(F.f32(F.f32(F.f32(float(limit)) * 1024) / 100))  # KV:src/lib/cpu.c
    weight = max(1, 500000 // max(1, units))
    return round(rate * 100 / 1024), round(500000 / weight)  # rint(): half to even


def _cpunum(run: Run, ct: CtInfo) -> None:
    path = f"/proc/vz/fairsched/{ct.veid}/cpu.nr_cpus"
    text = run.host.fs.read(path)
    if text is None:
        run.err(f"Unable to open {path}: {ENOENT}")
        return
    value = _scan_int(text)
    if value is not None:
        ct.cpunum = value


def _parse_file(run: Run, path: str) -> ParamSet:
    """``vps_parse_config``: vzlist's logger prints warnings of level 0 and below."""
    text = run.host.fs.read(path)
    if text is None:
        run.err(f"Unable to open {path}: {ENOENT}")
        return ParamSet()
    ps = params.load(text, path)
    for w in ps.warnings:
        run.con.log(w.level, w.text)
    return ps


def _read_configs(run: Run) -> None:
    """``read_ves_param``: vz.conf for the VE_ROOT/VE_PRIVATE/DUMPDIR defaults, then each CT."""
    # Parsed like any config: the "NETFILTER should not be set" warning is vzctl's own
    # (KV:src/vzctl.c:validate_global_config), vzlist never prints it.
    g = _parse_file(run, C.GLOBAL_CONF)
    run.dumpdir = g.str("DUMPDIR")
    for ct in run.cts:
        ps = _parse_file(run, C.conf_path(ct.veid))
        _merge(run, ct, ps)
        if ct.root is None and g.str("VE_ROOT"):
            ct.root = params.subst_veid(g.str("VE_ROOT") or "", ct.veid)
        if ct.private is None and g.str("VE_PRIVATE"):
            ct.private = params.subst_veid(g.str("VE_PRIVATE") or "", ct.veid)


_UBC_KEYS = [(name, name.upper()) for name, _ in F.UBC_NAMES]


def _merge(run: Run, ct: CtInfo, ps: ParamSet) -> None:
    """``merge_conf``: what the CT's own config adds to what the kernel told."""
    if ct.ubc is None:
        get = ps.values.get
        ct.ubc = {n: [0, 0, *(v if type(v := get(k)) is tuple else (0, 0)), 0] for n, k in _UBC_KEYS}
    ct.vm_overcommit = F.f32(float(_num(ps.get("VM_OVERCOMMIT"), 0.0)))
    if ct.ip is None and ps.list("IP_ADDRESS"):
        ct.ip = " ".join(ps.list("IP_ADDRESS"))
    if ct.quota is None and (ps.pair("DISKSPACE") or ps.pair("DISKINODES")):
        ct.quota = {k: [0, *(ps.pair(k.upper()) or (0, 0))] for k in ("diskspace", "diskinodes")}
    if ct.cpu is None and (ps.int("CPUUNITS") is not None or ps.int("CPULIMIT") is not None):
        ct.cpu = (ps.int("CPULIMIT") or 0, ps.int("CPUUNITS") or 0)
    _merge_strings(run, ct, ps)
    ct.onboot = ps.flag("ONBOOT")
    ct.bootorder = ps.int("BOOTORDER")
    ct.ioprio = _or(ps.int("IOPRIO"), -1)
    ct.iolimit = _iolimit(ps.int("IOLIMIT"))
    ct.iopslimit = _or(ps.int("IOPSLIMIT"), -1)
    if ct.cpunum == -1 and ps.int("CPUS") is not None:
        ct.cpunum = F.c_int(ps.int("CPUS") or 0)
    ct.features = ps.pair("FEATURES") or (0, 0)
    ct.disabled = ps.flag("DISABLED") is True
    ct.layout = _layout(ps.str("VE_LAYOUT"))
    nf = ps.str("NETFILTER")
    ct.netfilter = nf if nf in F.NETFILTER_WORDS else None
    ct.cap = ps.pair("CAPABILITY") or (0, 0)


def _merge_strings(run: Run, ct: CtInfo, ps: ParamSet) -> None:
    for attr, key in (
        ("hostname", "HOSTNAME"),
        ("description", "DESCRIPTION"),
        ("ostemplate", "OSTEMPLATE"),
        ("mount_opts", "MOUNT_OPTS"),
        ("origin_sample", "ORIGIN_SAMPLE"),
    ):
        if ps.str(key) is not None:
            setattr(ct, attr, ps.str(key))
    for attr, key in (("nameserver", "NAMESERVER"), ("searchdomain", "SEARCHDOMAIN")):
        if ps.list(key):
            setattr(ct, attr, " ".join(ps.list(key)))
    name = ps.str("NAME")
    # A NAME whose /etc/vz/names link points elsewhere is not shown.
    if name is not None and veid_by_name(run.host, name) == ct.veid:
        ct.name = name
    for attr, key in (("root", "VE_ROOT"), ("private", "VE_PRIVATE")):
        value = ps.str(key)
        if value is not None:
            setattr(ct, attr, params.subst_veid(value, ct.veid))


def _num(value: object, default: float) -> float:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def _iolimit(value: int | None) -> int:
    # KV:src/lib/config.c parse_iolimit: "unlimited" is 0, values above INT_MAX are cut.
    if value is None:
        return -1
    return 0 if value == F.LONG_MAX else min(value, F.INT_MAX)


def _layout(value: str | None) -> str:
    if value is None:
        return "???"  # guessed from the private area later (get_mounted_status)
    return "ploop" if value.startswith("ploop") else "simfs"


def _mount_status(run: Run, detailed: bool) -> None:
    """``get_mounted_status``: hide stopped CTs without a private area; mounted/suspended."""
    fs = run.host.fs
    for ct in run.cts:
        if ct.layout == "???" and ct.private is not None:
            dd = f"{ct.private}/root.hdd"
            ct.layout = "ploop" if fs.exists(dd) and fs.exists(dd + "/DiskDescriptor.xml") else "simfs"
        elif ct.layout == "???":
            ct.layout = "simfs"
        if ct.status == F.RUNNING:
            continue
        if ct.private is None or not _accessible(run.host, ct.private):
            ct.hide = True
            continue
        if not detailed:
            continue
        if _accessible(run.host, f"{run.dumpdir or '/vz/dump'}/Dump.{ct.veid}"):
            ct.status = F.SUSPENDED
        if ct.root is not None and _is_mounted(run, ct.veid, ct.root):
            ct.status = F.MOUNTED


def _is_mounted(run: Run, veid: int, root: str) -> bool:
    """``vps_is_mounted``: it stat()s VE_ROOT first and complains when it is missing."""
    if not _accessible(run.host, root):
        run.err(f"stat({root}): {ENOENT}")
        return False
    return run.host.kernel.peek(veid).mounted


def _quota(run: Run) -> None:
    """``get_run_quota_stat``: usage and limits of every active vzquota (/proc/vz/vzquota)."""
    if not run.host.fs.exists("/proc/vz/vzquota"):
        return
    for veid, kct in run.host.kernel.cts.items():
        q = kct.quota
        ct = run.find(veid)
        if q is not None and q.on and ct is not None:
            ct.quota = {"diskspace": [q.bused, q.bsoft, q.bhard], "diskinodes": [q.iused, q.isoft, q.ihard]}


# -- printing (KV:src/vzlist.c:print_ve) ----------------------------------------------------------


def _print(run: Run) -> None:
    opts = run.opts
    cts = run.cts
    if opts.sort is not None and opts.sort is not F.FIELDS[0]:
        cts = F.msort(cts, opts.sort.cmp)
    if opts.reverse:
        cts = cts[::-1]
    shown = [c for c in cts if not c.hide and not (opts.stopped and c.status == F.RUNNING)]
    if opts.json:
        run.con.write(1, F.json_text(shown, run.fields))
        return
    fields = run.fields or []
    text = F.header(fields) if opts.header else ""
    run.con.write(1, text + "".join(F.row(c, fields, opts.trim) for c in shown))
