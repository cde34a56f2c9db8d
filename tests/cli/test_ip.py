"""The node's host-side ``ip`` and ``brctl``: what the administrator (and the real-host
backend's observation code, under the shim) sees of the node's network."""

from __future__ import annotations

from simvz.host import Host
from simvz.hostinit import init_host
from tests.conftest import create_ct, start_ct, vzctl


def ip(host: Host, *args: str) -> str:
    r = host.run("ip", ["ip", *args])
    assert r.exit == 0, r.err
    return r.out


def brctl(host: Host, *args: str) -> tuple[int, str, str]:
    r = host.run("brctl", ["brctl", *args])
    return r.exit, r.out, r.err


def test_ip_link_shows_veth_host_ends_with_their_bridge_and_hides_a_nic_given_away(host: Host) -> None:
    create_ct(host, 101, extra=["--ipadd", "10.0.0.5"])
    assert vzctl(host, "set", "101", "--netif_add", "eth0", "--netdev_add", "eth1", "--save").exit == 0
    before = ip(host, "-o", "link", "show")
    assert "eth1:" in before and "veth101.0" not in before
    start_ct(host, 101)
    links = {line.split(": ")[1]: line for line in ip(host, "-o", "link").splitlines()}
    assert "eth1" not in links  # moved into CT 101 while it runs
    assert " master vmbr0 " in links["veth101.0"]
    assert "\\    link/ether " in links["veth101.0"]  # -o joins the lines with a backslash
    assert links["lo"].startswith("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536")


def test_ip_addr_and_route_show_the_hosts_addresses_and_venet_routes(host: Host) -> None:
    create_ct(host, 101, extra=["--ipadd", "10.0.0.5"])
    start_ct(host, 101)
    addrs = ip(host, "-o", "-4", "addr", "show").splitlines()
    assert any(a.split()[1:4] == ["eth0", "inet", "192.0.2.10/24"] for a in addrs)
    routes = ip(host, "route", "show").splitlines()
    assert "10.0.0.5 dev venet0 scope link " in routes
    assert routes[0] == "default via 192.0.2.1 dev eth0 "


def test_brctl_show_lists_ports_first_on_the_bridge_line_then_one_per_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    node = init_host(tmp_path / "n", bridges=["br5=eth1,eth2"])
    code, out, _ = brctl(node, "show", "br5")
    assert code == 0
    assert out.splitlines() == [
        "bridge name\tbridge id\t\tSTP enabled\tinterfaces",
        f"br5\t\t8000.{min(_mac(node, 'eth1'), _mac(node, 'eth2')).replace(':', '')}\tno\t\teth1",
        "\t\t\t\t\t\t\teth2",
    ]


def _mac(host: Host, nic: str) -> str:
    return host.kernel.net.nics[nic].mac.lower()


def test_brctl_show_of_a_missing_bridge_says_so_and_exits_1(host: Host) -> None:
    code, out, err = brctl(host, "show", "nosuch")
    assert (code, err) == (1, "bridge nosuch does not exist!\n")
    assert out.startswith("bridge name")


def test_an_invocation_not_emulated_fails_loudly_listing_what_is(host: Host) -> None:
    for tool, args in (("ip", ["ip", "link", "set", "eth1", "down"]), ("brctl", ["brctl", "addbr", "x"])):
        before = host.kernel.net.to_json()
        r = host.run(tool, args)
        assert r.exit == 20
        assert "is not emulated" in r.err and "emulated:" in r.err
        assert Host(host.root).kernel.net.to_json() == before
