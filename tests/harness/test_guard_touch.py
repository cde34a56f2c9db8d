"""The guard reasons about what a command touches (IDs, names, global options, the
areas a container's config names, migration targets), on simulated hosts: the guard and
the guarded backend run their real code, the node's files and kernel state say what
was touched. Operator containers (outside the range) are checked file by file."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from simvz.backends.guarded import GuardedBackend
from simvz.backends.sim import SimBackend
from simvz.harness.guard import CtidRange, Guard, GuardError
from simvz.host import Host
from simvz.hostinit import init_host
from tests.backends.test_local import local
from tests.conftest import create_ct, start_ct, vzctl

RANGE = CtidRange.parse("990000-990999")
OPERATOR = (101, 1234567)
FULLWIDTH = "\uff19\uff19\uff10\uff10\uff10\uff15"  # 990005 in fullwidth digits


@pytest.fixture
def node(tmp_path: Path) -> Host:
    """Operator containers: 101 named ``-S``, running; 1234567 named FULLWIDTH
    (990005 in fullwidth digits), stopped. Range containers: 990001 named ``destroy``, stopped;
    990002 running."""
    n = init_host(tmp_path / "node")
    for ctid in (101, 1234567, 990001, 990002):
        create_ct(n, ctid)
    assert vzctl(n, "set", "101", "--name", "-S", "--save").exit == 0
    # vzctl's check_name refuses such a name; a link made by hand (or another tool) is
    # still what get_veid_by_name follows
    os.symlink("/etc/vz/conf/1234567.conf", n.fs.real(f"/etc/vz/names/{FULLWIDTH}"))
    n.fs.write(
        "/etc/vz/conf/1234567.conf", (n.fs.read("/etc/vz/conf/1234567.conf") or "") + f'NAME="{FULLWIDTH}"\n'
    )
    assert vzctl(n, "set", "990001", "--name", "destroy", "--save").exit == 0
    start_ct(n, 101)
    start_ct(n, 990002)
    return n


def guard(n: Host) -> Guard:
    """The guard of a simulated host (no root, no /proc/vz checks)."""
    return Guard(SimBackend(n), RANGE, real=False)


def operator(n: Host) -> dict[int, tuple[str, bool]]:
    """Per operator container: a digest of its config and private area, and whether it
    runs: what no guarded command may change."""
    out = {}
    for ctid in OPERATOR:
        h = hashlib.sha256(n.fs.real(f"/etc/vz/conf/{ctid}.conf").read_bytes())
        for p in sorted(n.fs.real(f"/vz/private/{ctid}").rglob("*")):
            h.update(str(p).encode() + (p.read_bytes() if p.is_file() and not p.is_symlink() else b""))
        out[ctid] = (h.hexdigest(), "running" in vzctl(n, "status", str(ctid)).out)
    return out


def refused(n: Host, argv: list[str]) -> str:
    """Run ``argv`` through the guarded backend; the guard's refusal (the test fails if
    the command ran)."""
    g = guard(n)
    since = len(n.journal())
    with pytest.raises(GuardError) as err:
        GuardedBackend(g.host, g).run(argv)
    assert [e["argv"][0] for e in n.journal()[since:] if e["tool"] != "vzlist"] == []
    return str(err.value)


# -- item: global options --------------------------------------------------------------------


def test_vzctl_global_options_are_read_as_vzctl_reads_them(node: Host) -> None:
    """``--skiplock`` is one of vzctl's global options: the CT is the word after the
    command, whatever a range container is named (990001 is named ``destroy``)."""
    before = operator(node)
    text = refused(node, ["vzctl", "--skiplock", "destroy", "1234567"])
    assert "would touch container 1234567, outside the reserved range" in text
    refused(node, ["vzctl", "--quiet", "--skiplock", "--verbose", "stop", "101"])
    assert operator(node) == before
    guard(node).check(["vzctl", "--skiplock", "--quiet", "stop", "990002"])  # in range: allowed
    guard(node).check(["vzctl", "--quiet", "status", "1234567"])  # only looks


def test_options_after_the_command_are_not_global_options(node: Host) -> None:
    """vzctl strips them only before the command: ``vzctl destroy --quiet 990001`` names
    the CT ``--quiet`` (no such name: vzctl says "Bad CT ID"), which the guard refuses."""
    assert "refused: vzctl destroy --quiet 990001" in refused(node, ["vzctl", "destroy", "--quiet", "990001"])


# -- item: names beginning with '-' --------------------------------------------------------


def test_a_name_beginning_with_a_dash_is_looked_up_as_a_name(node: Host) -> None:
    """``vzctl stop -S``: ``-S`` is CT 101's name, not vzlist's "stopped" option."""
    before = operator(node)
    assert "would touch container -S, outside the reserved range" in refused(node, ["vzctl", "stop", "-S"])
    assert operator(node) == before and before[101][1]  # 101 still runs


def test_a_name_of_a_range_container_is_allowed(node: Host) -> None:
    guard(node).check(["vzctl", "start", "destroy"])


# -- item: vzmigrate ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["vzmigrate", "990001", "101"],  # the destination is in range, the CT is not
        ["vzmigrate", "--online", "990002", "101"],
        ["vzmigrate", "host", "101", "990001"],  # too many operands
        ["vzmigrate", "--ssh=-oProxyCommand=rm -rf /vz", "host", "990001"],
        ["vzmigrate", "--bogus", "host", "990001"],
        ["vzmigrate", "host", "\uff19\uff19\uff10\uff10\uff10\uff11"],
    ],
)
def test_vzmigrate_must_move_exactly_one_container_of_the_range(node: Host, argv: list[str]) -> None:
    refused(node, argv)


def test_vzmigrate_of_a_range_container_is_allowed(node: Host) -> None:
    guard(node).check(["vzmigrate", "-r", "no", "--online", "otherhost", "990002"])


# -- item: Unicode digits ------------------------------------------------------------------------


@pytest.mark.parametrize("word", [FULLWIDTH, "\u0669\u0669\u0660\u0660\u0660\u0665", "990005\u0663"])
def test_unicode_digits_are_no_ct_id(node: Host, word: str) -> None:
    """vzctl's ``parse_int`` takes ASCII digits only: anything else is a name, here the
    fullwidth one of operator container 1234567 (or none)."""
    before = operator(node)
    refused(node, ["vzctl", "destroy", word])
    assert operator(node) == before


def test_cleanup_leaves_directories_named_in_other_digits_alone(node: Host) -> None:
    """``/vz/private/<990005 in fullwidth digits>`` is no leftover of CT 990005."""
    node.fs.write(f"/vz/private/{FULLWIDTH}/keep", "operator data\n")
    node.fs.write("/vz/private/0990005/keep", "operator data\n")
    guard(node).cleanup_all()
    assert node.fs.read(f"/vz/private/{FULLWIDTH}/keep") == node.fs.read("/vz/private/0990005/keep")
    assert node.fs.read("/vz/private/0990005/keep") == "operator data\n"


# -- item: private and root areas -------------------------------------------------------------


def _link(n: Host, path: str, target: str) -> None:
    os.symlink(target, n.fs.real(path))


@pytest.mark.parametrize(
    "private",
    [
        "/vz/private/101",
        "/vz/private/./101",
        "/vz/private//101/",
        "/vz/private/990005/../101",
        "/vz/private/oplink",  # a symlink to /vz/private/101
        "/vz/private/$VEID/../101",
    ],
)
def test_cleanup_never_destroys_a_range_container_whose_private_area_is_another(
    node: Host, private: str
) -> None:
    """As libvirt's driver writes VE_PRIVATE for ``<filesystem type='mount'>``
    (openvz_driver.c:openvzSetInitialConfig): the config of 990005 names CT 101's
    private area. The cleanup leaves 990005 alone and fails loudly."""
    _link(node, "/vz/private/oplink", "/vz/private/101")
    create_ct(node, 990005)
    conf = node.fs.read("/etc/vz/conf/990005.conf") or ""
    node.fs.write("/etc/vz/conf/990005.conf", conf + f'VE_PRIVATE="{private}"\n')
    before = operator(node)
    since = len(node.journal())
    with pytest.raises(
        GuardError, match="container 990005 left alone: refused: the config of container 990005"
    ):
        guard(node).cleanup_all()
    assert operator(node) == before
    assert not [e for e in node.journal()[since:] if "990005" in e["argv"] and "status" not in e["argv"]]
    assert not node.fs.exists("/etc/vz/conf/990002.conf")  # the others were cleaned up


def test_cleanup_never_follows_a_leftover_symlink(node: Host, tmp_path: Path) -> None:
    """A range leftover that is a link (to an operator's area, or out of the node)."""
    canary = tmp_path / "canary"
    (canary / "990008").mkdir(parents=True)
    (canary / "990008" / "data").write_text("outside\n")
    _link(node, "/vz/private/990007", "/vz/private/101")
    _link(node, "/vz/private/990008", str(canary / "990008"))
    _link(node, "/vz/dump/Dump.990009", "/vz/private/101/etc/issue")
    before = operator(node)
    with pytest.raises(GuardError) as err:
        guard(node).cleanup_all()
    assert "/vz/private/990007 left alone" in str(err.value)
    assert "/vz/private/990008 left alone" in str(err.value)
    assert "/vz/dump/Dump.990009 left alone" in str(err.value)
    assert operator(node) == before and (canary / "990008" / "data").read_text() == "outside\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["vzctl", "set", "990001", "--private", "/vz/private/1234567", "--save"],
        ["vzctl", "set", "990001", "--root=/vz/root/101", "--save"],
        ["vzctl", "create", "990005", "--ostemplate", "centos-6-x86", "--private", "/vz/private/./101"],
        ["vzctl", "create", "990005", "--private", "/tmp/elsewhere/$VEID"],
        ["vzctl", "set", "990001", "--private", "relative/990001", "--save"],
        ["vzctl", "chkpnt", "990002", "--dumpfile", "/vz/private/101/etc/issue"],
        ["vzctl", "restore", "990002", "--dumpfile", "/vz/dump/Dump.101"],
        ["vzctl", "set", "990001", "--frobnicate", "--save"],  # unreadable: refused
        ["vzctl", "frobnicate", "990001"],
    ],
)
def test_a_command_setting_an_area_that_is_not_the_containers_own_is_refused(
    node: Host, argv: list[str]
) -> None:
    before = operator(node)
    refused(node, argv)
    assert operator(node) == before


def test_a_config_sample_naming_another_area_is_refused(node: Host) -> None:
    node.fs.write("/etc/vz/conf/ve-evil.conf-sample", 'VE_PRIVATE="/vz/private/101"\n')
    assert "config sample 'evil' sets VE_PRIVATE" in refused(
        node, ["vzctl", "set", "990001", "--applyconfig", "evil", "--save"]
    )


def test_every_command_on_a_range_container_whose_config_leads_elsewhere_is_refused(node: Host) -> None:
    """Not only the cleanup: ``vzctl start`` would mount CT 101's private area."""
    conf = node.fs.read("/etc/vz/conf/990001.conf") or ""
    node.fs.write("/etc/vz/conf/990001.conf", conf + 'VE_PRIVATE="/vz/private/101"\n')
    before = operator(node)
    assert "not the area /vz/private/990001 of container 990001" in refused(
        node, ["vzctl", "start", "990001"]
    )
    assert operator(node) == before


def test_an_area_of_the_range_an_operator_container_uses_is_refused(node: Host) -> None:
    """Operator CT 1234567 (outside) keeps its data in /vz/private/990003: a range
    container 990003 must not be created over it, nor the leftover removed."""
    conf = node.fs.read("/etc/vz/conf/1234567.conf") or ""
    node.fs.write("/etc/vz/conf/1234567.conf", conf + 'VE_PRIVATE="/vz/private/990003"\n')
    node.fs.write("/vz/private/990003/data", "operator data\n")
    assert "overlaps an area of container 1234567" in refused(
        node, ["vzctl", "create", "990003", "--ostemplate", "centos-6-x86"]
    )
    with pytest.raises(GuardError, match="container 1234567, outside the reserved range, uses it"):
        guard(node).cleanup_all()
    assert node.fs.read("/vz/private/990003/data") == "operator data\n"


@pytest.mark.parametrize("path", ["/etc/990005", "/vz/private/990005/../101", "/vz/private/./990005x"])
def test_a_private_area_is_prepared_only_where_vz_conf_puts_the_containers(node: Host, path: str) -> None:
    g = guard(node)
    with pytest.raises(GuardError, match="is no private area of the reserved range"):
        GuardedBackend(g.host, g).prepare_private(path, "centos-6-x86")
    assert not node.fs.exists("/etc/990005")


def test_a_private_area_behind_a_symlink_is_not_prepared(node: Host) -> None:
    _link(node, "/vz/private/990005", "/vz/private/101")
    g = guard(node)
    before = operator(node)
    with pytest.raises(GuardError, match="is no private area of the reserved range"):
        GuardedBackend(g.host, g).prepare_private("/vz/private/990005", "centos-6-x86")
    assert operator(node) == before


def test_the_real_host_backend_resolves_symlinks_as_the_kernel_does(node: Host, tmp_path: Path) -> None:
    """Under the shim (this machine's "OpenVZ host" is the node), with a link out of it."""
    _link(node, "/vz/private/oplink", "/vz/private/101")
    _link(node, "/vz/private/990008", str(tmp_path))
    assert local(node, "b.resolve('/vz/private/oplink')") == "/vz/private/101"
    assert local(node, "b.resolve('/vz/private/990008/x')") == f"{tmp_path}/x"
    assert local(node, "b.resolve('/vz/private/./990009/../101')") == "/vz/private/101"
    text = local(node, "Guard(b, CtidRange(990000, 990999), real=False).check(['vzctl', 'start', '990008'])")
    assert text["raised"][0] == "GuardError" and "not the area /vz/private/990008" in text["raised"][1]
