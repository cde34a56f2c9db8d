"""Memory errors of the driver's process as evidence: the report an ASan/UBSan build or
valgrind memcheck writes on stderr becomes one line -- kind, driver function, frame --
that a claim of kind ``asan`` matches; a crash's C backtrace names libvirt's frames.

The reports here are as AddressSanitizer (gcc 12), UBSan and valgrind 3.19 print them;
the ASan run itself (a canary-patched build) is tests/libvirt/test_asan.py's."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from simvz.harness import crashtrace
from simvz.harness.claims import Claim, Evidence
from simvz.harness.libvirt_runner import DriverCrash, Session
from simvz.harness.sanitizer import lines_of, reports
from simvz.host import Host

ASAN = """\
=================================================================
==4242==ERROR: AddressSanitizer: stack-buffer-overflow on address 0x7ffd5c1e2a30 at pc 0x7f0e8
WRITE of size 17 at 0x7ffd5c1e2a30 thread T0
    #0 0x7f0e8a4b2c3d in __interceptor_vsprintf sanitizer_common_interceptors.inc:1765
    #1 0x7f0e8a4b3e9f in __interceptor_sprintf sanitizer_common_interceptors.inc:1808
    #2 0x7f0e89c1d2a1 in openvzDomainSetMemoryInternal ../src/openvz/openvz_driver.c:1472
    #3 0x7f0e89c1f0b2 in openvzDomainDefineXMLFlags ../src/openvz/openvz_driver.c:855
    #4 0x7f0e89a2b3c4 in virDomainDefineXML ../src/libvirt-domain.c:6460

Address 0x7ffd5c1e2a30 is located in stack of thread T0 at offset 48 in frame
SUMMARY: AddressSanitizer: stack-buffer-overflow ../src/openvz/openvz_driver.c:1472 in openvzDomain…
==4242==ABORTING
"""
UBSAN = """\
../src/openvz/openvz_conf.c:380:47: runtime error: signed integer overflow: 9223372036854775807 * 4 \
cannot be represented in type 'long int'
    #0 0x7f1 in openvzReadMemConf ../src/openvz/openvz_conf.c:380
    #1 0x7f2 in openvzLoadDomains ../src/openvz/openvz_conf.c:515
"""
VALGRIND = """\
==777== Invalid read of size 1
==777==    at 0x484ED16: strlen (vg_replace_strmem.c:494)
==777==    by 0x4A4F1C2: g_strdup (in /usr/lib/x86_64-linux-gnu/libglib-2.0.so.0.7400.6)
==777==    by 0x52C41A3: openvzDomainDefineCmd (openvz_driver.c:120)
==777==    by 0x52C5B10: openvzSetInitialConfig (in /usr/lib/x86_64-linux-gnu/libvirt.so.0.9000.0)
==777==\x20
==777== Use of uninitialised value of size 8
==777==    at 0x49DB8AF: Py_DECREF (object.h:537)
==777==    by 0x49DB8AF: list_dealloc (listobject.c:357)
==777==\x20
"""


def test_an_asan_report_names_the_kind_the_driver_function_and_its_frame() -> None:
    (r,) = reports(ASAN)
    assert r.line() == (
        "AddressSanitizer: stack-buffer-overflow in openvzDomainSetMemoryInternal "
        "(../src/openvz/openvz_driver.c:1472)"
    )


def test_a_ubsan_report_and_a_memcheck_report_in_the_driver() -> None:
    assert [r.line() for r in reports(UBSAN)] == [
        "UBSan: signed integer overflow: 9223372036854775807 * 4 cannot be represented in type 'long int' "
        "in openvzReadMemConf (../src/openvz/openvz_conf.c:380:47)"
    ]
    # Python's own noise under memcheck (no libvirt frame) is not the driver's
    assert [r.line() for r in reports(VALGRIND)] == [
        "valgrind: Invalid read of size 1 in openvzDomainDefineCmd (openvz_driver.c:120)"
    ]


def test_an_asan_claim_matches_the_report_of_a_crash() -> None:
    crash = DriverCrash("defineXML(...)", 86, ASAN)
    ev = Evidence(sanitizer=lines_of(crash))
    claim = Claim("asan", r"stack-buffer-overflow in openvzDomainSetMemoryInternal")
    assert claim.problem() is None
    assert claim.find(ev) == ev.sanitizer[0]
    assert Claim("asan", "heap-use-after-free").find(ev) is None
    assert f"sanitizer: {ev.sanitizer[0]}" in ev.lines()
    assert str(crash).splitlines()[:2] == ["libvirt driver exited 86 during defineXML(...)", ev.sanitizer[0]]


def test_a_crash_prints_the_driver_process_backtrace(sim_host: Host) -> None:
    with Session(sim_host) as s, pytest.raises(DriverCrash) as crash:
        s.crash_worker()
    text = str(crash.value)
    assert text.startswith("libvirt driver killed by SIGSEGV during segfault() on worker")
    assert crashtrace.MARK in text and "libc.so.6" in text  # the C frames it died in


@pytest.mark.skipif(shutil.which("nm") is None, reason="needs binutils' nm")
def test_libvirt_frames_are_named_with_their_source_line(tmp_path: Path) -> None:
    """A frame of a static driver function, as glibc prints it (no dynamic symbol), in
    a libvirt built with debug information: addr2line names it."""
    source = tmp_path / "libvirt_fake.c"
    source.write_text("static int openvzDomainSetMemoryInternal(int m) { return m * 2; }\n"
                      "int (*keep)(int) = openvzDomainSetMemoryInternal;\n")  # fmt: skip
    lib = tmp_path / "libvirt.so.0"
    subprocess.run(["cc", "-g", "-O0", "-shared", "-fPIC", "-o", str(lib), str(source)], check=True)
    nm = subprocess.run(["nm", str(lib)], capture_output=True, text=True, check=True).stdout
    func = " openvzDomainSetMemoryInternal"
    addr = int(next(line.split()[0] for line in nm.splitlines() if line.endswith(func)), 16)
    stderr = f"{crashtrace.MARK}\n{lib}(+0x{addr + 4:x})[0x7f0000001234]\n/lib/libc.so.6(+0x3c050)[0x7f1]\n"
    (frame,) = crashtrace.frames(stderr)
    assert frame.startswith("#0 openvzDomainSetMemoryInternal (") and frame.endswith("libvirt_fake.c:1)")
