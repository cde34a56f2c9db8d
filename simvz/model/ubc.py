"""The beancounter limits vzctl hands the kernel: what ``setublimit`` receives on start
and on ``vzctl set`` of a running container.

In vswap mode vzctl derives the secondary beancounters from RAM and swap when neither
the config nor the command line sets them (``vzctl src/lib/ub.c:fill_vswap_ub``, called
by ``src/lib/env.c:vps_start_custom`` with the config as both arguments and by
``src/vzctl-actions.c:set`` with the config and the command line). Resources vzctl does
not pass keep the kernel's own defaults (``kernel/bc/beancounter.c:
init_beancounter_nolimits`` of the RHEL6 OpenVZ kernel 2.6.32-042stab113.5).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

from simvz.syntax.values import LONG_MAX

Pair = tuple[int, int]

# vzctl's own "unlimited" test (src/lib/ub.c:is_vswap_config): LONG_MAX, or INT_MAX for
# containers migrated from a 32-bit host.
_UNLIMITED = (LONG_MAX, 2**31 - 1)
_ULONG_MAX = 2**64 - 1

# Resources the kernel accounts (everything vzctl knows but AVNUMPROC, which only
# vzsplit and validation read).
KERNEL_RESOURCES = (
    "KMEMSIZE", "LOCKEDPAGES", "PRIVVMPAGES", "SHMPAGES", "NUMPROC", "PHYSPAGES",
    "VMGUARPAGES", "OOMGUARPAGES", "NUMTCPSOCK", "NUMFLOCK", "NUMPTY", "NUMSIGINFO",
    "TCPSNDBUF", "TCPRCVBUF", "OTHERSOCKBUF", "DGRAMRCVBUF", "NUMOTHERSOCK", "NUMFILE",
    "DCACHESIZE", "NUMIPTENT", "SWAPPAGES",
)  # fmt: skip


def is_vswap_config(pairs: Mapping[str, Pair]) -> bool:
    """A physpages limit that is not unlimited (``src/lib/ub.c:is_vswap_config``)."""
    phys = pairs.get("PHYSPAGES")
    return phys is not None and phys[1] not in _UNLIMITED


def _float_product(pages: int, factor: float) -> int:
    """``(ram + swap) * ovc`` in C: the unsigned long becomes a (single precision)
    float, the product is a float, truncated back to unsigned long."""

    def f32(x: float) -> float:
        return float(struct.unpack("f", struct.pack("f", x))[0])

    product = f32(f32(float(pages)) * f32(factor))
    return min(int(product), _ULONG_MAX)


def fill_vswap(
    cfg: Mapping[str, Pair], cmd: Mapping[str, Pair], overcommit: float | None
) -> dict[str, Pair]:
    """The pairs ``fill_vswap_ub`` adds to ``cmd``: each secondary beancounter that
    neither ``cfg`` nor ``cmd`` sets. Empty when neither is a vswap config. A missing
    SWAPPAGES is the caller's check (start refuses it first, in ``check_ub``)."""
    if not (is_vswap_config(cfg) or is_vswap_config(cmd)):
        return {}
    ram = (cmd.get("PHYSPAGES") or cfg["PHYSPAGES"])[1]
    swap_pair = cmd.get("SWAPPAGES") or cfg.get("SWAPPAGES")
    if swap_pair is None:
        return {}
    swap = swap_pair[1]
    total = min(ram + swap, _ULONG_MAX)  # unsigned long arithmetic
    wanted: dict[str, Pair] = {
        "LOCKEDPAGES": (ram, ram),
        "OOMGUARPAGES": (ram, LONG_MAX),
        "VMGUARPAGES": (total, LONG_MAX),
    }
    if overcommit:
        priv = _float_product(total, overcommit)
        wanted["PRIVVMPAGES"] = (priv, priv)
    else:
        wanted["PRIVVMPAGES"] = (LONG_MAX, LONG_MAX)
    return {k: v for k, v in wanted.items() if k not in cmd and k not in cfg}


def applied(pairs: Mapping[str, Pair], overcommit: float | None) -> dict[str, Pair]:
    """What start passes to ``setublimit``: the config's pairs plus the vswap defaults
    (``vps_start_custom`` calls ``fill_vswap_ub(&res->ub, &res->ub)``)."""
    out = {k: v for k, v in pairs.items() if k in KERNEL_RESOURCES}
    out.update(fill_vswap(pairs, pairs, overcommit))
    return out


# kernel/bc/beancounter.c:ub_rnames, in resource order; /proc/user_beancounters shows
# the first UB_RESOURCES_COMPAT (include/bc/beancounter.h), /proc/bc also the rest.
UB_RNAMES = (
    "kmemsize", "lockedpages", "privvmpages", "shmpages", "dummy", "numproc",
    "physpages", "vmguarpages", "oomguarpages", "numtcpsock", "numflock", "numpty",
    "numsiginfo", "tcpsndbuf", "tcprcvbuf", "othersockbuf", "dgramrcvbuf",
    "numothersock", "dcachesize", "numfile", "dummy", "dummy", "dummy", "numiptent",
    "swappages",
)  # fmt: skip
UB_RESOURCES_COMPAT = 24

# The node's RAM in 4 KiB pages (4 GiB): what the kernel calls totalram_pages.
NODE_RAM_PAGES = 1_048_576
# Its swap, 2 GiB: what a CT with unlimited swappages sees as SwapTotal.
NODE_SWAP_PAGES = 524_288


def beancounter_limits(given: Mapping[str, Pair], totalram: int = NODE_RAM_PAGES) -> dict[str, Pair]:
    """Barrier and limit of every resource of a beancounter, by the kernel's lower-case
    name: what setublimit was given (``given``, by vzctl's upper-case name), else the
    kernel's defaults (``kernel/bc/beancounter.c:init_beancounter_nolimits``: unlimited,
    but vmguarpages' barrier 0 and oomguarpages' barrier 3/4 of the RAM)."""
    out = {name: (LONG_MAX, LONG_MAX) for name in UB_RNAMES}
    out["vmguarpages"] = (0, LONG_MAX)
    out["oomguarpages"] = (totalram * 3 // 4, LONG_MAX)
    for key, pair in given.items():
        if key.lower() in out and key.lower() != "dummy":
            out[key.lower()] = (pair[0], pair[1])
    return out
