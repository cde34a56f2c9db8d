"""Where a node's tools find the tool server: ``DIR/.simvz/tools.conf`` (the package and
the socket directory) and the socket directory's default. Apart from the server
(:mod:`simvz.fastpath.server`) because node creation (simvz/hostinit.py) writes the conf
and the server runs the tools, whose arranged faults need node creation: the server
must not be below it (docs/architecture.md)."""

from __future__ import annotations

import os
from pathlib import Path

import simvz

SOCKDIR_ENV = "SIMVZ_TOOL_SOCKDIR"


def package_dir() -> str:
    """The simvz package this process runs."""
    return str(Path(simvz.__file__).resolve().parent)


def default_sockdir() -> str:
    """Where new nodes' clients look for the server: ``$SIMVZ_TOOL_SOCKDIR`` at ``simvz
    init`` time, else ``/tmp/simvz-<uid>`` (the clients run with an empty environment)."""
    return os.environ.get(SOCKDIR_ENV) or f"/tmp/simvz-{os.getuid()}"


def tools_conf(sockdir: str | None = None) -> str:
    """The text of ``DIR/.simvz/tools.conf``: this package and the socket directory."""
    return f"package={package_dir()}\nsockdir={sockdir or default_sockdir()}\n"


def node_sockdir(root: Path) -> str | None:
    """The socket directory a node's tools use, when they are this package's clients."""
    try:
        text = (Path(root) / ".simvz" / "tools.conf").read_text()
    except OSError:
        return None
    conf = dict(line.partition("=")[::2] for line in text.splitlines())
    return conf.get("sockdir") if conf.get("package") == package_dir() else None
