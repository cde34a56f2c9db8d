"""Containers on a node: where their files are, their config, and derived state.

Every function reads the config files afresh (libvirt edits them behind vzctl's back).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from simvz.model import params
from simvz.model.params import ParamSet
from simvz.syntax.values import big_int

if TYPE_CHECKING:
    from simvz.model.node import Node

VEID_MAX = 2147483644
GLOBAL_CONF = "/etc/vz/vz.conf"
CONF_DIR = "/etc/vz/conf"
NAMES_DIR = "/etc/vz/names"
_CONF_RE = re.compile(r"^(-?[0-9]+)\.conf$")
_SCANF_INT = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)")


def conf_path(veid: int) -> str:
    """``/etc/vz/conf/<veid>.conf``."""
    return f"{CONF_DIR}/{veid}.conf"


def load_global(host: Node) -> ParamSet:
    """Parse vz.conf (warnings included)."""
    return params.load(host.fs.read(GLOBAL_CONF) or "", GLOBAL_CONF, is_global=True)


def load_ct(host: Node, veid: int) -> ParamSet | None:
    """Parse ``<veid>.conf``; None when it does not exist."""
    text = host.fs.read(conf_path(veid))
    return None if text is None else params.load(text, conf_path(veid))


def effective(host: Node, veid: int) -> ParamSet:
    """vz.conf defaults overridden by the CT's own config, without warnings."""
    g = load_global(host)
    ct = load_ct(host, veid)
    return g.merged(ct) if ct is not None else ParamSet(dict(g.values))


def private_of(ps: ParamSet, veid: int) -> str | None:
    """VE_PRIVATE with ``$VEID`` expanded."""
    p = ps.str("VE_PRIVATE")
    return params.subst_veid(p, veid) if p else None


def root_of(ps: ParamSet, veid: int) -> str | None:
    """VE_ROOT with ``$VEID`` expanded."""
    r = ps.str("VE_ROOT")
    return params.subst_veid(r, veid) if r else None


def configured_ids(host: Node) -> tuple[list[int], list[str]]:
    """CT IDs with a ``<N>.conf`` (CT0 included) and the names vzlist warns about."""
    ids: list[int] = []
    bad: list[str] = []
    for name in host.fs.listdir(CONF_DIR):
        m = _CONF_RE.match(name)
        if not m:
            continue
        n = int(m.group(1))
        if 0 <= n <= VEID_MAX and str(n) == m.group(1):
            ids.append(n)
        else:
            bad.append(name)
    return sorted(ids), bad


def exists(host: Node, veid: int, ps: ParamSet | None = None) -> bool:
    """``exist`` in ``vzctl status``: config and private area both present; ``ps``: the
    CT's effective config when the caller has read it already."""
    priv = private_of(effective(host, veid) if ps is None else ps, veid)
    return host.fs.exists(conf_path(veid)) and bool(priv) and host.fs.isdir(priv or "")


def name_target(host: Node, name: str) -> int | None:
    """The CT an ``/etc/vz/names/<name>`` link names (``KV:src/lib/config.c:get_veid_by_name``):
    the link must resolve (stat follows it), and its target's basename is read with
    ``sscanf("%d.conf")`` — so ``+101.conf`` and ``101.conf.x`` are 101 too."""
    link = f"{NAMES_DIR}/{name}"
    target = host.fs.readlink(link)
    if target is None or not host.fs.exists(host.fs.resolve(link)):
        return None
    m = _SCANF_INT.match(target.rsplit("/", 1)[-1])
    if m is None:
        return None
    value = max(-(2**63), min(2**63 - 1, big_int(m.group(1), 2**63))) & 0xFFFFFFFF  # long -> int
    return value - 2**32 if value > 2**31 - 1 else value


def names_of(host: Node, veid: int) -> list[str]:
    """Every name link whose target's basename is ``<veid>.conf``, resolvable or not
    (``KV:src/lib/util.c:remove_names`` only reads the links)."""
    out = []
    for name in host.fs.listdir(NAMES_DIR):
        target = host.fs.readlink(f"{NAMES_DIR}/{name}")
        if target is not None and target.rsplit("/", 1)[-1] == f"{veid}.conf":
            out.append(name)
    return out


def private_paths(host: Node) -> dict[int, str]:
    """Expanded VE_PRIVATE of every CT with kernel state (for /proc/vz/vzquota)."""
    return {v: private_of(effective(host, v), v) or "" for v in host.kernel.cts}


def ubc_limits(host: Node) -> dict[int, dict[str, tuple[int, int]]]:
    """Barrier/limit of every beancounter of each running CT, as start and live ``set``
    gave them to the kernel (a CT started before that was recorded: its config)."""
    out: dict[int, dict[str, tuple[int, int]]] = {}
    for veid in host.kernel.running():
        given = host.kernel.cts[veid].ubc
        if not given:
            ps = effective(host, veid)
            given = {k: list(p) for k in params.UBC if (p := ps.pair(k)) is not None}
        out[veid] = {k.lower(): (v[0], v[1]) for k, v in given.items() if k != "AVNUMPROC"}
    return out
