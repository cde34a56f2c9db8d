"""/etc/vz/dists as vzctl 4.11.1 installs and reads it (``KV:src/lib/dist.c``,
``KV:etc/dists/Makefile.am``): OSTEMPLATE picks ``<name>.conf``, then ever shorter
prefixes cut at ``-``, then ``default`` with a warning; without ``default`` vzctl refuses
what needs the CT's inside configured, and changes nothing."""

from __future__ import annotations

from simvz.host import Host
from tests.conftest import create_ct, vzctl

CONF = "/etc/vz/conf/101.conf"


def _set_template(host: Host, name: str) -> None:
    text = host.fs.read(CONF) or ""
    host.fs.write(CONF, "".join(ln + "\n" for ln in text.splitlines() if not ln.startswith("OSTEMPLATE=")) +
                  f'OSTEMPLATE="{name}"\n')


def test_init_installs_the_configs_and_scripts(host: Host) -> None:
    for name in ("default", "centos.conf", "debian-3.1.conf", "ubuntu-6.06.conf", "opensuse.conf"):
        assert host.fs.isfile(f"/etc/vz/dists/{name}"), name
    assert "SET_HOSTNAME=redhat-set_hostname.sh\n" in (host.fs.read("/etc/vz/dists/centos.conf") or "")
    assert host.fs.isfile("/etc/vz/dists/scripts/redhat-add_ip.sh")
    # debian-3.conf is installed only under its versions' names
    assert not host.fs.exists("/etc/vz/dists/debian-3.conf")


def test_a_template_with_its_config_sets_the_hostname_without_warning(ct101: Host) -> None:
    r = vzctl(ct101, "set", "101", "--hostname", "ct.example", "--save")
    assert (r.exit, r.err) == (0, "")


def test_an_unknown_distribution_falls_back_to_default_with_a_warning(ct101: Host) -> None:
    _set_template(ct101, "plan9-4-x86")
    r = vzctl(ct101, "set", "101", "--hostname", "ct.example", "--save")
    assert r.exit == 0
    assert r.err == (
        "Warning: configuration file for distribution plan9-4-x86 not found, "
        "using defaults from /etc/vz/dists/default\n"
    )


def test_the_longest_installed_prefix_is_used(ct101: Host) -> None:
    # debian-3.1-ia64 -> debian-3.1.conf (from debian-3.conf), whose ADD_IP script is
    # debian-3.x-add_ip.sh, not debian.conf's debian-add_ip.sh
    _set_template(ct101, "debian-3.1-ia64")
    ct101.fs.remove("/etc/vz/dists/scripts/debian-3.x-add_ip.sh")
    r = vzctl(ct101, "set", "101", "--ipadd", "10.0.0.9", "--save")
    assert r.exit == 0
    assert r.err == "Action script /etc/vz/dists/scripts/debian-3.x-add_ip.sh not found\n"


def test_a_missing_shipped_script_is_reported_and_skipped(ct101: Host) -> None:
    _set_template(ct101, "suse-7.3-i386")  # suse-7.3.conf names a script vzctl does not ship
    r = vzctl(ct101, "set", "101", "--hostname", "h", "--save")
    assert (r.exit, r.err) == (0, "Action script /etc/vz/dists/scripts/suse-7.x_del_ip.sh not found\n")


def test_without_default_set_is_refused_and_nothing_changes(ct101: Host) -> None:
    _set_template(ct101, "plan9-4-x86")
    ct101.fs.remove("/etc/vz/dists/default")
    before = ct101.fs.read(CONF)
    r = vzctl(ct101, "set", "101", "--hostname", "ct.example", "--save")
    assert r.exit == 107
    assert r.err == (
        "Warning: configuration file for distribution plan9-4-x86 not found, "
        "using defaults from /etc/vz/dists/default\n"
        "Distribution configuration file /etc/vz/dists//etc/vz/dists/default not found\n"
        "Error: failed to apply some parameters, not saving configuration file!\n"
    )
    assert ct101.fs.read(CONF) == before


def test_options_applied_outside_the_ct_need_no_distribution_config(ct101: Host) -> None:
    ct101.fs.remove("/etc/vz/dists/default")
    ct101.fs.remove("/etc/vz/dists/centos.conf")
    r = vzctl(ct101, "set", "101", "--cpuunits", "2000", "--save")
    assert (r.exit, r.err) == (0, "")


def test_create_without_any_config_fails_and_leaves_nothing(host: Host) -> None:
    for name in host.fs.listdir("/etc/vz/dists"):
        if name != "scripts":
            host.fs.remove(f"/etc/vz/dists/{name}")
    r = vzctl(host, "create", "101", "--ostemplate", "centos-6-x86")
    assert r.exit == 107
    assert r.err.endswith(
        "Distribution configuration file /etc/vz/dists//etc/vz/dists/default not found\n"
        "Creation of container private area failed\n"
    )
    assert not host.fs.exists(CONF) and not host.fs.listdir("/vz/private")


def test_start_reads_the_config_too(ct101: Host) -> None:
    _set_template(ct101, "plan9-4-x86")
    r = vzctl(ct101, "start", "101")
    assert r.exit == 0
    assert r.err.startswith("Warning: configuration file for distribution plan9-4-x86 not found")
    create_ct(ct101, 102)
