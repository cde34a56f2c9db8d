"""Property: whatever command the harness is handed (built from container IDs in and out
of the range, in other scripts' digits, names (option-like ones too), vzctl's global
options, and paths to private/root areas, dump files and links), the guarded backend
never touches a container or an area outside the reserved range. Checked on a simulated
host through its files and kernel state: the operator containers' configs, private
areas and run state, and a canary directory outside the node that a link points at."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simvz.backends.guarded import GuardedBackend
from simvz.backends.sim import SimBackend
from simvz.harness.guard import CtidRange, Guard, GuardError
from simvz.host import Host
from simvz.hostinit import init_host
from tests.conftest import create_ct, start_ct, vzctl

FULLWIDTH_990001 = "\uff19\uff19\uff10\uff10\uff10\uff11"
OPERATOR = (101, 102, 1234567)
IDS = ["990001", "990002", "990003", "101", "102", "1234567", "0", "", "+990001", " 990002", "0990001",
       FULLWIDTH_990001, "\u0669\u0669\u0660\u0660\u0660\u0661", "990001\u0663", "9" * 11,
       "-990001"]  # fmt: skip
NAMES = ["web", "-S", "destroy", "--quiet", "--skiplock", "-a", "stop", "nosuch", FULLWIDTH_990001]
GLOBALS = ["--quiet", "--verbose", "--skiplock", "-q", "-v"]
COMMANDS = ["destroy", "delete", "stop", "start", "restart", "mount", "umount", "set", "create",
            "chkpnt", "restore", "status", "exec", "quotaoff"]  # fmt: skip


def paths(canary: Path) -> list[str]:
    """Areas: the range's own, the operators', through ``.``/``..``/links, outside."""
    return [
        "/vz/private/990001", "/vz/private/$VEID", "/vz/root/$VEID", "/vz/private/101", "/vz/private/./102",
        "/vz/private/990001/../101", "/vz/private/oplink", "/vz/private/990008", "/vz/root/101",
        str(canary), "relative", "/vz/dump/Dump.101", "/vz/dump/Dump.990002", "/vz/private/101/etc/issue",
    ]  # fmt: skip


def options(canary: Path) -> st.SearchStrategy[list[str]]:
    path = st.sampled_from(paths(canary))
    one = st.one_of(
        st.tuples(st.sampled_from(["--private", "--root", "--dumpfile"]), path).map(list),
        st.builds(lambda p: [f"--private={p}"], path),
        st.sampled_from([["--save"], ["--fast"], ["--ostemplate", "centos-6-x86"], ["--skiplock"], ["true"]]),
    )
    return st.lists(one, max_size=2).map(lambda xs: [w for x in xs for w in x])


def commands(canary: Path) -> st.SearchStrategy[list[str]]:
    vzctl_argv = st.builds(
        lambda g, c, t, o: ["vzctl", *g, c, t, *o],
        st.lists(st.sampled_from(GLOBALS), max_size=2),
        st.sampled_from(COMMANDS),
        st.one_of(st.sampled_from(["990001", "990002", "990003", "destroy"]), st.sampled_from(IDS + NAMES)),
        options(canary),
    )
    vzmigrate_argv = st.builds(
        lambda o, d, t: ["vzmigrate", *o, d, *t],
        st.lists(
            st.sampled_from(["--online", "-r", "no", "--keep-dst", "--ssh=-oProxyCommand=x", "-v"]),
            max_size=2,
        ),
        st.sampled_from(["otherhost", "990001", "101"]),
        st.lists(st.sampled_from(IDS + NAMES), min_size=0, max_size=2),
    )
    return st.one_of(vzctl_argv, vzmigrate_argv)


def operator_state(n: Host, canary: Path) -> tuple[object, ...]:
    """Digest of what lies outside the range: operator configs, private areas, run state
    and name links, and the canary directory."""
    h = hashlib.sha256()
    for top in [n.fs.real(f"/vz/private/{ct}") for ct in OPERATOR] + [canary]:
        for p in sorted(top.rglob("*")):
            h.update(str(p).encode() + (p.read_bytes() if p.is_file() and not p.is_symlink() else b"-"))
    for ct in OPERATOR:
        h.update(n.fs.real(f"/etc/vz/conf/{ct}.conf").read_bytes())
    targets = {f"/etc/vz/conf/{ct}.conf" for ct in OPERATOR}
    links = sorted(
        (p.name, os.readlink(p)) for p in n.fs.real("/etc/vz/names").iterdir() if os.readlink(p) in targets
    )
    running = tuple(vzctl(n, "status", str(ct)).out for ct in OPERATOR)
    return h.hexdigest(), links, running


def build(root: Path) -> tuple[Host, Path]:
    n = init_host(root / "node")
    canary = root / "canary"
    (canary / "etc").mkdir(parents=True)
    (canary / "etc" / "issue").write_text("outside the node\n")
    for ct in (*OPERATOR, 990001, 990002):
        create_ct(n, ct)
    for ct, name in ((101, "-S"), (102, "web"), (990001, "destroy")):
        assert vzctl(n, "set", str(ct), "--name", name, "--save").exit == 0
    os.symlink("/etc/vz/conf/1234567.conf", n.fs.real(f"/etc/vz/names/{FULLWIDTH_990001}"))
    start_ct(n, 101)
    start_ct(n, 990002)
    os.symlink("/vz/private/101", n.fs.real("/vz/private/oplink"))
    os.symlink(str(canary), n.fs.real("/vz/private/990008"))
    return n, canary


@pytest.mark.slow
def test_no_guarded_command_touches_anything_outside_the_range() -> None:
    """About 120 random commands on one host (those the guard lets through change the
    range's containers as they go): over 10 s on two shared cores, hence ``slow``."""
    with tempfile.TemporaryDirectory() as tmp:
        n, canary = build(Path(tmp))
        guard = Guard(SimBackend(n), CtidRange.parse("990000-990999"), real=False)
        guarded = GuardedBackend(guard.host, guard)
        before = operator_state(n, canary)
        seen = {"ran": 0, "refused": 0}

        @settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
        @given(commands(canary))
        def check(argv: list[str]) -> None:
            try:
                guarded.run(argv)
                seen["ran"] += 1
            except GuardError:
                seen["refused"] += 1
            assert operator_state(n, canary) == before, argv

        check()
        assert seen["ran"] >= 10 and seen["refused"] >= 10, seen  # both sides were exercised
        with pytest.raises(GuardError):  # the links stay: left alone, loudly
            guard.cleanup_all()
        assert operator_state(n, canary) == before
