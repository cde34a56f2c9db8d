"""The simulated host on a directory: settings, kernel state, locking, running a tool,
and the journal of every command run on it.

Every tool run takes the host lock (``.simvz/host.lock``, flock), so concurrent
commands are serialised and never lose an update; config files are still re-read
from disk by every command, since other programs (libvirt) edit them too.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from simvz.formats import procvz
from simvz.model.kernel import Kernel
from simvz.model.node import TemplateInfo
from simvz.model.ubc import NODE_RAM_PAGES
from simvz.results import Result
from simvz.storage import Storage

STATE_DIR = ".simvz"


@dataclass
class Settings:
    """Host-wide facts a real node gets from its kernel and hardware."""

    vzctl_version: str = "4.11.1"
    cpus: int = 4
    hwid: str = "00:00:00:00:00:00"
    hostname: str = "simvz-node"
    seed: int = 0
    vswap: bool = True
    kernel: str = "042stab"  # simvz.model.persona
    disk_free_kb: int = 50 * 1024 * 1024
    templates: dict[str, TemplateInfo] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Settings:
        """Inverse of ``asdict``."""
        tmpl = {k: TemplateInfo(**v) for k, v in data.pop("templates", {}).items()}
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(templates=tmpl, **known)


Tool = Callable[["Host", list[str], bytes], Result]
# Runs before a tool on every command; a Result it returns is the command's answer and
# the tool does not run. The node itself installs none: arranging code does
# (simvz.faults makes a chosen command fail), so the node knows nothing of why.
Interceptor = Callable[["Host", str, list[str]], "Result | None"]

# The tools a node has, by module; each module has ``main(host, argv, stdin) -> Result``.
# Imported on demand: a tool's start-up time is part of what the driver sees.
TOOLS = {
    "vzctl": "simvz.cli.vzctl",
    "vzlist": "simvz.cli.vzlist",
    "vzmigrate": "simvz.cli.vzmigrate",
    "ip": "simvz.cli.ip",
    "brctl": "simvz.cli.brctl",
}
# Tools that only read the node: a shared lock, nothing committed.
READ_ONLY = frozenset({"vzlist", "ip", "brctl"})


def _tool(name: str) -> Tool | None:
    import importlib

    try:
        module = importlib.import_module(TOOLS[name])
    except ModuleNotFoundError:
        return None
    fn: Tool = module.main
    return fn


class Host:
    """A simulated OpenVZ node rooted at a directory."""

    # process-wide, as a tool run in any process of the node must honour them
    before_run: ClassVar[list[Interceptor]] = []

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).absolute()
        self.fs = Storage(self.root)
        # resolved inside the node like every node path: a .simvz that is a symlink
        # cannot send the state, lock or journal out of it (simvz/confine.py)
        self.state = self.fs.real("/" + STATE_DIR)
        self._kernel: Kernel | None = None

    # -- settings and kernel state -------------------------------------------------
    @property
    def settings(self) -> Settings:
        """Host settings written by ``simvz init``."""
        data = json.loads((self.state / "host.json").read_text())
        return Settings.from_json(data)

    def save_settings(self, settings: Settings) -> None:
        """Persist host settings atomically."""
        self._write_state("host.json", json.dumps(asdict(settings), indent=1, sort_keys=True))

    def is_initialised(self) -> bool:
        """True when ``simvz init`` made this directory a host."""
        return (self.state / "host.json").is_file()

    @property
    def kernel(self) -> Kernel:
        """Kernel state; valid inside :meth:`locked` (loaded once per command)."""
        if self._kernel is None:
            self._kernel = self._load_kernel()
        return self._kernel

    def _load_kernel(self) -> Kernel:
        p = self.state / "kernel.json"
        return Kernel.from_json(json.loads(p.read_text())) if p.exists() else Kernel()

    def commit(self) -> None:
        """Write kernel state and the /proc files derived from it."""
        kernel = self.kernel
        kernel.prune()
        self._write_state("kernel.json", json.dumps(kernel.to_json(), indent=1))
        self.render_proc()

    def _write_state(self, name: str, text: str) -> None:
        self.fs.write("/" + STATE_DIR + "/" + name, text)

    def render_proc(self) -> None:
        """Rewrite /proc/vz/* and /proc/user_beancounters from the kernel state."""
        from simvz.model import container, usage

        if not self.fs.isdir("/proc/vz"):
            return  # a node without the OpenVZ kernel has no /proc/vz (no-kernel mode)
        k = self.kernel
        self.fs.write("/proc/vz/veinfo", procvz.veinfo(k))
        self.fs.write("/proc/vz/veip", procvz.veip(k))
        self.fs.write("/proc/vz/veth", procvz.veth(k))
        usages = usage.of_node(self)
        self.fs.write("/proc/vz/vestat", procvz.vestat(k, usages))
        self.fs.write("/proc/vz/vzquota", procvz.vzquota(k, container.private_paths(self)))
        bcs = procvz.beancounters(k, container.ubc_limits(self), NODE_RAM_PAGES, usages)
        self.fs.write("/proc/user_beancounters", procvz.user_beancounters(bcs))
        self._render_bc(bcs)
        if self.settings.vswap:
            self.fs.write("/proc/vz/vswap", "")
        else:
            self.fs.remove("/proc/vz/vswap")

    def _render_bc(self, bcs: list[procvz.Beancounter]) -> None:
        """``/proc/bc/resources`` and a ``/proc/bc/<id>/resources`` per beancounter
        (kernel/bc/proc.c); the directory of a gone beancounter goes with it."""
        self.fs.write("/proc/bc/resources", procvz.bc_resources(bcs))
        ids = {str(bc.uid) for bc in bcs}
        for name in self.fs.listdir("/proc/bc"):
            if name.isdigit() and name not in ids:
                self.fs.rmtree(f"/proc/bc/{name}")
        for bc in bcs:
            self.fs.write(f"/proc/bc/{bc.uid}/resources", procvz.bc_id_resources(bc))

    @contextmanager
    def locked(self, exclusive: bool = True) -> Iterator[Host]:
        """Hold the host lock; kernel state is reloaded inside and committed on exit."""
        self.state.mkdir(parents=True, exist_ok=True)
        with open(self.state / "host.lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            self._kernel = None
            try:
                yield self
            finally:
                self._kernel = None

    # -- running tools -------------------------------------------------------------
    def run(self, tool: str, argv: Sequence[str | bytes], stdin: bytes = b"") -> Result:
        """Run ``argv`` (``argv[0]`` included) of a simulated tool in-process."""
        args = [_arg(a) for a in argv]
        started = time.time()
        with self.locked(exclusive=tool not in READ_ONLY) as h:
            result = h._dispatch(tool, args, stdin)
            if tool not in READ_ONLY and not result.refused:
                h.commit()
            h.journal_append(tool, args, result, started)
        return result

    def _dispatch(self, tool: str, args: list[str], stdin: bytes) -> Result:
        from simvz.errors import NotEmulated

        fn = _tool(tool) if tool in TOOLS else None
        if fn is None:
            err = NotEmulated(f"tool {tool!r}", [t for t in TOOLS if _tool(t)])
            return Result(err.code, b"", "\n".join(err.lines).encode() + b"\n", refused=True)
        for intercept in Host.before_run:
            injected = intercept(self, tool, args)
            if injected is not None:
                return injected
        self.kernel.clock += 1
        return fn(self, args, stdin)

    # -- journal -------------------------------------------------------------------
    def journal_append(self, tool: str, args: list[str], result: Result, started: float) -> None:
        """Record one command run on this host."""
        raw = [a.encode("utf-8", "surrogateescape") for a in args]
        entry = {
            "tool": tool,
            "argv": [a.decode("utf-8", "backslashreplace") for a in raw],
            "argv_b64": [base64.b64encode(a).decode() for a in raw],
            "exit": result.exit,
            # text for reading; non-UTF-8 bytes shown as \xNN, exact bytes in *_b64
            "stdout": result.stdout.decode("utf-8", "backslashreplace"),
            "stderr": result.stderr.decode("utf-8", "backslashreplace"),
            "stdout_b64": base64.b64encode(result.stdout).decode(),
            "stderr_b64": base64.b64encode(result.stderr).decode(),
            "start": started,
            "end": time.time(),
            "pid": os.getpid(),
        }
        with open(self.state / "journal.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def journal(self) -> list[dict[str, Any]]:
        """Every recorded command, oldest first."""
        p = self.state / "journal.jsonl"
        if not p.exists():
            return []
        return [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line]


def _arg(a: str | bytes) -> str:
    return a.decode("utf-8", "surrogateescape") if isinstance(a, bytes) else a
