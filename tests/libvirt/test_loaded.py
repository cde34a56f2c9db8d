"""Which libvirt the run's connections load: with ``--libvirt-build B`` every Session
(the ``connect`` and ``openvz`` fixtures, a Session opened by hand) maps B's
libvirt.so, read from the driver process's own ``/proc/self/maps``; without it, the
system's."""

from __future__ import annotations

import os
from pathlib import Path

from simvz.harness.facade import VirConnect
from simvz.harness.libvirt_runner import Session, default_build
from simvz.host import Host
from tests.libvirt.conftest import Connect

SYSTEM = Path("/usr/lib/x86_64-linux-gnu/libvirt.so.0")


def test_every_connection_maps_the_runs_libvirt(sim_host: Host, connect: Connect, openvz: VirConnect) -> None:
    build = default_build()
    want = build.library if build is not None else SYSTEM
    with Session(sim_host) as by_hand:
        for session in (connect(), openvz.session, by_hand):
            assert os.path.samefile(session.library, want), session.library
