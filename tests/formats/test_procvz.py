"""The kernel's /proc files as a 2.6.32 042stab (RHEL6 OpenVZ, x86_64) kernel writes
them, for a node with running, mounted and stopped containers.

The goldens (tests/golden/proc/) are regenerated with ``SIMVZ_REGENERATE=1``; every line
of each is then checked against the kernel's own format string, held here as data with
the file and function it comes from (the RHEL6 OpenVZ kernel 2.6.32-042stab113.5, GitHub
mirror seyko2/openvz_rhel6_kernel_mirror), rendered
as C's printf would with the values read back from the line."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from simvz.host import Host
from tests.conftest import create_ct, make_host, start_ct, vzctl, vzlist

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "proc"
LONG_MAX = 2**63 - 1

# kernel/bc/proc.c (BITS_PER_LONG == 64): head_fmt, res_fmt; ub_show_header
UB_VERSION = "Version: 2.5\n"
UB_HEAD_FMT = "%10s  %-12s %20s %20s %20s %20s %20s\n"
UB_RES_FMT = "%10s  %-12s %20lu %20lu %20lu %20lu %20lu\n"
# kernel/bc/beancounter.c: ub_rnames; include/bc/beancounter.h: UB_RESOURCES_COMPAT 24
UB_RNAMES = [
    "kmemsize",
    "lockedpages",
    "privvmpages",
    "shmpages",
    "dummy",
    "numproc",
    "physpages",
    "vmguarpages",
    "oomguarpages",
    "numtcpsock",
    "numflock",
    "numpty",
    "numsiginfo",
    "tcpsndbuf",
    "tcprcvbuf",
    "othersockbuf",
    "dgramrcvbuf",
    "numothersock",
    "dcachesize",
    "numfile",
    "dummy",
    "dummy",
    "dummy",
    "numiptent",
    "swappages",
]
COMPAT = 24
# kernel/ve/vecalls.c: VESTAT_LINE_WIDTH, VESTAT_HEAD_FMT, VESTAT_LINE_FMT; vestat_seq_show
VESTAT_LINE_WIDTH = 12 * 21
VESTAT_VERSION_FMT = "%-*s\n"
VESTAT_HEAD_FMT = "%20s %20s %20s %20s %20s %20s %20s %20s %20s %20s %20s %20s\n"
VESTAT_LINE_FMT = "%20u %20lu %20lu %20lu %20Lu %20Lu %20Lu %20Lu %20Lu %20Lu %20Lu %20lu\n"
# kernel/ve/vecalls.c:veinfo_seq_show; drivers/net/venetdev.c:veaddr_seq_print
VEINFO_FMT = "%10u %5u %5u"
VEINFO_IP4_FMT = " %15s"
VEINFO_IP6_FMT = " %39s"
# drivers/net/venetdev.c:veip_seq_show
VEIP_VERSION = "Version: 2.5\n"
VEIP_FMT = "%39s %10u\n"
# fs/quota/vzdquota/vzdq_mgmt.c: print_proc_header, print_proc_master_id, print_proc_stat
VZQUOTA_HEAD_FMT = "%-11s%15s%15s%15s%11s%11s\n"
VZQUOTA_ID_FMT = "%u: %s\n"
VZQUOTA_STAT_FMT = "%11s%15Lu%15Lu%15Lu%11u%11u\n"


def printf(fmt: str, *args: object) -> str:
    """C's printf for the conversions the kernel uses here (length modifiers dropped)."""
    return re.sub(r"%(-?\*?\d*)(?:l|L|ll)?u", r"%\1d", fmt) % args


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Host:
    """101 running (IPv4), 102 running (IPv4 and IPv6, VM_OVERCOMMIT), 103 mounted, 104
    stopped: every kind of row the files have."""
    host = make_host(tmp_path_factory.mktemp("proc") / "node")
    for veid in (101, 102, 103, 104):
        create_ct(host, veid)
    assert vzctl(host, "set", "101", "--ipadd", "10.0.0.101", "--save").exit == 0
    args = ("--ipadd", "10.0.0.102", "--ipadd", "2001:db8::102", "--vm_overcommit", "1.5", "--save")
    assert vzctl(host, "set", "102", *args).exit == 0
    start_ct(host, 101)
    start_ct(host, 102)
    assert vzctl(host, "mount", "103").exit == 0
    return host


FILES = {
    "user_beancounters": "proc/user_beancounters",
    "bc_resources": "proc/bc/resources",
    "bc_101_resources": "proc/bc/101/resources",
    "bc_0_resources": "proc/bc/0/resources",
    "vestat": "proc/vz/vestat",
    "veinfo": "proc/vz/veinfo",
    "veip": "proc/vz/veip",
    "vzquota": "proc/vz/vzquota",
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_golden(node: Host, name: str) -> None:
    text = (node.root / FILES[name]).read_text()
    golden = GOLDEN / name
    if os.environ.get("SIMVZ_REGENERATE") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
    assert text == golden.read_text()


def _golden_lines(name: str) -> list[str]:
    return (GOLDEN / name).read_text().splitlines(keepends=True)


def _ub_rows(lines: list[str]) -> list[tuple[str, str, list[int]]]:
    """(uid, resource, values) of every row, each checked against res_fmt."""
    rows = []
    for line in lines:
        uid, rest = line[:10].strip(), line[12:].split()
        values = [int(v) for v in rest[1:]]
        assert line == printf(UB_RES_FMT, uid, rest[0], *values), line
        rows.append((uid, rest[0], values))
    return rows


def _blocks(rows: list[tuple[str, str, list[int]]]) -> dict[str, list[str]]:
    blocks: dict[str, list[str]] = {}
    current = ""
    for uid, name, _ in rows:
        current = uid or current
        blocks.setdefault(current, []).append(name)
    return blocks


def test_user_beancounters_format() -> None:
    """ub_show: the compat resources with their dummy rows, newest beancounter first,
    the host's (0:) last; no swappages, no avnumproc."""
    lines = _golden_lines("user_beancounters")
    assert lines[0] == UB_VERSION
    assert lines[1] == printf(
        UB_HEAD_FMT, "uid", "resource", "held", "maxheld", "barrier", "limit", "failcnt"
    )
    rows = _ub_rows(lines[2:])
    blocks = _blocks(rows)
    assert list(blocks) == ["102:", "101:", "0:"]
    assert all(names == UB_RNAMES[:COMPAT] for names in blocks.values())
    assert all(v[:2] == [0, 0] for _, name, v in rows if name == "dummy")


def test_bc_resources_format() -> None:
    """res_show: the same header, no dummy rows, swappages last."""
    lines = _golden_lines("bc_resources")
    assert lines[:2] == _golden_lines("user_beancounters")[:2]
    wanted = [n for n in UB_RNAMES[:COMPAT] if n != "dummy"] + UB_RNAMES[COMPAT:]
    blocks = _blocks(_ub_rows(lines[2:]))
    assert list(blocks) == ["102:", "101:", "0:"] and all(b == wanted for b in blocks.values())


@pytest.mark.parametrize("name", ["bc_101_resources", "bc_0_resources"])
def test_bc_id_resources_format(name: str) -> None:
    """bc_resources_show: no header and no uid."""
    rows = _ub_rows(_golden_lines(name))
    assert all(uid == "" for uid, _, _ in rows)
    assert [n for _, n, _ in rows] == [n for n in UB_RNAMES if n != "dummy"]


def test_vestat_format() -> None:
    lines = _golden_lines("vestat")
    assert lines[0] == printf(VESTAT_VERSION_FMT, VESTAT_LINE_WIDTH - 1, "Version: 2.2")
    heads = [
        "VEID",
        "user",
        "nice",
        "system",
        "uptime",
        "idle",
        "strv",
        "uptime",
        "used",
        "maxlat",
        "totlat",
        "numsched",
    ]
    assert lines[1] == printf(VESTAT_HEAD_FMT, *heads)
    assert [line.split()[0] for line in lines[2:]] == ["101", "102"]
    for line in lines[2:]:
        assert line == printf(VESTAT_LINE_FMT, *(int(v) for v in line.split()))
    assert {len(line) for line in lines} == {VESTAT_LINE_WIDTH}  # 251 and the newline


def test_veinfo_format() -> None:
    lines = _golden_lines("veinfo")
    assert [line.split()[0] for line in lines] == ["0", "101", "102"]
    for line in lines:
        words = line.split()
        ips = "".join(printf(VEINFO_IP6_FMT if ":" in ip else VEINFO_IP4_FMT, ip) for ip in words[3:])
        assert line == printf(VEINFO_FMT, *(int(w) for w in words[:3])) + ips + "\n"


def test_veip_format() -> None:
    lines = _golden_lines("veip")
    assert lines[0] == VEIP_VERSION
    for line in lines[1:]:
        ip, veid = line.split()
        assert line == printf(VEIP_FMT, ip, int(veid))
    assert sorted(line.split()[0] for line in lines[1:]) == [
        "10.0.0.101",
        "10.0.0.102",
        "2001:db8:0:0:0:0:0:102",
    ]


def test_vzquota_format() -> None:
    """Mounted containers have an active quota; the stopped 104 has none."""
    lines = _golden_lines("vzquota")
    assert lines[0] == printf(
        VZQUOTA_HEAD_FMT, "qid: path", "usage", "softlimit", "hardlimit", "time", "expire"
    )
    ids = []
    for i in range(1, len(lines), 3):
        qid, path = lines[i].rstrip("\n").split(": ")
        assert lines[i] == printf(VZQUOTA_ID_FMT, int(qid), path)
        ids.append(qid)
        for line, label in zip(lines[i + 1 : i + 3], ("1k-blocks", "inodes"), strict=True):
            words = line.split()
            assert words[0] == label and line == printf(VZQUOTA_STAT_FMT, label, *(int(w) for w in words[1:]))
    assert ids == ["101", "102", "103"]


def test_stopped_beancounter_leaves_proc_bc(node: Host, tmp_path: Path) -> None:
    host = make_host(tmp_path / "node")
    create_ct(host, 101)
    start_ct(host, 101)
    assert (host.root / "proc/bc/101/resources").is_file()
    assert vzctl(host, "stop", "101").exit == 0
    assert sorted(p.name for p in (host.root / "proc/bc").iterdir()) == ["0", "resources"]


def test_vzlist_reads_proc_bc_first(tmp_path: Path) -> None:
    """vzctl src/vzlist.c:get_ub opens /proc/bc/resources, else /proc/user_beancounters:
    only the former has swappages."""
    host = make_host(tmp_path / "node")
    create_ct(host, 101)
    start_ct(host, 101)
    assert vzlist(host, "-H", "-o", "swappages.l").out.split() == ["131072"]
    (host.root / "proc/bc/resources").unlink()
    assert vzlist(host, "-H", "-o", "swappages.l").out.split() == ["0"]
