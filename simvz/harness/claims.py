"""Expected failures that must prove themselves: a claim says what the driver is observed
to do when a known shortfall holds, and a failure counts as that shortfall only when the
evidence recorded during the run matches the claim.

Evidence is what a test saw: the libvirt calls (each with its libvirt error and the node
commands it caused, from the node's journal), a crash signal, values read from the host
(``DISKINODES`` of a config file, ``vzctl status``, the domain XML), the first failing
step and its failure. A claim is one of four kinds:

- ``argv``: a node command whose argv (joined by blanks) matches ``pattern``, with exit
  status ``exit`` when given; libvirt's own ``Child process (ARGV) unexpected exit status
  N`` errors count as commands too, so a claim holds on a host that keeps no journal;
- ``error``: a libvirt error whose message matches ``pattern`` (and whose code is ``code``);
- ``signal``: the driver's process died of the signal named ``pattern`` (``SIGSEGV``);
- ``state``: a value observed under ``key`` that matches ``pattern`` in full;
- ``asan``: a memory or undefined-behaviour error in the driver's process (an ASan/UBSan
  build, or valgrind memcheck) whose line -- ``AddressSanitizer: KIND in FUNCTION
  (FRAME)``, from :mod:`simvz.harness.sanitizer` -- matches ``pattern``.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = ("argv", "error", "signal", "state", "asan")
# virCommand's error for a child that failed (src/util/vircommand.c:virCommandWait)
_CHILD = re.compile(r"Child process \((?P<argv>.*?)\) unexpected exit status (?P<exit>\d+)", re.S)


@dataclass(frozen=True)
class Command:
    """A node command a libvirt call caused."""

    argv: str
    exit: int
    stderr: str = ""

    def describe(self) -> str:
        """``exit 21: /usr/sbin/vzctl --quiet start destroy 990209 (Bad CT ID destroy)``."""
        err = " ".join(self.stderr.split())
        return f"exit {self.exit}: {self.argv}" + (f" ({err})" if err else "")


@dataclass
class CallRecord:
    """One libvirt call: what was called, its error, the node commands it caused."""

    call: str
    error: dict[str, Any] | None = None
    commands: list[Command] = field(default_factory=list)

    def all_commands(self) -> list[Command]:
        """The journal's commands, else those libvirt's error names (a real host)."""
        if self.commands or not self.error:
            return self.commands
        m = _CHILD.search(str(self.error.get("message", "")))
        return [Command(m.group("argv"), int(m.group("exit")))] if m else []


@dataclass
class Evidence:
    """What one test observed."""

    calls: list[CallRecord] = field(default_factory=list)
    state: list[tuple[str, str]] = field(default_factory=list)
    signal: str | None = None
    step: str = ""
    failure: str = ""
    sanitizer: list[str] = field(default_factory=list)  # one line per ASan/UBSan/memcheck report

    def observe(self, key: str, value: str) -> None:
        """Record a value read from the host or the driver."""
        self.state.append((key, value))

    def failing_call(self) -> CallRecord | None:
        """The first call that failed (what the rest follows from), else the last call."""
        failed = [c for c in self.calls if c.error]
        return failed[0] if failed else (self.calls[-1] if self.calls else None)

    def lines(self) -> list[str]:
        """The evidence, one fact a line: first failing step, failure, the failing
        call's error and node commands, the crash signal."""
        out = [f"step: {self.step}"] if self.step else []
        out += [f"failure: {_one_line(self.failure)}"] if self.failure else []
        call = self.failing_call()
        if call is not None and call.error:
            out.append(f"error: {call.call}: {_error_text(call.error)}")
        if call is not None:
            out += [f"command: {c.describe()}" for c in call.all_commands()]
        out += [f"signal: {self.signal}"] if self.signal else []
        out += [f"sanitizer: {line}" for line in self.sanitizer]
        return out

    def as_dict(self) -> dict[str, Any]:
        """JSON-able."""
        call = self.failing_call()
        return {
            "step": self.step,
            "failure": self.failure,
            "call": call.call if call else None,
            "error": call.error if call else None,
            "commands": [asdict(c) for c in call.all_commands()] if call else [],
            "signal": self.signal,
            "sanitizer": list(self.sanitizer),
        }


def _one_line(text: str, limit: int = 400) -> str:
    return textwrap.shorten(" ".join(text.split()), limit, placeholder=" …")


def _error_text(error: dict[str, Any]) -> str:
    return f"{_one_line(str(error.get('message', '')))} (code {error.get('code')})"


@dataclass(frozen=True)
class Claim:
    """What the driver is observed to do when a shortfall holds (see the module doc)."""

    kind: str
    pattern: str
    exit: int | None = None
    code: int | None = None
    key: str | None = None

    def problem(self) -> str | None:
        """Why this claim cannot be evaluated, or None."""
        if self.kind not in KINDS:
            return f"unknown claim kind {self.kind!r} (one of {', '.join(KINDS)})"
        try:
            re.compile(self.pattern)
        except re.error as err:
            return f"pattern {self.pattern!r} is not a regular expression: {err}"
        if not self.pattern:
            return "an empty pattern matches anything"
        if (self.kind == "state") != (self.key is not None):
            return "a state claim needs a key (and only a state claim has one)"
        misplaced = (self.exit is not None and self.kind != "argv") or (
            self.code is not None and self.kind != "error"
        )
        if misplaced:
            return "exit belongs to argv claims, code to error claims"
        return None

    def find(self, ev: Evidence) -> str | None:
        """The evidence that matches this claim, as one line, or None."""
        rx = re.compile(self.pattern)
        if self.kind == "argv":
            for call in ev.calls:
                for c in call.all_commands():
                    if rx.search(c.argv) and self.exit in (None, c.exit):
                        return f"{call.call} ran {c.describe()}"
        elif self.kind == "error":
            for call in ev.calls:
                message = str(call.error.get("message", "")) if call.error else ""
                if call.error and rx.search(message) and self.code in (None, call.error.get("code")):
                    return f"{call.call} failed: {_error_text(call.error)}"
        elif self.kind == "signal":
            if ev.signal and rx.fullmatch(ev.signal):
                return f"the driver's process was killed by {ev.signal}"
        elif self.kind == "asan":
            for line in ev.sanitizer:
                if rx.search(line):
                    return line
        else:
            for key, value in ev.state:
                if key == self.key and rx.fullmatch(value):
                    return f"{key}: {_one_line(value, 200)}"
        return None

    def describe(self) -> str:
        """The claim as text, for a mismatch's message."""
        extra = f" with exit {self.exit}" if self.exit is not None else ""
        extra += f" with code {self.code}" if self.code is not None else ""
        what = {"argv": "a node command matching", "error": "a libvirt error matching",
                "signal": "a crash by", "state": f"{self.key} matching",
                "asan": "a sanitizer report matching"}[self.kind]  # fmt: skip
        return f"{what} /{self.pattern}/{extra}"


def sanitizer_of(exc: BaseException | None) -> list[str]:
    """The ASan/UBSan/memcheck reports a driver crash left on stderr, one line each."""
    from simvz.harness.sanitizer import lines_of

    return lines_of(exc)


def signal_of(exc: BaseException | None) -> str | None:
    """The signal name of a driver crash (``DriverCrash``), else None."""
    import signal

    code = getattr(exc, "returncode", None)
    if type(exc).__name__ == "DriverCrash" and isinstance(code, int) and code < 0:
        return signal.Signals(-code).name
    return None
