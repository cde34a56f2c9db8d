"""Memory and undefined-behaviour errors found in the driver's process, read from what
it wrote on stderr: AddressSanitizer and UBSan (a ``simvz libvirt-build --asan`` build,
whose runtime stops the process at the first report), and valgrind memcheck (the stock
library run under ``--valgrind``).

A report becomes one line of evidence: the kind of error, the driver function it
happened in (the first frame in libvirt's own code, not in the sanitizer, libc or glib),
and that frame's source position, e.g. ``AddressSanitizer: stack-buffer-overflow in
openvzDomainSetMemoryInternal (../src/openvz/openvz_driver.c:1473)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ASAN = re.compile(r"==\d+==ERROR: (AddressSanitizer|LeakSanitizer): (\S+)")
_UBSAN = re.compile(r"^(?P<where>\S+:\d+:\d+): runtime error: (?P<what>.*)$", re.M)
_VALGRIND = re.compile(
    r"^==\d+== (Invalid (?:read|write) of size \d+"
    r"|Conditional jump or move depends on uninitialised value\(s\)"
    r"|Use of uninitialised value of size \d+"
    r"|Invalid free\(\) / delete / delete\[\] / realloc\(\)"
    r"|Syscall param \S+ points to (?:unaddressable|uninitialised) byte\(s\)"
    r"|Source and destination overlap in \S+)",
    re.M,
)
# "#0 0x7f.. in openvzDomainSetMemoryInternal ../src/openvz/openvz_driver.c:1473"
_FRAME = re.compile(r"#\d+ 0x[0-9a-f]+ in (?P<func>\S+) (?P<where>\S+)")
# valgrind: "   at 0x4C2F1A5: openvzDomainSetMemoryInternal (openvz_driver.c:1473)"
_VG_FRAME = re.compile(r"==\d+==\s+(?:at|by) 0x[0-9A-F]+: (?P<func>\S+) \((?P<where>[^)]*)\)")
# frames that are the sanitizer's, the C library's or glib's, not the driver's: by name,
# or by a place in the system's headers and libraries (glibc's fortified sprintf is an
# inline function of /usr/include/.../bits/stdio2.h)
_NOT_DRIVER = re.compile(r"^(__|_g_|g_|v?s?n?printf$|str|mem)")
_SYSTEM = re.compile(r"^\(?(/usr/|/lib)|libsanitizer|sanitizer_common")


@dataclass(frozen=True)
class Report:
    """One error: its kind, the driver function and the frame's source position."""

    tool: str
    kind: str
    function: str
    frame: str

    def line(self) -> str:
        """``AddressSanitizer: stack-buffer-overflow in openvzDomainSetMemoryInternal (...)``."""
        where = f" in {self.function}" if self.function else ""
        return f"{self.tool}: {self.kind}{where}" + (f" ({self.frame})" if self.frame else "")


def reports(stderr: str) -> list[Report]:
    """Every sanitizer or memcheck report in ``stderr``, in order."""
    found: list[tuple[int, Report]] = []
    for m in _ASAN.finditer(stderr):
        func, frame = _first_driver_frame(_FRAME, stderr[m.end() :])
        found.append((m.start(), Report(m.group(1), m.group(2), func, frame)))
    for m in _UBSAN.finditer(stderr):
        func, _ = _first_driver_frame(_FRAME, stderr[m.end() :])
        found.append((m.start(), Report("UBSan", m.group("what"), func, m.group("where"))))
    for m in _VALGRIND.finditer(stderr):
        block = _block(stderr[m.end() :])
        func, frame = _first_driver_frame(_VG_FRAME, block)
        if "libvirt" in block or func.startswith(("vir", "openvz")):
            found.append((m.start(), Report("valgrind", m.group(1), func, frame)))
    return [r for _, r in sorted(found, key=lambda x: x[0])]


def _block(text: str) -> str:
    """A valgrind report's stack: its lines up to the blank ``==PID== `` line."""
    out = []
    for line in text.splitlines()[1:]:
        if re.fullmatch(r"==\d+==\s*", line):
            break
        out.append(line)
    return "\n".join(out)


def _first_driver_frame(rx: re.Pattern[str], text: str) -> tuple[str, str]:
    frames = [(m.group("func"), m.group("where")) for m in rx.finditer(text[:6000])]
    for func, where in frames:
        if not _NOT_DRIVER.match(func) and not _SYSTEM.search(where):
            return func, where
    return frames[0] if frames else ("", "")


def lines_of(exc: BaseException | None) -> list[str]:
    """The reports in the stderr of a driver crash (``DriverCrash``, or the crash that
    made a session dead), one line each; none for anything else."""
    cause = getattr(exc, "cause", None) or exc
    stderr = getattr(cause, "stderr", None)
    return [r.line() for r in reports(stderr)] if isinstance(stderr, str) else []
