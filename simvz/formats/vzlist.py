"""vzlist's field table and output formats (``KV:src/vzlist.c``, ``KV:include/vzlist.h``):
the table as ``-L`` lists it, each field's header and printf rule, JSON values, sort
order, and the C quirks that show in the output.

vzlist prints a row into a 4 KiB buffer: each field at its printf width, a field that is
not the last one (unless ``-t``) cut to that width, fields joined by one space, trailing
whitespace trimmed. JSON is printed with plain printf: strings are not escaped.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TypeVar

from simvz.model.envflags import CAP_NAMES, FEATURES, NETFILTER

LONG_MAX = 2**63 - 1
INT_MAX = 2**31 - 1
LINE_MAX = 4095  # KV:src/vzlist.c g_buf[4096]

RUNNING, STOPPED, MOUNTED, SUSPENDED = 0, 1, 2, 3
STATUS_WORDS = ("running", "stopped", "mounted", "suspended")  # KV:include/vzlist.h ve_status

UBC_NAMES = (
    ("kmemsize", "KMEMSIZE"),
    ("lockedpages", "LOCKEDP"),
    ("privvmpages", "PRIVVMP"),
    ("shmpages", "SHMP"),
    ("numproc", "NPROC"),
    ("physpages", "PHYSP"),
    ("vmguarpages", "VMGUARP"),
    ("oomguarpages", "OOMGUARP"),
    ("numtcpsock", "NTCPSOCK"),
    ("numflock", "NFLOCK"),
    ("numpty", "NPTY"),
    ("numsiginfo", "NSIGINFO"),
    ("tcpsndbuf", "TCPSNDB"),
    ("tcprcvbuf", "TCPRCVB"),
    ("othersockbuf", "OTHSOCKB"),
    ("dgramrcvbuf", "DGRAMRB"),
    ("numothersock", "NOTHSOCK"),
    ("dcachesize", "DCACHESZ"),
    ("numfile", "NFILE"),
    ("numiptent", "NIPTENT"),
    ("swappages", "SWAPP"),
)

NETFILTER_WORDS = NETFILTER


def f32(x: float) -> float:
    """Round to a C ``float`` (vzlist keeps uptime, load average and VM_OVERCOMMIT as float)."""
    return float(struct.unpack("f", struct.pack("f", x))[0])


def c_int(value: int) -> int:
    """A C ``long`` (saturated) stored into an ``int``: two's complement wrap."""
    value = max(-LONG_MAX - 1, min(LONG_MAX, value)) & 0xFFFFFFFF
    return value - 2**32 if value > INT_MAX else value


@dataclass
class CpuStat:
    """What ``VZCTL_GET_CPU_STAT`` gives a running CT: load averages and uptime (floats)."""

    la: tuple[float, float, float]
    uptime: float


@dataclass
class CtInfo:
    """One container as vzlist collected it (``struct Cveinfo``); None means unset."""

    veid: int
    status: int = STOPPED
    hide: bool = False
    ip: str | None = None
    hostname: str | None = None
    name: str | None = None
    description: str | None = None
    ostemplate: str | None = None
    nameserver: str | None = None
    searchdomain: str | None = None
    private: str | None = None
    root: str | None = None
    mount_opts: str | None = None
    origin_sample: str | None = None
    ubc: dict[str, list[int]] | None = None  # name -> held, maxheld, barrier, limit, failcnt
    quota: dict[str, list[int]] | None = None  # diskspace/diskinodes -> usage, soft, hard
    cpustat: CpuStat | None = None
    cpu: tuple[int, int] | None = None  # cpulimit, cpuunits
    ioprio: int = -1
    iolimit: int = -1
    iopslimit: int = -1
    onboot: bool | None = None
    cpunum: int = -1
    disabled: bool = False
    bootorder: int | None = None
    layout: str = "???"
    features: tuple[int, int] = (0, 0)  # mask, known
    vm_overcommit: float = 0.0
    netfilter: str | None = None
    cap: tuple[int, int] = (0, 0)  # on, off


class Res(Enum):
    """What vzlist must collect for a field (``RES_*``); gates the expensive lookups."""

    NONE = 0
    HOSTNAME = 1
    UBC = 2
    QUOTA = 3
    IP = 4
    CPUSTAT = 5
    CPU = 6
    CPUNUM = 7
    STATUS = 8
    IO = 9


Cell = Callable[[CtInfo, int, bool], str]  # (ct, index, is_last_field) -> text
Json = Callable[[CtInfo, int], str]
Cmp = Callable[[CtInfo, CtInfo], int]


@dataclass(frozen=True)
class Field:
    """A row of ``field_names[]``: header printed with ``hdr_width`` (negative = left)."""

    name: str
    header: str
    hdr_width: int
    index: int
    res: Res
    cell: Cell
    json: Json
    cmp: Cmp = field(default=lambda a, b: 0)


# -- printf helpers ---------------------------------------------------------------------


def pad(text: str, width: int) -> str:
    """printf ``%<width>s``: a negative width left-aligns."""
    return text.ljust(-width) if width < 0 else text.rjust(width)


def _cut(text: str, width: int, last: bool) -> str:
    # KV:src/vzlist.c: a non-last field advances the buffer by exactly its width.
    return text if last else text[: abs(width)]


def _jstr(value: str | None) -> str:
    return "null" if value is None else f'"{value}"'


def _jbool(value: bool) -> str:
    return "true" if value else "false"


def _bytes(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


# -- cells and JSON values ---------------------------------------------------------------


def _str_field(attr: str, width: int) -> tuple[Cell, Json, Cmp]:
    def cell(c: CtInfo, _i: int, last: bool) -> str:
        value = getattr(c, attr)
        return _cut(pad("-" if value is None else value, width), width, last)

    def cmp(a: CtInfo, b: CtInfo) -> int:
        return _cmp_opt(getattr(a, attr), getattr(b, attr), lambda x, y: _strcmp(x, y))

    return cell, lambda c, _i: _jstr(getattr(c, attr)), cmp


def _list_field(attr: str) -> tuple[Cell, Json, Cmp]:
    def cell(c: CtInfo, _i: int, last: bool) -> str:
        value = getattr(c, attr)
        value = "-" if value is None else value
        if not last:
            value = value.split(" ", 1)[0]  # only the first element when not last
        return _cut(pad(value, -15), 15, last)

    def json(c: CtInfo, _i: int) -> str:
        items = [x for x in re.split("[ \t]+", getattr(c, attr) or "") if x]
        return "[" + ", ".join(f'"{x}"' for x in items) + "]"

    return cell, json, _str_field(attr, -15)[2]


def _veid_cell(c: CtInfo, _i: int, _last: bool) -> str:
    return f"{c.veid:10d}"


def _smart_cell(c: CtInfo, i: int, last: bool) -> str:
    # Right-aligned in 10 and cut to 10 (PRINT_STR_FIELD_FNAME(name_short, name, 10)).
    return _cut(pad(c.name, 10), 10, last) if c.name is not None else _veid_cell(c, i, last)


def _smart_json(c: CtInfo, _i: int) -> str:
    return _jstr(c.name) if c.name is not None else str(c.veid)


def _status_cell(c: CtInfo, _i: int, _last: bool) -> str:
    return pad(STATUS_WORDS[c.status], -9)


def _laverage_cell(c: CtInfo, _i: int, _last: bool) -> str:
    if c.cpustat is None:
        return pad("-", 14)
    return "/".join(f"{x:1.2f}" for x in c.cpustat.la)  # no padding for a running CT


def _laverage_json(c: CtInfo, _i: int) -> str:
    return "null" if c.cpustat is None else "[" + ", ".join(f"{x:1.2f}" for x in c.cpustat.la) + "]"


def uptime_text(up: float) -> str:
    """``%.3dd%.2dh:%.2dm:%.2ds`` computed in C float arithmetic as vzlist does."""
    days = int(f32(up / 86400))
    minutes = int(f32(up / 60))
    hours, minutes = (minutes // 60) % 24, minutes % 60
    # (unsigned int) of a float that rounding made negative, then printed with %d
    secs = c_int(int(f32(up - f32(float(60 * minutes + 3600 * hours + 86400 * days)))))
    return f"{days:03d}d{hours:02d}h:{minutes:02d}m:{secs:02d}s"


def _uptime_cell(c: CtInfo, _i: int, _last: bool) -> str:
    return pad("-", 15) if c.cpustat is None else uptime_text(c.cpustat.uptime)


def _uptime_json(c: CtInfo, _i: int) -> str:
    return f"{c.cpustat.uptime if c.cpustat else 0.0:.3f}"


def _cpu_field(pos: int) -> tuple[Cell, Json, Cmp]:
    def cell(c: CtInfo, _i: int, _last: bool) -> str:
        return pad("-", 7) if c.cpu is None else f"{c.cpu[pos]:7d}"

    def cmp(a: CtInfo, b: CtInfo) -> int:
        return _cmp_opt(a.cpu, b.cpu, lambda x, y: int(x[pos] > y[pos]))

    return cell, lambda c, _i: "null" if c.cpu is None else str(c.cpu[pos]), cmp


def _io_field(attr: str, width: int, least: int) -> tuple[Cell, Json, Cmp]:
    def cell(c: CtInfo, _i: int, _last: bool) -> str:
        value: int = getattr(c, attr)
        return pad("-" if value < least else str(value), width)

    def json(c: CtInfo, _i: int) -> str:
        return str(max(0, getattr(c, attr)))

    return cell, json, lambda a, b: int(getattr(a, attr) > getattr(b, attr))


def _onboot_cell(c: CtInfo, _i: int, _last: bool) -> str:
    return pad("-" if c.onboot is None else ("yes" if c.onboot else "no"), 6)


def _onboot_json(c: CtInfo, _i: int) -> str:
    return "null" if c.onboot is None else _jbool(c.onboot)


def _bootorder_cell(c: CtInfo, _i: int, _last: bool) -> str:
    return pad("-" if c.bootorder is None else str(c.bootorder), 10)


def _bootorder_json(c: CtInfo, _i: int) -> str:
    return "null" if c.bootorder is None else str(c.bootorder)


def _cpus_cell(c: CtInfo, _i: int, _last: bool) -> str:
    return pad("-" if c.cpunum <= 0 else str(c.cpunum), 5)


def features_text(mask: int, known: int) -> str:
    """``features_mask2str`` into vzlist's 64-byte buffer, ``-`` when none is known."""
    items = [f"{n}:{'on' if mask >> i & 1 else 'off'}" for i, n in enumerate(FEATURES) if known >> i & 1]
    return ",".join(items)[:63] or "-"


def _features_json(c: CtInfo, _i: int) -> str:
    mask, known = c.features
    items = [f'      "{n}": {_jbool(bool(mask >> i & 1))}' for i, n in enumerate(FEATURES) if known >> i & 1]
    return "{\n" + ",\n".join(items) + "\n    }" if items else "null"


def cap_text(on: int, off: int) -> str:
    """``build_cap_str`` lower-cased; ``-`` when none is set (all 33 fit its 512 bytes)."""
    items = [f"{n}:{'on' if on >> i & 1 else 'off'}" for i, n in enumerate(CAP_NAMES) if (on | off) >> i & 1]
    return ",".join(items).lower() or "-"


def _cap_json(c: CtInfo, _i: int) -> str:
    on, off = c.cap
    buf = ""  # KV:src/lib/cap.c print_json_cap reuses a buffer it never terminates
    items: list[str] = []
    for i, name in enumerate(CAP_NAMES):
        if not (on | off) >> i & 1:
            continue
        buf = name.lower() + buf[len(name) :]
        items.append(f'      "{buf}": {_jbool(bool(on >> i & 1))}')
    return "{\n" + ",\n".join(items) + "\n    }" if items else "null"


def _ubc_field(name: str) -> tuple[Cell, Json]:
    def cell(c: CtInfo, i: int, _last: bool) -> str:
        res = c.ubc.get(name) if c.ubc else None
        if res is None or (c.status != RUNNING and i in (0, 1, 4)):
            return pad("-", 10)
        return f"{res[i]:10d}"

    def json(c: CtInfo, _i: int) -> str:
        res = c.ubc.get(name) if c.ubc else None
        if res is None:
            return "null"
        run = c.status == RUNNING
        vals = (res[0] if run else 0, res[1] if run else 0, res[2], res[3], res[4] if run else 0)
        keys = ("held", "maxheld", "barrier", "limit", "failcnt")
        return _json_object(keys, vals)

    return cell, json


def _resource_cmp(table: str, name: str, pos: int) -> Cmp:
    """Compare one number of a UBC (``table="ubc"``) or quota (``"quota"``) resource."""

    def cmp(a: CtInfo, b: CtInfo) -> int:
        ta, tb = getattr(a, table), getattr(b, table)
        ra = ta.get(name) if ta else None
        rb = tb.get(name) if tb else None
        return _cmp_opt(ra, rb, lambda x, y: int(x[pos] > y[pos]))

    return cmp


def _json_object(keys: tuple[str, ...], vals: Sequence[int]) -> str:
    """A resource as vzlist's JSON prints it: one key per line, indented."""
    return "{\n" + ",\n".join(f'      "{k}": {v}' for k, v in zip(keys, vals, strict=True)) + "\n    }"


def _ubc_cmp(name: str, pos: int) -> Cmp:
    return _resource_cmp("ubc", name, pos)


def _dq_field(name: str) -> tuple[Cell, Json]:
    def cell(c: CtInfo, i: int, _last: bool) -> str:
        res = c.quota.get(name) if c.quota else None
        if res is None or (i == 0 and res[0] == 0):
            return pad("-", 10)
        return f"{res[i]:10d}"

    def json(c: CtInfo, _i: int) -> str:
        res = c.quota.get(name) if c.quota else None
        if res is None:
            return "null"
        keys = ("usage", "softlimit", "hardlimit")
        return _json_object(keys, res)

    return cell, json


def _dq_cmp(name: str, pos: int) -> Cmp:
    return _resource_cmp("quota", name, pos)


def _vswap(c: CtInfo) -> bool:
    # Same test as is_vswap_config(): a physpages limit that is not "unlimited".
    phys = c.ubc.get("physpages") if c.ubc else None
    return phys is not None and phys[3] not in (LONG_MAX, INT_MAX)


def _vm_overcommit_cell(c: CtInfo, _i: int, _last: bool) -> str:
    return pad("-", 6) if c.vm_overcommit == 0 else f"{c.vm_overcommit:6g}"


def _netfilter_cell(c: CtInfo, _i: int, _last: bool) -> str:
    # netfilter_mask2str() returns NULL when NETFILTER is unset; glibc prints "(null)".
    return pad("(null)" if c.netfilter is None else c.netfilter, -9)


def _features_cell(c: CtInfo, _i: int, last: bool) -> str:
    return _cut(pad(features_text(*c.features), -15), 15, last)


# -- sort functions (C comparators; only their sign matters to glibc's merge sort) -------


def _strcmp(a: str, b: str) -> int:
    x, y = _bytes(a), _bytes(b)
    return (x > y) - (x < y)


_T = TypeVar("_T")


def _cmp_opt(a: _T | None, b: _T | None, both: Callable[[_T, _T], int]) -> int:
    # KV:src/vzlist.c check_empty_param: an unset value sorts first.
    if a is None or b is None:
        return (a is not None) - (b is not None)
    return both(a, b)


def _id_cmp(a: CtInfo, b: CtInfo) -> int:
    return int(a.veid > b.veid)  # never negative: glibc's stable merge sort still orders it


def _status_cmp(a: CtInfo, b: CtInfo) -> int:
    return (a.status - b.status) or _id_cmp(a, b)


def _bootorder_cmp(a: CtInfo, b: CtInfo) -> int:
    # KV:src/vzlist.c bootorder_sort_fn: equal (or both unset) -> *descending* CT ID.
    if a.bootorder is None and b.bootorder is None:
        return int(not _id_cmp(a, b))
    if a.bootorder is None or b.bootorder is None:
        return -1 if a.bootorder is None else 1
    if a.bootorder == b.bootorder:
        return int(not _id_cmp(a, b))
    return int(a.bootorder > b.bootorder)


def _laverage_cmp(a: CtInfo, b: CtInfo) -> int:
    def both(x: CpuStat, y: CpuStat) -> int:
        for i in range(3):
            res = int(f32(f32(x.la[i] - y.la[i]) * 100))
            if res or i == 2:
                return res
        return 0

    return _cmp_opt(a.cpustat, b.cpustat, both)


def _uptime_cmp(a: CtInfo, b: CtInfo) -> int:
    return _cmp_opt(a.cpustat, b.cpustat, lambda x, y: int(f32(y.uptime - x.uptime)))


def _layout_cmp(a: CtInfo, b: CtInfo) -> int:
    order = {"simfs": 1, "ploop": 2}
    return int(order.get(a.layout, 0) > order.get(b.layout, 0))


def msort(items: Sequence[_T], cmp: Callable[[_T, _T], int]) -> list[_T]:
    """glibc ``qsort``'s merge sort (``msort_with_tmp``): same halves, left wins ties.

    vzlist's comparators are not all consistent (``id_sort_fn`` never returns a
    negative), so only the same algorithm gives the same order.
    """
    if len(items) <= 1:
        return list(items)
    n1 = len(items) // 2
    left, right = msort(items[:n1], cmp), msort(items[n1:], cmp)
    out: list[_T] = []
    i = j = 0
    while i < len(left) and j < len(right):
        if cmp(left[i], right[j]) <= 0:
            out.append(left[i])
            i += 1
        else:
            out.append(right[j])
            j += 1
    return out + left[i:] + right[j:]


# -- the table --------------------------------------------------------------------------


def _f(name: str, header: str, width: int, res: Res, parts: tuple[Cell, Json, Cmp], index: int = 0) -> Field:
    return Field(name, header, width, index, res, *parts)


def _ubc_rows() -> list[Field]:
    rows: list[Field] = []
    # KV:src/vzlist.c UBC_FIELD: ".b" sorts with the limit and ".l" with the barrier
    # (the SORT_UBC index order is held, maxheld, limit, barrier, failcnt).
    sort_pos = {"": 0, ".m": 1, ".b": 3, ".l": 2, ".f": 4}
    for name, header in UBC_NAMES:
        cell, json = _ubc_field(name)
        for index, sfx in enumerate(("", ".m", ".b", ".l", ".f")):
            rows.append(
                Field(
                    name + sfx,
                    header + sfx.upper(),
                    10,
                    index,
                    Res.UBC,
                    cell,
                    json,
                    _ubc_cmp(name, sort_pos[sfx]),
                )
            )
    return rows


def _dq_rows(name: str, header: str) -> list[Field]:
    cell, json = _dq_field(name)
    return [
        Field(name + sfx, header + sfx.upper(), 10, i, Res.QUOTA, cell, json, _dq_cmp(name, i))
        for i, sfx in enumerate(("", ".s", ".h"))
    ]


def _const(cell: Cell, json: Json) -> tuple[Cell, Json, Cmp]:
    return cell, json, lambda a, b: 0


_ID = (_veid_cell, lambda c, _i: str(c.veid), _id_cmp)

FIELDS: list[Field] = [
    _f("ctid", "CTID", 10, Res.NONE, _ID),
    _f("veid", "CTID", 10, Res.NONE, _ID),
    _f("vpsid", "CTID", 10, Res.NONE, _ID),
    _f("private", "PRIVATE", -32, Res.NONE, _str_field("private", -32)),
    _f("root", "ROOT", -32, Res.NONE, _str_field("root", -32)),
    _f("mount_opts", "MOUNT_OPTS", -16, Res.NONE, _str_field("mount_opts", -16)),
    # header right-aligned, value left-aligned (KV:src/vzlist.c field_names[])
    _f("origin_sample", "ORIGIN_SAMPLE", 32, Res.NONE, _str_field("origin_sample", -32)),
    _f("hostname", "HOSTNAME", -32, Res.HOSTNAME, _str_field("hostname", -32)),
    _f("name", "NAME", -32, Res.NONE, _str_field("name", -32)),
    _f("smart_name", "SMARTNAME", 10, Res.NONE, (_smart_cell, _smart_json, _str_field("name", 10)[2])),
    _f("description", "DESCRIPTION", -32, Res.NONE, _str_field("description", -32)),
    _f("ostemplate", "OSTEMPLATE", -32, Res.NONE, _str_field("ostemplate", -32)),
    _f("ip", "IP_ADDR", -15, Res.IP, _list_field("ip")),
    _f("nameserver", "NAMESERVER", -15, Res.NONE, _list_field("nameserver")),
    _f("searchdomain", "SEARCHDOMAIN", -15, Res.NONE, _list_field("searchdomain")),
    _f(
        "status",
        "STATUS",
        -9,
        Res.STATUS,
        (_status_cell, lambda c, _i: _jstr(STATUS_WORDS[c.status]), _status_cmp),
    ),
    *_ubc_rows(),
    *_dq_rows("diskspace", "DSPACE"),
    *_dq_rows("diskinodes", "DINODES"),
    _f("laverage", "LAVERAGE", 14, Res.CPUSTAT, (_laverage_cell, _laverage_json, _laverage_cmp)),
    _f("uptime", "UPTIME", 15, Res.CPUSTAT, (_uptime_cell, _uptime_json, _uptime_cmp)),
    _f("cpulimit", "CPULIM", 7, Res.CPU, _cpu_field(0)),
    _f("cpuunits", "CPUUNI", 7, Res.CPU, _cpu_field(1)),
    _f(
        "cpus",
        "CPUS",
        5,
        Res.CPUNUM,
        (_cpus_cell, lambda c, _i: str(max(0, c.cpunum)), lambda a, b: int(a.cpunum > b.cpunum)),
    ),
    _f("ioprio", "IOP", 3, Res.NONE, _io_field("ioprio", 3, 0)),
    _f("iolimit", "IOLIMIT", 10, Res.IO, _io_field("iolimit", 10, 1)),
    _f("iopslimit", "IOPS", 4, Res.IO, _io_field("iopslimit", 4, 1)),
    _f("onboot", "ONBOOT", 6, Res.NONE, _const(_onboot_cell, _onboot_json)),
    _f("bootorder", "BOOTORDER", 10, Res.NONE, (_bootorder_cell, _bootorder_json, _bootorder_cmp)),
    _f(
        "layout",
        "LAYOUT",
        6,
        Res.NONE,
        (lambda c, _i, _l: pad(c.layout, -6), lambda c, _i: _jstr(c.layout), _layout_cmp),
    ),
    _f("features", "FEATURES", -15, Res.NONE, _const(_features_cell, _features_json)),
    _f(
        "vswap",
        "VSWAP",
        5,
        Res.NONE,
        _const(lambda c, _i, _l: pad("yes" if _vswap(c) else "no", 5), lambda c, _i: _jbool(_vswap(c))),
    ),
    _f(
        "disabled",
        "DISABL",
        6,
        Res.NONE,
        _const(lambda c, _i, _l: pad("yes" if c.disabled else "no", 6), lambda c, _i: _jbool(c.disabled)),
    ),
    _f(
        "vm_overcommit",
        "VM_OVC",
        6,
        Res.NONE,
        _const(_vm_overcommit_cell, lambda c, _i: f"{c.vm_overcommit:g}"),
    ),
    _f("netfilter", "NETFILTER", -9, Res.NONE, _const(_netfilter_cell, lambda c, _i: _jstr(c.netfilter))),
    _f(
        "capability",
        "CAPABILITY",
        -15,
        Res.NONE,
        _const(lambda c, _i, _l: pad(cap_text(*c.cap), -15), _cap_json),
    ),
]

BY_NAME: dict[str, Field] = {}
for _fld in FIELDS:
    BY_NAME.setdefault(_fld.name, _fld)


def find(name: str) -> Field | None:
    """The field called exactly ``name`` (``search_field``)."""
    return BY_NAME.get(name)


# -- whole outputs ------------------------------------------------------------------------


def list_text() -> str:
    """``vzlist -L``: every field name and header as ``%-15s %-15s``."""
    return "".join(f"{f.name:<15} {f.header:<15}\n" for f in FIELDS)


def _line(parts: list[str]) -> str:
    line = " ".join(parts)
    if len(line) > LINE_MAX:
        return line[:LINE_MAX] + "\n"  # the buffer filled up; vzlist stops there
    return line.rstrip(" \t\n\v\f\r") + "\n"


def header(fields: Sequence[Field]) -> str:
    """The header line (``print_hdr``)."""
    return _line([pad(f.header, f.hdr_width) for f in fields])


def row(ct: CtInfo, fields: Sequence[Field], trim: bool) -> str:
    """One table row (``print_one_ve``); with ``trim`` only the last field is uncut."""
    last = len(fields) - 1
    return _line([f.cell(ct, f.index, not trim or i == last) for i, f in enumerate(fields)])


def json_text(cts: Sequence[CtInfo], fields: Sequence[Field] | None) -> str:
    """The JSON document (``print_one_ve_json``); every unsuffixed field when ``fields`` is None."""
    chosen = fields if fields is not None else [f for f in FIELDS if f.index == 0]
    out = ["["]
    for n, ct in enumerate(cts):
        items = ",".join(f'\n    "{f.name}": {f.json(ct, f.index)}' for f in chosen)
        out.append(("," if n else "") + "\n  {" + items + "\n  }")
    out.append("\n]\n")
    return "".join(out)
