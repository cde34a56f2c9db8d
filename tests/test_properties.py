"""Property: whatever argv vzctl or vzlist get, the simulated tools answer like the real
ones -- an exit code of vzctl's table, never a Python traceback -- and a refused command
leaves the host exactly as it was (the project's rule for bad input).

Argv is drawn from a vocabulary of real commands, options, CT IDs and values, bad ones
included (global syntax and IDs ``KV:src/vzctl.c:main``, options ``KV:src/vzctl-actions.c``,
values ``KV:src/lib/config.c``), plus bytes
that are not UTF-8. Each example runs a short sequence of commands on a fresh copy of a
node holding two created containers, so later commands meet states earlier ones made.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simvz.cli import setopts
from simvz.harness.nodes import Snapshot as NodeSnapshot
from simvz.host import Host
from simvz.results import Result
from tests.conftest import create_ct, make_host, start_ct, vzctl

# Exit codes vzctl 4.11.1 can return (KV:include/vzerror.h).
VZCTL_CODES = frozenset(
    {0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 21, 22, 23, 24, 27, 28, 29}
    | {31, 32, 33, 34, 35, 36, 40, 41, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55}
    | set(range(60, 69))
    | {70, 71, 72, 73, 74, 77, 78, 79, 82, 85, 86, 87, 89, 91, 99, 100}
    | set(range(104, 110))
    | {128, 129, 130, 131, 133, 139, 144, 148, 150}
    | set(range(151, 162))
    | {166, 167}
)
# vzlist returns 0, or 1 for any error (KV:src/vzlist.c: every failure path exits 1).
VZLIST_CODES = frozenset({0, 1})
# exec2 and runscript return the exit status of what ran inside the CT
# (KV:src/vzctl-actions.c:run_action, KV:src/lib/exec.c), so any status is vzctl's answer there.
PASS_THROUGH = frozenset({"exec2", "runscript"})

# Files whose content is a function of time, not of state: the simulated clock advances
# one second per command (simvz/host.py Host._dispatch) as a real host's clock does.
KERNEL_JSON = ".simvz/kernel.json"
VESTAT = "proc/vz/vestat"
# vestat columns derived from the uptime (KV kernel vecalls.c): uptime, idle, uptime cycles.
VESTAT_TIME_COLUMNS = (4, 5, 7)
SKIPPED = frozenset({".simvz/journal.jsonl", ".simvz/host.lock", ".simvz/faults.lock"})

COMMANDS = (
    *("set", "create", "start", "stop", "restart", "destroy", "delete", "mount", "umount"),
    *("status", "exec", "exec2", "runscript", "suspend", "chkpnt", "resume", "restore"),
    *("quotaon", "quotaoff", "quotainit", "snapshot-list", "enter", "exec3", "console"),
    *("convert", "compact", "snapshot", "--help", "frobnicate", "", "-", "--version"),
)
CORE_COMMANDS = (
    *("set", "create", "start", "stop", "restart", "destroy", "mount", "umount", "status"),
    *("exec", "exec2", "runscript", "suspend", "resume"),
)
GLOBAL_FLAGS = ("--verbose", "--quiet", "--skiplock", "--version", "--verb")
CT_IDS: tuple[str | bytes, ...] = (
    *("101", "102", "103", "0", "-1", "2147483644", "2147483645", "99999999999999999999"),
    *("web", "db", "nosuch", "", " 101", "101 ", "0101", "+101", "0x65", "1e3", "web/../x"),
    *("../101", "101.conf", "."),
    b"\xff\xfe",
    b"w\xe9b",
)
OPTIONS = tuple(
    sorted(
        {f"--{name}" for name, _arg, _h in setopts.SET_OPTIONS}
        | {f"--{name}" for name, _arg, _h in setopts.CREATE_OPTIONS}
        | {"--fast", "--wait", "--skip-umount", "--skip-fsck", "--skip-remount", "--skip_ve_setup"}
        | {"--dumpfile", "--suspend", "--dump", "--kill", "--resume", "--undump", "--flags"}
        | {"--desc", "--sa", "--n", "--ip", "--dis", "--foo", "--", "-k", "-p", "-a", "-h", "-z", "-"}
    )
)
VALUES: tuple[str | bytes, ...] = (
    *("1", "0", "-1", "8", "10", "1000", "500001", "100000", "10G", "2.2G", "1P", "256M", "1K"),
    *("1E", "unlimited", "1:2", "2:1", "1048576:1048576", ":", "yes", "no", "maybe", "50%", "101%"),
    *("10.0.0.101", "10.0.0.102/24", "10.0.0.300", "::1", "0.0.0.0", "999999999999999999999"),
    *("", " ", "a b", "$VEID", "/vz/private/$VEID", "/vz/private/103", "../../etc", "/etc"),
    *("web", "db", "bad/name", "vswap-256m", "basic", "nonexistent", "centos-6-x86"),
    *("fedora-core-5-i386", "../../../etc/passwd", "simfs", "ploop", "zfs", "restart", "ignore"),
    *("eth0", "eth0,00:18:51:00:00:01", "eth0,zz", "c:1:3:rw", "b:7:0:rw", "CHOWN:off", "nfs:on"),
    *("bogus:on", "ns1.example.com", "8.8.8.8", "inherit", "/vz/dump/Dump.x", "/root/ok.sh"),
    b"\xff\xfe\x80",
    b"caf\xe9",
)
# Whole command lines run inside a CT. Writes only ever succeed or fail before writing,
# so a non-zero status never hides a change made inside the CT: the exit status of
# exec/exec2 is the CT command's, not a vzctl refusal (KV:src/lib/exec.c).
EXEC_SCRIPTS: tuple[tuple[str, ...], ...] = (
    ("df",),
    ("df", "-i"),
    ("hostname",),
    ("cat", "/etc/issue"),
    ("cat", "/nosuch"),
    ("ls", "/"),
    ("false",),
    ("exit", "3"),
    ("nosuchcommand",),
    ("echo hello > /tmp/hello",),
    ("dd", "if=/dev/zero", "of=/big", "bs=1M", "count=20"),
    ("dd", "if=/dev/zero", "of=/mid", "bs=1M", "count=1"),
    ("rm", "/etc/hostname"),
    ("rm", "/nosuch"),
    ("-",),
    ("echo 'unterminated",),
)

STR_VALUES = tuple(v for v in VALUES if isinstance(v, str))
token = st.one_of(
    st.sampled_from(OPTIONS),
    st.sampled_from(VALUES),
    st.builds(lambda o, v: f"{o}={v}", st.sampled_from(OPTIONS), st.sampled_from(STR_VALUES)),
)


@st.composite
def vzctl_argv(draw: st.DrawFn) -> list[str | bytes]:
    """``vzctl [flags] <command> [<ctid>] [options|command line]``."""
    argv: list[str | bytes] = ["vzctl", *draw(st.lists(st.sampled_from(GLOBAL_FLAGS), max_size=2))]
    # common commands and existing CTs weighted up, so that sequences reach deep states
    command = draw(st.sampled_from(CORE_COMMANDS * 3 + COMMANDS))
    argv.append(command)
    if draw(st.integers(0, 9)) == 0:
        return argv  # CT ID missing
    argv.append(draw(st.sampled_from(("101", "102", "web") * 8 + CT_IDS)))
    if command in ("exec", "exec2") and draw(st.booleans()):
        argv.extend(draw(st.sampled_from(EXEC_SCRIPTS)))
    else:
        argv.extend(draw(st.lists(token, max_size=6)))
    return argv


@st.composite
def vzlist_argv(draw: st.DrawFn) -> list[str | bytes]:
    """``vzlist`` with its options (``KV:src/vzlist.c``), fields, patterns and IDs."""
    words: st.SearchStrategy[str | bytes] = st.sampled_from(
        (
            *("-a", "-S", "-H", "-t", "-j", "-1", "-L", "-n", "--all", "--json", "--list", "--foo"),
            *("-o", "-s", "-h", "-N", "-d", "--output", "--sort", "--name_filter", "-x", "--"),
            *("ctid,name,ip", "-ctid", "status", "diskspace", "nosuchfield", "laverage", "*", "[", "w*"),
            *("101", "102", "0", "-1", "2147483645", "web", "nosuch", ""),
            b"\xff",
        )
    )
    return ["vzlist", *draw(st.lists(words, max_size=6))]


# -- the node each example starts from ------------------------------------------------------


def _base(root: Path, state: str) -> None:
    """CT 101 ``web`` and CT 102 created with the same IP (they conflict only when both
    run, ``KV:src/lib/hooks_vz.c:vz_ip_ctl``), 101 with a quota 20 MiB can exceed; CT 101 then in
    ``state``; a host script for runscript."""
    host = make_host(root)
    # centos-6-x86 unpacks to 313514 KiB: 20 MiB more passes the hard limit
    create_ct(host, 101, extra=("--name", "web", "--ipadd", "10.0.0.101", "--diskspace", "320000:330000"))
    create_ct(host, 102, "fedora-core-5-i386", extra=("--ipadd", "10.0.0.101", "--diskspace", "200M"))
    host.fs.write("/root/ok.sh", "df\nhostname\n")
    if state in ("running", "suspended"):
        start_ct(host, 101)
    if state == "suspended":
        assert vzctl(host, "suspend", "101").exit == 0
    if state == "mounted":
        assert vzctl(host, "mount", "101").exit == 0


BASE_STATES = ("stopped", "running", "suspended", "mounted")


@pytest.fixture(scope="module")
def bases() -> Iterator[dict[str, NodeSnapshot]]:
    """One prepared node per state; each example works on a copy."""
    with tempfile.TemporaryDirectory(prefix="simvz-prop-") as tmp:
        out = {}
        for state in BASE_STATES:
            _base(Path(tmp) / state, state)
            out[state] = NodeSnapshot.of(Path(tmp) / state)
        yield out


# -- snapshot of everything under the host directory -----------------------------------------

Entry = tuple[str, int, bytes | str | None]


def snapshot(root: Path) -> dict[str, Entry]:
    """Every dir, symlink and file under ``root`` (type, mode, content), time-neutral."""
    out: dict[str, Entry] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            if rel in SKIPPED:
                continue
            st_ = path.lstat()
            mode = stat.S_IMODE(st_.st_mode)
            if stat.S_ISLNK(st_.st_mode):
                out[rel] = ("link", mode, os.readlink(path))
            elif stat.S_ISDIR(st_.st_mode):
                out[rel] = ("dir", mode, None)
            else:
                out[rel] = ("file", mode, _timeless(rel, path.read_bytes()))
    return out


def _timeless(rel: str, data: bytes) -> bytes:
    if rel == KERNEL_JSON:
        state = json.loads(data)
        state.pop("clock", None)
        return json.dumps(state, sort_keys=True).encode()
    if rel == VESTAT:
        lines = data.split(b"\n")
        rows = [lines[0], lines[1] if len(lines) > 1 else b""]
        for line in lines[2:]:
            cols = line.split()
            for i in VESTAT_TIME_COLUMNS:
                if i < len(cols):
                    cols[i] = b"T"
            rows.append(b" ".join(cols))
        return b"\n".join(rows)
    return data


def _changes(before: dict[str, Entry], after: dict[str, Entry]) -> dict[str, tuple[str, str]]:
    """Changed paths: (kind before, kind after), ``absent`` for a missing one."""
    out = {}
    for k in sorted(set(before) | set(after)):
        if before.get(k) != after.get(k):
            out[k] = (before[k][0] if k in before else "absent", after[k][0] if k in after else "absent")
    return out


# Commands that mount a CT, and so create its VE_ROOT mount point before anything can fail
# (KV:src/lib/fs.c:fsmount: make_dir(fs->root) first; vzctl never removes it on failure).
MOUNTING = frozenset({"start", "restart", "mount", "resume", "restore", "runscript", "set"})


def _source_faithful(host: Host, argv: list[str | bytes], changed: dict[str, tuple[str, str]]) -> list[str]:
    """The changes real vzctl 4.11.1 also makes on these failure paths; the rest are bugs.

    * ``--name`` is applied before anything else can fail and never rolled back
      (``KV:src/lib/create.c:vps_create``: a failure after ``set_name`` jumps to
      ``err_cfg``, which skips ``remove_names``; ``KV:src/vzctl-actions.c:set`` calls
      ``set_name`` before applying or saving anything).
    * A mount point created by a failed start (``KV:src/lib/fs.c:fsmount``).
    """
    words = [a for a in argv if isinstance(a, str)]
    command = next((a for a in words[1:] if a and not a.startswith("--")), "")
    names = command in ("create", "set") and any(
        w.split("=", 1)[0] in ("--na", "--nam", "--name") for w in words
    )
    roots = _ve_roots(host, argv) if command in MOUNTING else set()
    left = []
    for path, (was, now) in changed.items():
        if names and path.startswith("etc/vz/names/") and "dir" not in (was, now):
            continue
        if (was, now) == ("absent", "dir") and path in roots:
            continue
        left.append(f"{path}: {was} -> {now}")
    return left


def _ve_roots(host: Host, argv: list[str | bytes]) -> set[str]:
    """VE_ROOT (relative to the host dir) of every CT the argv may name."""
    from simvz.model import container as C

    out = set()
    for a in argv:
        text = a.decode("utf-8", "surrogateescape") if isinstance(a, bytes) else a
        veid = int(text) if text.isdigit() and int(text) <= C.VEID_MAX else C.name_target(host, text)
        if veid is not None:
            root = C.root_of(C.effective(host, veid), veid)
            if root:
                out.add(str(host.fs.real(root).relative_to(host.root)))
    return out


# -- the property -------------------------------------------------------------------------------


def _check(host: Host, tool: str, argv: list[str | bytes]) -> Result:
    before = snapshot(host.root)
    try:
        result = host.run(tool, argv)
    except Exception as exc:  # the property: no Python exception ever escapes a tool
        raise AssertionError(f"{tool} raised {exc!r} on {argv!r}") from exc
    assert isinstance(result, Result)
    assert isinstance(result.stdout, bytes) and isinstance(result.stderr, bytes)
    command = next((a for a in argv[1:] if isinstance(a, str) and a and not a.startswith("--")), "")
    if tool == "vzlist":
        assert result.exit in VZLIST_CODES, (argv, result)
    elif command not in PASS_THROUGH:
        assert result.exit in VZCTL_CODES, (argv, result)
    if result.exit != 0:
        unexplained = _source_faithful(host, argv, _changes(before, snapshot(host.root)))
        assert not unexplained, (argv, result.exit, result.err, unexplained)
    return result


@settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    state=st.sampled_from(BASE_STATES),
    runs=st.lists(
        st.one_of(
            st.tuples(st.just("vzctl"), vzctl_argv()),
            st.tuples(st.just("vzlist"), vzlist_argv()),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_random_argv_never_crashes_and_refusals_change_nothing(
    bases: dict[str, NodeSnapshot], state: str, runs: list[tuple[str, list[str | bytes]]]
) -> None:
    """Every answer is a vzctl exit code (``KV:include/vzerror.h``) or, for vzlist, 0/1;
    a non-zero exit leaves every file, link and dir under DIR as it was (the project's
    rule for bad input: the host exactly as before)."""
    with tempfile.TemporaryDirectory(prefix="simvz-ex-") as tmp:
        root = Path(tmp) / "node"
        bases[state].copy_to(root)
        host = Host(root)
        for tool, argv in runs:
            _check(host, tool, argv)


KNOWN_BAD: list[tuple[str, list[str | bytes]]] = [
    ("stopped", ["vzctl", "set", b"\xff\xfe", "--save"]),
    ("stopped", ["vzctl", "status", b"w\xe9b"]),
    ("stopped", ["vzctl", "create", "103", "--ostemplate", b"\xff"]),
    ("stopped", ["vzctl", "create", "103", "--ostemplate", "../../../etc/passwd"]),
    ("stopped", ["vzctl", "create", "103", "--ostemplate", "centos-6-x86", "--private", "/vz/private/101"]),
    ("stopped", ["vzctl", "create", "103", "--ostemplate", "nosuch", "--name", "new"]),
    ("stopped", ["vzctl", "set", "101", "--name", "bad/name", "--save"]),
    ("stopped", ["vzctl", "set", "102", "--name", "web", "--save"]),
    ("stopped", ["vzctl", "set", "101", "--diskspace", "1E", "--save"]),
    ("stopped", ["vzctl", "set", "101", "--kmemsize", "999999999999999999999", "--save"]),
    ("stopped", ["vzctl", "set", "101", "--cpuunits", "1000", "--diskspace", "10G"]),
    ("stopped", ["vzctl", "start", "2147483645"]),
    ("stopped", ["vzctl", "start", "-1"]),
    ("stopped", ["vzctl", "stop", "nosuch"]),
    ("stopped", ["vzctl", "umount", "101"]),
    ("stopped", ["vzctl", "exec2", "101", "df"]),
    ("running", ["vzctl", "start", "102"]),
    ("running", ["vzctl", "destroy", "101"]),
    ("running", ["vzctl", "set", "101", "--root", "/vz/root/x", "--save"]),
    ("running", ["vzctl", "exec", "101", "dd", "if=/dev/zero", "of=/big", "bs=1M", "count=20"]),
    ("mounted", ["vzctl", "destroy", "101"]),
    ("suspended", ["vzctl", "suspend", "101"]),
    ("stopped", ["vzlist", b"\xff"]),
    ("stopped", ["vzlist", "-o", "nosuchfield"]),
]


@pytest.mark.parametrize(("state", "argv"), KNOWN_BAD)
def test_known_bad_input_is_refused_and_changes_nothing(
    bases: dict[str, NodeSnapshot], state: str, argv: list[str | bytes]
) -> None:
    """Bad IDs and names (``KV:src/vzctl.c:main``), bad values (``KV:src/lib/config.c``),
    create/set/start/destroy/umount/suspend refusals, an IP in use (``vz_ip_ctl``): a
    non-zero vzctl code, the host unchanged but for what the vzctl source itself leaves
    behind."""
    with tempfile.TemporaryDirectory(prefix="simvz-ex-") as tmp:
        root = Path(tmp) / "node"
        bases[state].copy_to(root)
        r = _check(Host(root), str(argv[0]), argv)
        assert r.exit != 0, r


def test_non_utf8_value_is_stored_as_given(bases: dict[str, NodeSnapshot]) -> None:
    """``KV:src/lib/util.c:parse_line``, ``vps_save_config``: vzctl copies value bytes into
    the config as they are."""
    with tempfile.TemporaryDirectory(prefix="simvz-ex-") as tmp:
        root = Path(tmp) / "node"
        bases["stopped"].copy_to(root)
        r = _check(Host(root), "vzctl", ["vzctl", "set", "101", "--description", b"caf\xe9", "--save"])
        assert r.exit == 0, r
        assert b'DESCRIPTION="caf\xe9"' in (root / "etc/vz/conf/101.conf").read_bytes()
