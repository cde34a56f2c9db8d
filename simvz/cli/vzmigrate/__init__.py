"""``vzmigrate`` of vzctl 4.11.1 (``KV:bin/vzmigrate.in``, ``KV:man/vzmigrate.8.in``)
between simulated nodes.

The script's steps, messages, ``-v`` debug lines, exit codes and undo chain are kept in
its order. Where it runs a command over ssh, the destination node's own tool runs
in-process (``Host(dest).run``), so the destination's journal shows what a real node's
would; file transfers (scp, rsync) copy under the destination's host lock. Local vzctl
calls go straight to :func:`simvz.cli.vzctl.main`, since this run already holds the
source's host lock (``Host.run``), and are journaled on the source.

DEST is a host name from the registry the source node was registered in
(:mod:`simvz.registry`), or, as a simulator extension, the absolute path of a host
directory. Both nodes have what a 4.11.1 node has: ssh keys, the vz service, the
cpt/rst modules, vzcptcheck with equal CPUs, ipv6; simfs only (no ploop tools).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simvz.cli.vzmigrate.args import Exit, parse_args
from simvz.cli.vzmigrate.migration import Migration
from simvz.results import Console, Result

if TYPE_CHECKING:
    from simvz.host import Host

__all__ = ["main"]


def main(host: Host, argv: list[str], stdin: bytes) -> Result:
    """Run vzmigrate with ``argv`` (``argv[0]`` included) on the source ``host``."""
    con = Console()
    try:
        opts = parse_args(con, argv[1:])
        Migration(host, con, opts, argv[0] if argv else "vzmigrate").run()
        code = 0
    except Exit as done:
        code = done.code
    return con.result(code)
