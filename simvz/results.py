"""Console output of a simulated tool and the one place a VzError becomes output; shared by
the tools (simvz/cli), the node that runs them (simvz/host.py) and fault injection.

vzctl's logger (``KV:src/lib/logger.c``) prints a message of level L when
L <= verbose; negative levels go to stderr. ``--quiet`` silences the console.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from simvz.errors import VzError


@dataclass(frozen=True)
class Result:
    """What one tool run produced: exit code, the two streams, and their interleaving."""

    exit: int
    stdout: bytes
    stderr: bytes
    combined: bytes = b""
    # a refusal: the node must be left exactly as it was (kernel state not committed)
    refused: bool = False

    @property
    def out(self) -> str:
        """stdout as text."""
        return self.stdout.decode("utf-8", "surrogateescape")

    @property
    def err(self) -> str:
        """stderr as text."""
        return self.stderr.decode("utf-8", "surrogateescape")


@dataclass
class Console:
    """Collects output chunks in order, honouring vzctl's verbosity rules."""

    verbose: int = 0
    quiet: bool = False
    chunks: list[tuple[int, bytes]] = field(default_factory=list)
    # the run changed the node even if it failed (a command ran inside a CT, a start failed)
    keep_state: bool = False

    def write(self, fd: int, text: str) -> None:
        """Raw write to fd 1 or 2 (what fprintf(stdout/stderr) does; not silenced)."""
        if text:
            self.chunks.append((fd, text.encode("utf-8", "surrogateescape")))

    def log(self, level: int, text: str) -> None:
        """vzctl ``logger(level, 0, text)``: a line, filtered by verbosity."""
        if self.quiet or level > self.verbose:
            return
        self.write(2 if level < 0 else 1, text + "\n")

    def info(self, text: str) -> None:
        """A level-0 message (stdout)."""
        self.log(0, text)

    def error(self, text: str) -> None:
        """A level -1 message (stderr)."""
        self.log(-1, text)

    def result(self, code: int) -> Result:
        """Freeze into a :class:`Result`."""
        out = b"".join(b for fd, b in self.chunks if fd == 1)
        err = b"".join(b for fd, b in self.chunks if fd == 2)
        combined = b"".join(b for _fd, b in self.chunks)
        return Result(code, out, err, combined, refused=code != 0 and not self.keep_state)


def run(body: Callable[[Console], int]) -> Result:
    """A tool's run: ``body`` writes to a fresh console and returns the exit code; a
    VzError it raises becomes its message and exit code here."""
    con = Console()
    try:
        code = body(con)
    except VzError as err:
        render(con, err)
        code = err.code
        con.keep_state = con.keep_state or err.keep_state
    return con.result(code)


def render(con: Console, err: VzError) -> None:
    """The one place a VzError becomes output."""
    for line in err.lines:
        if err.raw:
            con.write(2, line + "\n")
        elif err.stdout:
            con.log(0, line)
        else:
            con.log(-1, line)
