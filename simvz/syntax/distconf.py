"""The text of ``/etc/vz/dists/*.conf`` and of the action scripts the simulated node
installs (the facts are in :mod:`simvz.model.dist`).

Lines are read as vzctl reads any of its configs (``KV:src/lib/util.c:parse_line``):
blank lines and ``#`` comments are skipped, ``KEY=value`` or ``KEY="value"``, and a
line without ``=`` or with an unmatched quote is an error vzctl warns about.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

Line = tuple[int, str, str, str | None]  # line number, key, value, error


def parse(text: str) -> Iterator[Line]:
    """Each non-blank, non-comment line as (number, key, value, error or None)."""
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, eq, value = line.partition("=")
        if not eq:
            yield number, "", "", "'=' not found"
            continue
        if value.startswith('"'):
            end = value.rfind('"')
            if end == 0:
                yield number, key, "", "unmatched quotes"
                continue
            value = value[1:end]
        yield number, key, value, None


def render(name: str, actions: Mapping[str, str]) -> str:
    """A distribution config: a comment saying what it is, then ``KEY=script`` lines."""
    head = (
        f"# simvz: action scripts for the '{name}' distribution configuration of vzctl 4.11.1.\n"
        "# vzctl runs the script named for an action inside the container; scripts are\n"
        "# under /etc/vz/dists/scripts.\n"
    )
    return head + "".join(f"{key}={script}\n" for key, script in actions.items())


def script(name: str) -> str:
    """An action script of the simulated node: the simulator performs the action
    itself (hostname, IPs, DNS, passwords inside the private area); the file exists
    because vzctl checks that it does before using a distribution config."""
    if name == "functions":
        return "#!/bin/bash\n# simvz: shell functions shared by the action scripts (none needed here).\n"
    return (
        "#!/bin/bash\n"
        f"# simvz: the action script {name}. On the simulated node vzctl performs this\n"
        "# action itself; the script documents that it exists and does nothing.\n"
        "exit 0\n"
    )
