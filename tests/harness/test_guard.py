"""The real-host safety guard, proven on simulated hosts: the real-host backend's code
runs unchanged under the preload shim (as ``simvz run DIR -- pytest --vz-host local``),
and afterwards the test looks at the node's files, containers and journal."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from simvz.backends.sim import SimBackend
from simvz.harness import shim
from simvz.harness.guard import CtidRange, GuardError
from simvz.host import Host
from simvz.hostinit import init_host
from simvz.hostview import HostView
from tests.backends.test_local import local
from tests.conftest import create_ct, start_ct, vzctl

TEST_MODULE = "from pytest_bdd import scenarios\n\nscenarios('features')\n"
READ_ONLY = {"status"}  # the one vzctl command that may name a container outside the range


def project(tmp_path: Path, feature: str) -> Path:
    """A driver developer's project: one feature and a test module."""
    proj = tmp_path / "proj"
    (proj / "features").mkdir(parents=True)
    (proj / "features" / "guard.feature").write_text(feature)
    (proj / "test_guard_scenarios.py").write_text(TEST_MODULE)
    return proj


def run_local(node: Host, proj: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest --vz-host local in ``proj``, seeing ``node`` as this machine's host."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--vz-host", "local", *args]
    return subprocess.run(
        cmd, cwd=proj, env=shim.environ(node.root), capture_output=True, text=True, check=False
    )


def tree(node: Host) -> tuple[str, HostView]:
    """The node as its administrator sees it: a digest of its files (configs, private
    areas; not /proc, whose counters move with every command, nor the simulator's own
    bookkeeping) and ``simvz inspect``."""
    h = hashlib.sha256()
    for p in sorted(node.root.rglob("*")):
        parts = p.relative_to(node.root).parts
        if p.is_file() and not p.is_symlink() and parts[0] not in (".simvz", "proc"):
            h.update(str(p.relative_to(node.root)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest(), SimBackend(Host(node.root)).inspect()


def tagged(node: Host, ctid: int) -> None:
    """A container outside the range libvirt has already seen (its #UUID line)."""
    create_ct(node, ctid)
    conf = f"/etc/vz/conf/{ctid}.conf"
    node.fs.write(conf, node.fs.real(conf).read_text() + f"#UUID: 5e1f0000-0000-4000-8000-{ctid:012d}\n")


def touched(node: Host, ctid: int, since: int) -> list[list[str]]:
    """vzctl commands in the node's journal (from entry ``since``) that could change CT
    ``ctid``, or run anything inside it (``exec``)."""
    out = []
    for e in node.journal()[since:]:
        words = [a for a in e["argv"][1:] if a not in ("--quiet", "--verbose")]
        if e["tool"] == "vzctl" and len(words) > 1 and words[1] == str(ctid) and words[0] not in READ_ONLY:
            out.append(e["argv"])
    return out


@pytest.fixture
def node(tmp_path: Path) -> Host:
    """A host the operator uses: CT 101 (outside the range, the same number as a scenario
    container) running, already tagged by libvirt; the spare NIC eth1."""
    n = init_host(tmp_path / "node")
    tagged(n, 101)
    assert vzctl(n, "set", "101", "--name", "web", "--ipadd", "10.0.0.101", "--save").exit == 0
    start_ct(n, 101)
    return n


FAILS_MIDWAY = """\
Feature: Guard
  Scenario: A scenario fails midway with a container running, bridged, with a NIC and an IP
    Given the host has a spare NIC "eth1"
    And the administrator runs "vzctl create 101 --ostemplate centos-6-x86"
    And the administrator runs "vzctl set 101 --netif_add eth0 --netdev_add eth1 --ipadd 10.0.0.7 --save"
    And the administrator runs "vzctl start 101"
    Then container 101 is suspended
"""


def test_a_scenario_failing_midway_is_still_cleaned_up_and_host_wide_changes_undone(
    node: Host, tmp_path: Path
) -> None:
    before_net = SimBackend(node).inspect()["network"]
    outside = node.fs.read("/etc/vz/conf/101.conf")
    since = len(node.journal())
    done = run_local(node, project(tmp_path, FAILS_MIDWAY))
    assert done.returncode == 1, done.stdout
    assert "1 failed" in done.stdout and "suspended" in done.stdout
    view = SimBackend(Host(node.root)).inspect()
    assert [c["ctid"] for c in view["containers"]] == [101]  # 990101 destroyed
    assert node.fs.exists("/etc/vz/conf/990101.conf.destroyed") and not node.fs.exists("/vz/private/990101")
    assert view["network"] == before_net  # eth1 back, no veth port on vmbr0, no 10.0.0.7 route
    assert node.fs.read("/etc/vz/conf/101.conf") == outside
    assert view["containers"][0]["status"]["running"]
    assert touched(node, 101, since) == []


def test_a_command_naming_a_container_outside_the_range_is_refused(node: Host, tmp_path: Path) -> None:
    """By number (too big to be a scenario ID, so untranslated) and by NAME."""
    feature = """\
Feature: Guard
  Scenario: Stop by number
    When the administrator runs "vzctl stop 1234567"
  Scenario: Stop by name
    When the administrator runs "vzctl stop web"
"""
    tagged(node, 1234567)
    start_ct(node, 1234567)
    since = len(node.journal())
    done = run_local(node, project(tmp_path, feature))
    assert "2 failed" in done.stdout
    assert "would touch container 1234567, outside the reserved range 990000-990999" in done.stdout
    assert "would touch container web, outside the reserved range" in done.stdout
    assert touched(node, 101, since) == [] and touched(node, 1234567, since) == []
    cts = {c["ctid"]: c["status"]["running"] for c in SimBackend(Host(node.root)).inspect()["containers"]}
    assert cts == {101: True, 1234567: True}


def test_the_run_refuses_to_start_when_the_range_is_taken_and_changes_nothing(
    node: Host, tmp_path: Path
) -> None:
    create_ct(node, 990209)
    digest = tree(node)
    done = run_local(node, project(tmp_path, FAILS_MIDWAY))
    assert done.returncode == 4
    assert "containers 990209 exist in the reserved range 990000-990999" in done.stderr
    assert "--vz-force-clean" in done.stderr
    assert tree(node) == digest


def test_force_clean_destroys_exactly_the_containers_of_the_range(node: Host, tmp_path: Path) -> None:
    create_ct(node, 990209)
    start_ct(node, 990209)
    tagged(node, 991000)  # just past the range
    since = len(node.journal())
    passing = 'Feature: Guard\n  Scenario: Nothing\n    Given the host has a bridge "vmbr0"\n'
    done = run_local(node, project(tmp_path, passing), "--vz-force-clean")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "simvz guard: vzctl stop 990209 --fast" in done.stdout
    assert "simvz guard: vzctl destroy 990209" in done.stdout
    ids = [c["ctid"] for c in SimBackend(Host(node.root)).inspect()["containers"]]
    assert ids == [101, 991000]
    assert touched(node, 101, since) == [] and touched(node, 991000, since) == []


def test_configs_the_driver_would_tag_outside_the_range_stop_the_run(node: Host, tmp_path: Path) -> None:
    create_ct(node, 102)  # no #UUID line yet: libvirt's connect would append one
    digest = tree(node)
    done = run_local(node, project(tmp_path, FAILS_MIDWAY))
    assert done.returncode == 4
    assert "containers 102 (outside the reserved range) have no #UUID line" in done.stderr
    assert "openvzAssignUUIDs" in done.stderr and "--vz-accept-uuid-tags" in done.stderr
    assert tree(node) == digest


def test_the_dry_run_lists_what_would_be_touched_and_touches_nothing(node: Host, tmp_path: Path) -> None:
    create_ct(node, 990005)
    create_ct(node, 102)
    digest = tree(node)
    feature = FAILS_MIDWAY + '\n  Scenario: Bridged\n    Given the host has a bridge "eth10"\n'
    done = run_local(node, project(tmp_path, feature), "--vz-dry-run")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stderr  # the run would be refused
    assert "simvz dry run: the guard would refuse this run" in done.stderr
    out = done.stdout
    assert "simvz dry run: nothing is changed" in out
    assert "containers the scenarios create and destroy: 990101" in out
    assert "containers already in the range (block the run): 990005" in out
    assert "refused: containers 990005 exist in the reserved range" in out
    assert "containers outside the range (never touched by simvz): 101, 102" in out
    assert "libvirt's driver would tag with a #UUID line on connect: 102" in out
    assert "needs nic eth1: present" in out and "needs template centos-6-x86: present" in out
    assert "needs bridge eth10: missing" in out
    assert tree(node) == digest
    allowed = run_local(
        node, project(tmp_path / "again", feature),
        "--vz-dry-run", "--vz-force-clean", "--vz-accept-uuid-tags",
    )
    assert allowed.returncode == 0, allowed.stderr
    assert "(would be destroyed first (--vz-force-clean)): 990005" in allowed.stdout
    assert "refused:" not in allowed.stdout
    assert tree(node) == digest


def test_a_scenario_needing_what_the_host_lacks_is_skipped_with_the_reason(
    node: Host, tmp_path: Path
) -> None:
    feature = (
        "Feature: Guard\n  Scenario: Bridged\n"
        '    Given the host has a bridge "eth10"\n    Then container 5 exists on the host\n'
    )
    done = run_local(node, project(tmp_path, feature), "-rs")
    assert done.returncode == 0
    assert "the host lacks what this scenario needs: the host has no bridge 'eth10'" in done.stdout
    assert "eth10" not in [b["name"] for b in SimBackend(Host(node.root)).inspect()["network"]["bridges"]]


def test_a_real_host_run_needs_root(node: Host) -> None:
    """The euid is handed in: the test cannot drop root for the shim's process."""
    raised = local(node, "Guard(b, CtidRange(990000, 990999)).preflight(euid=1000)")
    assert raised["raised"] == ["GuardError", "the real-host run needs root: vzctl refuses any other user"]


def test_a_host_without_proc_vz_is_refused(tmp_path: Path) -> None:
    bare = init_host(tmp_path / "bare")
    shutil.rmtree(bare.fs.real("/proc/vz"))
    done = run_local(bare, project(tmp_path, FAILS_MIDWAY))
    assert done.returncode == 4
    assert "this machine is not an OpenVZ host: /proc/vz does not exist" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vz-ctid-range", "5-10"], "need 100 < FIRST <= LAST"),
        (["--vz-ctid-range", "990000"], "expected FIRST-LAST"),
        (["-n", "2"], "--vz-host local runs one scenario at a time"),
        (["--libvirt-build", "/nonexistent"], "--libvirt-build /nonexistent: no such directory"),
        (["--libvirt-build", "/etc/passwd"], "--libvirt-build /etc/passwd: not a directory (give the build"),
    ],
)
def test_bad_options_are_refused_before_the_host_is_touched(
    node: Host, tmp_path: Path, args: list[str], message: str
) -> None:
    digest = tree(node)
    done = run_local(node, project(tmp_path, FAILS_MIDWAY), *args)
    assert done.returncode == 4, done.stdout
    assert message in done.stderr
    assert tree(node) == digest


def test_the_range_maps_scenario_ids_and_refuses_what_does_not_fit() -> None:
    r = CtidRange.parse("990000-990999")
    assert (r.host_id(209), r.size, 990999 in r, 991000 in r) == (990209, 1000, True, False)
    with pytest.raises(GuardError, match="does not fit"):
        CtidRange.parse("990000-990099").host_id(209)


def test_destroying_a_container_outside_the_range_is_refused_even_inside_the_guard(node: Host) -> None:
    from simvz.harness.guard import Guard

    guard = Guard(SimBackend(node), CtidRange.parse("990000-990999"), real=False)
    with pytest.raises(GuardError, match="would touch container 101"):
        guard._teardown(101)
    assert vzctl(node, "status", "101").out == "CTID 101 exist mounted running\n"


def test_cleanup_destroys_frozen_dumped_and_mounted_containers_of_the_range(tmp_path: Path) -> None:
    """However a scenario leaves its containers (frozen by libvirt's suspend, dumped by
    ``vzctl suspend``, only mounted, or just a private area), the range ends empty."""
    from simvz.harness.guard import Guard

    n = init_host(tmp_path / "n")
    for ctid in (990001, 990002, 990003):
        create_ct(n, ctid)
        start_ct(n, ctid)
    assert vzctl(n, "chkpnt", "990001", "--suspend").exit == 0  # what virDomainSuspend runs
    assert vzctl(n, "suspend", "990002").exit == 0  # a dump file, container stopped
    assert vzctl(n, "stop", "990003").exit == 0 and vzctl(n, "mount", "990003").exit == 0
    SimBackend(n).prepare_private("/vz/private/990004", "centos-6-x86")
    guard = Guard(SimBackend(n), CtidRange.parse("990000-990999"), real=False)
    before = guard.snapshot()
    done = guard.cleanup(before)
    assert "vzctl chkpnt 990001 --resume" in done and "vzctl umount 990003" in done
    assert "rm -rf /vz/private/990004" in done
    assert guard.survey().in_range == [] and guard.survey().leftovers == []
    assert not n.fs.exists("/vz/dump/Dump.990002")


def test_a_host_change_the_cleanup_cannot_undo_fails_loudly_naming_it(tmp_path: Path) -> None:
    """A port left on a bridge (here put there behind vzctl's back) is reported."""
    from simvz.harness.guard import Guard

    n = init_host(tmp_path / "n", bridges=["br5"])
    guard = Guard(SimBackend(n), CtidRange.parse("990000-990999"), real=False)
    before = guard.snapshot()
    with n.locked() as h:
        h.kernel.net.bridges["br5"].ports.append("eth2")
        h.commit()
    expected = r"not as before the scenario: ports of br5: before \[\], after \['eth2'\]"
    with pytest.raises(GuardError, match=expected):
        guard.cleanup(before)


def test_the_guarded_backend_refuses_migrations_and_private_areas_outside_the_range(node: Host) -> None:
    from simvz.backends.guarded import GuardedBackend
    from simvz.harness.guard import Guard

    guard = Guard(SimBackend(node), CtidRange.parse("990000-990999"), real=False)
    guarded = GuardedBackend(guard.host, guard)
    with pytest.raises(GuardError, match="names no container of the reserved range"):
        guarded.run(["vzmigrate", "otherhost", "101"])
    with pytest.raises(GuardError, match="/vz/private/101 is no private area of the reserved range"):
        guarded.prepare_private("/vz/private/101", "centos-6-x86")
    assert guarded.run(["vzctl", "status", "101"]).stdout == "CTID 101 exist mounted running\n"
    assert touched(node, 101, 0)[-1][1] == "start"  # the fixture's own start is the last


def test_a_dry_run_on_a_machine_without_openvz_says_it_would_be_refused(tmp_path: Path) -> None:
    """No shim: this machine has no /proc/vz and no vzctl."""
    proj = project(tmp_path, FAILS_MIDWAY)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--vz-host", "local"]
    done = subprocess.run(
        [*cmd, "--vz-dry-run"],
        cwd=proj, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout + done.stderr
    assert "refused: this machine is not an OpenVZ host: /proc/vz does not exist" in done.stdout
    assert "vzctl unknown" in done.stdout and "Traceback" not in done.stdout + done.stderr


MOUNT_1234567 = "<filesystem type='mount'><source dir='/vz/private/1234567'/><target dir='/'/></filesystem>"
OPERATOR_AREAS = f"""\
Feature: Guard
  Scenario: A mount filesystem names an operator's private area
    Given a domain named "5"
    And its devices include "{MOUNT_1234567}"
    When the domain is defined
    Then the call succeeds
  Scenario: The administrator points a container at an operator's private area
    Given the administrator runs "vzctl create 6 --ostemplate centos-6-x86"
    When the administrator runs "vzctl set 6 --private /vz/private/./101 --save"
"""


def test_a_scenario_pointing_a_container_at_an_operators_area_fails_and_destroys_nothing(
    node: Host, tmp_path: Path
) -> None:
    """libvirt's driver writes ``VE_PRIVATE=/vz/private/1234567`` for the mount
    filesystem (openvz_driver.c:openvzSetInitialConfig), behind the guard's back: the
    cleanup leaves that container alone and the row says FAILED, not honoured; the
    administrator's ``vzctl set --private`` is refused before it runs."""
    tagged(node, 1234567)
    areas = {ct: tree_of(node, f"/vz/private/{ct}") for ct in (101, 1234567)}
    report = tmp_path / "matrix.json"
    done = run_local(node, project(tmp_path, OPERATOR_AREAS), "--conformance-json", str(report))
    assert done.returncode == 1, done.stdout
    rows = {r["scenario"]: r for r in json.loads(report.read_text())["scenarios"]}
    mount = rows["A mount filesystem names an operator's private area"]
    assert mount["result"] == "FAILED"
    assert "container 990005 left alone" in mount["reason"]
    admin = rows["The administrator points a container at an operator's private area"]
    assert admin["result"] == "FAILED"  # its cleanup meets 990005 again, and says so
    assert "refused: vzctl set 990006 --private /vz/private/./101 --save sets VE_PRIVATE" in done.stdout
    assert {ct: tree_of(node, f"/vz/private/{ct}") for ct in (101, 1234567)} == areas
    assert vzctl(node, "status", "101").out == "CTID 101 exist mounted running\n"


def tree_of(node: Host, path: str) -> list[tuple[str, bytes]]:
    """Every file under a node directory with its content."""
    root = node.fs.real(path)
    return [(str(p.relative_to(root)), p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file()]
