"""The ``simvz`` command: ``init``, ``journal`` and ``inspect`` of a simulated host.

Every error is one line on stderr and exit status 2 (as argparse's own usage errors),
never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simvz.host import Host

EXIT_USAGE = 2


class CliError(Exception):
    """A failure reported as one line on stderr, exit 2."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="simvz", description="A simulated legacy OpenVZ host (vzctl 4.11.1).")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    init = sub.add_parser("init", help="create a simulated host in DIR")
    init.add_argument("dir", metavar="DIR", type=_dir_arg)
    init.add_argument(
        "--template",
        action="append",
        default=[],
        metavar="NAME",
        help="add an OS template cache (repeatable)",
    )
    init.add_argument(
        "--vzctl-version", default="4.11.1", metavar="X.Y.Z", help="version the tools report (default 4.11.1)"
    )
    init.add_argument("--seed", type=int, default=0, help="seed of the host's RNG (default 0)")
    init.add_argument(
        "--hostname",
        help="the node's hostname (default simvz-node); given, it is registered for vzmigrate "
        "in $SIMVZ_REGISTRY, else $XDG_RUNTIME_DIR/simvz/hosts.json",
    )
    init.add_argument(
        "--nic", action="append", default=[], metavar="NAME", help="add a host NIC (repeatable)"
    )
    init.add_argument(
        "--bridge", action="append", default=[], metavar="NAME[=PORT,...]", help="add a bridge (repeatable)"
    )
    init.add_argument(
        "--network",
        action="append",
        default=[],
        metavar="NAME=BRIDGE[,nat]",
        help="add a libvirt network on a bridge (repeatable)",
    )
    init.add_argument(
        "--kernel",
        default="042stab",
        choices=("042stab", "028stab"),
        help="kernel persona: 042stab (RHEL6, vswap; default) or 028stab (RHEL5, no vswap)",
    )
    init.set_defaults(func=cmd_init)
    for name, func, what in (
        ("journal", cmd_journal, "print every command run on the host in DIR"),
        ("inspect", cmd_inspect, "show the host in DIR as its administrator sees it"),
    ):
        sp = sub.add_parser(name, help=what)
        sp.add_argument("dir", metavar="DIR", type=_dir_arg)
        sp.add_argument("--json", action="store_true", help="print JSON")
        sp.set_defaults(func=func)
    run = sub.add_parser("run", help="run COMMAND as if on the simulated host in DIR")
    run.add_argument("dir", metavar="DIR", type=_dir_arg)
    _libvirt_build_option(run)
    run.add_argument("command", nargs=argparse.REMAINDER, metavar="-- COMMAND [ARGS...]")
    run.set_defaults(func=cmd_run)
    _conformance_parser(sub)
    _steps_parser(sub)
    _libvirt_build_parser(sub)
    shell = sub.add_parser("shell", help="an interactive shell on the simulated host in DIR")
    shell.add_argument("dir", metavar="DIR", type=_dir_arg)
    shell.set_defaults(func=cmd_shell)
    serve = sub.add_parser("serve", help="serve the node tools' calls (docs/fastpath.md), until stopped")
    serve.add_argument(
        "--sockdir", metavar="DIR", help="socket directory (default $SIMVZ_TOOL_SOCKDIR, else /tmp/simvz-UID)"
    )
    serve.add_argument("--idle", type=float, metavar="SECONDS", help="stop after SECONDS without a call")
    serve.set_defaults(func=cmd_serve)
    return p


def cmd_serve(args: argparse.Namespace) -> int:
    """``simvz serve``: the tool server in the foreground (SIGTERM or Ctrl-C stop it)."""
    from simvz.fastpath import server

    sockdir = args.sockdir or server.default_sockdir()
    try:
        return server.serve(sockdir, args.idle, ready=1)
    except OSError as err:
        raise CliError(f"serve: {sockdir}: {err.strerror or err}") from err


def _dir_arg(text: str) -> Path:
    """A host directory argument: an empty one (an unset variable, ``simvz init "$X"``)
    is refused rather than read as the current directory."""
    if not text:
        raise argparse.ArgumentTypeError("an empty DIR names no directory")
    return Path(text)


def _libvirt_build_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--libvirt-build", metavar="DIR",
        help="use libvirt.so and virsh of this libvirt build tree or install prefix instead of the system's",
    )  # fmt: skip


def _conformance_parser(sub: Any) -> None:
    conf = sub.add_parser(
        "conformance", help="run the 2008 thread's scenarios on libvirt's driver and print the matrix"
    )
    conf.add_argument("--json", metavar="FILE", help="also write the matrix as JSON")
    conf.add_argument(
        "--report", metavar="DIR",
        help="write matrix.md, matrix.html, matrix.json, junit.xml and cucumber.json into DIR",
    )
    conf.add_argument("-n", "--workers", default="2", help="parallel workers (pytest-xdist), default 2")
    conf.add_argument(
        "--vz-host", choices=("sim", "local"), default="sim",
        help="sim: a fresh simulated host per scenario (default); "
        "local: this machine's OpenVZ host (root, serial)",
    )  # fmt: skip
    conf.add_argument("--vz-ctid-range", metavar="FIRST-LAST", help="reserved CT IDs (default 990000-990999)")
    conf.add_argument(
        "--vz-force-clean", action="store_true", help="destroy containers already in the range first"
    )
    conf.add_argument(
        "--vz-accept-uuid-tags", action="store_true",
        help="let libvirt's driver add #UUID lines to configs of containers outside the range",
    )  # fmt: skip
    conf.add_argument(
        "--dry-run", action="store_true", help="with --vz-host local: list what would be touched"
    )
    _libvirt_build_option(conf)
    conf.add_argument(
        "--call-timeout", metavar="SECONDS", type=float,
        help="seconds a libvirt call may take; a longer one is killed and shown as hung (default 900)",
    )  # fmt: skip
    conf.add_argument(
        "--coverage", nargs="?", const="", metavar="DIR",
        help="with a --libvirt-build made with --coverage: the driver's line and branch coverage "
        "(gcovr's HTML and coverage.json into DIR, default REPORT/coverage or ./simvz-coverage)",
    )  # fmt: skip
    conf.add_argument(
        "--valgrind", action="store_true",
        help="run the driver's processes under valgrind memcheck (the stock library, no rebuild; "
        "slow: about half a minute per connection); memory errors become the verdicts' evidence",
    )  # fmt: skip
    conf.add_argument(
        "--compare", nargs="+", metavar="A.json B.json",
        help="reports side by side, one column per run, and the scenarios whose result differs "
        "(exit 1 when any does); with --report DIR also DIR/matrix.md and DIR/matrix.html",
    )  # fmt: skip
    conf.add_argument("pytest_args", nargs=argparse.REMAINDER, metavar="-- PYTEST ARGS")
    conf.set_defaults(func=cmd_conformance)


def _libvirt_build_parser(sub: Any) -> None:
    b = sub.add_parser(
        "libvirt-build", help="build an OpenVZ-only libvirt (cached) and print where the build is",
        description="Build libvirt with only the OpenVZ driver from Debian's source of VERSION "
        "(9.0.0: Debian 12, 11.3.0: Debian 13) or from a source tree (a git checkout), into "
        "$XDG_CACHE_HOME/simvz/libvirt; an unchanged recipe is reused, a tree rebuilt incrementally. "
        "Prints the build directory (for --libvirt-build).",
    )  # fmt: skip
    what = b.add_mutually_exclusive_group()
    what.add_argument("--version", default="9.0.0", help="Debian's libvirt of this version (default 9.0.0)")
    what.add_argument("--source", metavar="DIR", help="a libvirt source tree or git checkout instead")
    b.add_argument("--patch", action="append", default=[], metavar="FILE",
                   help="apply FILE (-p1, repeatable)")
    b.add_argument("--fixes", action="store_true", help="apply corpus/patches/ (the thread's driver fixes)")
    b.add_argument("--coverage", action="store_true", help="build with gcov (meson -Db_coverage=true)")
    b.add_argument(
        "--asan", action="store_true", help="build with ASan and UBSan (-Db_sanitize=address,undefined)"
    )
    b.set_defaults(func=cmd_libvirt_build)


def cmd_libvirt_build(args: argparse.Namespace) -> str:
    """``simvz libvirt-build``: the build's directory, made or reused."""
    from simvz.harness.libvirt_build import BuildError
    from simvz.harness.libvirt_source import Recipe, build, thread_fixes

    patches = tuple(Path(p).absolute() for p in args.patch)
    patches = (*thread_fixes(), *patches) if args.fixes else patches
    for patch in patches:
        if not patch.is_file():
            raise CliError(f"libvirt-build: --patch {patch}: no such file")
    try:
        if args.source:
            recipe = Recipe.tree(Path(args.source), patches, args.coverage, args.asan)
        else:
            recipe = Recipe.debian(args.version, patches, args.coverage, args.asan)
        sys.stderr.write(f"simvz: building libvirt {recipe.version} ({recipe.key()}) ...\n")
        made = build(recipe)
    except BuildError as err:
        raise CliError(f"libvirt-build: {err}") from err
    return f"{made.root}\n"


def _steps_parser(sub: Any) -> None:
    steps = sub.add_parser("steps", help="list every scenario step with its parameters and an example")
    steps.add_argument("--markdown", action="store_true", help="print the list as features/README.md has it")
    steps.add_argument(
        "--write", nargs="?", const="", metavar="README",
        help="refresh the step list in README (default: the repository's features/README.md)",
    )  # fmt: skip
    steps.set_defaults(func=cmd_steps)


def cmd_steps(args: argparse.Namespace) -> str:
    """``simvz steps``: the steps pytest-bdd has registered, read from its registry."""
    try:
        from simvz_steps import catalogue
    except ImportError as err:  # the step library needs the test extras (pytest-bdd)
        raise CliError(f"steps: {err} (install simvz[test])") from err
    found = catalogue.catalogue()
    if args.write is not None:
        readme = Path(args.write) if args.write else catalogue.FEATURES / "README.md"
        try:
            changed = catalogue.refresh_readme(readme, found)
        except OSError as err:
            raise CliError(f"steps --write: {err}") from err
        return f"{readme}: {'refreshed' if changed else 'up to date'} ({len(found)} steps)\n"
    return catalogue.render_markdown(found) if args.markdown else catalogue.render_text(found)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``simvz`` command line; returns the exit status."""
    args = _parser().parse_args(argv)
    func: Callable[[argparse.Namespace], str | int] = args.func
    try:
        out = func(args)
    except CliError as err:
        sys.stderr.write(f"simvz: {err}\n")
        return EXIT_USAGE
    if isinstance(out, int):
        return out
    sys.stdout.write(out)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """``simvz run DIR -- COMMAND...``: COMMAND sees DIR as this machine's OpenVZ host;
    returns its exit status (128 + N when killed by signal N, as a shell reports it)."""
    command = list(args.command)
    if command[:1] == ["--libvirt-build"] and len(command) > 1:  # the option after DIR
        args.libvirt_build, command = command[1], command[2:]
    command = command[1:] if command[:1] == ["--"] else command
    if not command:
        raise CliError("run: no command given (simvz run DIR -- COMMAND [ARGS...])")
    return _run_on(args.dir, command, base=_build_environ(args.libvirt_build))


def _build_environ(directory: str | None) -> dict[str, str] | None:
    """The environment with a libvirt build's library and virsh first, checked by
    loading it; None for the system's libvirt."""
    if directory is None:
        return None
    from simvz.harness.libvirt_build import BuildError, LibvirtBuild

    try:
        build = LibvirtBuild.find(directory)
        build.check()
    except BuildError as err:
        raise CliError(str(err)) from err
    return build.environ()


def cmd_conformance(args: argparse.Namespace) -> int:
    """``simvz conformance``: the scenarios of features/ through pytest-bdd, each on a
    fresh simulated host with libvirt's real OpenVZ driver; pytest's exit status."""
    import subprocess

    from simvz.harness.scratch import scratch_environ

    if args.compare:
        return _compare(args.compare, args.report)
    try:
        import simvz_steps  # noqa: F401 - the step library must be installed
    except ImportError as err:
        raise CliError(f"conformance: {err} (install simvz[conformance])") from err
    _build_environ(args.libvirt_build)  # an unusable build is refused before any host is touched
    tmp = tempfile.TemporaryDirectory(prefix="simvz-conformance-")
    scenarios = Path(tmp.name) / "test_conformance.py"
    scenarios.write_text(SCENARIOS_MODULE)
    cmd = [sys.executable, "-m", "pytest", str(scenarios), "-q", "-p", "no:cacheprovider", "--tb=line"]
    cmd += ["-c", os.devnull, "--rootdir", tmp.name]  # no project's pytest settings, wherever it runs
    cmd += QUICK_START
    # a real host runs one scenario at a time: the host and its IDs are shared
    cmd += ["--vz-host", args.vz_host] + (["-n", args.workers] if args.vz_host == "sim" else [])
    cmd += _guard_args(args)
    if args.json:
        cmd += ["--conformance-json", str(Path(args.json).absolute())]
    if args.report:
        out = Path(args.report).absolute()
        out.mkdir(parents=True, exist_ok=True)
        cmd += ["--conformance-md", str(out / "matrix.md"), "--conformance-html", str(out / "matrix.html"),
                "--junitxml", str(out / "junit.xml"),
                "--cucumberjson", str(out / "cucumber.json")]  # fmt: skip
        if not args.json:
            cmd += ["--conformance-json", str(out / "matrix.json")]
    extra = args.pytest_args[1:] if args.pytest_args[:1] == ["--"] else args.pytest_args
    # a simulated host's scenario nodes on a memory file system (simvz/harness/scratch.py)
    env = scratch_environ(dict(os.environ)) if args.vz_host == "sim" else None
    with tmp:
        return subprocess.run([*cmd, *extra], check=False, env=env).returncode


# The run needs pytest-bdd and pytest-xdist; the plugins of test tools installed beside
# them (hypothesis, pyfakefs) would cost a second of its start-up, in every worker.
# Assertion rewriting would only rewrite those plugins' own modules (and, in a wheel
# install, the steps', whose checks say what they found themselves): without cached
# bytecode (PYTHONDONTWRITEBYTECODE) it recompiles them in every worker of every run.
# A passed scenario's node goes at its end; a failed or not honoured one's stays.
QUICK_START = [
    "-p", "no:hypothesispytest", "-p", "no:fakefs", "--assert=plain",
    "-o", "tmp_path_retention_policy=failed",
]  # fmt: skip


# The test module `simvz conformance` runs: the features shipped with the step library
# (written to a temporary directory, so that pytest imports the library only by its
# installed name, whether simvz is installed from a wheel or editable from a clone).
SCENARIOS_MODULE = """\
from pytest_bdd import scenarios

from simvz_steps.catalogue import FEATURES

scenarios(str(FEATURES))
"""


def _guard_args(args: argparse.Namespace) -> list[str]:
    out = ["--vz-ctid-range", args.vz_ctid_range] if args.vz_ctid_range else []
    flags = (("vz_force_clean", "--vz-force-clean"), ("vz_accept_uuid_tags", "--vz-accept-uuid-tags"),
             ("dry_run", "--vz-dry-run"))  # fmt: skip
    out += [flag for attr, flag in flags if getattr(args, attr)]
    if args.call_timeout is not None:
        out += ["--vz-call-timeout", repr(args.call_timeout)]
    if args.libvirt_build:
        out += ["--libvirt-build", str(Path(args.libvirt_build).absolute())]
    if args.valgrind:
        out += ["--vz-valgrind"]
    if args.coverage is not None:
        if not args.libvirt_build:
            raise CliError("conformance --coverage: needs --libvirt-build (simvz libvirt-build --coverage)")
        where = args.coverage or (str(Path(args.report) / "coverage") if args.report else "simvz-coverage")
        out += ["--vz-coverage", str(Path(where).absolute())]
    return out


def _compare(paths: list[str], report: str | None) -> int:
    from simvz.report import ReportError, columns, columns_markdown, html_page, load

    if len(paths) < 2:
        raise CliError("conformance --compare: give at least two reports (A.json B.json ...)")
    try:
        text, differ = columns(list(paths))
        if report:
            out = Path(report)
            out.mkdir(parents=True, exist_ok=True)
            (out / "matrix.md").write_text(columns_markdown(list(paths)), encoding="utf-8")
            page = html_page([(p, load(p)) for p in paths])
            (out / "matrix.html").write_text(page, encoding="utf-8")
    except ReportError as err:
        raise CliError(f"conformance --compare: {err}") from err
    except OSError as err:
        raise CliError(f"conformance --compare: --report {report}: {err.strerror}") from err
    sys.stdout.write(text)
    return 1 if differ else 0


def cmd_shell(args: argparse.Namespace) -> int:
    """``simvz shell DIR``: an interactive shell where ``virsh -c openvz:///system`` works."""
    shell = os.environ.get("SHELL") or "/bin/sh"
    return _run_on(args.dir, [shell, "-i"], {"PS1": f"simvz[{args.dir.name}]\\$ "})


def _run_on(
    path: Path, command: list[str], extra: dict[str, str] | None = None, base: dict[str, str] | None = None
) -> int:
    import subprocess

    from simvz.harness import shim

    host = _host(path)
    _ensure_server(host)
    try:
        env = shim.environ(host.root, base) | (extra or {})
    except shim.ShimError as err:
        raise CliError(str(err)) from err
    try:
        done = subprocess.run(command, env=env, check=False)
    except OSError as err:
        raise CliError(f"run: {command[0]}: {err.strerror}") from err
    if done.returncode >= 0:
        return done.returncode
    # as a shell says it (e.g. virsh dominfo of a CT without ONBOOT under libvirt 9.0.0)
    sys.stderr.write(f"simvz: {command[0]} killed by {_signal_name(-done.returncode)}\n")
    return 128 - done.returncode


def _signal_name(number: int) -> str:
    import signal

    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _ensure_server(host: Host) -> None:
    """A tool server for the node's tools while COMMAND runs (docs/fastpath.md): started
    detached unless one answers, it stops by itself after 10 minutes without a call.
    Without one, the tools run their Python entry: nothing fails for lack of a server."""
    from simvz.fastpath import server

    sockdir = server.node_sockdir(host.root)
    if sockdir is None:
        return  # no native tools (no C compiler), or another simvz package's node
    with contextlib.suppress(OSError, RuntimeError):  # the tools fall back: slower, same answers
        server.ensure(sockdir, idle=600.0)


def cmd_init(args: argparse.Namespace) -> str:
    """``simvz init DIR``."""
    from simvz import registry
    from simvz.hostinit import init_host

    hosts = registry.default_path()
    if args.dir.exists() and not args.dir.is_dir():
        raise CliError(f"init {args.dir}: exists and is not a directory")
    try:
        host = init_host(
            args.dir,
            templates=args.template,
            vzctl_version=args.vzctl_version,
            seed=args.seed,
            hostname="simvz-node" if args.hostname is None else args.hostname,
            nics=args.nic,
            bridges=args.bridge,
            networks=args.network,
            registry=None if args.hostname is None else hosts,
            kernel=args.kernel,
        )
        registry.remember(host.root, hosts)
    except (ValueError, OSError, registry.RegistryError) as err:
        raise CliError(f"init {args.dir}: {err}") from err
    return f"Initialised a simulated OpenVZ host in {host.root}\n"


def _host(path: Path) -> Host:
    from simvz.host import Host

    if not path.is_dir():
        raise CliError(f"{path}: no such directory")
    host = Host(path)
    if not host.is_initialised():
        raise CliError(f"{path} is not a simulated host (run `simvz init {path}` first)")
    return host


def cmd_journal(args: argparse.Namespace) -> str:
    """``simvz journal DIR [--json]``."""
    entries, problems = _host(args.dir).journal_lines()
    for problem in problems:  # a line cut short by a full disk or a kill: reported, skipped
        sys.stderr.write(f"simvz: journal: {problem}\n")
    if args.json:
        return json.dumps(entries, indent=1, ensure_ascii=False) + "\n"
    return "".join(journal_text(e) for e in entries)


def journal_text(entry: dict[str, Any]) -> str:
    """One journal entry: ``exit argv...`` then its output, indented."""
    lines = [f"{entry['exit']} {shlex.join(entry['argv'])}"]
    for stream, tag in (("stdout", "out"), ("stderr", "err")):
        lines += [f"    {tag}| {line}" for line in entry[stream].splitlines()]
    return "\n".join(lines) + "\n"


def cmd_inspect(args: argparse.Namespace) -> str:
    """``simvz inspect DIR [--json]``."""
    from simvz import inspect

    data = inspect.inspect(_host(args.dir))
    return inspect.render_json(data) if args.json else inspect.render_text(data)


if __name__ == "__main__":
    sys.exit(main())
