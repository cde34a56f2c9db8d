"""Container networking on the simulated node as vzctl 4.11.1 and its scripts do it
(``KV:src/lib/net.c``, ``KV:src/lib/veth.c``, ``KV:scripts/``): routed venet IPs, bridged
veth pairs, host NICs passed through, and what a container sees inside.

Everything is observed the way an administrator observes it: vzctl's exit code and
messages, ``/proc/vz/{veip,veinfo,veth}``, the node's ``ip route`` / ``ip neigh show
proxy`` / ``brctl show`` / ``ip link`` (``simvz inspect``), the CT's config file, and
``vzctl exec CT ip addr|link|route``, ``hostname``, ``cat /etc/resolv.conf`` inside.

Sources, in the vzctl-4.11.1 tree (``KV:``): ``src/lib/net.c`` (venet add/del, rollback),
``src/lib/hooks_vz.c`` (kernel calls and their messages), ``src/lib/veth.c`` (veth
create/delete, vznetcfg), ``src/lib/res.c:vps_setup_res`` (order of live changes),
``src/lib/config.c`` (option parsing and NETIF storage), ``src/lib/env.c:vps_start``,
``src/vzctl-actions.c:set, vps_set``, ``bin/vznetcfg.in``, ``bin/vznetaddbr.in``,
``scripts/vps-net_add.in``, ``scripts/vps-functions.in``.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from simvz import inspect
from simvz.host import Host
from simvz.hostinit import init_host
from simvz.hostview import NetworkView
from simvz.results import Result
from tests.conftest import create_ct, make_host, start_ct, vzctl

FAILED_APPLY = "Error: failed to apply some parameters, not saving configuration file!\n"
START_FAILED = 'Container start failed (try to check kernel messages, e.g. "dmesg | tail")\n'
THREAD_NETIF = "eth15,00:11:00:00:00:11,node_eth15,22:11:00:00:00:11"

# -- what an administrator looks at ---------------------------------------------------------


def ok(host: Host, *argv: str) -> Result:
    """``vzctl ARGV``, which must succeed."""
    r = vzctl(host, *argv)
    assert r.exit == 0, (argv, r.exit, r.out, r.err)
    return r


def proc(host: Host, name: str) -> str:
    return (host.root / "proc/vz" / name).read_text()


def veip_ips(host: Host) -> list[str]:
    """Addresses in ``/proc/vz/veip`` (``Version: 2.5`` then ``%39s %10u`` rows)."""
    return [line.split()[0] for line in proc(host, "veip").splitlines()[1:]]


def veinfo_ips(host: Host, veid: int) -> list[str] | None:
    """The IPs on CT ``veid``'s ``/proc/vz/veinfo`` row; None when it has no row."""
    for line in proc(host, "veinfo").splitlines():
        cols = line.split()
        if cols and cols[0] == str(veid):
            return cols[3:]
    return None


def veth_rows(host: Host) -> list[list[str]]:
    """``/proc/vz/veth`` rows as vzctl's ``read_proc_veth`` scans them:
    host MAC, host ifname, CT MAC, CT ifname, CT ID."""
    return [line.split() for line in proc(host, "veth").splitlines() if line.strip()]


def network(host: Host) -> NetworkView:
    """The node's network as ``simvz inspect`` shows it."""
    return inspect.network(host)


def routes(host: Host) -> list[str]:
    """The node's ``ip route``."""
    found = network(host)["routes"]
    assert isinstance(found, list)
    return [str(r) for r in found]


def venet_routes(host: Host) -> list[str]:
    """Destinations of the node's ``X dev venet0`` routes (``vzaddrouting``)."""
    return [r.split()[0] for r in routes(host) if re.match(r"^\S+ dev venet0\b", r)]


def proxy_arp(host: Host) -> set[tuple[str, str]]:
    """``ip neigh show proxy`` on the node as (ip, dev)."""
    found = network(host)["proxy_arp"]
    assert isinstance(found, list)
    return {(p["ip"], p["dev"]) for p in found}


def nic_owner(host: Host, name: str) -> int | None:
    found = network(host)["nics"]
    assert isinstance(found, list)
    owner: int | None = next(n["owner"] for n in found if n["name"] == name)
    return owner


def nic_mac(host: Host, name: str) -> str:
    found = network(host)["nics"]
    assert isinstance(found, list)
    return str(next(n["mac"] for n in found if n["name"] == name))


def ports(host: Host, bridge: str) -> list[str]:
    found = network(host)["bridges"]
    assert isinstance(found, list)
    members: list[str] = next(b["ports"] for b in found if b["name"] == bridge)
    return members


def conf_value(host: Host, veid: int, key: str) -> str | None:
    """The last ``KEY="value"`` of ``<veid>.conf`` (the shell's reading of it)."""
    text = (host.root / f"etc/vz/conf/{veid}.conf").read_text()
    found = re.findall(rf'^{key}="([^"]*)"', text, flags=re.M)
    return found[-1] if found else None


def inside(host: Host, veid: int, *command: str) -> str:
    """stdout of ``vzctl exec VEID COMMAND`` (which must succeed)."""
    return ok(host, "exec", str(veid), *command).out


Snapshot = dict[str, tuple[str, int, bytes | str | None]]


def snapshot(root: Path) -> Snapshot:
    """Every dir, symlink and file under the node (type, mode, content), except the
    journal of commands and lock files, which record that a command ran."""
    out: Snapshot = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            if rel.startswith(".simvz/journal") or rel.endswith(".lock"):
                continue
            st = path.lstat()
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", mode, os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", mode, None)
            else:
                out[rel] = ("file", mode, path.read_bytes())
    return out


def changed(before: Snapshot, after: Snapshot) -> list[str]:
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def mount_point(veid: int) -> set[str]:
    """What a failed first start leaves by itself: ``fsmount`` makes VE_ROOT before
    anything can fail and nothing removes it (``KV:src/lib/fs.c``; simfs ``create`` never
    makes it, ``KV:src/lib/create.c``)."""
    return {f"vz/root/{veid}"}


def vzctl_mac(devname: str, veid: int, hwid: str) -> str:
    """vzctl's generated MAC, written from
    ``KV:src/lib/veth.c:generate_mac`` (independently of the simulator's code)."""
    data = f"{devname}:{veid}:{hwid} ".encode()
    m = 0xFFFFFFFF
    h = veid
    for i in range(len(data) - 1):
        h = (h + data[i]) & m
        h = ((h << 16) ^ ((data[i + 1] << 11) ^ h)) & m
        h = (h + (h >> 11)) & m
    for shift, xor in ((3, True), (5, False), (4, True), (17, False), (25, True), (6, False)):
        h = (h ^ (h << shift)) & m if xor else (h + (h >> shift)) & m
    return f"00:18:51:{h & 0xFF:02X}:{(h >> 8) & 0xFF:02X}:{(h >> 15) & 0xFF:02X}"


def hwid(host: Host) -> str:
    """The first ``link/ether`` of ``ip a l`` on the node: eth0, the uplink."""
    found = network(host)["nics"]
    assert isinstance(found, list)
    return str(found[0]["mac"])


@pytest.fixture
def node(tmp_path: Path) -> Host:
    return make_host(tmp_path / "node")


def set_vz_conf(host: Host, key: str, value: str) -> None:
    """The administrator edits /etc/vz/vz.conf."""
    p = host.root / "etc/vz/vz.conf"
    text = re.sub(rf"^{key}=.*$", f'{key}="{value}"', p.read_text(), flags=re.M)
    p.write_text(text)


# == venet (KV:src/lib/hooks_vz.c:vz_ip_ctl, KV:scripts/vps-net_add.in) ==============================


def test_thread_ipadd_2_2_2_2_then_start(node: Host) -> None:
    """The thread's ``vzctl set 150 --ipadd 2.2.2.2 --save`` then start: the kernel maps
    the IP (``VENETCTL_VE_IP_MAP``, ``KV:src/lib/hooks_vz.c``), vps-net_add adds the host
    route ``2.2.2.2 dev venet0`` and proxy-ARP entries on the node's addressed devices
    (``KV:scripts/vps-net_add.in``; NEIGHBOUR_DEVS unset = every up device with an
    address: eth0 and virbr0), and the CT sees it on venet0."""
    create_ct(node, 150)
    r = ok(node, "set", "150", "--ipadd", "2.2.2.2", "--save")
    assert r.out == "CT configuration saved to /etc/vz/conf/150.conf\n"
    assert conf_value(node, 150, "IP_ADDRESS") == "2.2.2.2"
    assert venet_routes(node) == []
    r = start_ct(node, 150)
    assert "Adding IP address(es): 2.2.2.2\n" in r.out
    assert venet_routes(node) == ["2.2.2.2"]
    assert "2.2.2.2 dev venet0 scope link" in routes(node)
    assert proxy_arp(node) == {("2.2.2.2", "eth0"), ("2.2.2.2", "virbr0")}
    assert f"{'2.2.2.2':>39} {0:>10}\n" in proc(node, "veip")
    assert f"{150:>10} {0:>5} {12:>5} {'2.2.2.2':>15}\n" in proc(node, "veinfo")
    assert "    inet 2.2.2.2/32 scope global venet0:0\n" in inside(node, 150, "ip", "addr")
    assert inside(node, 150, "ip", "route").startswith("default dev venet0")


def test_stop_takes_the_route_and_proxy_arp_away(node: Host) -> None:
    """``vps_stop`` reads the CT's IPs first, kills it, then runs vps-net_del, which
    removes the routes and proxy-ARP entries (``KV:src/lib/env.c:vps_stop``)."""
    create_ct(node, 150)
    ok(node, "set", "150", "--ipadd", "2.2.2.2", "--save")
    start_ct(node, 150)
    ok(node, "stop", "150")
    assert venet_routes(node) == []
    assert proxy_arp(node) == set()
    assert veip_ips(node) == [] and veinfo_ips(node, 150) is None


def test_a_duplicate_ip_fails_the_second_start_with_78_and_leaves_the_node_as_before(node: Host) -> None:
    """One kernel hash of the IPs of running CTs: the second start's IP map fails with
    EADDRINUSE -> ``Unable to add IP 10.0.0.1: Address already in use``, exit 78; the
    rollback in ``KV:src/lib/net.c:vps_ip_ctl`` happens before vps-net_add ran, and
    ``vps_start`` kills and unmounts the CT (``KV:src/lib/env.c``): nothing is left."""
    for veid in (101, 102):
        create_ct(node, veid)
        ok(node, "set", str(veid), "--ipadd", "10.0.0.1", "--save")
    start_ct(node, 101)
    before = snapshot(node.root)
    r = vzctl(node, "start", "102")
    assert r.exit == 78
    assert "Unable to add IP 10.0.0.1: Address already in use\n" in r.err
    assert START_FAILED in r.err
    assert set(changed(before, snapshot(node.root))) <= mount_point(102)
    assert ok(node, "status", "102").out == "CTID 102 exist unmounted down\n"
    assert veip_ips(node) == ["10.0.0.1"] and venet_routes(node) == ["10.0.0.1"]


def test_config_files_are_never_cross_checked(node: Host) -> None:
    """vzctl never compares configs: two stopped CTs may hold one IP (``KV:src/lib/hooks_vz.c:vz_ip_ctl``)."""
    for veid in ("101", "102"):
        create_ct(node, int(veid))
        ok(node, "set", veid, "--ipadd", "10.0.0.1", "--save")
        assert conf_value(node, int(veid), "IP_ADDRESS") == "10.0.0.1"


def test_a_duplicate_ip_set_live_is_refused_with_78_and_nothing_saved(node: Host) -> None:
    """Live ``--ipadd`` of an address another running CT holds: EADDRINUSE (78); with
    --save vzctl then refuses to save (``KV:src/vzctl-actions.c:vps_set``)."""
    for veid in (101, 102):
        create_ct(node, veid)
        start_ct(node, veid)
    ok(node, "set", "101", "--ipadd", "10.0.0.1")
    before = snapshot(node.root)
    r = vzctl(node, "set", "102", "--ipadd", "10.0.0.1", "--save")
    assert r.exit == 78
    assert r.err == "Unable to add IP 10.0.0.1: Address already in use\n" + FAILED_APPLY
    assert changed(before, snapshot(node.root)) == []
    assert conf_value(node, 102, "IP_ADDRESS") is None


def test_ipdel_all_live_removes_every_ip_route_and_proxy_entry(node: Host) -> None:
    """``--ipdel all`` reads the CT's IPs from the kernel (``KV:src/lib/net.c:vps_del_ip``,
    ``get_vps_ip``) and deletes them with their routes; without --save the config keeps them."""
    create_ct(node, 101)
    ok(node, "set", "101", "--ipadd", "10.0.0.1", "--ipadd", "10.0.0.2", "--save")
    start_ct(node, 101)
    ok(node, "set", "101", "--ipadd", "10.0.0.3")
    r = ok(node, "set", "101", "--ipdel", "all")
    # a vswap config without LOCKEDPAGES & co: set applies fill_vswap_ub's defaults first
    # (KV:src/vzctl-actions.c:set), so the UBC message comes before the IP deletion
    ubc_line, ipdel_line = r.out.splitlines()[:2]
    assert ubc_line == "UB limits were set successfully"
    assert ipdel_line.startswith("Deleting all IP address(es): ")
    assert set(ipdel_line.split(": ")[1].split()) == {"10.0.0.1", "10.0.0.2", "10.0.0.3"}
    assert veip_ips(node) == [] and veinfo_ips(node, 101) == []
    assert venet_routes(node) == [] and proxy_arp(node) == set()
    assert conf_value(node, 101, "IP_ADDRESS") == "10.0.0.1 10.0.0.2"
    assert "inet 10.0.0" not in inside(node, 101, "ip", "addr")


def test_ipdel_all_with_save_empties_ip_address(node: Host) -> None:
    """``store_ip`` with delall: the merged list is empty (``KV:src/lib/config.c``)."""
    create_ct(node, 101)
    ok(node, "set", "101", "--ipadd", "10.0.0.1", "--save")
    start_ct(node, 101)
    ok(node, "set", "101", "--ipdel", "all", "--save")
    assert conf_value(node, 101, "IP_ADDRESS") == ""
    assert veip_ips(node) == []


def test_ipdel_of_an_address_the_ct_does_not_hold_is_ignored(node: Host) -> None:
    """EADDRNOTAVAIL on delete is silently ignored (``KV:src/lib/hooks_vz.c:vz_ip_ctl``)."""
    create_ct(node, 101)
    ok(node, "set", "101", "--ipadd", "10.0.0.1", "--save")
    start_ct(node, 101)
    r = ok(node, "set", "101", "--ipdel", "10.9.9.9")
    assert "Deleting IP address(es): 10.9.9.9\n" in r.out
    assert r.err == ""
    assert veip_ips(node) == ["10.0.0.1"] and venet_routes(node) == ["10.0.0.1"]


def test_ipadd_of_an_address_in_the_config_is_deleted_then_added_again(node: Host) -> None:
    """``fix_ip_param`` (``KV:src/vzctl-actions.c``): an --ipadd address already in the
    config goes into the delete list too, so it is removed and re-added (how a mask is
    changed); the kernel holds it once and the route is there once."""
    create_ct(node, 101)
    ok(node, "set", "101", "--ipadd", "10.0.0.1", "--save")
    start_ct(node, 101)
    r = ok(node, "set", "101", "--ipadd", "10.0.0.1/24", "--save")
    assert r.out.index("Deleting IP address(es): ") < r.out.index("Adding IP address(es): 10.0.0.1/24\n")
    assert conf_value(node, 101, "IP_ADDRESS") == "10.0.0.1/24"
    assert veip_ips(node) == ["10.0.0.1"]
    assert venet_routes(node) == ["10.0.0.1"]


def test_the_readd_deletes_the_address_as_the_config_spells_it(node: Host) -> None:
    """``fix_ip_param`` puts the *config's* entry (``find_ip``'s ``found``, here without
    a mask) into the delete list, and ``vps_del_ip`` prints that list
    (``KV:src/vzctl-actions.c:fix_ip_param``, ``KV:src/lib/net.c:vps_del_ip``)."""
    create_ct(node, 101)
    ok(node, "set", "101", "--ipadd", "10.0.0.1", "--save")
    start_ct(node, 101)
    r = ok(node, "set", "101", "--ipadd", "10.0.0.1/24", "--save")
    assert "Deleting IP address(es): 10.0.0.1\n" in r.out


def test_ipadd_again_of_an_address_added_live_but_not_saved_is_in_use(node: Host) -> None:
    """``fix_ip_param`` looks at the config, not the kernel: an address the CT holds but
    its config lacks is not deleted first, so the kernel refuses it as in use by the same
    CT (``veip_entry_add``: EADDRINUSE whoever holds it) -> 78. ``vps_ip_ctl``'s rollback
    then deletes every address of the list from the CT (``KV:src/lib/net.c``), so the CT
    would no longer hold it.

    Where vzctl 4.11.1 would leave this half-done state behind, the simulated node is
    rolled back instead: a refused command leaves the node exactly as it was (the
    project's rule for bad input: no half-added routes, no orphan veth)."""
    create_ct(node, 101)
    start_ct(node, 101)
    ok(node, "set", "101", "--ipadd", "10.0.0.2")
    r = vzctl(node, "set", "101", "--ipadd", "10.0.0.2")
    assert r.exit == 78
    assert r.err == "Unable to add IP 10.0.0.2: Address already in use\n"
    assert veip_ips(node) == ["10.0.0.2"]


def test_masks_are_kept_in_the_config_but_never_reach_the_kernel(node: Host) -> None:
    """``canon_ip`` keeps ``/mask`` in IP_ADDRESS; ``ip_ctl`` strips it before the kernel
    call and vps-net_add routes ``${IPM%%/*}`` (``KV:src/lib/net.c``, ``vps-net_add.in``)."""
    create_ct(node, 101)
    ok(node, "set", "101", "--ipadd", "10.0.0.5/24", "--save")
    assert conf_value(node, 101, "IP_ADDRESS") == "10.0.0.5/24"
    start_ct(node, 101)
    assert veip_ips(node) == ["10.0.0.5"]
    assert veinfo_ips(node, 101) == ["10.0.0.5"]
    assert venet_routes(node) == ["10.0.0.5"]
    assert ("10.0.0.5", "eth0") in proxy_arp(node)


def test_ipv6_with_ipv6_yes(node: Host) -> None:
    """vz.conf ships ``IPV6="yes"`` (``KV:etc/vz.conf.in``): an IPv6 address is mapped,
    routed with ``ip route add IP dev venet0`` (``vzaddrouting6``) and shown in veinfo
    uncompressed, right-aligned in 39 columns (``veaddr_print``)."""
    create_ct(node, 101)
    ok(node, "set", "101", "--ipadd", "2001:db8::5", "--ipadd", "10.0.0.5", "--save")
    start_ct(node, 101)
    assert f" {'2001:db8:0:0:0:0:0:5':>39}" in proc(node, "veinfo")
    assert sorted(venet_routes(node)) == ["10.0.0.5", "2001:db8::5"]
    assert "inet6 2001:db8::5/128" in inside(node, 101, "ip", "addr")


def test_veip_prints_ipv6_as_the_kernel_prints_it(node: Host) -> None:
    """``/proc/vz/veip`` rows are ``veaddr_print`` then ``%39s %10u`` (OpenVZ kernel
    ``veip_seq_show``): IPv6 in the same uncompressed ``%x:%x:...`` form as veinfo."""
    create_ct(node, 101)
    ok(node, "set", "101", "--ipadd", "2001:db8::5", "--save")
    start_ct(node, 101)
    assert f"{'2001:db8:0:0:0:0:0:5':>39} {0:>10}\n" in proc(node, "veip")


def test_ipv6_off_still_saves_the_address_to_a_stopped_cts_config(node: Host) -> None:
    """With ``IPV6="no"`` vzctl drops IPv6 addresses only when applying them
    (``KV:src/lib/net.c:vps_net_ctl``/``remove_ipv6_addr``); parsing keeps them
    (``KV:src/lib/config.c:parse_ip``) and a stopped CT's --save only writes the config."""
    set_vz_conf(node, "IPV6", "no")
    create_ct(node, 101)
    r = ok(node, "set", "101", "--ipadd", "2001:db8::6", "--save")
    assert "IPv6 support is disabled" not in r.out + r.err
    assert conf_value(node, 101, "IP_ADDRESS") == "2001:db8::6"


def test_ipv6_off_start_adds_only_the_ipv4_addresses(node: Host) -> None:
    """At start ``vps_net_ctl`` removes IPv6 addresses from the list and says so
    (``WARNING: IPv6 support is disabled``, level 0) before mapping the rest."""
    create_ct(node, 101)
    ok(node, "set", "101", "--ipadd", "2001:db8::5", "--ipadd", "10.0.0.5", "--save")
    set_vz_conf(node, "IPV6", "no")
    r = start_ct(node, 101)
    assert "WARNING: IPv6 support is disabled\n" in r.out
    assert "Adding IP address(es): 10.0.0.5\n" in r.out
    assert veip_ips(node) == ["10.0.0.5"]
    assert venet_routes(node) == ["10.0.0.5"]


def test_a_start_failing_after_its_ips_were_routed_leaves_no_route(node: Host) -> None:
    """``vps_setup_res`` maps IPs and runs vps-net_add before moving NICs
    (``KV:src/lib/res.c``); when the NIC move fails, ``vps_start`` only kills the CT
    (``env_stop``) and unmounts it (``KV:src/lib/env.c``); vps-net_del, which removes
    routes, runs only from ``vps_stop``. So the kernel drops the IP while the host
    route and proxy-ARP entries would stay behind.

    Where vzctl 4.11.1 would leave this half-done state behind, the simulated node is
    rolled back instead: a refused command leaves the node exactly as it was (the
    project's rule for bad input: no half-added routes, no orphan veth)."""
    create_ct(node, 101)
    ok(node, "set", "101", "--ipadd", "10.0.0.9", "--netdev_add", "eth9", "--save")
    r = vzctl(node, "start", "101")
    assert r.exit == 104
    assert "Unable to add netdev eth9: No such device\n" in r.err
    assert veip_ips(node) == []
    assert venet_routes(node) == []
    assert ("10.0.0.9", "eth0") not in proxy_arp(node)


def test_a_live_set_failing_in_a_later_group_undoes_the_earlier_groups(node: Host) -> None:
    """``vps_setup_res`` applies IPs, then NICs, ... and returns at the first failure
    without undoing earlier groups (``KV:src/lib/res.c``); only ``vps_ip_ctl`` rolls back,
    and only within its own list (``KV:src/lib/net.c``). So ``--ipadd`` with a missing NIC
    on a running CT fails with 104 while the IP would stay mapped and routed; --save
    then refuses to save (``KV:src/vzctl-actions.c:vps_set``).

    Where vzctl 4.11.1 would leave this half-done state behind, the simulated node is
    rolled back instead: a refused command leaves the node exactly as it was (the
    project's rule for bad input: no half-added routes, no orphan veth)."""
    create_ct(node, 101)
    start_ct(node, 101)
    r = vzctl(node, "set", "101", "--ipadd", "10.0.0.7", "--netdev_add", "eth9", "--save")
    assert r.exit == 104
    assert r.err == "Unable to add netdev eth9: No such device\n" + FAILED_APPLY
    assert veip_ips(node) == []
    assert venet_routes(node) == []
    assert conf_value(node, 101, "IP_ADDRESS") is None


# == veth (KV:src/lib/veth.c, KV:bin/vznetaddbr.in) ==================================================


def test_thread_netif_add_eth15_then_start_and_stop(node: Host) -> None:
    """The thread's ``--netif_add eth15,00:11:00:00:00:11,node_eth15,22:11:00:00:00:11``:
    NETIF stored in ``store_netif``'s field order; at start the pair is created
    (``Configure veth devices: node_eth15 ``, ``KV:src/lib/veth.c:veth_ctl``), vznetcfg
    execs vznetaddbr which prints its line and puts the host end on vmbr0, its default
    (``KV:bin/vznetaddbr.in``); the pair vanishes with the CT."""
    create_ct(node, 105)
    ok(node, "set", "105", "--netif_add", THREAD_NETIF, "--save")
    assert (
        conf_value(node, 105, "NETIF")
        == "ifname=eth15,mac=00:11:00:00:00:11,host_ifname=node_eth15,host_mac=22:11:00:00:00:11"
    )
    r = start_ct(node, 105)
    assert "Configure veth devices: node_eth15 \n" in r.out
    assert "Adding interface node_eth15 to bridge vmbr0 on CT0 for CT105\n" in r.out
    assert veth_rows(node) == [["22:11:00:00:00:11", "node_eth15", "00:11:00:00:00:11", "eth15", "105"]]
    assert ports(node, "vmbr0") == ["node_eth15"]
    link = inside(node, 105, "ip", "link")
    assert ": eth15: <" in link and "    link/ether 00:11:00:00:00:11 brd ff:ff:ff:ff:ff:ff\n" in link
    ok(node, "stop", "105")
    assert veth_rows(node) == []
    assert ports(node, "vmbr0") == []


@pytest.mark.parametrize(
    ("spec", "mac", "host_ifname", "host_mac", "bridge"),
    [
        # only ifname: both MACs generated, each from its own device name
        ("eth0", "gen:eth0", "veth101.0", "gen:veth101.0", ""),
        # mac given and the string ends: host_mac is a copy of the CT mac
        ("eth3,00:11:22:33:44:55", "00:11:22:33:44:55", "veth101.3", "00:11:22:33:44:55", ""),
        # empty mac generated; host_ifname given as the last field: host_mac copies mac
        ("eth1,,myhost", "gen:eth1", "myhost", "gen:eth1", ""),
        # everything empty up to the bridge: host_mac generated from the host name
        ("eth12,,,,vmbr1", "gen:eth12", "veth101.12", "gen:veth101.12", "vmbr1"),
        # no digits in the name: N is 0
        ("wan,,,,", "gen:wan", "veth101.0", "gen:veth101.0", ""),
    ],
)
def test_netif_add_positional_defaults(
    node: Host, spec: str, mac: str, host_ifname: str, host_mac: str, bridge: str
) -> None:
    """``KV:src/lib/config.c:parse_netif_str_cmd``, ``generate_veth_name`` and
    ``KV:src/lib/veth.c:generate_mac`` (OUI 00:18:51, hash over the node's first MAC)."""
    create_ct(node, 101)
    ok(node, "set", "101", "--netif_add", spec, "--save")
    ifname = spec.split(",")[0]

    def mac_of(v: str) -> str:
        return vzctl_mac(v[4:], 101, hwid(node)) if v.startswith("gen:") else v

    fields = [f"ifname={ifname}"] + ([f"bridge={bridge}"] if bridge else [])
    fields += [f"mac={mac_of(mac)}", f"host_ifname={host_ifname}", f"host_mac={mac_of(host_mac)}"]
    assert conf_value(node, 101, "NETIF") == ",".join(fields)


def test_an_ifname_starting_with_a_digit_gets_veth_ctid_0(node: Host) -> None:
    """``generate_veth_name`` scans ``%*[^0-9]%d``: the skipped part must match at least
    one character, so a name starting with a digit leaves N at 0 (``KV:src/lib/config.c``)."""
    create_ct(node, 101)
    ok(node, "set", "101", "--netif_add", "1wan", "--save")
    assert "host_ifname=veth101.0," in (conf_value(node, 101, "NETIF") or "")


def test_netif_add_several_devices_separated_by_spaces(node: Host) -> None:
    """``parse_netif_cmd`` splits the value on spaces; devices are stored ``;``-separated."""
    create_ct(node, 101)
    ok(node, "set", "101", "--netif_add", "eth0 eth1", "--save")
    netif = conf_value(node, 101, "NETIF") or ""
    assert [d.split(",")[0] for d in netif.split(";")] == ["ifname=eth0", "ifname=eth1"]


@pytest.mark.parametrize(
    ("spec", "detail"),
    [
        ("eth0,00:11:22", "Invalid container MAC address length\n"),
        ("eth0,00:11:22:33:44:555", "Invalid container MAC address length\n"),
        ("eth0,00:11:22:33:44:zz", "Invalid container MAC address format\n"),
        ("eth0,,veth101.0,00:11", "Invalid host MAC address\n"),
        ("eth0,,veth101.0,00:11:22:33:44:zz", "Invalid host MAC address\n"),
        ("eth0123456789abc", ""),  # 16 characters: longer than IFNAMSIZ-1, no detail line
        ("eth0,,host0123456789abc", ""),
        ("eth0,,,,bridge0123456789", ""),
    ],
)
def test_netif_add_bad_values_are_refused_with_21_and_nothing_changes(
    node: Host, spec: str, detail: str
) -> None:
    """``parse_netif_str_cmd``: a MAC must be 17 characters that ``parse_hwaddr`` reads as
    hex pairs; the host MAC has one message for both faults; names (CT, host, bridge)
    longer than 15 characters are ERR_INVAL without a message of their own. Then
    ``parse_opt`` prints ``Bad parameter for --netif_add: VALUE`` and exits 21
    (``KV:src/vzctl-actions.c``)."""
    create_ct(node, 101)
    before = snapshot(node.root)
    r = vzctl(node, "set", "101", "--netif_add", spec, "--save")
    assert r.exit == 21
    assert r.err == f"{detail}Bad parameter for --netif_add: {spec}\n"
    assert changed(before, snapshot(node.root)) == []


def test_a_15_character_ifname_is_accepted(node: Host) -> None:
    """IFNAMSIZ is 16 with the NUL: 15 characters fit (``KV:include/veth.h``)."""
    create_ct(node, 101)
    ok(node, "set", "101", "--netif_add", "eth0123456789ab", "--save")
    assert (conf_value(node, 101, "NETIF") or "").startswith("ifname=eth0123456789ab,")


def test_a_mac_is_read_as_hex_pairs_whatever_separates_them(node: Host) -> None:
    """``parse_hwaddr`` reads characters 3i and 3i+1 as hex and never looks at the
    separators; ``store_netif`` writes the bytes back with ``:`` (``KV:src/lib/veth.c``)."""
    create_ct(node, 101)
    ok(node, "set", "101", "--netif_add", "eth0,00-11-22-33-44-55", "--save")
    assert "mac=00:11:22:33:44:55," in (conf_value(node, 101, "NETIF") or "")


def test_a_bridge_that_does_not_exist_leaves_the_veth_unbridged_and_the_start_succeeds(node: Host) -> None:
    """The issue text says a missing bridge fails the start with exit 130; the source
    says otherwise. ``KV:bin/vznetaddbr.in`` runs ``brctl addif "$bridge" "$host_ifname"``
    as its last command, ignores its status and ends with ``exit 0``; so vznetcfg succeeds,
    ``run_vznetcfg`` (``KV:src/lib/veth.c``) reports nothing and the start goes on. brctl
    itself prints ``bridge vmbr7 does not exist!`` on stderr, which vzctl passes through."""
    create_ct(node, 101)
    ok(node, "set", "101", "--netif_add", "eth0,,,,vmbr7", "--save")
    r = vzctl(node, "start", "101")
    assert r.exit == 0, r.err
    assert "Adding interface veth101.0 to bridge vmbr7 on CT0 for CT101\n" in r.out
    assert "bridge vmbr7 does not exist!\n" in r.err
    assert [row[1] for row in veth_rows(node)] == ["veth101.0"]
    assert all("veth101.0" not in ports(node, b) for b in ("vmbr0", "virbr0"))
    assert ok(node, "status", "101").out == "CTID 101 exist mounted running\n"


def test_a_veth_added_live_is_not_bridged_until_the_ct_restarts(node: Host) -> None:
    """``vps_set`` applies (``set`` -> ``vps_setup_res`` -> ``vps_setup_veth``) and only
    then saves the config (``KV:src/vzctl-actions.c:vps_set``: ``vps_save_config`` after
    ``set`` returned). vznetaddbr sources the config on disk, finds no NETIF entry with the
    new host_ifname and exits 0 (``KV:bin/vznetaddbr.in``): the new veth stays unbridged.
    At the next start the saved entry is there and the veth goes on its bridge."""
    create_ct(node, 101)
    ok(node, "set", "101", "--netif_add", "eth0", "--save")
    start_ct(node, 101)
    r = ok(node, "set", "101", "--netif_add", "eth1,,,,vmbr0", "--save")
    assert "Configure veth devices: veth101.1 \n" in r.out
    assert "Adding interface veth101.1" not in r.out
    assert {row[1] for row in veth_rows(node)} == {"veth101.0", "veth101.1"}
    assert ports(node, "vmbr0") == ["veth101.0"]
    ok(node, "restart", "101")
    assert sorted(ports(node, "vmbr0")) == ["veth101.0", "veth101.1"]


def test_the_first_veth_added_live_fails_in_vznetaddbr(node: Host) -> None:
    """With no NETIF in the config yet, vznetaddbr prints ``According to
    /etc/vz/conf/101.conf, CT101 has no veth interface configured.`` and exits 1
    (``KV:bin/vznetaddbr.in``, reading the config before vzctl saved it); vzctl logs
    ``/usr/sbin/vznetcfg exited with error`` and returns VZ_VETH_ERROR, 130
    (``KV:src/lib/veth.c:run_vznetcfg``), then refuses to save. The rollback in
    ``veth_ctl`` goes through ``vz_veth_ctl(DEL)``, which skips devices not marked
    ``active`` (``KV:src/lib/hooks_vz.c``), so the new pair itself would stay.

    Where vzctl 4.11.1 would leave this half-done state behind, the simulated node is
    rolled back instead: a refused command leaves the node exactly as it was (the
    project's rule for bad input: no half-added routes, no orphan veth)."""
    create_ct(node, 101)
    start_ct(node, 101)
    r = vzctl(node, "set", "101", "--netif_add", "eth0", "--save")
    assert r.exit == 130
    assert "According to /etc/vz/conf/101.conf, CT101 has no veth interface configured.\n" in r.err
    assert "/usr/sbin/vznetcfg exited with error\n" in r.err
    assert r.err.endswith(FAILED_APPLY)
    assert conf_value(node, 101, "NETIF") is None
    assert veth_rows(node) == []


def test_netif_add_of_a_veth_the_running_ct_has_reconfigures_it(node: Host) -> None:
    """``vps_setup_veth`` reads the CT's pairs from /proc/vz/veth and marks a device it
    already has ``active`` (``fill_veth_dev_name``, ``KV:src/lib/veth.c``); ``vz_veth_ctl``
    does not create an active device again (``KV:src/lib/hooks_vz.c``), so re-adding it
    only reruns vznetcfg and succeeds; --save merges the new fields into NETIF."""
    create_ct(node, 101)
    ok(node, "set", "101", "--netif_add", "eth0", "--save")
    start_ct(node, 101)
    rows = veth_rows(node)
    r = vzctl(node, "set", "101", "--netif_add", "eth0,00:11:22:33:44:55", "--save")
    assert r.exit == 0, r.err
    assert veth_rows(node) == rows
    assert "mac=00:11:22:33:44:55," in (conf_value(node, 101, "NETIF") or "")


def test_netif_del_all_live_removes_every_pair_and_with_save_empties_netif(node: Host) -> None:
    """``--netif_del all`` sets delall; ``vps_setup_veth`` deletes every pair of the CT
    (``Deleting veth devices: ...``) and ``store_netif`` stores an empty list."""
    create_ct(node, 101)
    ok(node, "set", "101", "--netif_add", "eth0", "--netif_add", "eth1,,,,virbr0", "--save")
    start_ct(node, 101)
    assert ports(node, "virbr0") == ["veth101.1"]
    r = ok(node, "set", "101", "--netif_del", "all", "--save")
    assert "Deleting veth devices: veth101.0 veth101.1 \n" in r.out
    assert veth_rows(node) == []
    assert ports(node, "vmbr0") == [] and ports(node, "virbr0") == []
    assert conf_value(node, 101, "NETIF") == ""
    assert "eth0" not in inside(node, 101, "ip", "link")


def test_netif_del_all_live_also_removes_a_pair_added_without_save(node: Host) -> None:
    """delall deletes the pairs ``read_proc_veth`` finds for the CT in /proc/vz/veth, not
    the config's (``KV:src/lib/veth.c:vps_setup_veth``)."""
    create_ct(node, 101)
    ok(node, "set", "101", "--netif_add", "eth0", "--save")
    start_ct(node, 101)
    ok(node, "set", "101", "--netif_add", "eth1")
    assert len(veth_rows(node)) == 2
    ok(node, "set", "101", "--netif_del", "all")
    assert veth_rows(node) == []


def test_netif_del_of_a_device_the_ct_lacks_is_reported_and_skipped(node: Host) -> None:
    """``fill_veth_dev_name`` logs ``Container does not have configured veth: eth9,
    skipped`` when the CT has pairs but none named so (``KV:src/lib/veth.c``); the delete
    result is not checked, so vzctl still exits 0."""
    create_ct(node, 101)
    ok(node, "set", "101", "--netif_add", "eth0", "--save")
    start_ct(node, 101)
    r = ok(node, "set", "101", "--netif_del", "eth9")
    assert "Container does not have configured veth: eth9, skipped\n" in r.err
    assert [row[3] for row in veth_rows(node)] == ["eth0"]


def test_netif_del_of_one_device_live(node: Host) -> None:
    """``--netif_del eth1``: that pair goes, its host end leaves its bridge."""
    create_ct(node, 101)
    ok(node, "set", "101", "--netif_add", "eth0 eth1", "--save")
    start_ct(node, 101)
    r = ok(node, "set", "101", "--netif_del", "eth1", "--save")
    assert "Deleting veth devices: veth101.1 \n" in r.out
    assert [row[3] for row in veth_rows(node)] == ["eth0"]
    assert ports(node, "vmbr0") == ["veth101.0"]
    assert (conf_value(node, 101, "NETIF") or "").count("ifname=") == 2  # host_ifname= too
    assert "ifname=eth1," not in (conf_value(node, 101, "NETIF") or "")


def test_a_host_ifname_taken_by_another_running_ct_fails_the_start_with_130(node: Host) -> None:
    """Creating a pair whose host name exists: ``Unable to create veth: File exists``,
    VZ_VETH_ERROR (``KV:src/lib/hooks_vz.c:veth_dev_create``); the start fails and the
    CT is killed and unmounted (``KV:src/lib/env.c:vps_start``)."""
    for veid in (101, 102):
        create_ct(node, veid)
        ok(node, "set", str(veid), "--netif_add", "eth0,,shared0", "--save")
    start_ct(node, 101)
    before = snapshot(node.root)
    r = vzctl(node, "start", "102")
    assert r.exit == 130
    assert "Unable to create veth: File exists\n" in r.err
    # veths come last in vps_setup_res, after the distribution scripts set up DNS and the
    # hostname inside (KV:src/lib/res.c): those writes stay, as on a real node
    inside_files = {"vz/private/102/etc/resolv.conf", "vz/private/102/etc/hostname"}
    assert set(changed(before, snapshot(node.root))) <= mount_point(102) | inside_files
    assert [row[4] for row in veth_rows(node)] == ["101"]


# == NIC passthrough (KV:src/lib/net.c:vps_set_netdev) ===============================================


def test_thread_netdev_add_eth1_moves_it_in_and_stop_brings_it_back(node: Host) -> None:
    """``--netdev_add eth1 --save`` on a stopped CT is only saved (NETDEV); at start
    ``VZCTL_VE_NETDEV`` moves it into the CT, gone from the node; at stop the kernel moves
    it back (``ve_mapped_devs_cleanup``)."""
    create_ct(node, 102)
    ok(node, "set", "102", "--netdev_add", "eth1", "--save")
    assert conf_value(node, 102, "NETDEV") == "eth1"
    assert nic_owner(node, "eth1") is None
    start_ct(node, 102)
    assert nic_owner(node, "eth1") == 102
    mac = nic_mac(node, "eth1")
    link = inside(node, 102, "ip", "link")
    assert ": eth1: <" in link and f"link/ether {mac} " in link
    ok(node, "stop", "102")
    assert nic_owner(node, "eth1") is None


def test_a_nic_given_to_two_containers_fails_the_second_start_with_104(node: Host) -> None:
    """The device is no longer in the node's namespace, so the second ``VZCTL_VE_NETDEV``
    fails with ENODEV: ``Unable to add netdev eth1: No such device`` and 104
    (``KV:src/lib/net.c:set_netdev``); the failed start leaves the node as it was."""
    for veid in (101, 102):
        create_ct(node, veid)
        ok(node, "set", str(veid), "--netdev_add", "eth1", "--save")
    start_ct(node, 101)
    before = snapshot(node.root)
    r = vzctl(node, "start", "102")
    assert r.exit == 104
    assert "Unable to add netdev eth1: No such device\n" in r.err
    assert START_FAILED in r.err
    assert set(changed(before, snapshot(node.root))) <= mount_point(102)
    assert nic_owner(node, "eth1") == 101


def test_a_missing_nic_fails_the_start_with_104(node: Host) -> None:
    """A NIC the node does not have: ENODEV, 104, the CT stopped and unmounted."""
    create_ct(node, 101)
    ok(node, "set", "101", "--netdev_add", "eth9", "--save")
    before = snapshot(node.root)
    r = vzctl(node, "start", "101")
    assert r.exit == 104
    assert "Unable to add netdev eth9: No such device\n" in r.err
    assert set(changed(before, snapshot(node.root))) <= mount_point(101)


@pytest.mark.parametrize("name", ["venet0", "venet", "tun0", "tap3", "lo", "local0", "tunnel"])
def test_netdev_names_of_virtual_devices_are_refused_with_21(node: Host, name: str) -> None:
    """``check_netdev`` refuses names starting with venet, tun, tap or lo
    (``KV:src/lib/config.c``): ``Bad parameter for --netdev_add: NAME``, 21."""
    create_ct(node, 101)
    before = snapshot(node.root)
    r = vzctl(node, "set", "101", "--netdev_add", name, "--save")
    assert r.exit == 21
    assert r.err == f"Bad parameter for --netdev_add: {name}\n"
    assert changed(before, snapshot(node.root)) == []


def test_netdev_add_and_del_live(node: Host) -> None:
    """On a running CT the move happens at once, in ``vps_setup_res`` order: delete, then
    add (``KV:src/lib/net.c:vps_set_netdev``)."""
    create_ct(node, 101)
    start_ct(node, 101)
    ok(node, "set", "101", "--netdev_add", "eth2")
    assert nic_owner(node, "eth2") == 101
    ok(node, "set", "101", "--netdev_del", "eth2", "--netdev_add", "eth1")
    assert (nic_owner(node, "eth1"), nic_owner(node, "eth2")) == (101, None)


def test_a_nic_moved_in_leaves_its_bridge_for_good(tmp_path: Path) -> None:
    """Moving a device to another namespace unregisters it from the old one, which takes
    it off its bridge; coming back it is a plain device again."""
    node = init_host(tmp_path / "node", bridges=["vmbr1=eth2"])
    create_ct(node, 101)
    ok(node, "set", "101", "--netdev_add", "eth2", "--save")
    start_ct(node, 101)
    assert ports(node, "vmbr1") == []
    ok(node, "stop", "101")
    assert nic_owner(node, "eth2") is None
    assert ports(node, "vmbr1") == []


def test_netdev_del_of_a_nic_the_ct_lacks_fails_with_104(node: Host) -> None:
    """``VE_NETDEV_DEL`` of a device not in the CT: ``Unable to del netdev eth2: No such
    device``, 104 (``KV:src/lib/net.c:set_netdev``)."""
    create_ct(node, 101)
    start_ct(node, 101)
    r = vzctl(node, "set", "101", "--netdev_del", "eth2")
    assert r.exit == 104
    assert r.err == "Unable to del netdev eth2: No such device\n"


def test_netdev_add_on_a_stopped_ct_without_save_is_refused_with_31(node: Host) -> None:
    """A stopped CT without --save: vzctl tries to apply and fails
    (``KV:src/lib/net.c:vps_set_netdev``)."""
    create_ct(node, 101)
    before = snapshot(node.root)
    r = vzctl(node, "set", "101", "--netdev_add", "eth1")
    assert r.exit == 31
    assert changed(before, snapshot(node.root)) == []


# == inside the container (KV:src/lib/vps_configure.c, KV:etc/dists/) ================================


def test_ip_addr_inside_lists_venet_veth_and_nics_moved_in(node: Host) -> None:
    """What ``ip addr`` shows inside: lo, venet0 with its IPs, the veth end with its MAC,
    the NIC moved in."""
    create_ct(node, 101)
    ok(
        node,
        "set",
        "101",
        "--ipadd",
        "10.0.0.1",
        "--netif_add",
        "eth0,00:11:22:33:44:55",
        "--netdev_add",
        "eth2",
        "--save",
    )
    start_ct(node, 101)
    text = inside(node, 101, "ip", "addr")
    names = re.findall(r"^\d+: (\S+): <", text, flags=re.M)
    assert names == ["lo", "venet0", "eth0", "eth2"]
    assert "inet 10.0.0.1/32" in text
    assert "link/ether 00:11:22:33:44:55 brd ff:ff:ff:ff:ff:ff" in text


def test_hostname_nameserver_and_searchdomain_are_written_inside_at_start(node: Host) -> None:
    """HOSTNAME, NAMESERVER and SEARCHDOMAIN are applied by the distribution scripts at
    every start (``KV:src/lib/vps_configure.c:vps_dns_configure``)."""
    create_ct(node, 101)
    ok(
        node,
        "set",
        "101",
        "--hostname",
        "ct101.example.org",
        "--nameserver",
        "10.1.1.1",
        "--nameserver",
        "10.1.1.2",
        "--searchdomain",
        "example.org",
        "--save",
    )
    start_ct(node, 101)
    assert inside(node, 101, "hostname") == "ct101.example.org\n"
    resolv = inside(node, 101, "cat", "/etc/resolv.conf")
    assert "search example.org\n" in resolv
    assert re.findall(r"^nameserver (\S+)$", resolv, flags=re.M) == ["10.1.1.1", "10.1.1.2"]


def test_nameserver_inherit_copies_the_nodes_resolv_conf(node: Host) -> None:
    """vz.conf ships ``NAMESERVER=inherit``: ``vps_dns_configure`` reads the node's
    /etc/resolv.conf (``read_resolv_conf``) and passes its nameservers on."""
    create_ct(node, 101)
    start_ct(node, 101)
    host_ns = re.findall(r"^nameserver (\S+)$", (node.root / "etc/resolv.conf").read_text(), flags=re.M)
    resolv = inside(node, 101, "cat", "/etc/resolv.conf")
    assert re.findall(r"^nameserver (\S+)$", resolv, flags=re.M) == host_ns


def test_searchdomain_inherit_copies_the_nodes_search_line(node: Host) -> None:
    """``SEARCHDOMAIN=inherit`` likewise takes the node's search domains."""
    create_ct(node, 101)
    ok(node, "set", "101", "--searchdomain", "inherit", "--save")
    start_ct(node, 101)
    host_search = re.findall(r"^search (.+)$", (node.root / "etc/resolv.conf").read_text(), flags=re.M)
    assert f"search {host_search[0]}\n" in inside(node, 101, "cat", "/etc/resolv.conf")


def test_hostname_set_live_is_seen_at_once(node: Host) -> None:
    """A running CT: ``--hostname`` runs the set_hostname script right away."""
    create_ct(node, 101)
    start_ct(node, 101)
    ok(node, "set", "101", "--hostname", "web1", "--save")
    assert inside(node, 101, "hostname") == "web1\n"
    assert conf_value(node, 101, "HOSTNAME") == "web1"
