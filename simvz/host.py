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
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from simvz import confine, storage
from simvz.errors import NodeError
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
        self._kernel_saved: dict[str, Any] | None = None  # as on disk, clock left out
        self._clock_saved = 0

    # -- settings and kernel state -------------------------------------------------
    @property
    def settings(self) -> Settings:
        """Host settings written by ``simvz init``."""
        data = self._read_state("host.json")
        try:
            return Settings.from_json(data)
        except (TypeError, ValueError, AttributeError) as err:
            raise NodeError.corrupt(f"/{STATE_DIR}/host.json", f"not host settings ({err})") from None

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
        if not os.path.lexists(self.state / "kernel.json"):
            kernel = Kernel()
        else:
            try:
                kernel = Kernel.from_json(self._read_state("kernel.json"))
            except (TypeError, ValueError, KeyError, AttributeError) as err:
                raise NodeError.corrupt(f"/{STATE_DIR}/kernel.json", f"not kernel state ({err})") from None
        self._kernel_saved, self._clock_saved = _sans_clock(kernel.to_json()), kernel.clock
        return kernel

    def _read_state(self, name: str) -> Any:
        """A JSON state file of ``.simvz``; anything unusable is a NodeError."""
        path = f"/{STATE_DIR}/{name}"
        try:
            fd = os.open(self.state / name, os.O_RDONLY | os.O_CLOEXEC)
            try:
                data = storage.read_fd(fd)
            finally:
                os.close(fd)
            return json.loads(data.decode("utf-8"))
        except OSError as err:
            raise NodeError.from_os(err, path) from None
        except ValueError as err:  # not UTF-8, not JSON, truncated
            raise NodeError.corrupt(path, f"not valid JSON ({err})") from None

    def commit(self) -> None:
        """Write kernel state when it changed, and the /proc files derived from it."""
        self.save_kernel()
        self.render_proc()

    def save_kernel(self) -> bool:
        """Write ``kernel.json`` if the command changed the node; True when written.

        The simulated clock ticks on every command (:meth:`_dispatch`) but is kept only
        when the command changed something (kernel state or a file): time passes with
        the commands that act on the node, and one that changed nothing (``status``)
        writes nothing at all."""
        kernel = self.kernel
        kernel.prune()
        data = kernel.to_json()
        ticked = self.fs.changed() and kernel.clock != self._clock_saved
        if _sans_clock(data) == self._kernel_saved and not ticked:
            kernel.clock = self._clock_saved  # no time passed: /proc (uptimes) stays as it is
            return False
        self._write_state("kernel.json", json.dumps(data, indent=1))
        self._kernel_saved, self._clock_saved = _sans_clock(data), kernel.clock
        return True

    def _commit_command(self) -> None:
        """:meth:`commit` at the end of a command: /proc is rebuilt only when the command
        changed the kernel state or a file. One that changed nothing (``status``) leaves
        the clock as it was, so every input of the /proc view is what the last command
        that changed something rendered it from; rendering it again cost half of a
        ``vzctl status``. (Files edited by other programs, libvirt's configs, reach
        /proc with the next command that changes the node, as they reach a real
        kernel only through vzctl.)"""
        written = self.save_kernel()
        if written or self.fs.changed():
            self.render_proc()

    def _write_state(self, name: str, text: str) -> None:
        self.fs.write("/" + STATE_DIR + "/" + name, text)

    def render_proc(self) -> None:
        """Rewrite /proc/vz/* and /proc/user_beancounters from the kernel state."""
        from simvz.model import container, usage

        if not self.fs.isdir("/proc/vz"):
            return  # a node without the OpenVZ kernel has no /proc/vz (no-kernel mode)
        # A view rebuilt from kernel state and configs on every change: a file is
        # rewritten only when its text changed, and without fsync.
        k = self.kernel
        write = self.fs.write_if_changed
        write("/proc/vz/veinfo", procvz.veinfo(k))
        write("/proc/vz/veip", procvz.veip(k))
        write("/proc/vz/veth", procvz.veth(k))
        usages = usage.of_node(self)
        write("/proc/vz/vestat", procvz.vestat(k, usages))
        write("/proc/vz/vzquota", procvz.vzquota(k, container.private_paths(self)))
        bcs = procvz.beancounters(k, container.ubc_limits(self), NODE_RAM_PAGES, usages)
        write("/proc/user_beancounters", procvz.user_beancounters(bcs))
        self._render_bc(bcs)
        if self.settings.vswap:
            write("/proc/vz/vswap", "")
        else:
            self.fs.remove("/proc/vz/vswap")

    def _render_bc(self, bcs: list[procvz.Beancounter]) -> None:
        """``/proc/bc/resources`` and a ``/proc/bc/<id>/resources`` per beancounter
        (kernel/bc/proc.c); the directory of a gone beancounter goes with it."""
        self.fs.write_if_changed("/proc/bc/resources", procvz.bc_resources(bcs))
        ids = {str(bc.uid) for bc in bcs}
        for name in self.fs.listdir("/proc/bc"):
            if name.isdigit() and name not in ids:
                self.fs.rmtree(f"/proc/bc/{name}")
        for bc in bcs:
            self.fs.write_if_changed(f"/proc/bc/{bc.uid}/resources", procvz.bc_id_resources(bc))

    @contextmanager
    def locked(self, exclusive: bool = True) -> Iterator[Host]:
        """Hold the host lock; kernel state is reloaded inside and committed on exit.

        Taking it exclusively first removes what commands killed before they finished
        left behind (:func:`simvz.storage.recover`)."""
        try:
            fd = self._open_lock()
        except OSError as err:
            raise NodeError.from_os(err, self.fs.node_path(err.filename or self.state)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            self._kernel = None
            if exclusive:
                self._recover()
            yield self
        finally:
            self._kernel = None
            os.close(fd)  # releases the lock

    def _open_lock(self) -> int:
        lock = self.state / "host.lock"
        flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
        try:
            return os.open(lock, flags, 0o666)
        except FileNotFoundError:  # no .simvz yet
            self.state.mkdir(parents=True, exist_ok=True)
            return os.open(lock, flags, 0o666)

    def _recover(self) -> None:
        """Finish after commands killed part-way: their leftovers removed, a name link
        of a config they renamed away removed (vzctl's own destroy removes the names
        last, ``KV:src/vzctl-actions.c:destroy``), the /proc view rebuilt."""
        from simvz.model import container

        touched = storage.recover(self.root)
        if not touched:
            return
        if container.CONF_DIR in touched:
            for name in self.fs.listdir(container.NAMES_DIR):
                link = f"{container.NAMES_DIR}/{name}"
                target = self.fs.readlink(link)
                if target is not None and not self.fs.isfile(self.fs.resolve(link)):
                    self.fs.remove(link)
        self.render_proc()

    # -- running tools -------------------------------------------------------------
    def run(self, tool: str, argv: Sequence[str | bytes], stdin: bytes = b"") -> Result:
        """Run ``argv`` (``argv[0]`` included) of a simulated tool in-process.

        A failure of the node's own machinery (:class:`NodeError`, an OSError of a
        write) answers a vzctl-style error and rolls the command back."""
        args = [_arg(a) for a in argv]
        started = time.time()
        # a read-only tool changes no file: the directories its paths pass stay what
        # they are while it holds the lock (simvz/confine.py:cached)
        cache = confine.cached() if tool in READ_ONLY else nullcontext()
        try:
            with cache, self.locked(exclusive=tool not in READ_ONLY) as h:
                return h._run_locked(tool, args, stdin, started)
        except NodeError as err:  # the lock or the journal: nothing was run
            return _failure(err)

    def _run_locked(self, tool: str, args: list[str], stdin: bytes, started: float) -> Result:
        writes = tool not in READ_ONLY
        journal = Journal.open(self.state / JOURNAL, self.fs.node_path(self.state / JOURNAL))
        with journal:
            if writes:
                self.fs.begin()
            try:
                _ = self.settings, self.kernel  # unusable state is refused before any output
                result = self._dispatch(tool, args, stdin)
                if result.refused:
                    self.fs.rollback()  # a refusal leaves the node exactly as it was
                elif writes:
                    self._commit_command()
                self._journal(journal, _entry(tool, args, result, started))
            except (NodeError, OSError) as err:
                self.fs.rollback()
                journal.undo()
                result = _failure(self._node_error(err))
                journal.try_append(_entry(tool, args, result, started))
            except BaseException:
                self.fs.rollback()  # a bug or an interrupt: still nothing half-done
                journal.undo()
                raise
            else:
                self.fs.end()
        return result

    def _journal(self, journal: Journal, entry: dict[str, Any]) -> None:
        try:
            journal.append(entry)
        except OSError:
            if self.fs.changed():
                raise  # the command's changes are rolled back with its record
            # it changed nothing (status, vzlist): its answer stands, as vzctl's would
            # on a full disk; only its journal entry is lost

    def _node_error(self, err: NodeError | OSError) -> NodeError:
        if isinstance(err, NodeError):
            return err
        return NodeError.from_os(err, self.fs.node_path(err.filename or ""))

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
        """Record one command run on this host (outside :meth:`run`)."""
        journal = Journal.open(self.state / JOURNAL, self.fs.node_path(self.state / JOURNAL))
        with journal:
            journal.append(_entry(tool, args, result, started))

    def journal(self) -> list[dict[str, Any]]:
        """Every recorded command, oldest first (unreadable lines skipped)."""
        return self.journal_lines()[0]

    def journal_lines(self) -> tuple[list[dict[str, Any]], list[str]]:
        """Every recorded command, oldest first, and what was wrong with each line
        skipped (a line cut short by a full disk or a kill, bytes that are not UTF-8)."""
        p = self.state / JOURNAL
        if not os.path.lexists(p):
            return [], []
        try:
            data = p.read_bytes()
        except OSError as err:
            return [], [f"{self.fs.node_path(p)}: {err.strerror}"]
        entries: list[dict[str, Any]] = []
        problems: list[str] = []
        for number, line in enumerate(data.split(b"\n"), 1):
            if not line.strip():
                continue
            entry = _journal_entry(line)
            if entry is None:
                problems.append(f"{self.fs.node_path(p)}: line {number} is not a journal entry, skipped")
            else:
                entries.append(entry)
        return entries, problems


JOURNAL = "journal.jsonl"
_ENTRY_KEYS = {"argv": list, "exit": int, "stdout": str, "stderr": str}


def _journal_entry(line: bytes) -> dict[str, Any] | None:
    try:
        entry = json.loads(line.decode("utf-8"))
    except ValueError:
        return None
    if not isinstance(entry, dict) or any(not isinstance(entry.get(k), t) for k, t in _ENTRY_KEYS.items()):
        return None
    return entry


def _entry(tool: str, args: list[str], result: Result, started: float) -> dict[str, Any]:
    raw = [a.encode("utf-8", "surrogateescape") for a in args]
    return {
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


class Journal:
    """``.simvz/journal.jsonl`` opened for one command: one JSON line appended, or none.

    Opened before the command runs, so a journal that cannot be written (a directory
    in its place) refuses the command before it changes anything; a line cut short by
    a full disk is truncated away, and one left by a killed writer is closed with a
    newline first, so every later line is whole."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.size = fh.seek(0, os.SEEK_END)

    @classmethod
    def open(cls, path: Path, node_path: str) -> Journal:
        """Open for appending; a NodeError when that is impossible."""
        try:
            # unbuffered: nothing of a failed write is kept to be flushed later
            return cls(open(path, "a+b", buffering=0))
        except OSError as err:
            raise NodeError.from_os(err, node_path) from None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        with suppress(OSError):
            self.fh.close()

    def append(self, entry: dict[str, Any]) -> None:
        """Append one line (OSError when the disk is full: nothing is left of it)."""
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8", "surrogateescape")
        try:
            if self.size:
                self.fh.seek(self.size - 1)
                if self.fh.read(1) != b"\n":
                    line = b"\n" + line  # the previous writer died mid-line
            view = memoryview(line)
            while view:
                view = view[self.fh.write(view) or 0 :]
        except OSError:
            self.undo()
            raise

    def try_append(self, entry: dict[str, Any]) -> None:
        """Append when possible (the record of a failure on a full disk is dropped)."""
        with suppress(OSError):
            self.append(entry)

    def undo(self) -> None:
        """Cut the journal back to its size before this command."""
        with suppress(OSError, ValueError):
            self.fh.truncate(self.size)


def _failure(err: NodeError) -> Result:
    text = "".join(line + "\n" for line in err.lines).encode("utf-8", "surrogateescape")
    return Result(err.code, b"", text, text, refused=True)


def _sans_clock(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "clock"}


def _arg(a: str | bytes) -> str:
    return a.decode("utf-8", "surrogateescape") if isinstance(a, bytes) else a
