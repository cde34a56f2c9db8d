"""Container parameters: the key table of ``KV:src/lib/config.c`` with typed values.

On an OpenVZ host the files are the state, so a :class:`ParamSet` is always read
fresh from ``vz.conf`` and ``<CTID>.conf``; nothing here is cached between commands.
The table order is the order vzctl appends new keys on save (``KV:src/lib/config.c:store``).
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from simvz.model import envflags
from simvz.syntax import values as V
from simvz.syntax.values import Invalid, Truncated


class Kind(Enum):
    """How a key's value is parsed, merged on duplicates and written back."""

    STR = "str"
    INT = "int"
    YESNO = "yesno"
    UB = "ub"  # UBC pair, last duplicate wins silently
    DQ = "dq"  # disk quota pair, always written soft:hard
    LIST = "list"  # accumulates, de-duplicated
    LIST_DUP = "list_dup"  # accumulates, duplicates kept (NETDEV)
    TOKENS = "tokens"  # DEVICES/DEVNODES: entries each followed by a space
    FLOAT = "float"
    NETIF = "netif"
    FEATURES = "features"  # (on, known) masks, lines OR-ed together
    CAPS = "caps"  # (on, off) masks, lines OR-ed together
    IOLIMIT = "iolimit"  # bytes/s in a config, suffixes allowed
    IGNORED = "ignored"  # read by init scripts, not by vzctl


PAGES, BYTES, ITEMS = V.PAGE_SIZE, 1, 0

UBC: dict[str, int] = {
    "KMEMSIZE": BYTES,
    "LOCKEDPAGES": PAGES,
    "PRIVVMPAGES": PAGES,
    "SHMPAGES": PAGES,
    "NUMPROC": ITEMS,
    "PHYSPAGES": PAGES,
    "VMGUARPAGES": PAGES,
    "OOMGUARPAGES": PAGES,
    "NUMTCPSOCK": ITEMS,
    "NUMFLOCK": ITEMS,
    "NUMPTY": ITEMS,
    "NUMSIGINFO": ITEMS,
    "TCPSNDBUF": BYTES,
    "TCPRCVBUF": BYTES,
    "OTHERSOCKBUF": BYTES,
    "DGRAMRCVBUF": BYTES,
    "NUMOTHERSOCK": ITEMS,
    "NUMFILE": ITEMS,
    "DCACHESIZE": BYTES,
    "NUMIPTENT": ITEMS,
    "AVNUMPROC": ITEMS,
    "SWAPPAGES": PAGES,
}

Validator = Callable[[object], bool]


@dataclass(frozen=True)
class Key:
    """One config key: its kind and an optional range check."""

    name: str
    kind: Kind
    check: Validator | None = None
    divisor: int = 1


def _range(lo: int, hi: int) -> Validator:
    return lambda v: isinstance(v, int) and lo <= v <= hi


def _oneof(*words: str) -> Validator:
    return lambda v: v in words


def _layout(v: object) -> bool:
    return isinstance(v, str) and (v == "simfs" or v.split(":")[0] == "ploop")


_TABLE: list[Key] = [
    *(Key(n, Kind.UB, divisor=d) for n, d in UBC.items()),
    Key("VM_OVERCOMMIT", Kind.FLOAT),
    Key("IPTABLES", Kind.STR),
    Key("NETFILTER", Kind.STR, _oneof("disabled", "stateless", "stateful", "full")),
    Key("CAPABILITY", Kind.CAPS),
    Key("IP_ADDRESS", Kind.LIST),
    Key("NETDEV", Kind.LIST_DUP),
    Key("HOSTNAME", Kind.STR),
    Key("DESCRIPTION", Kind.STR),
    Key("NAMESERVER", Kind.LIST),
    Key("SEARCHDOMAIN", Kind.LIST),
    Key("DEVICES", Kind.TOKENS),
    Key("DEVNODES", Kind.TOKENS),
    Key("PCI", Kind.LIST),
    Key("VE_ROOT", Kind.STR),
    Key("VE_PRIVATE", Kind.STR),
    Key("MOUNT_OPTS", Kind.STR),
    Key("VE_LAYOUT", Kind.STR, _layout),
    Key("OSTEMPLATE", Kind.STR),
    Key("CPUUNITS", Kind.INT, _range(8, 500000)),
    Key("CPUUWEIGHT", Kind.INT),
    Key("CPULIMIT", Kind.INT),
    Key("CPUS", Kind.INT),
    Key("CPUMASK", Kind.STR),
    Key("NODEMASK", Kind.STR),
    Key("ONBOOT", Kind.YESNO),
    Key("ORIGIN_SAMPLE", Kind.STR),
    Key("DISABLED", Kind.YESNO),
    Key("LOCAL_UID", Kind.INT),
    Key("LOCAL_GID", Kind.INT),
    Key("DISK_QUOTA", Kind.YESNO),
    Key("DISKSPACE", Kind.DQ, divisor=1024),
    Key("DISKINODES", Kind.DQ, divisor=1),
    Key("QUOTATIME", Kind.INT),
    Key("QUOTAUGIDLIMIT", Kind.INT),
    Key("MEMINFO", Kind.STR),
    Key("NETIF", Kind.NETIF),
    Key("VEID", Kind.STR),
    Key("NAME", Kind.STR),
    Key("FEATURES", Kind.FEATURES),
    Key("IOPRIO", Kind.INT, _range(0, 7)),
    Key("IOLIMIT", Kind.IOLIMIT),
    Key("IOPSLIMIT", Kind.INT),
    Key("BOOTORDER", Kind.INT),
    Key("STOP_TIMEOUT", Kind.INT),
    # Global (vz.conf) keys vzctl interprets; never written to a CT config.
    Key("LOCKDIR", Kind.STR),
    Key("DUMPDIR", Kind.STR),
    Key("TEMPLATE", Kind.STR),
    Key("CONFIGFILE", Kind.STR),
    Key("DEF_OSTEMPLATE", Kind.STR),
    Key("LOGGING", Kind.YESNO),
    Key("LOGFILE", Kind.STR),
    Key("LOG_LEVEL", Kind.INT),
    Key("VERBOSE", Kind.INT),
    Key("IPV6", Kind.YESNO),
    # Known to vzctl's table but only used by the init and network scripts.
    *(
        Key(n, Kind.IGNORED)
        for n in (
            "VIRTUOZZO",
            "VE0CPUUNITS",
            "VZFASTBOOT",
            "NEIGHBOUR_DEVS",
            "ERROR_ON_ARPFAIL",
            "VZWDOG",
            "IPTABLES_MODULES",
            "IP6TABLES",
            "CONFIG_CUSTOMIZED",
            "VE_STOP_MODE",
            "SKIP_SYSCTL_SETUP",
            "SKIP_ARPDETECT",
            "VE_PARALLEL",
            "VE_ROUTE_SRC_DEV",
            "FORCE_ROUTE",
            "MODULES_DISABLED",
        )
    ),
]

KEYS: dict[str, Key] = {k.name: k for k in _TABLE}
ORDER: dict[str, int] = {k.name: i for i, k in enumerate(_TABLE)}
ALIASES = {"DCACHE": "DCACHESIZE", "IPTENTRIES": "NUMIPTENT"}

Value = object


def parse_value(key: Key, text: str) -> Value:
    """Parse one config value of ``key``; raises Invalid or Truncated."""
    kind = key.kind
    if kind in (Kind.STR, Kind.IGNORED):
        value: Value = text
    elif kind is Kind.INT:
        value = V.parse_ul(text)
    elif kind is Kind.YESNO:
        value = V.parse_yesno(text)
    elif kind is Kind.UB:
        value = V.parse_pair(text, key.divisor, True)
    elif kind is Kind.DQ:
        value = V.parse_pair(text, key.divisor, False)
    elif kind is Kind.FLOAT:
        value = parse_float(text)
    elif kind is Kind.NETIF:
        value = text
    elif kind is Kind.IOLIMIT:
        value = V.parse_iolimit(text, 1)
    elif kind in (Kind.FEATURES, Kind.CAPS):
        parsed = (envflags.parse_features if kind is Kind.FEATURES else envflags.parse_caps)(text)
        if not parsed.ok:
            raise Invalid(text)
        value = (parsed.first, parsed.second)
    else:
        value = _parse_list(key, text)
    if key.check is not None and not key.check(value):
        raise Invalid(text)
    return value


def parse_float(text: str) -> float:
    """A float-valued key or option (VM_OVERCOMMIT); Invalid when not a number."""
    try:
        return float(text)
    except ValueError as exc:
        raise Invalid(text) from exc


def _parse_list(key: Key, text: str) -> list[str]:
    items = text.split()
    if key.name == "IP_ADDRESS":
        return [ip for ip in (_config_ip(t) for t in items) if ip]
    return items


def _config_ip(text: str) -> str:
    parsed = V.canonical_ip(text)
    if parsed is None:
        return ""
    ip, mask, _family = parsed
    return ip if mask is None else f"{ip}/{mask}"


def render_value(key: Key, value: Value) -> str:
    """The text vzctl writes between the quotes for ``key``."""
    kind = key.kind
    if kind is Kind.UB:
        assert isinstance(value, tuple)
        return V.pair_text(value)
    if kind is Kind.DQ:
        assert isinstance(value, tuple)
        return f"{value[0]}:{value[1]}"
    if kind is Kind.YESNO:
        return "yes" if value else "no"
    if kind in (Kind.FEATURES, Kind.CAPS):
        assert isinstance(value, tuple)
        render = envflags.render_features if kind is Kind.FEATURES else envflags.render_caps
        return render(value)
    if kind is Kind.FLOAT:
        assert isinstance(value, float)
        return f"{value:g}"
    if kind is Kind.TOKENS:
        assert isinstance(value, list)
        return "".join(f"{t} " for t in value)
    if kind in (Kind.LIST, Kind.LIST_DUP):
        assert isinstance(value, list)
        return " ".join(value)
    return str(value)


@dataclass(frozen=True)
class Warning_:
    """A parse warning and the console level vzctl logs it at (1 = --verbose only)."""

    text: str
    level: int = -1


@dataclass
class ParamSet:
    """Parsed values of one config file, with the warnings vzctl printed reading it."""

    values: dict[str, Value] = field(default_factory=dict)
    warnings: list[Warning_] = field(default_factory=list)

    def get(self, name: builtins.str) -> Value | None:
        """The value of ``name`` or None."""
        return self.values.get(name)

    def str(self, name: builtins.str) -> str | None:
        """A string-valued key."""
        v = self.values.get(name)
        return v if isinstance(v, str) else None

    def int(self, name: builtins.str) -> int | None:
        """An integer-valued key."""
        v = self.values.get(name)
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    def pair(self, name: builtins.str) -> tuple[builtins.int, builtins.int] | None:
        """A UBC or quota pair."""
        v = self.values.get(name)
        return v if isinstance(v, tuple) else None

    def list(self, name: builtins.str) -> builtins.list[builtins.str]:
        """A list-valued key (empty when unset)."""
        v = self.values.get(name)
        return list(v) if isinstance(v, list) else []

    def flag(self, name: builtins.str) -> bool | None:
        """A yes/no key."""
        v = self.values.get(name)
        return v if isinstance(v, bool) else None

    def merged(self, over: ParamSet) -> ParamSet:
        """Global defaults overridden by a CT config (lists replaced, not merged)."""
        return ParamSet({**self.values, **over.values}, [])


def load(text: str, path: str, *, is_global: bool = False) -> ParamSet:
    """Parse a config text the way ``vps_parse_config`` does, collecting its warnings."""
    parsed = _load_once(text, path, is_global)
    values = {k: list(v) if type(v) is list else v for k, v in parsed.values.items()}
    return ParamSet(values, list(parsed.warnings))  # each caller owns its ParamSet


# One command reads vz.conf and the CT's config more than once (vzctl status: each
# twice); vzctl itself parses each once per command. A parse is a pure function of
# the text, so the same text is parsed once; few entries, as vzlist -a reads thousands
# of configs, each once.
@functools.lru_cache(maxsize=32)
def _load_once(text: str, path: str, is_global: bool) -> ParamSet:
    from simvz.syntax.vzconf import candidate_lines

    ps = ParamSet()
    values = ps.values
    for lineno, raw in candidate_lines(text):  # comment lines skipped in C (a 20 MB config)
        parsed = _line(raw)
        if parsed is None:
            continue
        key, value, known = parsed
        if key is None:
            ps.warnings.append(Warning_(f"Warning: can't parse {path}:{lineno} ({value}), skipping"))
            continue
        if known is not None and (key not in values or known[1]):
            values[key] = known[0]  # what _load_entry would store, without a warning
            continue
        _load_entry(ps, key, value, _Where(path, lineno), is_global)
    return ps


@functools.lru_cache(maxsize=16384)
def _line(raw: str) -> tuple[str | None, str, tuple[Value, bool] | None] | None:
    """A config line as :func:`load` takes it: None for blank and comment lines, else
    (key or None when unparsable, value or the reason, (value, overwrites) when it
    parses cleanly into a single value). One cache lookup per line: vzlist -a reads
    every config of the node, most of whose lines are the same sample's."""
    from simvz.syntax.vzconf import parse_text

    parsed = parse_text(raw)
    if parsed is None:
        return None
    key, value = parsed
    if key is None:
        return None, value, None
    known = _plain(key, value)
    return key, value, None if known is None else (known[1], known[2])


_NOT_PLAIN = frozenset({Kind.IGNORED, Kind.FEATURES, Kind.CAPS, Kind.LIST, Kind.LIST_DUP, Kind.TOKENS})


@functools.lru_cache(maxsize=16384)
def _plain(name: str, text: str) -> tuple[str, Value, bool] | None:
    """(key, value, overwrites) of an assignment that parses cleanly into a single value
    (no alias, list or flag key); None for the others, which :func:`_load_entry` takes."""
    key = KEYS.get(name)
    if key is None or key.kind in _NOT_PLAIN:
        return None
    outcome, value = _parse_once(name, text)
    if outcome != "ok" or isinstance(value, list):
        return None
    return name, value, key.kind is Kind.UB


class _Where:
    """``FILE:LINE`` of a warning, formatted only when a warning names it."""

    __slots__ = ("lineno", "path")

    def __init__(self, path: str, lineno: int) -> None:
        self.path, self.lineno = path, lineno

    def __str__(self) -> str:
        return f"{self.path}:{self.lineno}"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def _load_entry(ps: ParamSet, name: str, text: str, where: _Where | str, is_global: bool) -> None:
    name = ALIASES.get(name, name)
    key = KEYS.get(name)
    if key is None:
        ps.warnings.append(Warning_(f'Warning at {where}: unknown parameter {name} ("{text}"), ignored', 1))
        return
    if key.kind is Kind.IGNORED:
        return
    if key.kind in (Kind.FEATURES, Kind.CAPS):
        _load_flags(ps, key, text, where)
        return
    outcome, value = _parse_once(key.name, text)
    if isinstance(value, list):
        value = list(value)  # each ParamSet owns its lists
    if outcome == "truncated":
        ps.warnings.append(Warning_(f'Warning at {where}: too large value for {name} ("{text}"), truncated'))
    elif outcome == "invalid":
        if name == "NETFILTER":
            ps.warnings.append(Warning_(f"Incorrect netfilter value: {text}"))
        ps.warnings.append(Warning_(f'Warning at {where}: invalid value for {name} ("{text}"), skipped'))
        return
    _store(ps, key, value, text, where)


def _load_flags(ps: ParamSet, key: Key, text: str, where: _Where | str) -> None:
    """FEATURES and CAPABILITY lines OR into one mask pair; what parsed before a bad
    token stays set (``KV:src/lib/config.c:parse_cap``, ``parse_features``)."""
    parsed = (envflags.parse_features if key.kind is Kind.FEATURES else envflags.parse_caps)(text)
    ps.warnings.extend(Warning_(m, 0) for m in parsed.info)
    ps.warnings.extend(Warning_(m) for m in parsed.errors)
    old = ps.values.get(key.name)
    a, b = old if isinstance(old, tuple) else (0, 0)
    ps.values[key.name] = (a | parsed.first, b | parsed.second)
    if parsed.errors:
        ps.warnings.append(Warning_(f'Warning at {where}: invalid value for {key.name} ("{text}"), skipped'))


# Configs of one node repeat the same assignments (a sample's lines): each value text
# is parsed once per command, which is what keeps vzlist -a on many CTs fast.
@functools.lru_cache(maxsize=16384)
def _parse_once(name: str, text: str) -> tuple[str, Value]:
    """("ok", value), ("truncated", the truncated value) or ("invalid", None)."""
    try:
        return "ok", parse_value(KEYS[name], text)
    except Truncated as t:
        return "truncated", t.value
    except Invalid:
        return "invalid", None


def _store(ps: ParamSet, key: Key, value: Value, text: str, where: _Where | str) -> None:
    old = ps.values.get(key.name)
    if old is None or key.kind is Kind.UB:
        ps.values[key.name] = value
    elif key.kind in (Kind.LIST, Kind.LIST_DUP, Kind.TOKENS):
        assert isinstance(old, list) and isinstance(value, list)
        dedupe = key.kind is Kind.LIST
        ps.values[key.name] = old + [v for v in value if not (dedupe and v in old)]
    else:
        ps.warnings.append(Warning_(f'Warning at {where}: duplicate for {key.name} ("{text}"), ignored'))


def subst_veid(path: str, veid: int) -> str:
    """Expand the first ``$VEID``/``${VEID}`` and strip trailing slashes (``KV:util.c:subst_VEID``)."""
    for token in ("${VEID}", "$VEID"):
        i = path.find(token)
        if i >= 0:
            path = path[:i] + str(veid) + path[i + len(token) :]
            break
    stripped = path.rstrip("/")
    return stripped or path[:1]
