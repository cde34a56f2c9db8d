"""Drive libvirt's real OpenVZ driver: against a simulated node (through the preload
shim), or against this machine's own OpenVZ host (no shim: the real-host backend).

The driver runs in a child process started with the preload shim (``worker.py``); each
call crosses a pipe, so a crash inside ``libvirt.so`` (a segfault) is reported as a
failure naming the signal and the API call, and never takes the test session down.
Every call can return the node's journal entries it caused.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simvz.harness import shim

if TYPE_CHECKING:
    from simvz.harness.libvirt_build import LibvirtBuild
    from simvz.host import Host


class LibvirtError(Exception):
    """A libvirt error raised by the driver (``virError`` code, domain and message)."""

    def __init__(self, code: int, domain: int, message: str) -> None:
        super().__init__(message)
        self.code, self.domain, self.message = code, domain, message


class DriverCrash(Exception):
    """The driver's process died (a signal inside libvirt.so) during ``call``."""

    def __init__(self, call: str, returncode: int | None, stderr: str) -> None:
        how = (
            f"killed by {signal.Signals(-returncode).name}"
            if returncode and returncode < 0
            else f"exited {returncode}"
        )
        super().__init__(f"libvirt driver {how} during {call}\n{stderr}".rstrip())
        self.call, self.returncode, self.stderr = call, returncode, stderr


@dataclass(frozen=True)
class Domain:
    """A domain handle as the driver returned it (by name)."""

    name: str


@dataclass
class Call:
    """One API call: its answer and the node commands it caused."""

    value: Any
    journal: list[dict[str, Any]] = field(default_factory=list)


class Session:
    """A libvirt connection to ``openvz:///system``: on the simulated node ``host``, or,
    with ``host=None``, on whatever this process's environment shows as the OpenVZ host
    (the machine's own; or a simulated node when run under ``simvz run``).

    ``libvirt``: a build whose libvirt.so the driver's process loads instead of the
    system's. ``library`` and ``version`` are what the process actually loaded.
    """

    def __init__(
        self,
        host: Host | None = None,
        uri: str = "openvz:///system",
        python: str = sys.executable,
        libvirt: LibvirtBuild | None = None,
    ) -> None:
        self.host = host
        env = libvirt.environ() if libvirt is not None else dict(os.environ)
        if host is not None:
            env = shim.environ(host.root, env)
        self._proc = subprocess.Popen(
            [python, "-m", "simvz.harness.worker", uri],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, text=True, cwd=str(Path(__file__).resolve().parents[2]),
        )  # fmt: skip
        self.calls: list[Call] = []
        ready = self._read(f"open({uri})")
        if "error" in ready:
            self.close()
            raise LibvirtError(**ready["error"])
        self.library: str = ready["library"]
        self.version: str = ready["version"]

    def _read(self, what: str) -> dict[str, Any]:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            code = self._proc.wait()
            stderr = self._proc.stderr.read() if self._proc.stderr else ""
            raise DriverCrash(what, code, stderr)
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _request(self, target: str, method: str, args: tuple[Any, ...]) -> Call:
        what = f"{method}({', '.join(map(repr, args))})" + ("" if target == "conn" else f" on {target}")
        before = len(self._journal())
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(
                json.dumps({"target": target, "method": method, "args": list(args)}) + "\n"
            )
            self._proc.stdin.flush()
        except BrokenPipeError:
            pass  # reported by _read as the crash it is
        answer = self._read(what)
        call = Call(_decode(answer.get("ok")), self._journal()[before:])
        self.calls.append(call)
        if "error" in answer:
            raise LibvirtError(**answer["error"])
        return call

    def _journal(self) -> list[dict[str, Any]]:
        # a real host keeps no journal of its commands
        return self.host.journal() if self.host is not None else []

    def call(self, method: str, *args: Any) -> Any:
        """``virConnect.<method>(*args)``; domains come back as :class:`Domain`."""
        return self._request("conn", method, args).value

    def dom(self, name: str, method: str, *args: Any) -> Any:
        """``virDomain.<method>(*args)`` on the domain called ``name``."""
        return self._request(f"dom:{name}", method, args).value

    def crash_worker(self) -> None:
        """Make the driver's process die by SIGSEGV (tests of crash reporting)."""
        self._request("worker", "segfault", ())

    def journal_of_last(self) -> list[dict[str, Any]]:
        """The node commands the last call caused."""
        return self.calls[-1].journal if self.calls else []

    def close(self) -> None:
        """End the driver's process."""
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        for stream in (self._proc.stdout, self._proc.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__domain__"}:
            return Domain(value["__domain__"])
        if set(value) == {"__bytes__"}:
            return value["__bytes__"].encode("latin-1")
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value
