"""The option table of ``vzctl set`` and ``vzctl create`` (``KV:src/vzctl-actions.c:set_opt``,
``create_options``; value rules ``KV:src/lib/config.c``).

Each option maps to a handler that folds its value into the command's options
(:class:`SetOpts`, :class:`CreateOpts`; what both take is :class:`KeyOpts`). On the
command line the first occurrence of a single-valued option wins silently (vzctl's
ERR_DUP); list options accumulate. A handler raises ``Invalid`` for vzctl's
``Bad parameter for --opt: value`` (its message, if any, is the detail line vzctl
prints first) and ``Truncated`` for values past LONG_MAX, also refused here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from simvz.cli.call import Opts
from simvz.cli.getopt import Opt
from simvz.model import envflags
from simvz.model import netif as N
from simvz.model import params as P
from simvz.syntax import values as V
from simvz.syntax.values import Invalid

IPT_MODULES = (
    "ip_tables",
    "iptable_filter",
    "iptable_mangle",
    "ipt_limit",
    "ipt_multiport",
    "ipt_tos",
    "ipt_TOS",
    "ipt_REJECT",
    "ipt_TCPMSS",
    "ipt_tcpmss",
    "ipt_ttl",
    "ipt_LOG",
    "ipt_length",
    "ip_conntrack",
    "ip_conntrack_ftp",
    "ip_conntrack_irc",
    "ipt_conntrack",
    "ipt_state",
    "ipt_helper",
    "iptable_nat",
    "ip_nat_ftp",
    "ip_nat_irc",
    "ipt_REDIRECT",
    "xt_mac",
    "ipt_recent",
    "ipt_owner",
)
_NAME_RE = re.compile(r"^[A-Za-z0-9 +_.-]*$")


# What a config key's value is once parsed: the union of ``simvz.model.params``' kinds
# (text, numbers, yes/no, VM_OVERCOMMIT's float, UBC and quota barrier:limit pairs, token
# lists). One mapping by config name rather than a field per key: each name has one kind
# (``params.KEYS``), the model merges the mapping into a ParamSet and the save renders it
# by name, and the table fills keys it computes (a row per UBC parameter), which a
# TypedDict could not check.
KeyValue = str | int | bool | float | tuple[int, int] | list[str]
# set's switches (``--save``, ``--force``, ...; ``ipdel_all`` is ``--ipdel all``).
SetFlag = Literal["save", "force", "reset_ub", "skip_arpdetect", "offline_resize", "ipdel_all"]
SetMode = Literal["restart", "ignore"]
_SETMODES: dict[str, SetMode] = {"restart": "restart", "ignore": "ignore"}


@dataclass(frozen=True)
class NodeFacts:
    """What set's value rules read from the node: the CPU count (``--cpulimit N%``),
    the MAC hashed into veth MACs and whether ``--netif_add`` has a bridge field
    (``KV:src/lib/veth.c``), and the kernel's vswap (``--ram``/``--swap``)."""

    veid: int
    cpus: int
    hwid: str
    vswap: bool
    bridge_field: bool  # --netif_add's fifth field (vzctl >= 3.0.23)


@dataclass(kw_only=True)
class KeyOpts(Opts):
    """What ``set`` and ``create`` both take: config keys, ``--ipadd``, ``--name``."""

    keys: dict[str, KeyValue] = field(default_factory=dict)  # config key -> typed value
    ip_add: list[str] = field(default_factory=list)
    name: str | None = None
    warnings: list[str] = field(default_factory=list)  # stdout lines printed while parsing
    seen: list[str] = field(default_factory=list)  # option identities, in order

    def scalar(self, key: str, value: KeyValue) -> None:
        """First occurrence on the command line wins (vzctl returns ERR_DUP silently)."""
        self.keys.setdefault(key, value)


@dataclass(kw_only=True)
class CreateOpts(KeyOpts):
    """``vzctl create``'s options (``KV:src/vzctl-actions.c:parse_create_opt``)."""

    config: str | None = None  # --config: the sample to copy


@dataclass(kw_only=True)
class SetOpts(KeyOpts):
    """``vzctl set``'s options (``KV:src/vzctl-actions.c:parse_set_opt``), before any checks."""

    node: NodeFacts
    flags: set[SetFlag] = field(default_factory=set)
    setmode: SetMode | None = None
    applyconfig: str | None = None
    applyconfig_map: bool = False  # --applyconfig_map name (its only value)
    pci_add: str | None = None
    pci_del: str | None = None
    ip_del: list[str] = field(default_factory=list)
    netif_add: list[N.Netif] = field(default_factory=list)
    netif_del: list[str] = field(default_factory=list)
    netif_mod: dict[str, str] = field(default_factory=dict)
    netdev_add: list[str] = field(default_factory=list)
    netdev_del: list[str] = field(default_factory=list)
    userpw: list[str] = field(default_factory=list)  # every --userpasswd, in order
    features: tuple[int, int] | None = None  # (on, known) masks
    caps: tuple[int, int] | None = None  # (on, off) masks
    only_userpasswd: bool = False  # argv is just "--userpasswd VALUE" (vps_set's argc == 2)

    def has(self, flag: SetFlag) -> bool:
        """Whether the switch was given."""
        return flag in self.flags

    def runs_without_kernel(self) -> bool:
        """``set --save --force`` writes the config without the kernel (``run_action``)."""
        return {"save", "force"} <= self.flags


K = TypeVar("K", bound=KeyOpts)
Handler = Callable[[K, str], None]
SetHandler = Callable[[SetOpts, str], None]
CreateHandler = Callable[[CreateOpts, str], None]


def _key(key: str, parse: Callable[[str], KeyValue]) -> Handler[KeyOpts]:
    return lambda r, v: r.scalar(key, parse(v))


def _pair(v: str, div: int, unlimited: bool) -> tuple[int, int]:
    """``parse_twoul_sfx``: any bad part makes the whole value bad, with no detail line."""
    try:
        return V.parse_pair(v, div, unlimited)
    except Invalid:
        raise Invalid(v) from None


def _ub(key: str) -> Handler[KeyOpts]:
    div = P.UBC[key]
    return lambda r, v: r.scalar(key, _pair(v, div, True))


def _dq(key: str, div: int) -> Handler[KeyOpts]:
    return lambda r, v: r.scalar(key, _pair(v, div, False))


def _first(old: str | None, new: str) -> str:
    """A single-valued option keeps its first value (ERR_DUP)."""
    return new if old is None else old


def _config(r: CreateOpts, v: str) -> None:
    r.config = _first(r.config, v)


def _applyconfig(r: SetOpts, v: str) -> None:
    r.applyconfig = _first(r.applyconfig, v)


def _applyconfig_map(r: SetOpts, v: str) -> None:
    if v != "name":
        raise Invalid(v)
    r.applyconfig_map = True


def _setmode(r: SetOpts, v: str) -> None:
    mode = _SETMODES.get(v)
    if mode is None:
        raise Invalid(v)
    r.setmode = r.setmode or mode


def _flag(name: SetFlag) -> SetHandler:
    return lambda r, _v: r.flags.add(name)


def _str(v: str) -> str:
    return v


def _ranged(lo: int, hi: int) -> Callable[[str], int]:
    def parse(v: str) -> int:
        n = V.parse_ul(v)
        if not lo <= n <= hi:
            raise Invalid(v)
        return n

    return parse


def _nonneg_int(v: str) -> int:
    n = V.parse_int(v)
    if n < 0:
        raise Invalid(v)
    return n


def _ioprio(v: str) -> int:
    n = V.parse_int(v)
    if not 0 <= n <= 7:
        raise Invalid(v)
    return n


def _iolimit(v: str) -> int:
    """MB/s unless a suffix is given (``PARAM_IOLIMIT_MB``); stored in bytes/s."""
    return V.parse_iolimit(v, 1024 * 1024)


def _cpulimit(r: SetOpts, v: str) -> None:
    """``N`` (percent of one CPU) or ``N%`` (of all CPUs, so multiplied by their count)."""
    if v.endswith("%"):
        n = V.parse_ul(v[:-1])
        if n > 100:
            raise Invalid(v)
        r.scalar("CPULIMIT", n * r.node.cpus)
    else:
        r.scalar("CPULIMIT", V.parse_ul(v))


def _name(r: KeyOpts, v: str) -> None:
    if not _NAME_RE.match(v):
        raise Invalid(v)
    r.name = _first(r.name, v)


def layout_value(v: str) -> str:
    """``simfs`` or ``ploop[:expanded|plain|raw]`` (``KV:src/lib/config.c:parse_ve_layout``)."""
    mode, _, sub = v.partition(":")
    if mode == "simfs" and not sub:
        return "simfs"
    if mode == "ploop" and sub in ("", "expanded", "plain", "raw"):
        return v
    raise Invalid(v)


def _yesno(v: str) -> bool:
    return V.parse_yesno(v)


def _oneof(*words: str) -> Callable[[str], str]:
    def parse(v: str) -> str:
        if v not in words:
            raise Invalid(v)
        return v

    return parse


def _mask(v: str) -> str:
    if v in ("all", "auto") or re.match(r"^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$", v):
        return v
    raise Invalid(v)


def _meminfo(v: str) -> str:
    """``KV:src/lib/config.c:parse_meminfo``: ``sscanf("%31[^:]:%lu")``; ``none`` takes
    no number, ``pages`` and ``privvmpages`` a non-zero one."""
    m = re.match(r"^([^:]{1,31})(?::[ \t\n\v\f\r]*([+-]?[0-9]+))?", v)
    if m is None or m.group(1) not in ("none", "pages", "privvmpages"):
        raise Invalid(v)
    mode, number = m.group(1), m.group(2)
    if mode == "none":
        if number is not None:
            raise Invalid(v)
        return mode
    if number is None or int(number) % 2**64 == 0:
        raise Invalid(v)
    return f"{mode}:{int(number) % 2**64}"


def _vswap(key: str) -> SetHandler:
    def handle(r: SetOpts, v: str) -> None:
        if not r.has("force") and not r.node.vswap:
            raise OtherError("Error: kernel does not support vswap, unable to use --ram/--swap parameters")
        r.scalar(key, (0, V.parse_bytes_to_pages(v)))

    return handle


class OtherError(Exception):
    """vzctl's ERR_OTHER: the message, then ``Error parsing options`` and exit 3."""


def _ipadd(r: KeyOpts, v: str) -> None:
    for token in v.split():
        parsed = V.canonical_ip(token)
        if parsed is None:
            continue
        ip, mask, _family = parsed
        # IPv6 with IPV6="no" is dropped only when applied (KV:src/lib/net.c:vps_net_ctl)
        text = ip if mask is None else f"{ip}/{mask}"
        if text not in r.ip_add:
            r.ip_add.append(text)


def _ipdel(r: SetOpts, v: str) -> None:
    if v == "all":
        r.flags.add("ipdel_all")
        return
    for token in v.split():
        parsed = V.canonical_ip(token)
        if parsed is not None:
            r.ip_del.append(parsed[0])


def _netdev(add: bool) -> SetHandler:
    def handle(r: SetOpts, v: str) -> None:
        for dev in v.split():
            if dev.startswith(("venet", "tun", "tap", "lo")):
                raise Invalid(v)
            (r.netdev_add if add else r.netdev_del).append(dev)

    return handle


def _userpw(r: SetOpts, v: str) -> None:
    """Every value is kept, unchecked (``KV:src/lib/config.c:conf_parse_strlist``); the
    action script judges them (:mod:`simvz.model.passwd`)."""
    r.userpw.append(v)


def _netif_add(r: SetOpts, v: str) -> None:
    for dev in v.split():
        r.netif_add.append(N.parse_cmd(dev, r.node.veid, r.node.hwid, r.node.bridge_field))


def _netif_del(r: SetOpts, v: str) -> None:
    if len(v) > 16:  # IFNAMSIZE (KV:src/lib/config.c:parse PARAM_NETIF_DEL_CMD)
        raise Invalid(v)
    r.netif_del.append(v)


def _netif_field(name: str) -> SetHandler:
    def handle(r: SetOpts, v: str) -> None:
        if name in ("mac", "host_mac"):
            v = N.check_mac(v, "container" if name == "mac" else "host")
        elif name == "mac_filter" and v not in ("on", "off"):
            raise Invalid(v)
        r.netif_mod.setdefault(name, v)

    return handle


def _features(r: SetOpts, v: str) -> None:
    """Unknown features are warned about on stdout, then the value is refused."""
    parsed = envflags.parse_features(v)
    r.warnings.extend(parsed.info)
    if not parsed.ok:
        raise Invalid(v)
    on, known = r.features or (0, 0)
    # settings are OR-ed: a later "nfs:off" never clears an earlier "nfs:on" (parse_features)
    r.features = (on | parsed.first, known | parsed.second)


def _capability(r: SetOpts, v: str) -> None:
    """Names match case-insensitively (``KV:src/lib/cap.c:get_cap_mask``)."""
    parsed = envflags.parse_caps(v)
    if not parsed.ok:
        raise Invalid(parsed.errors[0])
    on, off = r.caps or (0, 0)
    r.caps = (on | parsed.first, off | parsed.second)


def _iptables(r: KeyOpts, v: str) -> None:
    mods = v.replace(",", " ").split()
    if any(m not in IPT_MODULES for m in mods):
        raise Invalid(v)
    ordered = [m for m in IPT_MODULES if m == "ip_tables" or m in mods]
    r.scalar("IPTABLES", "".join(f"{m} " for m in ordered))


def _tokens(key: str, pattern: str) -> Handler[KeyOpts]:
    def handle(r: KeyOpts, v: str) -> None:
        entries = v.split()
        if v != "none" and not all(re.match(pattern, e) for e in entries):
            raise Invalid(v)
        r.scalar(key, entries)

    return handle


def _list(key: str) -> Handler[KeyOpts]:
    def handle(r: KeyOpts, v: str) -> None:
        current = r.keys.setdefault(key, [])
        assert isinstance(current, list)
        current.extend(t for t in v.split() if t not in current)

    return handle


def _pci(add: bool) -> SetHandler:
    def handle(r: SetOpts, v: str) -> None:
        if not re.match(r"^([0-9a-fA-F]{1,4}:)?[0-9a-fA-F]{1,2}:[0-9a-fA-F]{1,2}\.[0-7]$", v):
            raise Invalid(v)
        if add:
            r.pci_add = _first(r.pci_add, v)
        else:
            r.pci_del = _first(r.pci_del, v)

    return handle


_DEV = r"^([bc]:[0-9]+:([0-9]+|all)|all):[rwq]*$|^none$"
_DEVNODE = r"^[^:]+:[rwq]*$|^none$"

# name, takes-argument, handler; aliases share a handler (identity = first name).
SET_OPTIONS: list[tuple[str, bool, SetHandler]] = [
    ("save", False, _flag("save")),
    ("force", False, _flag("force")),
    ("applyconfig", True, _applyconfig),
    ("applyconfig_map", True, _applyconfig_map),
    ("reset_ub", False, _flag("reset_ub")),
    ("iptables", True, _iptables),
    ("netfilter", True, _key("NETFILTER", _oneof("disabled", "stateless", "stateful", "full"))),
    *((k.lower(), True, _ub(k)) for k in P.UBC if k not in ("AVNUMPROC", "SWAPPAGES")),
    ("avnumproc", True, _ub("AVNUMPROC")),
    ("swappages", True, _ub("SWAPPAGES")),
    ("vm_overcommit", True, _key("VM_OVERCOMMIT", P.parse_float)),
    ("capability", True, _capability),
    ("ipadd", True, _ipadd),
    ("ip", True, _ipadd),
    ("ipdel", True, _ipdel),
    ("skip_arpdetect", False, _flag("skip_arpdetect")),
    ("netdev_add", True, _netdev(True)),
    ("netdev_del", True, _netdev(False)),
    ("hostname", True, _key("HOSTNAME", _str)),
    ("nameserver", True, _list("NAMESERVER")),
    ("searchdomain", True, _list("SEARCHDOMAIN")),
    ("userpasswd", True, _userpw),
    ("devices", True, _tokens("DEVICES", _DEV)),
    ("devnodes", True, _tokens("DEVNODES", _DEVNODE)),
    ("pci_add", True, _pci(True)),
    ("pci_del", True, _pci(False)),
    ("root", True, _key("VE_ROOT", _str)),
    ("private", True, _key("VE_PRIVATE", _str)),
    ("mount_opts", True, _key("MOUNT_OPTS", _str)),
    ("ostemplate", True, _key("OSTEMPLATE", _str)),
    ("cpuunits", True, _key("CPUUNITS", _ranged(8, 500000))),
    ("cpuweight", True, _key("CPUUWEIGHT", V.parse_ul)),
    ("cpulimit", True, _cpulimit),
    ("cpus", True, _key("CPUS", V.parse_ul)),
    ("cpumask", True, _key("CPUMASK", _mask)),
    ("nodemask", True, _key("NODEMASK", _mask)),
    ("onboot", True, _key("ONBOOT", _yesno)),
    ("setmode", True, _setmode),
    ("disabled", True, _key("DISABLED", _yesno)),
    ("diskquota", True, _key("DISK_QUOTA", _yesno)),
    ("diskspace", True, _dq("DISKSPACE", 1024)),
    ("diskinodes", True, _dq("DISKINODES", 1)),
    ("quotatime", True, _key("QUOTATIME", V.parse_ul)),
    ("quotaugidlimit", True, _key("QUOTAUGIDLIMIT", V.parse_ul)),
    ("meminfo", True, _key("MEMINFO", _meminfo)),
    ("netif_add", True, _netif_add),
    ("netif_del", True, _netif_del),
    ("mac_filter", True, _netif_field("mac_filter")),
    ("mac", True, _netif_field("mac")),
    ("ifname", True, _netif_field("ifname")),
    ("host_mac", True, _netif_field("host_mac")),
    ("host_ifname", True, _netif_field("host_ifname")),
    ("bridge", True, _netif_field("bridge")),
    ("name", True, _name),
    ("features", True, _features),
    ("ioprio", True, _key("IOPRIO", _ioprio)),
    ("iolimit", True, _key("IOLIMIT", _iolimit)),
    ("iopslimit", True, _key("IOPSLIMIT", _nonneg_int)),
    ("description", True, _key("DESCRIPTION", _str)),
    ("bootorder", True, _key("BOOTORDER", V.parse_ul)),
    ("ram", True, _vswap("PHYSPAGES")),
    ("swap", True, _vswap("SWAPPAGES")),
    ("stop-timeout", True, _key("STOP_TIMEOUT", _nonneg_int)),
    ("offline-resize", False, _flag("offline_resize")),
    ("offline", False, _flag("offline_resize")),
]

CREATE_OPTIONS: list[tuple[str, bool, CreateHandler]] = [
    ("ostemplate", True, _key("OSTEMPLATE", _str)),
    ("config", True, _config),
    ("private", True, _key("VE_PRIVATE", _str)),
    ("root", True, _key("VE_ROOT", _str)),
    ("ipadd", True, _ipadd),
    ("hostname", True, _key("HOSTNAME", _str)),
    ("name", True, _name),
    ("description", True, _key("DESCRIPTION", _str)),
    ("layout", True, _key("VE_LAYOUT", layout_value)),
    ("ve_layout", True, _key("VE_LAYOUT", layout_value)),
    ("velayout", True, _key("VE_LAYOUT", layout_value)),
    ("diskspace", True, _dq("DISKSPACE", 1024)),
    ("diskinodes", True, _dq("DISKINODES", 1)),
    ("local_uid", True, _key("LOCAL_UID", V.parse_ul)),
    ("local_gid", True, _key("LOCAL_GID", V.parse_ul)),
]

# Undocumented short UBC aliases of set (``KV:include/vzctl_param.h:PARAM_LINE``);
# 'a' and 'h' are in the optstring but handled by nothing, hence "Invalid option".
SHORT = "e:p:f:t:i:l:k:a:b:n:x:h"
SHORT_KEYS = {
    "k": "KMEMSIZE",
    "l": "LOCKEDPAGES",
    "p": "NUMPROC",
    "f": "NUMFLOCK",
    "t": "NUMPTY",
    "i": "NUMSIGINFO",
    "b": "TCPRCVBUF",
    "e": "NUMIPTENT",
    "n": "NUMFILE",
    "x": "DCACHESIZE",
}


def longopts(table: list[tuple[str, bool, Handler[K]]]) -> tuple[list[Opt], dict[str, Handler[K]]]:
    """getopt descriptors and handlers by identity; aliases share the first name's identity."""
    opts: list[Opt] = []
    handlers: dict[str, Handler[K]] = {}
    ident_of: dict[int, str] = {}
    for name, arg, handler in table:
        ident = ident_of.setdefault(id(handler), name)
        if name in ("ip", "offline", "ve_layout", "velayout"):
            ident = {"ip": "ipadd", "offline": "offline-resize"}.get(name, "layout")
        opts.append(Opt(name, arg, ident))
        handlers.setdefault(ident, handler)
    return opts, handlers


def short_handler(ch: str) -> Handler[KeyOpts] | None:
    """The UBC handler of a short option, or None for ``-a``/``-h``."""
    key = SHORT_KEYS.get(ch)
    return _ub(key) if key else None
