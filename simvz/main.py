"""The ``simvz`` command: ``init``, ``journal`` and ``inspect`` of a simulated host.

Every error is one line on stderr and exit status 2 (as argparse's own usage errors),
never a traceback.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
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
    init.add_argument("dir", metavar="DIR", type=Path)
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
    init.add_argument("--hostname", default="simvz-node", help="the node's hostname")
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
    init.set_defaults(func=cmd_init)
    for name, func, what in (
        ("journal", cmd_journal, "print every command run on the host in DIR"),
        ("inspect", cmd_inspect, "show the host in DIR as its administrator sees it"),
    ):
        sp = sub.add_parser(name, help=what)
        sp.add_argument("dir", metavar="DIR", type=Path)
        sp.add_argument("--json", action="store_true", help="print JSON")
        sp.set_defaults(func=func)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``simvz`` command line; returns the exit status."""
    args = _parser().parse_args(argv)
    func: Callable[[argparse.Namespace], str] = args.func
    try:
        out = func(args)
    except CliError as err:
        sys.stderr.write(f"simvz: {err}\n")
        return EXIT_USAGE
    sys.stdout.write(out)
    return 0


def cmd_init(args: argparse.Namespace) -> str:
    """``simvz init DIR``."""
    from simvz.hostinit import init_host

    try:
        host = init_host(
            args.dir,
            templates=args.template,
            vzctl_version=args.vzctl_version,
            seed=args.seed,
            hostname=args.hostname,
            nics=args.nic,
            bridges=args.bridge,
            networks=args.network,
        )
    except (ValueError, OSError) as err:
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
    entries = _host(args.dir).journal()
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
