"""vzctl 4.11.1 container lifecycle on a simulated node, beyond the recorded transcripts:
create, start/stop/restart/status, mount/umount, destroy, suspend/resume, exec with the
simfs quota, global flags, names and the per-CT lock. Each test names the vzctl source
file or function (kolyshkin/vzctl, tag vzctl-4.11.1) it encodes.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from simvz import faults
from simvz.host import Host
from simvz.results import Result
from tests.conftest import create_ct, make_host, start_ct, vzctl

SAMPLE = Path(__file__).resolve().parents[2] / "simvz/data/conf/ve-vswap-256m.conf-sample"
CREATED = (
    "Creating container private area (centos-6-x86)\n"
    "Performing postcreate actions\n"
    "CT configuration saved to /etc/vz/conf/101.conf\n"
    "Container private area was created\n"
)
STARTED = (
    "Starting container...\n"
    "Container is mounted\n"
    "Adding IP address(es): 10.0.0.101\n"
    "Setting CPU units: 1000\n"
    "Container start in progress...\n"
)
STOPPED = "Stopping container ...\nContainer was stopped\nContainer is unmounted\n"
START_FAILED = 'Container start failed (try to check kernel messages, e.g. "dmesg | tail")\n'


def ok(r: Result, out: str | None = None) -> Result:
    """Exit 0, nothing on stderr, and (if given) exactly ``out`` on stdout."""
    assert (r.exit, r.err) == (0, ""), (r.exit, r.out, r.err)
    if out is not None:
        assert r.out == out
    return r


def refused(r: Result, code: int, err: str, out: str = "") -> None:
    """Exit ``code`` with exactly ``err`` on stderr and ``out`` on stdout."""
    assert (r.exit, r.out, r.err) == (code, out, err)


def status(host: Host, ct: str = "101") -> str:
    """The line ``vzctl status`` prints on stdout (``KV:src/vzctl-actions.c:show_status``); stderr may
    carry the ``stat(VE_ROOT)`` complaint, which the tests about VE_ROOT check."""
    r = vzctl(host, "status", ct)
    assert r.exit == 0, r
    return r.out


def conf(host: Host, veid: int = 101) -> str:
    return (host.root / f"etc/vz/conf/{veid}.conf").read_text()


def proc(host: Host, name: str) -> str:
    return (host.root / "proc/vz" / name).read_text()


def df(host: Host, *args: str) -> list[str]:
    """``vzctl exec 101 df ARGS`` lines with whitespace collapsed."""
    r = ok(vzctl(host, "exec", "101", "df", *args))
    return [" ".join(line.split()) for line in r.out.splitlines()]


@pytest.fixture
def web(host: Host) -> Host:
    """CT 101 ``web`` with IP 10.0.0.101, created from centos-6-x86 and stopped."""
    create_ct(host, 101, extra=("--name", "web", "--ipadd", "10.0.0.101"))
    return host


@pytest.fixture
def running(web: Host) -> Host:
    """CT 101 running."""
    start_ct(web, 101)
    return web


# -- create ---------------------------------------------------------------------------------


def test_create_prints_its_four_lines_and_appends_the_unexpanded_paths(host: Host) -> None:
    """``KV:src/lib/create.c:vps_create``, ``KV:src/lib/config.c:store``: the sample copied
    verbatim, then VE_ROOT/VE_PRIVATE unexpanded, VE_LAYOUT, OSTEMPLATE, ORIGIN_SAMPLE."""
    ok(vzctl(host, "create", "101", "--ostemplate", "centos-6-x86"), CREATED)
    assert conf(host) == SAMPLE.read_text() + (
        'VE_ROOT="/vz/root/$VEID"\n'
        'VE_PRIVATE="/vz/private/$VEID"\n'
        'VE_LAYOUT="simfs"\n'
        'OSTEMPLATE="centos-6-x86"\n'
        'ORIGIN_SAMPLE="vswap-256m"\n'
    )
    assert status(host) == "CTID 101 exist unmounted down\n"


def test_create_without_ostemplate_uses_def_ostemplate(host: Host) -> None:
    """``KV:src/lib/create.c:vps_create``: ``DEF_OSTEMPLATE`` of vz.conf (centos-6-x86)."""
    ok(vzctl(host, "create", "101"), CREATED)
    assert 'OSTEMPLATE="centos-6-x86"\n' in conf(host)


def test_create_with_options_names_first_and_keys_in_table_order(host: Host) -> None:
    """``KV:src/lib/create.c:vps_create`` (``Name web assigned`` before anything else) and
    the key table order ``KV:src/lib/config.c:store`` writes (IP_ADDRESS, HOSTNAME,
    DESCRIPTION, VE_ROOT, VE_PRIVATE, VE_LAYOUT, OSTEMPLATE, ORIGIN_SAMPLE, NAME); a
    --diskspace replaces the sample's line in place (``vps_merge_conf``)."""
    r = vzctl(
        host,
        *("create", "101", "--ostemplate", "centos-6-x86", "--name", "web", "--hostname", "web.example"),
        *("--ipadd", "10.0.0.101", "--description", "the web server", "--diskspace", "1G:2G"),
    )
    ok(r, "Name web assigned\n" + CREATED)
    sample = SAMPLE.read_text().replace('DISKSPACE="2G:2.2G"', 'DISKSPACE="1048576:2097152"')
    assert conf(host) == sample + (
        'IP_ADDRESS="10.0.0.101"\n'
        'HOSTNAME="web.example"\n'
        'DESCRIPTION="the web server"\n'
        'VE_ROOT="/vz/root/$VEID"\n'
        'VE_PRIVATE="/vz/private/$VEID"\n'
        'VE_LAYOUT="simfs"\n'
        'OSTEMPLATE="centos-6-x86"\n'
        'ORIGIN_SAMPLE="vswap-256m"\n'
        'NAME="web"\n'
    )
    assert os.readlink(host.root / "etc/vz/names/web") == "/etc/vz/conf/101.conf"
    assert status(host, "web") == "CTID 101 exist unmounted down\n"


def test_create_unpacks_the_template_into_the_private_area(ct101: Host) -> None:
    """``KV:scripts/vps-create.in`` untars the cache."""
    private = ct101.root / "vz/private/101"
    assert (private / "sbin/init").is_file() and (private / "bin/sh").is_file()
    assert (private / "etc/issue").read_text() == "centos-6-x86 (simvz template)\n"
    assert not (ct101.root / "vz/private/101.tmp").exists()


def test_create_leaves_the_mount_point_that_postcreate_mounted(host: Host) -> None:
    """``KV:src/lib/create.c:vps_postcreate``: "Performing postcreate actions" is printed
    only after ``fsmount()``, whose first step is ``make_dir(fs->root)``
    (``KV:src/lib/fs.c:fsmount``); vzctl never removes it. So VE_ROOT exists after create
    and ``status`` has no ``stat(/vz/root/101)`` complaint (``KV:src/lib/fs_simfs.c:vps_is_mounted``)."""
    r = vzctl(host, "create", "101", "--ostemplate", "centos-6-x86")
    ok(r, CREATED)
    assert (host.root / "vz/root/101").is_dir()
    r = vzctl(host, "status", "101")
    assert (r.exit, r.out, r.err) == (0, "CTID 101 exist unmounted down\n", "")


def test_create_refuses_a_private_area_in_use(host: Host) -> None:
    """``KV:src/lib/create.c:vps_create``, exit 44; the copied sample is removed again
    (``KV:src/lib/create.c``: ``err_cfg`` unlinks it)."""
    (host.root / "vz/private/101/etc").mkdir(parents=True)
    r = vzctl(host, "create", "101", "--ostemplate", "centos-6-x86")
    refused(
        r, 44, "Private area already exists in /vz/private/101\nCreation of container private area failed\n"
    )
    assert not (host.root / "etc/vz/conf/101.conf").exists()


def test_create_without_any_os_template(host: Host) -> None:
    """``KV:src/lib/create.c:vps_create``: no --ostemplate, OSTEMPLATE or DEF_OSTEMPLATE, exit 29."""
    vz_conf = host.root / "etc/vz/vz.conf"
    vz_conf.write_text(
        "".join(line for line in vz_conf.read_text().splitlines(True) if "DEF_OSTEMPLATE" not in line)
    )
    r = vzctl(host, "create", "101")
    refused(r, 29, "OS template is not specified\nCreation of container private area failed\n")
    assert not (host.root / "etc/vz/conf/101.conf").exists()
    assert not (host.root / "vz/private/101").exists()


def test_create_with_an_unknown_template(host: Host) -> None:
    """``KV:src/lib/create.c:fs_create``, exit 91
    (vztmpl-dl's own complaint first, as recorded in the transcripts)."""
    r = vzctl(host, "create", "101", "--ostemplate", "nosuch")
    refused(
        r,
        91,
        "vztmpl-dl ERROR: template nosuch not found!\n"
        "Cached OS template /vz/template/cache/nosuch.tar[.gz|.bz2|.xz] not found\n"
        "Creation of container private area failed\n",
    )
    assert not (host.root / "etc/vz/conf/101.conf").exists()
    assert not (host.root / "vz/private/101").exists()


def test_create_with_a_missing_sample_or_over_an_existing_config(ct101: Host) -> None:
    """``KV:src/lib/create.c:vps_create``: both refusals exit 82."""
    refused(
        vzctl(ct101, "create", "102", "--config", "nosuch"),
        82,
        "Sample config /etc/vz/conf/ve-nosuch.conf-sample not found: No such file or directory\n"
        "Creation of container private area failed\n",
    )
    refused(
        vzctl(ct101, "create", "101", "--config", "basic"),
        82,
        "Error: container config file /etc/vz/conf/101.conf already exists, can not use --config option\n"
        "Creation of container private area failed\n",
    )


def test_create_with_a_name_in_use(web: Host) -> None:
    """``KV:src/lib/config.c:set_name``: exit 131."""
    r = vzctl(web, "create", "102", "--ostemplate", "centos-6-x86", "--name", "web")
    refused(
        r,
        131,
        "Conflict: name web already used by container 101\nCreation of container private area failed\n",
    )
    assert not (web.root / "etc/vz/conf/102.conf").exists()


def test_create_of_ct0_is_refused(host: Host) -> None:
    """``KV:src/vzctl.c:main``: only ``set`` on CT 0, exit 21."""
    refused(vzctl(host, "create", "0"), 21, "Only set actions are allowed for CT0\n")


def test_broken_template_fails_at_start_with_47(host: Host) -> None:
    """A template without /sbin/init unpacks fine (``KV:scripts/vps-create.in`` only
    untars; nothing in ``KV:src/lib/create.c`` looks for init). The start fails: the
    CT's init cannot be executed (``KV:src/lib/env.c:_env_create`` sends VZ_FS_BAD_TMPL
    back; ``vps_start_custom`` logs "Unable to start init, probably incorrect template"
    and "Container start failed", then kills and unmounts the CT), exit 47. Whether
    "Killing container ..." shows depends on a race with the dying init, so it is not
    checked."""
    faults.break_template(host, "centos-6-x86")
    ok(vzctl(host, "create", "101", "--ostemplate", "centos-6-x86", "--ipadd", "10.0.0.101"), CREATED)
    r = vzctl(host, "start", "101")
    assert r.exit == 47, r
    assert r.err == "Unable to start init, probably incorrect template\nContainer start failed\n"
    assert r.out.startswith(STARTED.replace("Container start in progress...\n", ""))
    assert r.out.endswith("Container is unmounted\n") and "start in progress" not in r.out
    assert status(host) == "CTID 101 exist unmounted down\n"


def test_create_after_destroy_removes_the_destroyed_files(ct101: Host) -> None:
    """``KV:src/lib/util.c:move_config``: ``*.destroyed`` removed at re-create."""
    ok(vzctl(ct101, "destroy", "101"))
    assert (ct101.root / "etc/vz/conf/101.conf.destroyed").is_file()
    ok(vzctl(ct101, "create", "101", "--ostemplate", "centos-6-x86"), CREATED)
    assert not (ct101.root / "etc/vz/conf/101.conf.destroyed").exists()


# -- start / stop / restart / status ----------------------------------------------------------


def _veinfo_row(host: Host, veid: int) -> str | None:
    return next((line for line in proc(host, "veinfo").splitlines() if line.split()[0] == str(veid)), None)


def test_start_prints_and_the_kernel_shows_the_ct(web: Host) -> None:
    """``KV:src/lib/env.c:vps_start_custom``; the kernel's ``kernel/ve/vecalls.c`` (``%10u %5u
    %5u`` then `` %15s`` per venet IP in /proc/vz/veinfo; one vestat row per running CT)."""
    ok(vzctl(web, "start", "101"), STARTED)
    assert status(web) == "CTID 101 exist mounted running\n"
    row = _veinfo_row(web, 101)
    assert row is not None and re.fullmatch(r" {7}101 {5}0 [ \d]{4}\d {6}10\.0\.0\.101", row), row
    assert proc(web, "veinfo").splitlines()[0].split()[:2] == ["0", "0"]  # VE0 first
    rows = [line.split() for line in proc(web, "vestat").splitlines()[2:]]
    assert [r[0] for r in rows] == ["101"] and len(rows[0]) == 12
    assert "10.0.0.101" in proc(web, "veip")


def test_stop_prints_and_the_kernel_forgets_the_ct(running: Host) -> None:
    """``KV:src/lib/env.c:vps_stop``: the CT leaves veinfo, vestat and veip."""
    ok(vzctl(running, "stop", "101"), STOPPED)
    assert status(running) == "CTID 101 exist unmounted down\n"
    assert _veinfo_row(running, 101) is None
    assert proc(running, "vestat").splitlines()[2:] == []
    assert "10.0.0.101" not in proc(running, "veip")


def test_stop_fast_kills(running: Host) -> None:
    """``KV:src/lib/env.c:env_stop``: ``--fast`` prints ``Killing container ...`` instead."""
    ok(vzctl(running, "stop", "101", "--fast"), STOPPED.replace("Stopping", "Killing"))


def test_stop_skip_umount_leaves_it_mounted(running: Host) -> None:
    """``KV:src/lib/env.c:vps_stop``: ``--skip-umount``."""
    ok(vzctl(running, "stop", "101", "--skip-umount"), "Stopping container ...\nContainer was stopped\n")
    assert status(running) == "CTID 101 exist mounted down\n"


def test_stop_of_a_stopped_ct_is_not_an_error(web: Host) -> None:
    """``KV:src/lib/env.c:vps_stop``: stderr message, exit 0."""
    refused(vzctl(web, "stop", "101"), 0, "Unable to stop: container is not running\n")


def test_start_of_a_running_ct(running: Host) -> None:
    """``KV:src/vzctl-actions.c:start``: exit 32."""
    refused(vzctl(running, "start", "101"), 32, "Container is already running\n")


def test_restart_stops_then_starts(running: Host) -> None:
    """``KV:src/vzctl-actions.c:restart``."""
    ok(vzctl(running, "restart", "101"), "Restarting container\n" + STOPPED + STARTED)
    assert status(running) == "CTID 101 exist mounted running\n"


def test_restart_fast_kills(running: Host) -> None:
    """``KV:src/vzctl-actions.c:restart`` stops with restart's own ``--fast``."""
    killed = STOPPED.replace("Stopping", "Killing")
    ok(vzctl(running, "restart", "101", "--fast"), "Restarting container\n" + killed + STARTED)
    assert status(running) == "CTID 101 exist mounted running\n"


def test_restart_of_a_stopped_ct_is_a_start(web: Host) -> None:
    """``KV:src/vzctl-actions.c:restart``: restart of a stopped CT = start."""
    ok(vzctl(web, "restart", "101"), "Restarting container\n" + STARTED)


def test_start_disabled_needs_force(web: Host) -> None:
    """``KV:src/vzctl-actions.c:start``: DISABLED=yes, exit 105; ``--force`` starts it."""
    ok(vzctl(web, "set", "101", "--disabled", "yes", "--save"))
    refused(vzctl(web, "start", "101"), 105, "Container start disabled\n")
    ok(vzctl(web, "start", "101", "--force"), STARTED)


def test_start_with_an_ip_in_use_fails_78_and_leaves_the_ct_down(running: Host) -> None:
    """An IP in use, in the source's exact order: the ioctl
    error is logged where it happens (``KV:src/lib/hooks_vz.c:vz_ip_ctl``), then
    ``vps_start_custom`` logs "Container start failed", kills the VE it had created
    (``env_stop(M_KILL)``: "Killing container ...", "Container was stopped",
    ``KV:src/lib/env.c``) and unmounts it. Exit 78; the other CT keeps its IP."""
    create_ct(running, 102, extra=("--ipadd", "10.0.0.101"))
    r = vzctl(running, "start", "102")
    assert r.exit == 78
    assert r.err == "Unable to add IP 10.0.0.101: Address already in use\n" + START_FAILED
    assert r.out == (
        "Starting container...\n"
        "Container is mounted\n"
        "Adding IP address(es): 10.0.0.101\n"
        "Killing container ...\n"
        "Container was stopped\n"
        "Container is unmounted\n"
    )
    assert status(running, "102") == "CTID 102 exist unmounted down\n"
    assert status(running, "101") == "CTID 101 exist mounted running\n"
    assert _veinfo_row(running, 102) is None
    assert (_veinfo_row(running, 101) or "").endswith(" 10.0.0.101")


# -- mount / umount ---------------------------------------------------------------------------


def test_mount_and_umount(web: Host) -> None:
    """``KV:src/lib/fs.c:vps_mount``/``vps_umount``: already mounted is exit 0 with a stderr
    message; umount of an unmounted CT is 40."""
    ok(vzctl(web, "mount", "101"), "Container is mounted\n")
    assert status(web) == "CTID 101 exist mounted down\n"
    refused(vzctl(web, "mount", "101"), 0, "Container is already mounted\n")
    ok(vzctl(web, "umount", "101"), "Container is unmounted\n")
    assert status(web) == "CTID 101 exist unmounted down\n"
    refused(vzctl(web, "umount", "101"), 40, "CT is not mounted\n")


def test_umount_of_a_running_ct(running: Host) -> None:
    """``KV:src/lib/fs.c:vps_umount``: exit 32."""
    refused(vzctl(running, "umount", "101"), 32, "Container is running -- stop it first\n")


def test_start_of_a_mounted_ct_remounts(web: Host) -> None:
    """``KV:src/lib/env.c:vps_start_custom``: a mounted CT is unmounted, then mounted again."""
    ok(vzctl(web, "mount", "101"))
    ok(vzctl(web, "start", "101"), STARTED)


# -- destroy ----------------------------------------------------------------------------------


def test_destroy_removes_private_area_and_names_and_renames_the_config(web: Host) -> None:
    """``KV:src/lib/destroy.c:vps_destroy``; names: ``KV:src/vzctl-actions.c:destroy``."""
    text = conf(web)
    r = vzctl(web, "destroy", "101")
    ok(r, "Destroying container private area: /vz/private/101\nContainer private area was destroyed\n")
    assert (web.root / "etc/vz/conf/101.conf.destroyed").read_text() == text
    assert not (web.root / "etc/vz/conf/101.conf").exists()
    assert not (web.root / "vz/private/101").exists()
    assert not (web.root / "vz/root/101").exists()
    assert os.listdir(web.root / "etc/vz/names") == []
    # VE_ROOT is gone with the config: status complains about it (KV:src/lib/fs_simfs.c:vps_is_mounted)
    refused(
        vzctl(web, "status", "101"),
        0,
        "stat(/vz/root/101): No such file or directory\n",
        "CTID 101 deleted unmounted down\n",
    )


def test_destroy_warns_when_the_mount_point_is_missing(running: Host) -> None:
    """``KV:src/lib/destroy.c:vps_destroy``: a failed ``rmdir(VE_ROOT)`` only warns
    (with strerror), the destroy still succeeds."""
    ok(vzctl(running, "stop", "101"))
    (running.root / "vz/root/101").rmdir()
    r = vzctl(running, "destroy", "101")
    refused(
        r,
        0,
        "Warning: failed to remove /vz/root/101: No such file or directory\n",
        "Destroying container private area: /vz/private/101\nContainer private area was destroyed\n",
    )


def test_delete_is_destroy(ct101: Host) -> None:
    """``KV:src/vzctl.c:main``: ``destroy|delete``."""
    ok(vzctl(ct101, "delete", "101"))
    assert status(ct101) == "CTID 101 deleted unmounted down\n"


def test_destroy_refuses_running_and_mounted_cts_on_stdout(web: Host) -> None:
    """``KV:src/lib/destroy.c:vps_destroy``: running 32, mounted 41, both messages on stdout."""
    ok(vzctl(web, "mount", "101"))
    refused(vzctl(web, "destroy", "101"), 41, "", "Container is currently mounted (umount first)\n")
    ok(vzctl(web, "umount", "101"))
    start_ct(web)
    refused(vzctl(web, "destroy", "101"), 32, "", "Container is currently running. Stop it first.\n")
    assert (web.root / "vz/private/101").is_dir()


def test_destroy_of_an_unknown_ct(host: Host) -> None:
    """``KV:src/vzctl.c:main``: exit 14."""
    refused(vzctl(host, "destroy", "101"), 14, "Container config file does not exist\n")


# -- suspend / resume -------------------------------------------------------------------------

SUSPENDED = (
    "Setting up checkpoint...\n\tsuspend...\n\tdump...\n\tkill...\n"
    "Checkpointing completed successfully\nContainer is unmounted\n"
)
RESTORED_TAIL = "\tundump...\n\tresume...\nContainer start in progress...\nRestoring completed successfully\n"


def test_suspend_and_resume(running: Host) -> None:
    """``KV:src/lib/cpt.c``, ``KV:src/vzctl-actions.c:show_status``: ``suspended`` while the dump file
    exists; restore deletes it (``KV:src/lib/hooks_vz.c:vz_restore``)."""
    dump = running.root / "vz/dump/Dump.101"
    ok(vzctl(running, "suspend", "101"), SUSPENDED)
    assert dump.is_file()
    assert status(running) == "CTID 101 exist unmounted down suspended\n"
    assert _veinfo_row(running, 101) is None
    ok(vzctl(running, "resume", "101"), "Restoring container ...\nContainer is mounted\n" + RESTORED_TAIL)
    assert not dump.exists()
    assert status(running) == "CTID 101 exist mounted running\n"
    assert (_veinfo_row(running, 101) or "").endswith(" 10.0.0.101")


def test_chkpnt_and_restore_are_aliases(running: Host) -> None:
    """``KV:src/vzctl.c:main``: ``suspend|chkpnt``, ``resume|restore``."""
    ok(vzctl(running, "chkpnt", "101"), SUSPENDED)
    ok(vzctl(running, "restore", "101"))
    assert status(running) == "CTID 101 exist mounted running\n"


def test_start_of_a_suspended_ct_restores_it(running: Host) -> None:
    """``KV:src/vzctl-actions.c:try_restore``."""
    ok(vzctl(running, "suspend", "101"))
    r = vzctl(running, "start", "101")
    ok(
        r,
        "Dump file /vz/dump/Dump.101 exists, trying to restore from it\n"
        "Restoring container ...\nContainer is mounted\n" + RESTORED_TAIL,
    )
    assert not (running.root / "vz/dump/Dump.101").exists()


def test_resume_of_a_running_ct(running: Host) -> None:
    """``KV:src/lib/cpt.c:vps_restore``: exit 32."""
    refused(vzctl(running, "resume", "101"), 32, "Unable to perform restore: container already running\n")


def test_resume_without_a_dump_file(web: Host) -> None:
    """``KV:src/lib/hooks_vz.c:vz_restore``: "Restoring container ..." then the failed
    open of the dump file, exit 17 (VZ_RESTORE_ERROR); nothing else is printed."""
    refused(
        vzctl(web, "resume", "101"),
        17,
        "Unable to open /vz/dump/Dump.101: No such file or directory\n",
        "Restoring container ...\n",
    )
    assert status(web) == "CTID 101 exist unmounted down\n"


# -- exec and the simfs quota -----------------------------------------------------------------


@pytest.fixture
def fc5(host: Host) -> Host:
    """The 2008 thread's CT 101: fedora-core-5-i386 (96424 KiB and 6813 inodes used),
    DISKSPACE soft 1048576 (hard larger), DISKINODES soft 200000, running."""
    create_ct(
        host, 101, "fedora-core-5-i386", ("--diskspace", "1048576:1153434", "--diskinodes", "200000:220000")
    )
    start_ct(host, 101)
    return host


def test_df_shows_the_soft_limits_and_usage_as_in_the_thread(fc5: Host) -> None:
    """simfs statfs reports the *soft* limits (simvz/model/quota.py), the thread's
    numbers: ``simfs 1048576 96424 952152 10% /``, ``simfs 200000 6813 193187 4% /``."""
    assert df(fc5) == [
        "Filesystem 1K-blocks Used Available Use% Mounted on",
        "simfs 1048576 96424 952152 10% /",
    ]
    assert df(fc5, "-i") == [
        "Filesystem Inodes IUsed IFree IUse% Mounted on",
        "simfs 200000 6813 193187 4% /",
    ]


def test_exec2_returns_the_commands_status_and_exec_maps_failure_to_8(fc5: Host) -> None:
    """``KV:src/vzctl-actions.c:run_action``: exec2 returns the status, exec any failure as 8."""
    assert vzctl(fc5, "exec2", "101", "exit", "3").exit == 3
    assert vzctl(fc5, "exec2", "101", "false").exit == 1
    assert vzctl(fc5, "exec", "101", "false").exit == 8
    assert ok(vzctl(fc5, "exec", "101", "cat", "/etc/issue")).out == "fedora-core-5-i386 (simvz template)\n"


def test_exec_without_a_command(fc5: Host) -> None:
    """``KV:src/vzctl-actions.c``: ``No command line given for exec``, exit 20."""
    refused(vzctl(fc5, "exec", "101"), 20, "No command line given for exec\n")


def test_exec_on_a_stopped_ct(ct101: Host) -> None:
    """``KV:src/lib/exec.c:vps_exec``: exec 8, exec2 31, both ``Container is not running``."""
    refused(vzctl(ct101, "exec", "101", "df"), 8, "Container is not running\n")
    refused(vzctl(ct101, "exec2", "101", "df"), 31, "Container is not running\n")


def test_a_write_inside_is_charged_to_the_quota(fc5: Host) -> None:
    """Writes inside the CT consume the first-level quota (vzquota(8))."""
    ok(vzctl(fc5, "exec", "101", "dd", "if=/dev/zero", "of=/data", "bs=1M", "count=10"))
    assert df(fc5)[1] == "simfs 1048576 106664 941912 11% /"
    assert df(fc5, "-i")[1] == "simfs 200000 6814 193186 4% /"


def test_a_write_past_the_hard_limit_fails_inside(host: Host) -> None:
    """vzquota(8): the hard limit is never exceeded; the
    writer gets EDQUOT ("Disk quota exceeded"), exec returns 8, usage unchanged."""
    create_ct(host, 101, "fedora-core-5-i386", ("--diskspace", "100000:110000"))
    start_ct(host, 101)
    r = vzctl(host, "exec", "101", "dd", "if=/dev/zero", "of=/big", "bs=1M", "count=20")
    assert r.exit == 8 and "Disk quota exceeded" in r.err, r
    assert df(host)[1] == "simfs 100000 96424 3576 97% /"


def test_a_huge_write_fails_on_the_quota_not_on_host_memory(fc5: Host) -> None:
    """vzquota(8): a 4 GiB dd in a CT with a 1.1 GiB hard limit fails with
    EDQUOT; the simulated node must refuse it without needing 4 GiB itself (run through
    the host's own vzctl under a 1 GiB address-space limit)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    proc_ = subprocess.run(
        [
            str(fc5.root / "usr/sbin/vzctl"),
            "exec2",
            "101",
            "dd",
            "if=/dev/zero",
            "of=/big",
            "bs=1M",
            "count=4096",
        ],
        env={},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        preexec_fn=limit,
        check=False,
    )
    assert proc_.returncode not in (0, 8), proc_
    assert b"Disk quota exceeded" in proc_.stderr and b"Traceback" not in proc_.stderr, proc_.stderr
    assert df(fc5)[1] == "simfs 1048576 96424 952152 10% /"


def test_raising_the_quota_of_a_running_ct_takes_effect_at_once(fc5: Host) -> None:
    """DISKSPACE/DISKINODES changes on a running simfs CT apply immediately (``vzquota
    setlimit``, ``KV:src/lib/quota.c:vps_set_quota``), with or without --save."""
    ok(vzctl(fc5, "set", "101", "--diskspace", "2097152:2200000", "--save"))
    assert df(fc5)[1] == "simfs 2097152 96424 2000728 5% /"
    assert 'DISKSPACE="2097152:2200000"\n' in conf(fc5)
    ok(vzctl(fc5, "set", "101", "--diskinodes", "400000:440000"))
    assert df(fc5, "-i")[1] == "simfs 400000 6813 393187 2% /"


def test_over_the_soft_limit_writes_pass_until_the_grace_time_ends(host: Host) -> None:
    """``KV:src/lib/quota.c:quota_set`` (QUOTATIME is the grace for blocks and inodes) and vzquota(8):
    past the soft limit writes still succeed until the grace period has run out, then
    the soft limit acts as the hard one; going back under it resets the timer. The
    simulated clock advances one second per command that changes the node."""
    create_ct(host, 101, "fedora-core-5-i386", ("--diskspace", "97000:200000"))
    ok(vzctl(host, "set", "101", "--quotatime", "5", "--save"))
    start_ct(host, 101)
    write = ("exec", "101", "dd", "if=/dev/zero", "bs=1K", "count=100")
    ok(vzctl(host, "exec", "101", "dd", "if=/dev/zero", "of=/over", "bs=1M", "count=1"))  # 97448 > 97000
    ok(vzctl(host, *write, "of=/a"))  # within the grace time
    for i in range(10):
        ok(vzctl(host, "set", "101", "--description", f"tick {i}", "--save"))
    r = vzctl(host, *write, "of=/b")
    assert r.exit == 8 and "Disk quota exceeded" in r.err, r
    assert _quota_usage(host) == 96424 + 1024 + 100
    # past the soft limit statfs reports no free blocks: f_bfree = 0, so df's Used is the
    # soft limit (OpenVZ kernel fs/simfs.c:quota_get_stat)
    assert df(host)[1] == "simfs 97000 97000 0 100% /"
    ok(vzctl(host, "exec", "101", "rm", "/over"))  # back under the soft limit
    ok(vzctl(host, *write, "of=/b"))


def _quota_usage(host: Host, veid: int = 101) -> int:
    """1K-blocks in use, as the host's /proc/vz/vzquota shows it (read by
    ``KV:src/vzlist.c:get_run_quota_stat``)."""
    lines = proc(host, "vzquota").splitlines()
    at = lines.index(next(line for line in lines if line.startswith(f"{veid}: ")))
    blocks = lines[at + 1].split()
    assert blocks[0] == "1k-blocks", lines
    return int(blocks[1])


# -- global flags -----------------------------------------------------------------------------


def test_help_prints_the_usage_on_stdout(host: Host) -> None:
    """``KV:src/vzctl.c:main``: ``--help`` in the command position, stdout, exit 0."""
    r = ok(vzctl(host, "--help"))
    assert r.out.startswith(
        "vzctl version 4.11.1\n"
        "Copyright (C) 2000-2013, Parallels, Inc.\n"
        "This program may be distributed under the terms of the GNU GPL License.\n"
        "\n"
        "Usage: vzctl [options] <command> <ctid> [parameters]\n"
    )


def test_no_command_prints_the_usage_on_stderr(host: Host) -> None:
    """``KV:src/vzctl.c:main``: no command, usage on stderr, exit 20."""
    r = vzctl(host)
    assert (r.exit, r.out) == (20, "")
    assert r.err == ok(vzctl(host, "--help")).out


def test_version(host: Host) -> None:
    """``KV:src/vzctl.c:version``: ``vzctl version 4.11.1`` on stdout."""
    ok(vzctl(host, "--version"), "vzctl version 4.11.1\n")


def test_version_of_a_node_with_another_vzctl(tmp_path: Path) -> None:
    """``simvz init --vzctl-version`` sets what the tools report, usage header included."""
    node = make_host(tmp_path / "old", vzctl_version="4.0.0")
    ok(vzctl(node, "--version"), "vzctl version 4.0.0\n")
    assert ok(vzctl(node, "--help")).out.startswith("vzctl version 4.0.0\n")


def test_quiet_silences_vzctl_messages_but_not_status(web: Host) -> None:
    """``KV:src/lib/logger.c:logger``: nothing reaches the console with --quiet, errors
    included; ``status`` prints with printf (``KV:src/vzctl-actions.c:show_status``)."""
    r = vzctl(web, "--quiet", "start", "101")
    assert (r.exit, r.out, r.err) == (0, "", "")
    r = vzctl(web, "--quiet", "start", "101")
    assert (r.exit, r.out, r.err) == (32, "", "")
    r = vzctl(web, "--quiet", "status", "101")
    assert (r.exit, r.out, r.err) == (0, "CTID 101 exist mounted running\n", "")


def test_verbose_is_only_a_global_flag(running: Host) -> None:
    """``KV:src/vzctl.c:main`` and the recorded ``global_opt_after_command``: flags after
    the command are options."""
    ok(vzctl(running, "--verbose", "status", "101"), "CTID 101 exist mounted running\n")
    refused(vzctl(running, "status", "101", "--verbose"), 20, "Invalid options: --verbose \n")


# -- names ------------------------------------------------------------------------------------


def test_every_command_takes_the_name(web: Host) -> None:
    """``KV:src/lib/config.c:get_veid_by_name``: a name resolves through /etc/vz/names/<name>."""
    ok(vzctl(web, "start", "web"), STARTED)
    ok(vzctl(web, "set", "web", "--cpus", "2", "--save"))
    assert 'CPUS="2"\n' in conf(web)
    ok(vzctl(web, "stop", "web"), STOPPED)


def test_an_unknown_name_is_a_bad_ct_id(web: Host) -> None:
    """``KV:src/vzctl.c:main``, ``get_veid_by_name``: exit 21."""
    refused(vzctl(web, "start", "nosuch"), 21, "Bad CT ID nosuch\n")


def test_a_name_the_config_does_not_carry(web: Host) -> None:
    """``KV:src/vzctl.c:main``: the link resolves, but NAME= differs: exit 21."""
    os.symlink("/etc/vz/conf/101.conf", web.root / "etc/vz/names/alias")
    refused(vzctl(web, "start", "alias"), 21, "Unable to find container by name alias\n")


def test_renaming_moves_the_link(web: Host) -> None:
    """``KV:src/lib/config.c:set_name``: the old alias is removed, the new one made."""
    ok(vzctl(web, "set", "101", "--name", "www", "--save"))
    assert os.listdir(web.root / "etc/vz/names") == ["www"]
    assert status(web, "www") == "CTID 101 exist unmounted down\n"


# -- the per-CT lock ---------------------------------------------------------------------------


def _cmdline(pid: int) -> str:
    """``/proc/<pid>/cmdline`` as ``KV:src/lib/lock.c:show_locker`` prints it."""
    raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    return raw.rstrip(b"\0").replace(b"\0", b" ").decode()


def _dead_pid() -> int:
    """The PID of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", ""])
    child.wait()
    return child.pid


def test_a_lock_held_by_a_live_process(web: Host) -> None:
    """``KV:src/vzctl-actions.c:run_action``, ``KV:src/lib/lock.c:vps_lock``: exit 9
    naming the holder; the lock file is left alone and nothing happens to the CT."""
    holder = os.getppid()
    lock = web.root / "vz/lock/101.lck"
    lock.write_text(f"{holder}\n\n")
    refused(
        vzctl(web, "start", "101"),
        9,
        f"Locked by: pid {holder}, cmdline {_cmdline(holder)}\nContainer already locked\n",
    )
    assert lock.read_text() == f"{holder}\n\n"
    assert status(web) == "CTID 101 exist unmounted down\n"


def test_status_and_exec_do_not_lock(running: Host) -> None:
    """``KV:src/vzctl-actions.c:run_action``: no lock for status and exec*."""
    (running.root / "vz/lock/101.lck").write_text(f"{os.getppid()}\n\n")
    assert status(running) == "CTID 101 exist mounted running\n"
    ok(vzctl(running, "exec", "101", "hostname"))
    ok(vzctl(running, "exec2", "101", "true"))


def test_skiplock_ignores_the_lock(web: Host) -> None:
    """``KV:src/vzctl.c:main``: ``--skiplock`` takes no lock (vzmigrate's way)."""
    lock = web.root / "vz/lock/101.lck"
    lock.write_text(f"{os.getppid()}\n\n")
    ok(vzctl(web, "--skiplock", "start", "101"), STARTED)
    assert lock.read_text() == f"{os.getppid()}\n\n"


def test_a_stale_lock_is_removed(web: Host) -> None:
    """``KV:src/lib/lock.c:vps_lock``: a dead holder's lock is removed with a message, then taken;
    released at exit."""
    lock = web.root / "vz/lock/101.lck"
    lock.write_text(f"{_dead_pid()}\n\n")
    ok(vzctl(web, "start", "101"), "Removing stale lock file /vz/lock/101.lck\n" + STARTED)
    assert not lock.exists()


def test_a_lock_without_a_pid_is_removed_silently(web: Host) -> None:
    """``KV:src/lib/lock.c:getlockpid``: content that is not a number gives pid 0, and
    ``vps_lock`` unlinks the file without a console message (the "Incorrect pid" line
    is level 1, shown only with --verbose; "Removing stale lock file" is for a dead pid)."""
    lock = web.root / "vz/lock/101.lck"
    lock.write_text("garbage\n")
    ok(vzctl(web, "start", "101"), STARTED)
    assert not lock.exists()


def test_the_lock_is_released_after_every_command(web: Host) -> None:
    """``KV:src/lib/lock.c:vps_unlock`` from ``run_action``: unlinked at exit, success or failure."""
    ok(vzctl(web, "start", "101"))
    assert vzctl(web, "start", "101").exit == 32
    ok(vzctl(web, "stop", "101"))
    assert os.listdir(web.root / "vz/lock") == []
