"""Arrange-only fault injection: a scenario's Given steps break the host on purpose.

Faults are stored in ``<DIR>/.simvz/faults.json`` so that every process running a tool
on the host sees them. They are a named back door for arranging what a real host cannot
be made to do on demand (a broken template, a full disk), and never a way to observe
anything: Then steps look at the host only as an administrator would.

The node runs them through its ``Host.before_run`` hook, which :func:`install` fills:
the node's tool entry point (simvz/entry.py) installs it in every tool process, and
:func:`add` in the process arranging them.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from simvz.errors import NodeError
from simvz.host import STATE_DIR, Host
from simvz.results import Result

FAULTS_FILE = "faults.json"
FAULTS_LOCK = "faults.lock"


@dataclass
class Fault:
    """Make the next ``count`` runs of ``tool`` whose argv holds every word of ``argv_contains`` fail."""

    tool: str
    argv_contains: list[str] = field(default_factory=list)
    exit: int = 1
    stderr: str = ""
    count: int = 1

    def matches(self, tool: str, args: Sequence[str]) -> bool:
        """True if ``tool`` is ours and every word is one of ``args`` (argv[0] included)."""
        return tool == self.tool and all(word in args for word in self.argv_contains)

    def result(self) -> Result:
        """What the failing command prints and returns."""
        err = self.stderr if not self.stderr or self.stderr.endswith("\n") else self.stderr + "\n"
        data = err.encode("utf-8", "surrogateescape")
        return Result(self.exit, b"", data, data, refused=self.exit != 0)


def add(host: Host, tool: str, argv_contains: Sequence[str], exit: int, stderr: str, count: int = 1) -> None:
    """Make the next ``count`` matching commands fail with ``exit`` and ``stderr``."""
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}")
    if not -64 <= exit <= 255:
        raise ValueError(f"exit must be an exit status (0..255) or -signal, not {exit}")
    fault = Fault(tool, list(argv_contains), exit, stderr, count)
    install()
    with _locked(host):
        _save(host, [*load(host), fault])


def install() -> None:
    """Make every tool run of this process consult the pending faults (idempotent)."""
    if take not in Host.before_run:
        Host.before_run.append(take)


def take(host: Host, tool: str, args: Sequence[str]) -> Result | None:
    """Consume the first fault matching this command (each fault fires ``count`` times)."""
    if not (host.state / FAULTS_FILE).exists():  # the usual case, kept cheap
        return None
    with _locked(host):
        faults = load(host)
        for fault in faults:
            if fault.matches(tool, args):
                fault.count -= 1
                _save(host, [f for f in faults if f.count > 0])
                return fault.result()
    return None


@contextmanager
def _locked(host: Host) -> Iterator[None]:
    # A lock of their own: vzlist runs under the *shared* host lock, so two vzlist
    # processes could otherwise both consume the last count of one fault.
    host.state.mkdir(parents=True, exist_ok=True)
    with open(host.state / FAULTS_LOCK, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def load(host: Host) -> list[Fault]:
    """The pending faults, oldest first."""
    p = host.state / FAULTS_FILE
    if not p.exists():
        return []
    path = f"/{STATE_DIR}/{FAULTS_FILE}"
    try:
        return [Fault(**raw) for raw in json.loads(p.read_bytes().decode("utf-8"))]
    except OSError as err:
        raise NodeError.from_os(err, path) from None
    except (ValueError, TypeError) as err:  # not UTF-8, not JSON, not a list of faults
        raise NodeError.corrupt(path, f"not a list of faults ({err})") from None


def clear(host: Host) -> None:
    """Forget every pending fault."""
    with _locked(host):
        _save(host, [])


def _save(host: Host, faults: list[Fault]) -> None:
    data: list[dict[str, Any]] = [asdict(f) for f in faults]
    with host.fs.untracked():  # a fault that fired is spent, whatever the command answers
        host.fs.write(f"/{STATE_DIR}/{FAULTS_FILE}", json.dumps(data, indent=1))


def break_template(host: Host, name: str) -> None:
    """Rewrite a template cache without ``sbin/init``: ``vzctl create`` then fails with 47."""
    from simvz import hostinit

    with host.locked():
        info = host.settings.templates.get(name)
        if info is None:
            raise ValueError(f"no template {name!r} on this host")
        hostinit.write_template(host, name, info, broken=True)


def set_disk_free(host: Host, kb: int) -> None:
    """Set the free space of the host's /vz partition (1K blocks); ``vzctl create`` checks it."""
    if kb < 0:
        raise ValueError(f"free space cannot be negative: {kb}")
    with host.locked():
        settings = host.settings
        settings.disk_free_kb = kb
        host.save_settings(settings)


def raise_failcnt(host: Host, veid: int, resource: str, count: int = 1) -> None:
    """Make ``count`` allocations of a running CT's ``resource`` (the kernel's name:
    ``numproc``, ``kmemsize``...) fail: its failcnt grows by ``count``, and its maxheld
    reaches the barrier it failed at (docs/usage.md). The CT's processes go on."""
    from simvz.model.ubc import UB_RNAMES

    if resource not in UB_RNAMES or resource == "dummy":
        raise ValueError(f"no beancounter resource {resource!r}")
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}")
    with host.locked():
        ct = host.kernel.peek(veid)
        if not ct.running:
            raise ValueError(f"container {veid} is not running")
        ct.failcnt[resource] = ct.failcnt.get(resource, 0) + count
        host.commit()
