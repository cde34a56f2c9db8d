"""vzmigrate 4.11.1 between two simulated nodes. Each
test names the step of ``KV:bin/vzmigrate.in`` (kolyshkin/vzctl, tag vzctl-4.11.1) it
encodes and checks both nodes as their administrators would: vzctl status, vzlist, the
config files, /proc/vz, and the destination's journal."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from simvz.host import Host
from simvz.hostinit import init_host
from simvz.results import Result
from tests.conftest import create_ct, start_ct, vzctl, vzlist

IP = "10.0.0.1"


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    """A registry of this test's own: parallel workers never share names."""
    return tmp_path / "hosts.json"


@pytest.fixture
def src(tmp_path: Path, registry: Path) -> Host:
    """node-a, with a spare NIC eth5 (node-b has none)."""
    return init_host(tmp_path / "a", hostname="node-a", registry=registry, nics=["eth5"])


@pytest.fixture
def dst(tmp_path: Path, registry: Path) -> Host:
    """node-b."""
    return init_host(tmp_path / "b", hostname="node-b", registry=registry)


@pytest.fixture
def web(src: Host) -> Host:
    """CT 101 "web" on node-a: an IP, a veth on vmbr0, a file written in its private area."""
    create_ct(src, 101)
    r = vzctl(src, "set", "101", "--name", "web", "--ipadd", IP, "--netif_add", "eth0,,,,vmbr0", "--save")
    assert r.exit == 0, r
    (src.root / "vz/private/101/root/notes.txt").write_text("kept across nodes\n")
    return src


def vzmigrate(host: Host, *args: str) -> Result:
    """``vzmigrate ARGS`` run on ``host`` in-process."""
    return host.run("vzmigrate", ["vzmigrate", *args])


def snapshot(host: Host) -> dict[str, object]:
    """Everything an administrator of the node could see, and the kernel state: every
    file, link and directory, except the journal and lock files; the clock and the
    uptimes and held values derived from it move with every command run, as time does
    on a real node (docs/usage.md): of the beancounters, the limits are compared."""
    out: dict[str, object] = {}
    for path in sorted(host.root.rglob("*")):
        rel = str(path.relative_to(host.root))
        if rel in (".simvz/journal.jsonl", ".simvz/host.lock", "proc/vz/vestat"):
            continue
        if path.is_symlink():
            out[rel] = ("link", os.readlink(path))
        elif path.is_dir():
            out[rel] = "dir"
        elif rel == ".simvz/kernel.json":
            kernel = json.loads(path.read_text())
            kernel.pop("clock")
            out[rel] = kernel
        elif rel == "proc/user_beancounters" or rel.startswith("proc/bc/"):
            out[rel] = [line.split()[-3:-1] for line in path.read_text().splitlines()[2:]]
        else:
            out[rel] = path.read_bytes()
    return out


def journal(host: Host, since: int = 0) -> list[list[str]]:
    """argv of every command run on ``host`` (from entry ``since``)."""
    return [e["argv"] for e in host.journal()[since:]]


def stdout_of(host: Host, *argv: str) -> str:
    """What the journaled run of ``argv`` printed on ``host``."""
    return str(next(e["stdout"] for e in host.journal() if e["argv"] == list(argv)))


def conf(host: Host, name: str = "101.conf") -> str:
    """A file of /etc/vz/conf."""
    return (host.root / "etc/vz/conf" / name).read_text()


# -- moving a container ------------------------------------------------------------------


def test_a_stopped_ct_moves_with_its_config_private_area_and_name(web: Host, dst: Host) -> None:
    """vzmigrate.in: lock_ct, get_status, "Preparing remote node" (scp of <id>.conf, remote
    ``set --private --root --save`` and ``--applyconfig_map name``), quotainit/quotaon,
    "Syncing private", a stopped CT's quota off ("Turning quota off"), "Cleaning up",
    ``vzctl destroy`` on the source, undo_lock."""
    old_conf = conf(web)
    r = vzmigrate(web, "node-b", "101")
    quota = stdout_of(dst, "vzctl", "quotainit", "101")
    assert (r.exit, r.err) == (0, "")
    assert r.out == (
        "Locked CT 101\nStarting migration of CT 101 to node-b\nPreparing remote node\n"
        f"Initializing remote quota\n{quota}Syncing private\nSyncing 2nd level quota\n"
        "Turning quota off\nCleaning up\n"
    )
    # the destination's vzctl set wrote the remote paths, expanded, over the copied file
    assert conf(dst) == old_conf.replace("$VEID", "101")
    assert (dst.root / "vz/private/101/root/notes.txt").read_text() == "kept across nodes\n"
    assert os.readlink(dst.root / "etc/vz/names/web") == "/etc/vz/conf/101.conf"
    assert vzctl(dst, "status", "web").out == "CTID 101 exist unmounted down\n"
    assert vzctl(web, "status", "101").out == "CTID 101 deleted unmounted down\n"
    assert not (web.root / "vz/private/101").exists()
    assert conf(web, "101.conf.destroyed") == old_conf
    assert journal(dst) == [
        ["vzctl", "--quiet", "status", "101"],
        ["vzctl", "set", "101", "--private", "/vz/private/101", "--root", "/vz/root/101", "--save"],
        ["vzctl", "set", "101", "--applyconfig_map", "name", "--save"],
        ["vzctl", "quotainit", "101"],
        ["vzctl", "quotaon", "101"],
        ["vzctl", "status", "web"],
    ]
    # the source's own vzctl runs under vzmigrate's lock: --skiplock (VZCTL_L)
    assert journal(web)[-4:] == [
        ["vzctl", "--skiplock", "--quiet", "status", "101"],
        ["vzctl", "--skiplock", "destroy", "101"],
        ["vzmigrate", "node-b", "101"],
        ["vzctl", "status", "101"],
    ]


def test_a_running_ct_moves_offline_with_ips_veth_and_name(web: Host, dst: Host) -> None:
    """vzmigrate.in offline mode, running CT: "Stopping container" (local vzctl stop), the
    2nd rsync pass, "Starting container" (remote vzctl start): the CT comes up on node-b
    with its IP routed there and its veth on the bridge, and is gone from node-a."""
    start_ct(web)
    mac = conf(web).split("host_mac=")[1].split('"')[0].lower()
    r = vzmigrate(web, "node-b", "web")
    quota = stdout_of(dst, "vzctl", "quotainit", "101")
    assert (r.exit, r.err) == (0, "")
    assert r.out == (
        "Locked CT 101\nStarting migration of CT 101 to node-b\nPreparing remote node\n"
        f"Initializing remote quota\n{quota}Syncing private\nStopping container\n"
        "Syncing 2nd level quota\nStarting container\nCleaning up\n"
    )
    assert vzctl(dst, "status", "101").out == "CTID 101 exist mounted running\n"
    assert vzlist(dst, "-H", "-o", "ctid,name,ip,status").out.split() == ["101", "web", IP, "running"]
    assert IP in (dst.root / "proc/vz/veip").read_text()
    assert f"{mac}  veth101.0" in (dst.root / "proc/vz/veth").read_text()
    assert vzctl(dst, "exec", "101", "cat", "/root/notes.txt").out == "kept across nodes\n"
    assert vzctl(web, "status", "101").out == "CTID 101 deleted unmounted down\n"
    assert IP not in (web.root / "proc/vz/veip").read_text()
    assert "veth101.0" not in (web.root / "proc/vz/veth").read_text()
    # destroy's remove_names matches links by readlink() alone (KV:src/lib/util.c)
    assert not os.path.lexists(web.root / "etc/vz/names/web")
    assert journal(dst)[5] == ["vzctl", "start", "101"]
    assert journal(web)[-4:-1] == [
        ["vzctl", "--skiplock", "stop", "101"],
        ["vzctl", "--skiplock", "destroy", "101"],
        ["vzmigrate", "node-b", "web"],
    ]


def test_a_running_ct_moves_live_with_ips_veth_and_name(web: Host, dst: Host) -> None:
    """vzmigrate.in --live: the CPT checks, "Live migrating container..." (chkpnt
    --suspend --flags CAPS, --dump --dumpfile tmp-dump.<id>, scp), remote restore --undump
    --skip_arpdetect and --resume, print_times (-v implies -t), then chkpnt --kill and
    umount of the source's copy, dump files removed, destroy. ``-v`` shows the debug lines
    (indented three spaces) and the output of every command logexec runs."""
    start_ct(web)
    r = vzmigrate(web, "-v", "--online", "node-b", "101")
    assert (r.exit, r.err) == (0, "")
    out = r.out
    for line in (
        "   Loading /etc/vz/vz.conf\nLocked CT 101\nStarting live migration of CT 101 to node-b\n"
        "OpenVZ is running...\n   Checking for CPT version compatibility\n"
        "   Checking for CPU flags compatibility\n   Loading /etc/vz/conf/101.conf\n"
        f"   Getting remote VE_ROOT and VE_PRIVATE\n   Checking IPs on destination node: {IP}  \n"
        "Preparing remote node\n   Copying config file\n",
        "   Creating remote container root dir\n   Creating remote container private dir\n"
        "Initializing remote quota\n   Quota init\n",
        "   Turning remote quota on\nSyncing private\nLive migrating container...\n   Suspending container\n",
        "   Syncing private (2nd pass)\nSyncing 2nd level quota\n   Dumping 2nd level quota\n"
        "   Copying 2nd level quota\n   Loading 2nd level quota\n   Undumping container\n",
        "\n        Suspend + Dump:   0.00\n        Copy dump file:   0.00\n"
        "          Second rsync:   0.00\n       2nd level quota:   0.00\n"
        "       Undump + Resume:   0.00\n                        ------\n"
        "  Total suspended time:   0.00\n\nCleaning up\n   Killing container\n",
        "   Removing dumpfiles\n   Destroying container\n",
    ):
        assert line in out
        out = out[out.index(line) + len(line) :]
    assert out.endswith("Container private area was destroyed\n")
    assert vzctl(dst, "status", "101").out == "CTID 101 exist mounted running\n"
    assert vzlist(dst, "-H", "-o", "ctid,name,ip").out.split() == ["101", "web", IP]
    assert "veth101.0" in (dst.root / "proc/vz/veth").read_text()
    assert not (dst.root / "vz/dump/tmp-dump.101").exists()
    assert not (web.root / "vz/dump/tmp-dump.101").exists()
    assert vzctl(web, "status", "101").out == "CTID 101 deleted unmounted down\n"
    assert journal(dst)[5:7] == [
        ["vzctl", "restore", "101", "--undump", "--dumpfile", "/vz/dump/tmp-dump.101", "--skip_arpdetect"],
        ["vzctl", "restore", "101", "--resume"],
    ]
    assert ["vzctl", "--skiplock", "chkpnt", "101", "--suspend", "--flags", "1073970623"] in journal(web)
    assert ["vzctl", "--skiplock", "chkpnt", "101", "--kill"] in journal(web)


def test_remove_area_no_keeps_the_source_as_conf_migrated(web: Host, dst: Host) -> None:
    """vzmigrate.in: without remove-area the source config becomes <id>.conf.migrated
    "to allow backward migration"; the private area and the name link stay."""
    old = conf(web)
    r = vzmigrate(web, "-r", "no", "node-b", "101")
    assert r.exit == 0, r
    assert conf(web, "101.conf.migrated") == old
    assert not (web.root / "etc/vz/conf/101.conf").exists()
    assert (web.root / "vz/private/101/root/notes.txt").exists()
    assert os.path.islink(web.root / "etc/vz/names/web")
    assert vzctl(dst, "status", "101").out == "CTID 101 exist unmounted down\n"


def test_a_suspended_ct_takes_its_dump_file_along(web: Host, dst: Host) -> None:
    """vzmigrate.in: a suspended CT's Dump.<id> is copied to the remote DUMPDIR ("Copying
    dump file"), so ``vzctl start`` there restores it."""
    start_ct(web)
    assert vzctl(web, "chkpnt", "101").exit == 0
    assert vzctl(web, "status", "101").out == "CTID 101 exist unmounted down suspended\n"
    r = vzmigrate(web, "node-b", "101")
    assert r.exit == 0, r
    assert vzctl(dst, "status", "101").out == "CTID 101 exist unmounted down suspended\n"
    r = vzctl(dst, "start", "101")
    assert r.exit == 0 and "Dump file /vz/dump/Dump.101 exists, trying to restore from it" in r.out
    assert IP in (dst.root / "proc/vz/veip").read_text()


def test_dest_as_a_host_directory_and_the_tool_with_an_empty_environment(web: Host, dst: Host) -> None:
    """Simulator extension: DEST may be the absolute path of a host directory. The node's
    own executable, run with no environment at all (as libvirt runs it), finds node-b
    through the registry path node-a stored at ``simvz init``."""
    r = vzmigrate(web, "--check-only", str(dst.root), "101")
    assert (r.exit, r.err) == (0, "")
    assert r.out == f"Locked CT 101\nChecking migration of CT 101 to {dst.root}\n"
    exe = str(web.root / "usr/sbin/vzmigrate")
    p = subprocess.run([exe, "node-b", "101"], env={}, capture_output=True, text=True)
    assert (p.returncode, p.stderr) == (0, ""), p
    assert p.stdout.startswith("Locked CT 101\nStarting migration of CT 101 to node-b\n")
    assert vzctl(dst, "status", "101").out == "CTID 101 exist unmounted down\n"


# -- refusals: exit code, message, and neither node changed --------------------------------

LOCKED_ERR = (
    "/usr/sbin/vzmigrate: line 202: /vz/lock/101.lck: cannot overwrite existing file\n"
    "Error: CT 101 already locked by PID 999999999\n"
)
PS_HEADER = "UID        PID  PPID  C STIME TTY          TIME CMD\n"
BAD = "\n\nFor command line syntax, please check\n  vzmigrate --help\n  man vzmigrate\n"


def _ip_in_use(src: Host, dst: Host) -> None:
    create_ct(dst, 102)
    assert vzctl(dst, "set", "102", "--ipadd", IP, "--save").exit == 0
    start_ct(dst, 102)


def _exists(src: Host, dst: Host) -> None:
    create_ct(dst, 101)


def _locked(src: Host, dst: Host) -> None:
    # a PID above any pid_max: a stale lock, which vzmigrate (unlike vzctl) never clears
    (src.root / "vz/lock/101.lck").write_text("999999999\n")


def _no_openvz(src: Host, dst: Host) -> None:
    (dst.root / "proc/vz/veinfo").unlink()
    for f in (dst.root / "proc/vz").iterdir():
        f.unlink()
    (dst.root / "proc/vz").rmdir()


def _running_with_ip_in_use(src: Host, dst: Host) -> None:
    _running(src, dst)
    _ip_in_use(src, dst)


def _running(src: Host, dst: Host) -> None:
    start_ct(src)


REFUSALS = [
    # the case loop's bad_usage (stdout) after getopt(1)'s own messages (stderr)
    ("getopt: unknown option", None, ["--foo", "node-b", "101"], 1, "Invalid usage" + BAD,
     "vzmigrate: unrecognized option '--foo'\n"),
    ("getopt: every bad option is reported", None, ["-x", "--s", "node-b", "101"], 1, "Invalid usage" + BAD,
     "vzmigrate: invalid option -- 'x'\n"
     "vzmigrate: option '--s' is ambiguous; possibilities: '--snapshot' '--ssh' '--ssh-mux'\n"),
    ("getopt: -r needs a value", None, ["node-b", "101", "-r"], 1, "Invalid usage" + BAD,
     "vzmigrate: option requires an argument -- 'r'\n"),
    ("case loop: -r yes|no", None, ["--rem=maybe", "node-b", "101"], 1,
     "Invalid usage: bad argument for --remove-area: maybe" + BAD, ""),
    ("parse_nodeps", None, ["-fcpu,gpu", "node-b", "101"], 1,
     "Invalid usage: unknown -f argument: gpu" + BAD, ""),
    ("not enough parameters", None, ["node-b"], 1, "Invalid usage: not enough parameters" + BAD, ""),
    ("too many parameters", None, ["node-b", "101", "x"], 1,
     "Invalid usage: too many parameters: node-b 101 x" + BAD, ""),
    ("name unknown to vzlist", None, ["node-b", "nosuch"], 10, "", "CT ID nosuch is invalid.\n"),
    ("lock_ct: lock file present", _locked, ["node-b", "101"], 20, PS_HEADER, LOCKED_ERR),
    ("get_status: deleted", None, ["node-b", "102"], 10, "Locked CT 102\n", "Error: CT #102 doesn't exist\n"),
    ("live on a stopped CT", None, ["--live", "node-b", "101"], 2, "Locked CT 101\n",
     "Error: Can't perform live migration of a stopped container\n"),
    ("ssh: unknown destination", None, ["node-c", "101"], 4,
     "Locked CT 101\nStarting migration of CT 101 to node-c\n",
     "Error: Can't connect to destination address using public key\n"
     "Error: Please put your public key to destination node\n"),
    ("ssh -v shows ssh's own error", None, ["-v", "node-c", "101"], 4,
     "   Loading /etc/vz/vz.conf\nLocked CT 101\nStarting migration of CT 101 to node-c\n",
     "ssh: Could not resolve hostname node-c: Name or service not known\r\n"
     "Error: Can't connect to destination address using public key\n"
     "Error: Please put your public key to destination node\n"),
    ("vz status on the destination", _no_openvz, ["node-b", "101"], 14,
     "Locked CT 101\nStarting migration of CT 101 to node-b\n",
     "Error: OpenVZ is not running on the target machine\nError: Can't continue migration\n"),
    ("CT exists on the destination", _exists, ["node-b", "101"], 9,
     "Locked CT 101\nStarting migration of CT 101 to node-b\n",
     "Error: CT #101 already exists on destination node\n"),
    ("IP in use on the destination", _ip_in_use, ["node-b", "web"], 12,
     "Locked CT 101\nStarting migration of CT 101 to node-b\n",
     "Error: IP address(es) already in use on destination node\n"),
    ("IP in use, live", _running_with_ip_in_use, ["--live", "node-b", "101"], 12,
     "Locked CT 101\nStarting live migration of CT 101 to node-b\n",
     "Error: IP address(es) already in use on destination node\n"),
    ("check-only passes and changes nothing", _running, ["--dry-run", "--live", "node-b", "101"], 0,
     "Locked CT 101\nChecking live migration of CT 101 to node-b\n", ""),
]  # fmt: skip


@pytest.mark.parametrize(("given", "args", "code", "out", "err"), [r[1:] for r in REFUSALS],
                         ids=[r[0] for r in REFUSALS])  # fmt: skip
def test_refusals_change_neither_node(
    web: Host, dst: Host, given: object, args: list[str], code: int, out: str, err: str
) -> None:
    """Every check of vzmigrate.in before "Preparing remote node" (see each case's id)
    exits with its code and message and leaves both nodes exactly as they were."""
    if callable(given):
        given(web, dst)
    before = snapshot(web), snapshot(dst)
    r = vzmigrate(web, *args)
    assert (r.exit, r.out, r.err) == (code, out, err)
    assert (snapshot(web), snapshot(dst)) == before


def test_usage_and_help() -> None:
    """vzmigrate.in: ``[ $# = 0 ] && usage`` and -h/--help/--usage print the usage on
    stdout with exit 0, even after other options."""
    text = (Path(__file__).resolve().parents[2] / "simvz/data/vzmigrate-usage.txt").read_text()
    host = Host("/nonexistent")  # the usage needs no node
    from simvz.cli import vzmigrate as tool

    for argv in (
        ["vzmigrate"],
        ["vzmigrate", "-v", "--usage"],
        ["vzmigrate", "--he", "x"],
        ["vzmigrate", "-h"],
    ):
        r = tool.main(host, argv, b"")
        assert (r.exit, r.out, r.err) == (0, text, ""), argv
    assert text.startswith("This program is used for container migration to another node.\nUsage:\n")


def test_migrating_to_itself_is_exists_on_destination(web: Host) -> None:
    """DEST naming the source node: its status says ``exist`` (9), and the destination's
    commands share the lock this run holds instead of waiting for it forever."""
    before = snapshot(web)
    r = vzmigrate(web, "node-a", "101")
    assert (r.exit, r.err) == (9, "Error: CT #101 already exists on destination node\n")
    assert snapshot(web) == before


# -- a failure after the destination was prepared: the undo chain --------------------------


@pytest.mark.parametrize("keep_dst", [False, True])
def test_a_failed_start_on_the_destination_is_undone(web: Host, dst: Host, keep_dst: bool) -> None:
    """vzmigrate.in: remote ``vzctl start`` fails (NIC eth5 exists on node-a only) ->
    "Failed to start container", exit 7, undo_copy_quota ... undo_stop (the CT starts
    again on the source, its output shown), vzquota off and drop, root and private area
    removed (kept with --keep-dst), ``set --name ''``, config removed, undo_lock."""
    assert vzctl(web, "set", "101", "--netdev_add", "eth5", "--save").exit == 0
    start_ct(web)
    before = snapshot(dst)
    r = vzmigrate(web, *(["--keep-dst"] if keep_dst else []), "node-b", "101")
    assert r.exit == 7
    assert r.err.endswith("Error: Failed to start container\n")
    restart = next(e for e in web.journal() if e["argv"] == ["vzctl", "--skiplock", "start", "101"])
    assert r.out.endswith("Starting container\n" + restart["stdout"])
    assert vzctl(web, "status", "101").out == "CTID 101 exist mounted running\n"
    assert IP in (web.root / "proc/vz/veip").read_text()
    assert not (web.root / "vz/lock/101.lck").exists()
    after = snapshot(dst)
    kept = {k: v for k, v in after.items() if k.startswith("vz/private/101")}
    assert bool(kept) is keep_dst
    assert {k: v for k, v in after.items() if k not in kept} == before
    assert journal(dst)[-2:] == [["vzctl", "start", "101"], ["vzctl", "set", "101", "--name", "", "--save"]]
