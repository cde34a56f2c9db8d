"""vzmigrate's command line: getopt(1) of util-linux (glibc ``getopt_long``, permuting)
with the script's option string, then its ``case`` loop (``KV:bin/vzmigrate.in``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from simvz.results import Console

# Exit codes (KV:bin/vzmigrate.in MIG_ERR_*; KV:man/vzmigrate.8.in "EXIT STATUS").
USAGE, VPS_IS_STOPPED, CANT_CONNECT, COPY, START_VPS, STOP_SOURCE = 1, 2, 4, 6, 7, 8
EXISTS, NOEXIST, IP_IN_USE, QUOTA, OVZ_NOT_RUNNING, APPLY_CONFIG = 9, 10, 12, 13, 14, 15
UNSUP_PLOOP, CANT_READ_REMOTE_CONFIG, LOCKED = 16, 19, 20


class Exit(Exception):
    """The script's ``exit N``."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


NO, REQ, OPT = 0, 1, 2
LONGOPTS = {
    "live": NO, "online": NO, "remove-area": REQ, "keep-dst": NO, "compact": NO, "snapshot": NO,
    "check-only": NO, "dry-run": NO, "nodeps": OPT, "ssh": REQ, "rsync": REQ, "times": NO,
    "ssh-mux": NO, "help": NO, "usage": NO,
}  # fmt: skip
SHORTOPTS = {"v": NO, "r": REQ, "c": NO, "s": NO, "f": OPT, "t": NO, "h": NO}
PROG = "vzmigrate"  # getopt -n 'vzmigrate': the name in getopt's messages, whatever argv[0]


@dataclass
class Options:
    """The script's variables after its option loop."""

    online: bool = False
    verbose: int = 0
    remove_area: bool = True
    keep_dst: bool = False
    times: bool = False
    check_only: bool = False
    ignore_cpu: bool = False
    ignore_ipv6: bool = False
    ssh_mux: bool = False
    ssh: list[str] = field(default_factory=list)
    rsync: list[str] = field(default_factory=list)
    dest: str = ""
    veid: str = ""


def usage(con: Console) -> None:
    """``usage``: the help text on stdout, exit 0."""
    from importlib import resources

    con.write(1, resources.files("simvz.data").joinpath("vzmigrate-usage.txt").read_text())
    raise Exit(0)


def bad_usage(con: Console, detail: str = "") -> None:
    """``bad_usage``: on stdout (its ``2>&1`` applies to cat's stderr), exit 1."""
    con.write(1, f"Invalid usage{detail}\n\nFor command line syntax, please check\n")
    con.write(1, "  vzmigrate --help\n  man vzmigrate\n")
    raise Exit(USAGE)


def parse_args(con: Console, args: list[str]) -> Options:
    """Options and operands; ``vzmigrate`` alone prints the usage (``[ $# = 0 ] && usage``)."""
    if not args:
        usage(con)
    parsed, operands, ok = getopt(con, args)
    if not ok:
        bad_usage(con)
    opts = Options()
    for name, value in parsed:
        _apply(con, opts, name, value)
    opts.times = opts.times or opts.verbose > 0
    if len(operands) < 2:
        bad_usage(con, ": not enough parameters")
    if len(operands) > 2:
        bad_usage(con, ": too many parameters: " + " ".join(operands))
    opts.dest, opts.veid = operands
    return opts


def getopt(con: Console, args: list[str]) -> tuple[list[tuple[str, str | None]], list[str], bool]:
    """GNU getopt with permutation; like getopt(1) it reports every bad option, not the
    first only, and names long options in full (``--remove-area`` for ``--rem``)."""
    parsed: list[tuple[str, str | None]] = []
    operands: list[str] = []
    ok, i = True, 0
    while i < len(args):
        a, i = args[i], i + 1
        if a == "--":
            operands += args[i:]
            break
        if a.startswith("--"):
            i, good = _long(con, a, args, i, parsed)
        elif a.startswith("-") and a != "-":
            i, good = _short(con, a, args, i, parsed)
        else:
            operands.append(a)
            good = True
        ok = ok and good
    return parsed, operands, ok


def _getopt_error(con: Console, text: str) -> bool:
    con.write(2, f"{PROG}: {text}\n")
    return False


def _long(
    con: Console, a: str, args: list[str], i: int, out: list[tuple[str, str | None]]
) -> tuple[int, bool]:
    body, eq, value = a[2:].partition("=")
    found = [body] if body in LONGOPTS else [n for n in LONGOPTS if n.startswith(body)]
    if not found:
        return i, _getopt_error(con, f"unrecognized option '{a}'")
    if len(found) > 1:
        names = " ".join(f"'--{n}'" for n in found)
        return i, _getopt_error(con, f"option '{a}' is ambiguous; possibilities: {names}")
    name, kind = found[0], LONGOPTS[found[0]]
    if kind == NO and eq:
        return i, _getopt_error(con, f"option '--{name}' doesn't allow an argument")
    if kind == REQ and not eq:
        if i >= len(args):
            return i, _getopt_error(con, f"option '--{name}' requires an argument")
        value, i = args[i], i + 1
    out.append((f"--{name}", value if eq or kind == REQ else None))
    return i, True


def _short(
    con: Console, a: str, args: list[str], i: int, out: list[tuple[str, str | None]]
) -> tuple[int, bool]:
    ok, j = True, 1
    while j < len(a):
        ch, rest = a[j], a[j + 1 :]
        kind = SHORTOPTS.get(ch)
        if kind is None:
            ok = _getopt_error(con, f"invalid option -- '{ch}'")
        elif kind == NO:
            out.append((f"-{ch}", None))
        elif rest or kind == OPT:
            out.append((f"-{ch}", rest or None))  # an optional argument only when attached
            return i, ok
        elif i < len(args):
            out.append((f"-{ch}", args[i]))
            return i + 1, ok
        else:
            return i, _getopt_error(con, f"option requires an argument -- '{ch}'")
        j += 1
    return i, ok


def _apply(con: Console, o: Options, name: str, value: str | None) -> None:
    """One pass of the script's ``while true; case "$1"`` loop."""
    if name in ("--live", "--online"):
        o.online = True
    elif name == "-v":
        o.verbose += 1
    elif name in ("-r", "--remove-area"):
        if value not in ("yes", "no"):
            bad_usage(con, f": bad argument for {name}: {value}")
        o.remove_area = value == "yes"
    elif name == "--keep-dst":
        o.keep_dst = True
    elif name in ("--check-only", "--dry-run"):
        o.check_only = True
    elif name in ("-f", "--nodeps"):
        _nodeps(con, o, name, value or "")
    elif name in ("--ssh", "--rsync"):
        (o.ssh if name == "--ssh" else o.rsync).append(value or "")
    elif name in ("-t", "--times"):
        o.times = True
    elif name == "--ssh-mux":
        o.ssh_mux = True
    elif name in ("-h", "--help", "--usage"):
        usage(con)
    # -c/--compact and -s/--snapshot work for ploop only; simulated nodes run simfs


def _nodeps(con: Console, o: Options, name: str, value: str) -> None:
    """``parse_nodeps``: no argument ignores every check; ``$1`` is unquoted (one word)."""
    words = value.split()
    checks = words[0].removeprefix("=").replace(",", " ").split() if words else []
    if not checks:
        o.ignore_cpu = o.ignore_ipv6 = True
    for check in checks:
        if check in ("cpu", "cpu_check", "all"):
            o.ignore_cpu = True
        if check in ("ipv6", "all"):
            o.ignore_ipv6 = True
        if check not in ("cpu", "cpu_check", "ipv6", "all"):
            bad_usage(con, f": unknown {name} argument: {check}")
