"""vzctl parsing details beyond the recordings, each from the vzctl 4.11.1 source."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from simvz.host import Host
from simvz.hostinit import init_host


@pytest.fixture
def node(tmp_path: Path) -> Host:
    host = init_host(tmp_path / "node")
    r = host.run("vzctl", ["vzctl", "create", "101", "--ostemplate", "centos-6-x86"])
    assert r.exit == 0, r.err
    return host


def _conf(host: Host) -> str:
    return (host.root / "etc/vz/conf/101.conf").read_text()


def test_netfilter_in_vz_conf_is_dropped_with_two_warnings(node: Host) -> None:
    """``KV:src/vzctl.c:validate_global_config`` (the missing space is vzctl's)."""
    with open(node.root / "etc/vz/vz.conf", "a") as fh:
        fh.write('NETFILTER="full"\n')
    r = node.run("vzctl", ["vzctl", "set", "101", "--hostname", "h", "--save"])
    assert r.out.splitlines()[:2] == [
        "Warning: NETFILTER should not be set in /etc/vz/vz.conf, ignoring",
        "Please remove NETFILTER from /etc/vz/vz.confto get rid of this warning",
    ]
    assert 'NETFILTER="stateless"' in _conf(node)


def test_features_accumulate_and_never_switch_off_within_one_command(node: Host) -> None:
    """``parse_features`` only ORs bits in; saved in table order (``store_features``)."""
    r = node.run(
        "vzctl", ["vzctl", "set", "101", "--features", "nfs:on", "--features", "nfs:off,ppp:off", "--save"]
    )
    assert r.exit == 0
    assert 'FEATURES="nfs:on ppp:off"' in _conf(node)
    node.run("vzctl", ["vzctl", "set", "101", "--features", "nfs:off", "--save"])
    assert 'FEATURES="nfs:off ppp:off"' in _conf(node)


def test_unknown_feature_in_config_warns_on_stdout_and_keeps_the_rest(node: Host) -> None:
    with open(node.root / "etc/vz/conf/101.conf", "a") as fh:
        fh.write('FEATURES="nfs:on bogus:on"\n')
    r = node.run("vzctl", ["vzctl", "status", "101"])
    assert r.out == "CTID 101 exist unmounted down\n"  # status prints errors only
    r = node.run("vzctl", ["vzctl", "set", "101", "--features", "sit:on", "--save"])
    assert "Warning: Unknown feature: bogus:on\n" in r.out
    assert 'FEATURES="nfs:on sit:on"' in _conf(node)


def test_capabilities_case_insensitive_on_wins_and_old_settings_merge(node: Host) -> None:
    """``get_cap_mask`` uses strcasecmp; ``build_cap_str`` merges with the old setting."""
    node.run("vzctl", ["vzctl", "set", "101", "--capability", "sys_time:off", "--save"])
    node.run("vzctl", ["vzctl", "set", "101", "--capability", "net_admin:on", "--save"])
    assert 'CAPABILITY="NET_ADMIN:on SYS_TIME:off"' in _conf(node)


def test_bad_capability_syntax(node: Host) -> None:
    r = node.run("vzctl", ["vzctl", "set", "101", "--capability", "net_admin", "--save"])
    assert (r.exit, r.err) == (
        21,
        "Can't parse capability net_admin (expecting capname:on|off)\n"
        "Bad parameter for --capability: net_admin\n",
    )


def test_bad_netfilter_in_config(node: Host) -> None:
    with open(node.root / "etc/vz/conf/101.conf", "a") as fh:
        fh.write('NETFILTER="half"\n')
    r = node.run("vzctl", ["vzctl", "set", "101", "--onboot", "yes", "--save"])
    assert "Incorrect netfilter value: half\n" in r.err


@pytest.mark.parametrize(("arg", "stored"), [("10", "10485760"), ("512K", "524288"), ("unlimited", "0")])
def test_iolimit_units(node: Host, arg: str, stored: str) -> None:
    """MB/s on the command line unless a suffix says otherwise (``PARAM_IOLIMIT_MB``)."""
    assert node.run("vzctl", ["vzctl", "set", "101", "--iolimit", arg, "--save"]).exit == 0
    assert f'IOLIMIT="{stored}"' in _conf(node)


def test_name_link_is_read_with_scanf(node: Host) -> None:
    """``get_veid_by_name``: ``sscanf("%d.conf")`` of the target's basename; a dangling
    link does not resolve."""
    names = node.root / "etc/vz/names"
    os.symlink("/etc/vz/conf/101.conf.x", names / "odd")
    os.symlink("/etc/vz/conf/999.conf", names / "gone")
    (node.root / "etc/vz/conf/101.conf.x").write_text("")
    assert node.run("vzctl", ["vzctl", "status", "odd"]).out == "CTID 101 exist unmounted down\n"
    r = node.run("vzctl", ["vzctl", "status", "gone"])
    assert (r.exit, r.err) == (21, "Bad CT ID gone\n")


def test_short_ubc_option_cluster_and_missing_argument(node: Host) -> None:
    """``PARAM_LINE`` short options; getopt's own diagnostics."""
    r = node.run("vzctl", ["vzctl", "set", "101", "-k"])
    assert (r.exit, r.err) == (21, "vzctl: option requires an argument -- 'k'\n")
    r = node.run("vzctl", ["vzctl", "set", "101", "-h"])
    assert (r.exit, r.err) == (20, "Invalid option -h\n")
    r = node.run("vzctl", ["vzctl", "set", "101", "-k1000000", "--save"])
    assert r.exit == 0 and 'KMEMSIZE="1000000"' in _conf(node)


def test_vzlist_acts_on_an_option_before_a_bad_one_in_the_same_cluster(node: Host) -> None:
    """getopt returns ``-L`` before it reads ``x``; vzlist prints the list and exits 0."""
    r = node.run("vzlist", ["vzlist", "-Lx"])
    assert (r.exit, r.out.splitlines()[0].split()) == (0, ["ctid", "CTID"])


def test_applyconfig_map_name_relinks_the_configs_name(node: Host) -> None:
    """``set --applyconfig_map name`` calls ``set_name(veid, NAME, NAME)``
    (``KV:src/vzctl-actions.c:set``): vzmigrate uses it to recreate the name link."""
    with open(node.root / "etc/vz/conf/101.conf", "a") as fh:
        fh.write('NAME="web"\n')
    r = node.run("vzctl", ["vzctl", "set", "101", "--applyconfig_map", "name", "--save"])
    assert r.out.startswith("Name web assigned\n")
    assert os.readlink(node.root / "etc/vz/names/web") == "/etc/vz/conf/101.conf"
    r = node.run("vzctl", ["vzctl", "set", "101", "--applyconfig_map", "name", "--save"])
    assert "Name web assigned" not in r.out  # already this CT's: nothing to do


def test_an_empty_ostemplate_is_kept_and_not_found(tmp_path: Path) -> None:
    """``--ostemplate ''`` is a template name, empty: vzctl looks for
    ``/vz/template/cache/.tar...`` and fails with 91 (``KV:src/lib/create.c:vps_create``),
    it does not fall back to DEF_OSTEMPLATE. libvirt 9.0.0 can send exactly this."""
    host = init_host(tmp_path / "n")
    r = host.run("vzctl", ["vzctl", "create", "102", "--ostemplate", ""])
    assert r.exit == 91
    assert "Cached OS template /vz/template/cache/.tar[.gz|.bz2|.xz] not found\n" in r.err
