"""veth devices of a container: NETIF entries and vzctl's MAC generation
(``KV:src/lib/config.c:parse_netif_str_cmd, store_netif``, ``KV:src/lib/veth.c``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from simvz.syntax.values import Invalid

OUI = "00:18:51"
FIELDS = ("ifname", "bridge", "mac", "host_ifname", "host_mac", "mac_filter")
_MAC = re.compile(r"^[0-9A-Fa-f]{2}(.[0-9A-Fa-f]{2}){5}$")  # parse_hwaddr skips separators
IFNAMSIZ = 16
M32 = 0xFFFFFFFF
# --netif_add takes a fifth field, the bridge, from vzctl 3.0.23 on (vzctl-3.0.22's
# src/lib/config.c:parse_netif_str_cmd reads all after the third comma as the host MAC);
# libvirt's driver branches on the same version (openvz_driver.c: VZCTL_BRIDGE_MIN_VERSION)
BRIDGE_SINCE = (3, 0, 23)


def takes_bridge(vzctl_version: str) -> bool:
    """Whether vzctl of this version knows a veth's bridge (``--netif_add``'s fifth
    field, NETIF's ``bridge=``, vznetaddbr)."""
    try:
        return tuple(int(p) for p in vzctl_version.split(".")[:3]) >= BRIDGE_SINCE
    except ValueError:
        return True


@dataclass(frozen=True)
class Netif:
    """One veth pair as NETIF stores it; empty strings are fields left unset."""

    ifname: str
    bridge: str = ""
    mac: str = ""
    host_ifname: str = ""
    host_mac: str = ""
    mac_filter: str = ""

    def render(self) -> str:
        """``ifname=..,bridge=..,mac=..`` in vzctl's field order, empty fields omitted."""
        parts = [f"{f}={getattr(self, f)}" for f in FIELDS if getattr(self, f)]
        return ",".join(parts)


def generate_mac(devname: str, veid: int, hwid: str) -> str:
    """vzctl's deterministic MAC for a device: OUI 00:18:51 plus a hash of
    ``"<devname>:<veid>:<hwid> "`` seeded with the CT ID (``KV:src/lib/veth.c``).
    Note the third byte uses bits 15-22, not 16-23, as the original does.
    """
    data = f"{devname}:{veid}:{hwid} ".encode()
    h = veid & M32
    for i in range(len(data) - 1):
        h = (h + data[i]) & M32
        t = ((data[i + 1] << 11) ^ h) & M32
        h = ((h << 16) ^ t) & M32
        h = (h + (h >> 11)) & M32
    h ^= (h << 3) & M32
    h = (h + (h >> 5)) & M32
    h ^= (h << 4) & M32
    h = (h + (h >> 17)) & M32
    h ^= (h << 25) & M32
    h = (h + (h >> 6)) & M32
    return f"{OUI}:{h & 0xFF:02X}:{(h >> 8) & 0xFF:02X}:{(h >> 15) & 0xFF:02X}"


def default_host_ifname(ifname: str, veid: int) -> str:
    """``veth<CTID>.<N>``, N the first number in ifname after its leading non-digits."""
    # sscanf("%*[^0-9]%d") needs at least one non-digit before the number
    m = re.match(r"^[^0-9]+([0-9]+)", ifname)
    return f"veth{veid}.{int(m.group(1)) if m else 0}"


def check_mac(mac: str, what: str) -> str:
    """A MAC is 17 chars, hex pairs with any separator (``KV:src/lib/util.c:parse_hwaddr``);
    stored upper-case with colons. The container MAC's error says which check failed,
    the host MAC's does not (``KV:src/lib/config.c:parse_netif_str_cmd``)."""
    if len(mac) != 17 or not _MAC.match(mac):
        if what != "container":
            raise Invalid("Invalid host MAC address")
        kind = "length" if len(mac) != 17 else "format"
        raise Invalid(f"Invalid container MAC address {kind}")
    return ":".join(mac[i : i + 2] for i in range(0, 17, 3)).upper()


def _check_name(name: str, text: str) -> None:
    # names longer than IFNAMSIZ-1 are refused with only "Bad parameter" (no detail)
    if len(name) >= IFNAMSIZ:
        raise Invalid(text)


def parse_cmd(text: str, veid: int, hwid: str, bridge_field: bool = True) -> Netif:
    """``--netif_add ifname[,mac,host_ifname,host_mac,bridge]`` with vzctl's defaults
    (without ``bridge_field``, vzctl before 3.0.23: ``ifname[,mac,host_ifname,host_mac]``).

    Raises Invalid whose message is vzctl's detail line (printed before ``Bad parameter``).
    """
    parts = text.split(",", 4 if bridge_field else 3)
    ifname = parts[0]
    for name in (ifname, *(parts[2:3]), *(parts[4:5])):
        _check_name(name, text)
    mac = (
        check_mac(parts[1], "container") if len(parts) > 1 and parts[1] else generate_mac(ifname, veid, hwid)
    )
    host_ifname = parts[2] if len(parts) > 2 and parts[2] else default_host_ifname(ifname, veid)
    if len(parts) == 1:
        # Only ifname given: both MACs generated, each from its own device name.
        return Netif(ifname, mac=mac, host_ifname=host_ifname, host_mac=generate_mac(host_ifname, veid, hwid))
    if len(parts) <= 3:
        return Netif(ifname, mac=mac, host_ifname=host_ifname, host_mac=mac)
    host_mac = check_mac(parts[3], "host") if parts[3] else generate_mac(host_ifname, veid, hwid)
    bridge = parts[4] if len(parts) > 4 else ""
    return Netif(ifname, bridge=bridge, mac=mac, host_ifname=host_ifname, host_mac=host_mac)


def parse_conf(text: str) -> list[Netif]:
    """NETIF from a config file: devices separated by ``;``, fields ``name=value``."""
    out: list[Netif] = []
    for dev in filter(None, text.split(";")):
        fields = dict(kv.split("=", 1) for kv in dev.split(",") if "=" in kv)
        known = {k: v for k, v in fields.items() if k in FIELDS}
        if known.get("ifname"):
            out.append(Netif(**known))
    return out


def render_conf(devs: list[Netif]) -> str:
    """NETIF value: devices joined by ``;``."""
    return ";".join(d.render() for d in devs)


def merge(devs: list[Netif], new: Netif) -> list[Netif]:
    """Add a device, or override the fields of an existing one with the same ifname."""
    for i, d in enumerate(devs):
        if d.ifname == new.ifname:
            changes = {f: getattr(new, f) for f in FIELDS if getattr(new, f)}
            return [*devs[:i], replace(d, **changes), *devs[i + 1 :]]
    return [*devs, new]
