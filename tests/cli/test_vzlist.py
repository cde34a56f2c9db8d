"""vzlist 4.11.1 as ``KV:src/vzlist.c`` behaves (the recorded runs in corpus/vzctl-4.11.1
win over our reading of the source). Each test names the part of the source it encodes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simvz.cli import vzlist
from simvz.host import Host, Settings
from simvz.model.kernel import Quota
from simvz.results import Result

DATA = Path(__file__).resolve().parents[2] / "simvz" / "data"

CREATED = """PHYSPAGES="0:256M"
SWAPPAGES="0:512M"
DISKSPACE="2G:2.2G"
DISKINODES="131072:144179"
CPUUNITS="1000"
NETFILTER="stateless"
VE_ROOT="/vz/root/$VEID"
VE_PRIVATE="/vz/private/$VEID"
VE_LAYOUT="simfs"
OSTEMPLATE="centos-6-x86"
ORIGIN_SAMPLE="vswap-256m"
"""


# -- a minimal node ---------------------------------------------------------------------------


@pytest.fixture
def node(tmp_path: Path) -> Host:
    """vz.conf and 0.conf as shipped, an OpenVZ kernel with nothing running."""
    (tmp_path / "etc/vz/conf").mkdir(parents=True)
    (tmp_path / "etc/vz/names").mkdir()
    shutil.copy(DATA / "vz.conf", tmp_path / "etc/vz/vz.conf")
    shutil.copy(DATA / "conf/0.conf", tmp_path / "etc/vz/conf/0.conf")
    for d in ("private", "root", "lock", "dump"):
        (tmp_path / "vz" / d).mkdir(parents=True)
    (tmp_path / "proc/vz").mkdir(parents=True)  # the OpenVZ kernel's mark
    host = Host(tmp_path)
    host.save_settings(Settings())
    with host.locked():
        host.kernel.clock += 0
        host.commit()
    return host


def ct(host: Host, veid: int, extra: str = "", private: bool = True) -> None:
    """A created CT (the transcripts' fixture) with ``extra`` config lines."""
    (host.root / f"etc/vz/conf/{veid}.conf").write_text(CREATED + extra)
    if private:
        (host.root / f"vz/private/{veid}").mkdir(exist_ok=True)
        (host.root / f"vz/root/{veid}").mkdir(exist_ok=True)


def name(host: Host, link: str, veid: int) -> None:
    """An /etc/vz/names symlink as ``vzctl set --name`` makes it."""
    os.symlink(f"/etc/vz/conf/{veid}.conf", host.root / "etc/vz/names" / link)


def start(
    host: Host,
    veid: int,
    ips: tuple[str, ...] = (),
    nproc: int = 5,
    up: int = 0,
    quota: Quota | None = None,
    mounted: bool = True,
) -> None:
    """Mark ``veid`` running in the kernel (a Given backdoor, as vzctl start would leave it)."""
    with host.locked():
        k = host.kernel
        c = k.ct(veid)
        c.running, c.mounted, c.ips, c.nproc = True, mounted, list(ips), nproc
        c.started_at = k.clock - up
        c.quota = quota
        host.commit()


def run(host: Host, *args: str) -> Result:
    """vzlist on the node, as a process started with argv[0] ``vzlist`` would."""
    with host.locked(exclusive=False):
        return vzlist.main(host, ["vzlist", *args], b"")


def lines(r: Result) -> list[str]:
    """stdout split into lines."""
    return r.out.splitlines()


def ids(host: Host, *args: str) -> list[str]:
    """The first column of ``vzlist -aH ARGS``."""
    return [ln.split()[0] for ln in lines(run(host, "-aH", *args))]


HDR = "      CTID      NPROC STATUS    IP_ADDR         HOSTNAME"


# -- which containers (KV:src/vzlist.c collect, get_ve_list, get_mounted_status) ------------------


def test_default_lists_running_only_and_says_not_found_with_exit_0(node: Host) -> None:
    # collect(): no CT found is not an error without IDs (bug #2149).
    ct(node, 101)
    r = run(node)
    assert (r.exit, r.out, r.err) == (0, "", "Container(s) not found\n")


def test_all_lists_stopped_cts_and_hides_those_without_private(node: Host) -> None:
    # get_mounted_status(): a stopped CT whose VE_PRIVATE is missing is hidden.
    ct(node, 101, 'HOSTNAME="a.example.com"\nIP_ADDRESS="10.1.1.1/24 10.1.1.2"\n')
    ct(node, 102, private=False)
    r = run(node, "-a")
    assert lines(r) == [HDR, "       101          - stopped   10.1.1.1/24     a.example.com"]


def test_ct0_config_counts_but_is_hidden(node: Host) -> None:
    # vzlist_empty / vzlist_empty_no_ct0_conf: 0.conf makes one (hidden) CT.
    assert (run(node, "-a").out, run(node, "-a").err) == (HDR + "\n", "")
    (node.root / "etc/vz/conf/0.conf").unlink()
    assert (run(node, "-a").out, run(node, "-a").err) == ("", "Container(s) not found\n")


def test_explicit_ids_list_stopped_cts_and_fail_when_none_found(node: Host) -> None:
    # main(): with CT IDs, "not found" exits 1; stopped IDs are listed without -a.
    ct(node, 101)
    ct(node, 102)
    assert [ln.split()[0] for ln in lines(run(node, "102"))[1:]] == ["102"]
    r = run(node, "999")
    assert (r.exit, r.err) == (1, "Container(s) not found\n")
    r = run(node, "-j", "999")
    assert (r.exit, r.out) == (1, "[]\n")


def test_config_names_that_are_not_ctids(node: Host) -> None:
    # get_ve_list(): sscanf("%d.%5s") and "conf"; out of 0..VEID_MAX warns (transcript).
    ct(node, 101)
    for junk in ("101.conf.destroyed", "ve-basic.conf-sample", "101.mount", "x.conf"):
        (node.root / "etc/vz/conf" / junk).write_text("")
    (node.root / "etc/vz/conf/2147483645.conf").write_text('HOSTNAME="big"\n')
    (node.root / "etc/vz/conf/-5.conf").write_text("")
    r = run(node, "-a", "-H", "-o", "ctid")
    assert r.out == "       101\n"
    assert r.err == (
        "Warning: invalid CTID in config file name: -5.conf, skipping\n"
        "Warning: invalid CTID in config file name: 2147483645.conf, skipping\n"
    )


def test_stopped_option_skips_running(node: Host) -> None:
    # print_ve(): -S drops running CTs (mounted/suspended stay).
    ct(node, 101)
    ct(node, 102)
    start(node, 102)
    assert [ln.split()[0] for ln in lines(run(node, "-S", "-H"))] == ["101"]


# -- CT IDs and names on the command line (KV:src/vzlist.c main, get_veid_by_name) --------------


@pytest.mark.parametrize("arg", ["0101", "+101", " 101", "4294967397", "web"])
def test_loose_ids_and_names_resolve(node: Host, arg: str) -> None:
    # strtol() into an int (4294967397 wraps to 101); non-numbers or 0 go to the names dir.
    ct(node, 101)
    name(node, "web", 101)
    assert lines(run(node, "-H", "-o", "ctid", arg)) == ["       101"]


@pytest.mark.parametrize("arg", ["abc", "-1", "2147483645", "", "101x", "99999999999999999999"])
def test_invalid_ids(node: Host, arg: str) -> None:
    r = run(node, "--", arg)
    assert (r.exit, r.out, r.err) == (1, "", f"CT ID {arg} is invalid.\n")


def test_name_link_to_a_missing_config_does_not_resolve(node: Host) -> None:
    # get_veid_by_name() checks the link with access(), which follows it.
    name(node, "ghost", 555)
    assert run(node, "ghost").err == "CT ID ghost is invalid.\n"


def test_name_field_only_when_the_link_points_back(node: Host) -> None:
    # merge_conf(): NAME is shown only if get_veid_by_name(NAME) is this CT.
    ct(node, 101, 'NAME="web"\n')
    ct(node, 102, 'NAME="db"\n')
    name(node, "web", 101)
    name(node, "db", 101)
    assert lines(run(node, "-a", "-H", "-o", "ctid,name")) == ["       101 web", "       102 -"]


# -- options and their errors --------------------------------------------------------------------


def test_list_fields(node: Host) -> None:
    # print_names(): "%-15s %-15s".
    out = lines(run(node, "-L"))
    assert out[0] == "ctid            CTID           "
    assert "kmemsize.b      KMEMSIZE.B     " in out
    assert out[-1] == "capability      CAPABILITY     "
    assert len(out) == 16 + 21 * 5 + 6 + 17


def test_help_prints_usage_and_exits_1(node: Host) -> None:
    # --help returns 'e', which main()'s switch lacks: the default case exits 1.
    r = run(node, "--help")
    assert r.exit == 1 and r.out.startswith("Usage:\tvzlist [-a | -S]") and r.err == ""


@pytest.mark.parametrize(
    ("args", "err"),
    [
        (["-x"], "vzlist: invalid option -- 'x'\n"),
        (["--bogus"], "vzlist: unrecognized option '--bogus'\n"),
        (["-o"], "vzlist: option requires an argument -- 'o'\n"),
        (["--sort"], "vzlist: option '--sort' requires an argument\n"),
        (["--all=1"], "vzlist: option '--all' doesn't allow an argument\n"),
        (["--na"], "vzlist: option '--na' is ambiguous; possibilities: '--name' '--name_filter'\n"),
    ],
)
def test_getopt_errors_print_usage_and_exit_1(node: Host, args: list[str], err: str) -> None:
    r = run(node, *args)
    assert (r.exit, r.err) == (1, err)
    assert r.out == vzlist.usage_text()


@pytest.mark.parametrize(
    ("args", "err"),
    [
        (["-s", "bogus"], "Invalid sort field name: bogus\n"),
        (["-s", "-"], "Invalid sort field name: -\n"),
        (["-o", "ctid,bogus"], "Unknown field: bogus\n"),
        (["-o", ",ctid"], "Unknown field: \n"),
        (["-o", "x" * 31 + ",ctid"], "Invalid field: " + "x" * 31 + ",ctid\n"),
        (["-j", "-o", "kmemsize.l"], "Field `kmemsize.l' is not available in JSON output\n"),
        (["-s", "bogus", "-o", "bogus"], "Invalid sort field name: bogus\n"),
    ],
)
def test_field_errors(node: Host, args: list[str], err: str) -> None:
    # main()/build_field_order(): each exits 1 before anything is collected.
    r = run(node, *args)
    assert (r.exit, r.out, r.err) == (1, "", err)


def test_option_forms(node: Host) -> None:
    # getopt_long: clustering, attached values, --opt=value, abbreviations, permutation.
    ct(node, 101, 'HOSTNAME="h"\n')
    want = ["       101 h"]
    for args in (
        ["-aHoctid,hostname"],
        ["--all", "--no-h", "--output=ctid,hostname"],
        ["101", "-H", "-o", "ctid,hostname"],
        ["-aH", "--out", "ctid,hostname,"],
    ):
        assert lines(run(node, *args)) == want, args


def test_one_and_name_options(node: Host) -> None:
    # -1 is -H -oveid; -n is smart_name,numproc,status,ip,hostname (SMARTNAME %10s).
    ct(node, 101, 'NAME="averyverylongname"\n')
    ct(node, 102)
    name(node, "averyverylongname", 101)
    assert run(node, "-a", "-1").out == "       101\n       102\n"
    assert lines(run(node, "-a", "-n")) == [
        " SMARTNAME      NPROC STATUS    IP_ADDR         HOSTNAME",
        "averyveryl          - stopped   -               -",
        "       102          - stopped   -               -",
    ]


# -- rendering (KV:src/vzlist.c print_* functions) --------------------------------------------------


def test_trimming_of_non_last_fields(node: Host) -> None:
    # PRINT_STR_FIELD: cut to width unless last; print_strlist: first element only.
    long_host = "h" * 40
    ct(node, 101, f'HOSTNAME="{long_host}"\nIP_ADDRESS="10.0.0.1 10.0.0.2"\nDESCRIPTION="d e"\n')
    assert lines(run(node, "-aH", "-o", "hostname,ip")) == ["h" * 32 + " 10.0.0.1 10.0.0.2"]
    assert lines(run(node, "-aH", "-o", "ip,hostname")) == ["10.0.0.1        " + long_host]
    assert lines(run(node, "-aHt", "-o", "ip,hostname,ctid")) == [f"10.0.0.1 10.0.0.2 {long_host}        101"]


def test_default_output_of_running_ct(node: Host) -> None:
    # get_run_ve_proc/invert_ip: kernel IPs in order of addition, masks dropped; NPROC is
    # the numproc held value of /proc/user_beancounters.
    ct(node, 101, 'HOSTNAME="web.example.com"\nIP_ADDRESS="10.0.0.9/24"\n')
    start(node, 101, ips=("10.0.0.1/24", "fe80::0001", "10.0.0.2"), nproc=17)
    assert lines(run(node)) == [HDR, "       101         17 running   10.0.0.1        web.example.com"]
    assert lines(run(node, "-H", "-o", "ctid,ip")) == ["       101 10.0.0.1 fe80::1 10.0.0.2"]


def test_running_ct_without_kernel_ips_shows_config_ips(node: Host) -> None:
    # update_ve() leaves ip NULL; merge_conf() then takes IP_ADDRESS from the config.
    ct(node, 101, 'IP_ADDRESS="10.0.0.9/24"\n')
    start(node, 101)
    assert lines(run(node, "-H", "-o", "ctid,ip")) == ["       101 10.0.0.9/24"]


def test_ubc_fields_stopped_and_running(node: Host) -> None:
    # print_ubc(): stopped -> held/maxheld/failcnt '-', barrier/limit from config
    # (0 when unset, transcript vzlist_ubc_fields); running -> the kernel's five values:
    # 7 processes, 3 more during boot (docs/usage.md); kmemsize held at its tiny barrier.
    ct(node, 101)
    ct(node, 102, 'KMEMSIZE="1000:2000"\n')
    start(node, 102, nproc=7)
    out = lines(run(node, "-aH", "-o", "ctid,kmemsize,kmemsize.b,kmemsize.l,numproc,numproc.m,numproc.f"))
    assert out == [
        "       101          -          0          0          -          -          -",
        "       102       1000       1000       2000          7         10          0",
    ]


def test_json_ubc_of_stopped_ct(node: Host) -> None:
    # print_ubc() JSON: held, maxheld and failcnt are 0 for a stopped CT.
    ct(node, 101, 'KMEMSIZE="1000:2000"\n')
    assert run(node, "-aj", "-o", "kmemsize").out == (
        '[\n  {\n    "kmemsize": {\n      "held": 0,\n      "maxheld": 0,\n'
        '      "barrier": 1000,\n      "limit": 2000,\n      "failcnt": 0\n    }\n  }\n]\n'
    )


def test_disk_quota_fields(node: Host) -> None:
    # print_dq(): usage 0 prints '-'; an active vzquota (/proc/vz/vzquota) replaces all three.
    ct(node, 101)
    ct(node, 102)
    start(
        node,
        102,
        quota=Quota(
            bused=96424, iused=6813, bsoft=1048576, bhard=1153434, isoft=200000, ihard=220000, on=True
        ),
    )
    out = lines(run(node, "-aH", "-o", "ctid,diskspace,diskspace.s,diskspace.h,diskinodes,diskinodes.h"))
    assert out == [
        "       101          -    2097152    2306867          -     144179",
        "       102      96424    1048576    1153434       6813     220000",
    ]


def test_uptime_and_load_average(node: Host) -> None:
    # print_uptime(): %.3dd%.2dh:%.2dm:%.2ds; laverage %1.2f/.. unpadded; '-' when stopped;
    # a day after its boot an idle CT's load is its small steady share (docs/usage.md).
    ct(node, 101)
    ct(node, 102)
    start(node, 102, up=86400 + 2 * 3600 + 3 * 60 + 4)
    assert lines(run(node, "-aH", "-o", "ctid,uptime,laverage")) == [
        "       101               -              -",
        "       102 001d02h:03m:04s 0.01/0.01/0.01",
    ]
    assert '"uptime": 93784.000' in run(node, "-j", "-o", "uptime").out


def test_status_words(node: Host) -> None:
    # get_mounted_status(): suspended when Dump.<id> exists, mounted wins over it.
    for veid in (101, 102, 103, 104):
        ct(node, veid)
    (node.root / "vz/dump/Dump.102").write_text("")
    (node.root / "vz/dump/Dump.103").write_text("")
    start(node, 104)
    with node.locked():
        node.kernel.ct(103).mounted = True
        node.commit()
    assert [ln.split()[2] for ln in lines(run(node, "-aH"))] == ["stopped", "suspended", "mounted", "running"]


def test_missing_root_is_reported_when_status_is_shown(node: Host) -> None:
    # get_mounted_status() -> vps_is_mounted() stat()s VE_ROOT (KV:src/lib/fs_simfs.c).
    ct(node, 101)
    (node.root / "vz/root/101").rmdir()
    r = run(node, "-aH")
    assert (r.out, r.err) == (
        "       101          - stopped   -               -\n",
        "stat(/vz/root/101): No such file or directory\n",
    )
    assert run(node, "-aH", "-o", "ctid").err == ""


def test_config_valued_fields(node: Host) -> None:
    # merge_conf(): everything but VE_ROOT/VE_PRIVATE/DUMPDIR comes from the CT's own file.
    ct(
        node,
        101,
        'ONBOOT="no"\nBOOTORDER="5"\nCPUS="2"\nCPULIMIT="25"\nIOPRIO="4"\n'
        'FEATURES="nfs:on,sysfs:off"\nCAPABILITY="NET_ADMIN:on SYS_TIME:off"\n'
        'VM_OVERCOMMIT="1.5"\nDISABLED="yes"\nNAMESERVER="8.8.8.8 1.1.1.1"\n',
    )
    out = lines(
        run(
            node,
            "-aH",
            "-o",
            "onboot,bootorder,cpus,cpulimit,cpuunits,ioprio,iolimit,"
            "vswap,disabled,vm_overcommit,netfilter,layout,nameserver,features,capability",
        )
    )
    assert out == [
        "    no          5     2      25    1000   4          -   yes    yes    1.5 stateless "
        "simfs  8.8.8.8         sysfs:off,nfs:o net_admin:on,sys_time:off"
    ]


def test_unset_fields(node: Host) -> None:
    # '-' for missing values; netfilter_mask2str(0) is NULL, which glibc prints as "(null)".
    (node.root / "etc/vz/conf/101.conf").write_text('VE_PRIVATE="/vz/private/$VEID"\n')
    (node.root / "vz/private/101").mkdir()
    out = lines(
        run(
            node,
            "-aH",
            "-o",
            "ctid,hostname,onboot,bootorder,cpus,cpulimit,ioprio,vswap,"
            "netfilter,layout,features,capability,private,root",
        )
    )
    assert out == [
        "       101 -                                     -          -     -       -   -   "
        "yes (null)    simfs  -               -               /vz/private/101                  "
        "/vz/root/101"
    ]


def test_json_every_field_in_table_order(node: Host) -> None:
    # print_one_ve_json(): without -o every unsuffixed field, ctid/veid/vpsid included.
    ct(node, 101, 'HOSTNAME="a\\"b"\n')
    out = run(node, "-aj").out
    keys = [ln.split('"')[1] for ln in out.splitlines() if ln.startswith('    "')]
    assert keys[:5] == ["ctid", "veid", "vpsid", "private", "root"]
    assert keys[-3:] == ["vm_overcommit", "netfilter", "capability"] and len(keys) == 16 + 21 + 2 + 17
    assert '    "hostname": "a"b",\n' in out  # printf, no JSON escaping
    assert '"onboot": null' in out and '"cpus": 0' in out and '"laverage": null' in out


def test_json_fields_given(node: Host) -> None:
    # Transcript vzlist_all_json_fields shape; lists as arrays; smart_name falls back to the ID.
    ct(node, 101, 'IP_ADDRESS="10.0.0.1 10.0.0.2"\nONBOOT="yes"\n')
    assert run(node, "-aj", "-o", "ctid,smart_name,ip,onboot,nameserver").out == (
        '[\n  {\n    "ctid": 101,\n    "smart_name": 101,\n    "ip": ["10.0.0.1", "10.0.0.2"],\n'
        '    "onboot": true,\n    "nameserver": []\n  }\n]\n'
    )


# -- sorting and filters (KV:src/vzlist.c *_sort_fn, check_pattern) ------------------------------


def test_sort_by_hostname_unset_first_and_reverse(node: Host) -> None:
    ct(node, 101, 'HOSTNAME="b"\n')
    ct(node, 102)
    ct(node, 103, 'HOSTNAME="a"\n')
    assert ids(node, "-s", "hostname") == ["102", "103", "101"]
    assert ids(node, "-s", "-hostname") == ["101", "103", "102"]
    # sort_rev is never cleared by a later -s
    assert ids(node, "-s", "-ctid", "-s", "hostname") == ["101", "103", "102"]


def test_sort_by_bootorder_quirk(node: Host) -> None:
    # bootorder_sort_fn(): equal or unset bootorders come in descending CT ID order.
    ct(node, 101)
    ct(node, 102, 'BOOTORDER="1"\n')
    ct(node, 103)
    ct(node, 104, 'BOOTORDER="1"\n')
    assert ids(node, "-s", "bootorder") == ["103", "101", "104", "102"]


def test_filters(node: Host) -> None:
    # check_pattern(): fnmatch(pat, str, 0); a CT without the value never matches.
    ct(node, 101, 'HOSTNAME="web.example.com"\nDESCRIPTION="front end"\nNAME="web"\n')
    ct(node, 102, 'HOSTNAME="db.example.com"\n')
    name(node, "web", 101)
    assert ids(node, "-h", "*.example.com") == ["101", "102"]
    assert ids(node, "-h", "[!w]*") == ["102"]
    assert ids(node, "-h", "[^w]*") == ["102"]
    assert ids(node, "-N", "w?b") == ["101"]
    assert ids(node, "-d", "*") == ["101"]
    assert ids(node, "-d", "front\\ end") == ["101"]
    assert ids(node, "-h", "web*", "-N", "db") == []


# -- no OpenVZ kernel, config warnings ------------------------------------------------------------


def _no_kernel(host: Host) -> None:
    shutil.rmtree(host.root / "proc")


def test_no_kernel(node: Host) -> None:
    # Transcript nk_vzlist_all: both /proc files missing; exit 0 without IDs, 1 with.
    ct(node, 101)
    _no_kernel(node)
    err = (
        "Unable to open /proc/vz/veinfo: No such file or directory\n"
        "Unable to open /proc/user_beancounters: No such file or directory\n"
    )
    assert (run(node, "-a").exit, run(node, "-a").out, run(node, "-a").err) == (0, "", err)
    assert run(node, "101").exit == 1


def test_no_kernel_stopped_only_still_lists(node: Host) -> None:
    # collect(): -S skips get_ub(), so only the veinfo error shows.
    ct(node, 101)
    _no_kernel(node)
    r = run(node, "-S", "-H", "-o", "ctid")
    assert (r.out, r.err) == ("       101\n", "Unable to open /proc/vz/veinfo: No such file or directory\n")


def test_config_warnings_are_printed(node: Host) -> None:
    # vzlist parses every config with vps_parse_config(); its logger shows level <= 0.
    ct(node, 101, 'HOSTNAME="a"\nHOSTNAME="b"\nBOGUS="x"\n')
    r = run(node, "-aH", "-o", "ctid,hostname")
    assert r.out == "       101 a\n"
    assert r.err == 'Warning at /etc/vz/conf/101.conf:13: duplicate for HOSTNAME ("b"), ignored\n'


def test_running_ct_without_config(node: Host) -> None:
    # read_ves_param(): vps_parse_config() cannot open the file and says so.
    start(node, 150)
    r = run(node, "-H", "-o", "ctid,hostname")
    assert (r.out, r.err) == (
        "       150 -\n",
        "Unable to open /etc/vz/conf/150.conf: No such file or directory\n",
    )


# -- robustness ------------------------------------------------------------------------------------

WORDS = [
    "-a",
    "-S",
    "-H",
    "-t",
    "-j",
    "-1",
    "-n",
    "-L",
    "-o",
    "-s",
    "-h",
    "-N",
    "-d",
    "--all",
    "--json",
    "--output=ctid",
    "ctid",
    "-ctid",
    "hostname,ip",
    "kmemsize.l",
    "101",
    "0",
    "web",
    "*",
    "",
    "-",
    "--",
    "--help",
    "-x",
    "-aHt",
    "status,uptime",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(WORDS), max_size=6))
def test_random_argv_never_crashes(node: Host, args: list[str]) -> None:
    # vzlist only ever exits 0 or 1 (KV:src/vzlist.c main).
    if not (node.root / "etc/vz/conf/101.conf").exists():
        ct(node, 101, 'HOSTNAME="web"\n')
        start(node, 101, ips=("10.0.0.1",))
    assert run(node, *args).exit in (0, 1)
