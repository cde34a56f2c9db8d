"""Features, capabilities and netfilter modes of a container: the tables and on/off
parsers shared by config files, ``vzctl set`` and ``vzlist``
(``KV:src/lib/vzfeatures.c``, ``KV:src/lib/cap.c``, ``KV:src/lib/iptables.c``).

Values are bit masks as vzctl keeps them: features as (on, known), capabilities as
(on, off). Both print in table order, ``name:on|off`` separated by spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FEATURES = ("sysfs", "nfs", "sit", "ipip", "ppp", "ipgre", "bridge", "nfsd")
# bit i is capability i; FS_MASK is the last entry of cap_names[] too
CAP_NAMES = (
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
    "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
    "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
    "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
    "LEASE", "AUDIT_WRITE", "VE_ADMIN", "SETFCAP", "FS_MASK",
)  # fmt: skip
NETFILTER = ("disabled", "stateless", "stateful", "full")


def tokens(text: str) -> list[str]:
    """vzctl's ``for_each_strtok(token, val, "\\t ,")``."""
    return [t for t in re.split("[\t ,]+", text) if t]


@dataclass
class Parsed:
    """A parse result: the masks, and the messages vzctl logged while parsing."""

    first: int = 0
    second: int = 0
    info: list[str] = field(default_factory=list)  # level 0 (stdout)
    errors: list[str] = field(default_factory=list)  # level -1 (stderr)
    ok: bool = True


def parse_features(text: str) -> Parsed:
    """(on, known); an unknown token is warned about on stdout and skipped, and the
    whole value then counts as bad on the command line (ERR_INVAL_SKIP)."""
    out = Parsed()
    for token in tokens(text):
        found = _find_feature(token)
        if found is None:
            out.info.append(f"Warning: Unknown feature: {token}")
            out.ok = False
            continue
        bit, on = found
        out.first |= bit if on else 0
        out.second |= bit
    return out


def _find_feature(token: str) -> tuple[int, bool] | None:
    # find_feature: when no name matches, C's loop is left on the last entry
    index = len(FEATURES) - 1
    for i, name in enumerate(FEATURES):
        if token.startswith(name + ":"):
            index = i
            break
    state = token[len(FEATURES[index]) + 1 :]
    if state not in ("on", "off"):
        return None
    return 1 << index, state == "on"


def parse_caps(text: str) -> Parsed:
    """(on, off); parsing stops at the first bad token, keeping what came before."""
    out = Parsed()
    lookup = {n.lower(): i for i, n in enumerate(CAP_NAMES)}
    for token in tokens(text):
        name, colon, state = token.rpartition(":")
        if not colon or state not in ("on", "off"):
            out.errors.append(f"Can't parse capability {token} (expecting capname:on|off)")
            out.ok = False
            break
        index = lookup.get(name.lower())
        if index is None:
            out.errors.append(f"Capability {name} is unknown")
            out.ok = False
            break
        if state == "on":
            out.first |= 1 << index
        else:
            out.second |= 1 << index
    return out


def merge_features(old: tuple[int, int], new: tuple[int, int]) -> tuple[int, int]:
    """``store_features``: new settings win for the features they name."""
    (old_on, old_known), (on, known) = old, new
    return (on & known) | (old_on & ~known), old_known | known


def merge_caps(old: tuple[int, int], new: tuple[int, int]) -> tuple[int, int]:
    """``build_cap_str``: a capability named now wins over the old setting."""
    (old_on, old_off), (on, off) = old, new
    named = on | off
    return on | (old_on & ~named), off | (old_off & ~named & ~old_on)


def render_features(value: tuple[int, int]) -> str:
    """``features_mask2str`` with a space between entries."""
    on, known = value
    return " ".join(f"{n}:{'on' if on >> i & 1 else 'off'}" for i, n in enumerate(FEATURES) if known >> i & 1)


def render_caps(value: tuple[int, int]) -> str:
    """``build_cap_str``: on wins over off for the same bit."""
    on, off = value
    return " ".join(
        f"{n}:{'on' if on >> i & 1 else 'off'}" for i, n in enumerate(CAP_NAMES) if (on | off) >> i & 1
    )
