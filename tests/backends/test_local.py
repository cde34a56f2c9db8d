"""The real-host backend's observations, each made by its unchanged code under the
preload shim (what ``simvz run DIR -- ...`` does), so the machine's own "OpenVZ host"
is a simulated node whose state the test knows: every observation must agree with the
simulator's own view (``simvz inspect``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from simvz.backends.base import Unavailable
from simvz.backends.local import LocalBackend, parse_brctl_show, parse_ip_addr_blocks, parse_ip_link
from simvz.backends.sim import SimBackend
from simvz.harness import shim
from simvz.host import Host
from simvz.hostinit import init_host
from tests.conftest import create_ct, start_ct, vzctl

ROOT = Path(__file__).resolve().parents[2]


def local(node: Host, expr: str) -> Any:
    """``expr`` (``b = LocalBackend()``; ``Guard``, ``CtidRange`` imported) evaluated in
    a process that sees ``node`` as this machine's OpenVZ host; its value as JSON, or
    ``{"raised": [type, message]}``."""
    script = (
        "import json, sys\n"
        "from simvz.backends.local import LocalBackend\n"
        "from simvz.harness.guard import CtidRange, Guard\n"
        "b = LocalBackend()\n"
        f"try:\n    out = {expr}\n"
        "except Exception as err:\n    out = {'raised': [type(err).__name__, str(err)]}\n"
        "print(json.dumps(out, default=str))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=shim.environ(node.root), cwd=ROOT,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def busy(tmp_path: Path) -> Host:
    """CT 990101 running with a bridged veth, a venet IP and eth1 passed through; CT
    990102 mounted; CT 990103 stopped; a bridge br5 with eth2 as a port."""
    node = init_host(tmp_path / "node", bridges=["br5=eth2"])
    create_ct(node, 990101, extra=["--ipadd", "10.0.0.5"])
    argv = ["set", "990101", "--netif_add", "eth0,00:11:22:33:44:55", "--netdev_add", "eth1", "--save"]
    assert vzctl(node, *argv).exit == 0
    start_ct(node, 990101)
    create_ct(node, 990102)
    assert vzctl(node, "mount", "990102").exit == 0
    create_ct(node, 990103)
    return node


def test_containers_and_their_status_are_what_vzlist_and_vzctl_status_say(busy: Host) -> None:
    seen = local(busy, "b.inspect()")["containers"]
    sim = SimBackend(busy).inspect()["containers"]
    assert [c["ctid"] for c in seen] == [c["ctid"] for c in sim] == [990101, 990102, 990103]
    for mine, truth in zip(seen, sim, strict=True):
        assert mine["status"] == truth["status"], mine["ctid"]
        assert mine["ips"] == truth["ips"]


def test_a_running_containers_interfaces_match_the_simulators(busy: Host) -> None:
    """venet0's IPs (``vzctl exec ip addr``), the veth pair (/proc/vz/veth) with its
    bridge (``brctl show``), and the NIC moved in."""
    seen = local(busy, "b.inspect()")["containers"][0]["interfaces"]
    truth = SimBackend(busy).inspect()["containers"][0]["interfaces"]
    assert seen == truth
    assert seen["veth"][0]["mac"] == "00:11:22:33:44:55" and seen["veth"][0]["bridge"] == "vmbr0"
    assert seen["netdev"] == ["eth1"] and seen["venet0"] == ["10.0.0.5"]


def test_the_host_network_nics_bridges_and_routes_match_the_simulators(busy: Host) -> None:
    seen = local(busy, "b.inspect()")["network"]
    truth = SimBackend(busy).inspect()["network"]
    assert seen["routes"] == truth["routes"]
    assert {b["name"]: b["ports"] for b in seen["bridges"]} == {
        b["name"]: b["ports"] for b in truth["bridges"]
    }
    owners = {n["name"]: (n["owner"], n["addr"]) for n in seen["nics"]}
    assert owners == {n["name"]: (n["owner"], n["addr"]) for n in truth["nics"]}
    assert owners["eth1"] == (990101, "")  # given away: seen inside CT 990101 only


def test_config_status_and_version_are_read_from_the_hosts_files_and_tools(busy: Host) -> None:
    assert local(busy, "b.config(990101)['IP_ADDRESS']") == "10.0.0.5"
    assert local(busy, "b.status(990103)") == {
        "exist": True,
        "mounted": False,
        "running": False,
        "suspended": False,
    }
    assert local(busy, "b.vzctl_version()") == "4.11.1"
    describe = local(busy, "b.describe()")
    assert describe.startswith("real OpenVZ host ") and "OpenVZ 042stab120.11" in describe
    assert describe.endswith("vzctl 4.11.1)")
    assert local(busy, "b.read('/etc/vz/conf/990103.conf')") == (busy.fs.read("/etc/vz/conf/990103.conf"))
    assert local(busy, "b.read('/etc/vz/conf/5.conf')") is None
    assert "990101.conf" in local(busy, "b.list_dir('/etc/vz/conf')")


def test_run_uses_the_hosts_tools_by_absolute_path(busy: Host) -> None:
    r = local(busy, "(lambda r: [r.exit, r.stdout])(b.run(['vzctl', 'status', '990101']))")
    assert r == [0, "CTID 990101 exist mounted running\n"]
    assert local(busy, "b.run(['rm', '-rf', '/'])")["raised"][0] == "ValueError"


def test_checks_of_what_a_scenario_needs_never_arrange_anything(busy: Host) -> None:
    """A real host is only checked: each lack is an Unavailable with its reason."""
    assert local(busy, "b.ensure_bridge('vmbr0')") is None
    assert local(busy, "b.ensure_template('centos-6-x86')") is None
    lacks = {
        "b.ensure_bridge('eth10')": "the host has no bridge 'eth10'",
        "b.ensure_template('nosuch')": "no OS template 'nosuch'",
        "b.ensure_spare_nic('eth0')": "carries the host's address 192.0.2.10/24",
        "b.ensure_spare_nic('eth1')": "inside container 990101",
        "b.ensure_spare_nic('eth2')": "is a port of bridge 'br5'",
        "b.ensure_spare_nic('eth9')": "the host has no NIC 'eth9'",
    }
    for expr, why in lacks.items():
        raised = local(busy, expr)["raised"]
        assert raised[0] == Unavailable.__name__ and why in raised[1], (expr, raised)
    assert "eth10" not in {b["name"] for b in SimBackend(busy).inspect()["network"]["bridges"]}


def test_prepare_private_unpacks_the_template_and_remove_tree_removes_it(busy: Host) -> None:
    assert local(busy, "b.prepare_private('/vz/private/990104', 'centos-6-x86')") is None
    assert busy.fs.exists("/vz/private/990104/etc/redhat-release") or busy.fs.exists("/vz/private/990104/etc")
    assert local(busy, "b.remove_tree('/vz/private/990104')") is None
    assert not busy.fs.exists("/vz/private/990104")


def test_parsers_read_the_formats_of_rhel6_era_tools_too() -> None:
    """iproute 2.6.32 (RHEL6) prints no ``mode``/``group``; bridge-utils 1.2 the same
    columns as 1.7."""
    links = parse_ip_link(
        "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 16436 qdisc noqueue state UNKNOWN "
        "\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"
        "4: veth101.0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master vmbr0 state UNKNOWN "
        "\\    link/ether 00:18:51:AB:CD:EF brd ff:ff:ff:ff:ff:ff\n"
    )
    assert [(k.name, k.kind, k.mac, k.master) for k in links] == [
        ("lo", "link/loopback", "", None),
        ("veth101.0", "link/ether", "00:18:51:ab:cd:ef", "vmbr0"),
    ]
    brctl = (
        "bridge name\tbridge id\t\tSTP enabled\tinterfaces\n"
        "vmbr0\t\t8000.001851abcdef\tno\t\tveth101.0\n\t\t\t\t\t\t\tveth102.0\n"
        "br1\t\t8000.000000000000\tno\t\t\n"
    )
    assert parse_brctl_show(brctl) == {"vmbr0": ["veth101.0", "veth102.0"], "br1": []}
    inside = parse_ip_addr_blocks(
        "2: venet0: <BROADCAST,POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1500 qdisc noqueue state UNKNOWN \n"
        "    link/void \n    inet 127.0.0.2/32 scope host venet0\n"
        "    inet 10.0.0.5/32 brd 10.0.0.5 scope global venet0:0\n"
    )
    assert inside["venet0"].globals == ("10.0.0.5",)


def test_this_machine_without_an_openvz_kernel_is_refused_before_anything_runs() -> None:
    """No shim: the real /proc/vz of this machine is absent, as on any non-OpenVZ host."""
    from simvz.harness.guard import CtidRange, Guard, GuardError

    if Path("/proc/vz").exists():
        pytest.fail("this test expects a machine without an OpenVZ kernel")
    with pytest.raises(GuardError, match="not an OpenVZ host: /proc/vz does not exist"):
        Guard(LocalBackend(), CtidRange.parse("990000-990999")).preflight()


def test_the_guard_lets_it_look_inside_only_the_containers_of_the_range(busy: Host) -> None:
    """``vzctl exec`` runs inside the reserved range's containers only: an operator's
    running container is listed with its status, and nothing is run inside it."""
    create_ct(busy, 101)
    start_ct(busy, 101)
    since = len(busy.journal())
    cts = local(busy, "LocalBackend(inside=range(990000, 991000)).inspect()['containers']")
    seen = {c["ctid"]: c for c in cts}
    assert seen[101]["status"]["running"] and seen[101]["interfaces"] is None
    assert seen[990101]["interfaces"]["venet0"] == ["10.0.0.5"]
    execs = [e["argv"][1:3] for e in busy.journal()[since:] if e["argv"][1:2] == ["exec"]]
    assert execs == [["exec", "990101"]]
