"""The states an administrator leaves an OpenVZ node in, as data: each is arranged on a
node that holds CT 101 (stopped, ``#UUID:`` fixed, the container the driver is asked
about) and CT 102 (stopped, the bystander no call may touch), through the node's own
tools (vzctl, vzlist), by editing or removing files as an administrator does, and by a
second libvirt connection. Nothing here reaches into the simulator's kernel state.

The two phases of docs/living-host.md: ``before`` arranges the state and then opens the
connection (the driver reads the node once, at open: ``openvz_conf.c:openvzLoadDomains``);
``after`` opens the connection on the tidy node and then changes it out of band.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simvz.harness.libvirt_runner import Session
from simvz.host import Host
from simvz.hostinit import init_host
from tests.libvirt.support import UUID_209, conf_path, create_ct, uuid_for, vzctl

TARGET, BYSTANDER = 101, 102
PHASES = ("before", "after")
# CT 102's #UUID line, fixed so that runs repeat
UUID_102 = uuid_for(102)
# what the administrator's hand edit adds; a config write must keep all of it
HAND_EDIT_MARK = "# admin 2024-05-01: quota raised for the nightly build, ask ops before changing"
LONG_COMMENT = "# " + "long line of notes " * 40


def base_node(root: Path) -> Host:
    """A node with CT 101 and CT 102 made by vzctl, both stopped, each with its
    ``#UUID:`` line (as ``openvz_conf.c:openvzSetDefinedUUID`` appends it)."""
    host = init_host(root)
    create_ct(host, TARGET, "--hostname", "ct101.example.com", uuid=UUID_209)
    create_ct(host, BYSTANDER, "--hostname", "ct102.example.com", uuid=UUID_102)
    return host


def ok(host: Host, *args: str) -> None:
    """The administrator runs ``vzctl ARGS``; it must work (the state is then arranged)."""
    r = vzctl(host, *args)
    assert r.exit == 0, (args, r.exit, r.err)


def _stopped(host: Host) -> None:
    """Nothing to do: CT 101 as vzctl created it."""


def _running(host: Host) -> None:
    ok(host, "start", str(TARGET))


def _mounted(host: Host) -> None:
    ok(host, "mount", str(TARGET))


def _dumped(host: Host) -> None:
    # vzctl chkpnt without --suspend dumps to /vz/dump/Dump.101 and stops the CT;
    # vzlist then shows it "suspended" (vzctl src/lib/cpt.c:vps_chkpnt)
    ok(host, "start", str(TARGET))
    ok(host, "chkpnt", str(TARGET))


def _frozen(host: Host) -> None:
    # chkpnt --suspend only freezes: the CT stays "running" to vzctl status and vzlist
    ok(host, "start", str(TARGET))
    ok(host, "chkpnt", str(TARGET), "--suspend")


def _no_private(host: Host) -> None:
    shutil.rmtree(host.root / "vz" / "private" / str(TARGET))


def _no_config(host: Host) -> None:
    conf_path(host, TARGET).unlink()


def _hand_edited(host: Host) -> None:
    # valid to vzctl: comments, blank lines, a long line, a value with size suffixes
    path = conf_path(host, TARGET)
    lines = [
        line if not line.startswith("DISKSPACE=") else 'DISKSPACE="2G:2.2G"'
        for line in path.read_text().splitlines()
    ]
    path.write_text("\n".join([HAND_EDIT_MARK, "", *lines, "", LONG_COMMENT, ""]) + "\n")
    assert vzctl(host, "status", str(TARGET)).exit == 0


def _no_uuid(host: Host) -> None:
    path = conf_path(host, TARGET)
    path.write_text(
        "".join(line for line in path.read_text().splitlines(True) if not line.startswith("#UUID:"))
    )


def _named(host: Host) -> None:
    ok(host, "set", str(TARGET), "--name", "web", "--save")


def _destroyed(host: Host) -> None:
    # vzctl destroy keeps the config as 101.conf.destroyed (vzctl src/lib/config.c:move_config)
    ok(host, "destroy", str(TARGET))


def _kernel_only(host: Host) -> None:
    # the CT runs but its config is gone: /proc/vz/veinfo and vzlist still show it
    ok(host, "start", str(TARGET))
    conf_path(host, TARGET).unlink()


def _copied_config(host: Host) -> None:
    # the administrator cloned 101's config for a new CT 103, #UUID line and all
    shutil.copy(conf_path(host, TARGET), conf_path(host, 103))


def _other_connection(host: Host) -> None:
    with Session(host) as other:
        other.dom(str(TARGET), "setVcpus", 2)


@dataclass(frozen=True)
class HostState:
    """One state of the catalogue: ``arrange`` takes the base node there."""

    name: str
    how: str  # how an administrator gets there, for the README's catalogue
    arrange: Callable[[Host], None]
    frozen: bool = False  # vzlist cannot show it: the only fact not read off the node


CATALOGUE: tuple[HostState, ...] = (
    HostState("stopped", "`vzctl create 101` (the tidy node)", _stopped),
    HostState("running", "`vzctl start 101`", _running),
    HostState("mounted", "`vzctl mount 101`: mounted, not running", _mounted),
    HostState("dumped", "`vzctl start 101; vzctl chkpnt 101`: dumped to /vz/dump, stopped", _dumped),
    HostState("frozen", "`vzctl start 101; vzctl chkpnt 101 --suspend`", _frozen, frozen=True),
    HostState("no-private", "`rm -rf /vz/private/101`: config without private area", _no_private),
    HostState("no-config", "`rm /etc/vz/conf/101.conf`: private area without config", _no_config),
    HostState(
        "hand-edited",
        '101.conf edited by hand: comments, blank lines, a long line, `DISKSPACE="2G:2.2G"`',
        _hand_edited,
    ),
    HostState("no-uuid", "the `#UUID:` line removed from 101.conf", _no_uuid),
    HostState("named", "`vzctl set 101 --name web --save`", _named),
    HostState("destroyed", "`vzctl destroy 101`: only 101.conf.destroyed is left", _destroyed),
    HostState("kernel-only", "`vzctl start 101; rm 101.conf`: a /proc/vz line without config", _kernel_only),
    HostState(
        "copied-config", "`cp 101.conf 103.conf`: a config cloned with its `#UUID:` line", _copied_config
    ),
    HostState("other-connection", "a second libvirt connection ran `setVcpus(2)` on 101", _other_connection),
)
STATES = {s.name: s for s in CATALOGUE}
