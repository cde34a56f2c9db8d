"""The node's ``brctl show`` (bridge-utils 1.7, Debian 12; the same columns as the 1.2
of RHEL6-era OpenVZ nodes, whose vznetaddbr runs ``brctl addif``): read-only.

``show_bridge`` prints name, id and STP state separated by tabs, the first port on the
same line and every further port on a line of its own after seven tabs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simvz import results as output
from simvz.cli.ip import bridge_mac
from simvz.errors import NotEmulated
from simvz.results import Console, Result

if TYPE_CHECKING:
    from simvz.host import Host

FORMS = ["brctl show [BRIDGE...]"]
HEADER = "bridge name\tbridge id\t\tSTP enabled\tinterfaces\n"


def main(host: Host, argv: list[str], stdin: bytes) -> Result:
    """Run ``brctl`` with ``argv`` (``argv[0]`` included) on ``host``."""
    return output.run(lambda con: _main(host, con, argv[1:]))


def _main(host: Host, con: Console, args: list[str]) -> int:
    if args[:1] != ["show"]:
        raise NotEmulated(f"'brctl {' '.join(args)}'", FORMS)
    net = host.kernel.net
    names = args[1:] or list(net.bridges)
    con.write(1, HEADER)
    code = 0
    for name in names:
        if name not in net.bridges:
            # bridge-utils 1.7: "bridge NAME does not exist!" on stderr, exit status 1
            con.write(2, f"bridge {name} does not exist!\n")
            code = 1
            continue
        bridge_id = "8000." + bridge_mac(net, name).replace(":", "")
        ports = net.bridges[name].ports
        con.write(1, f"{name}\t\t{bridge_id}\tno\t\t{ports[0] if ports else ''}\n")
        con.write(1, "".join(f"\t\t\t\t\t\t\t{p}\n" for p in ports[1:]))
    return code
