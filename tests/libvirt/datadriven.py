"""Data-driven driver tests in the style of libvirt's own ``qemuxml2argvtest``: a file
in, the driver's observable output compared with a file of what it should be.

- ``corpus/xml2argv/NAME.xml`` -> ``NAME.argv``: the node commands the driver runs for
  ``defineXML`` and then ``create`` (start), with each call's libvirt error;
- ``corpus/conf2xml/NAME.conf`` -> ``NAME.xml``: what ``XMLDesc`` shows for container 101
  with that config.

``SIMVZ_REGENERATE=1`` rewrites the expected files of the cases that are not known driver
shortfalls; a case whose XML carries ``<!-- simvz-gap: ID -->`` (an id of
``steps/gaps.py``) has its expected file written from vzctl's and libvirt's documented
behaviour, and is a strict expected failure that must show its gap's claim. Such files
were made with ``SIMVZ_REGENERATE=all`` on a build with the gap's fix (``simvz
libvirt-build --fixes``), which rewrites them too, and then read; the rest by hand.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from simvz.harness.claims import CallRecord, Command, Evidence
from simvz.harness.libvirt_runner import LibvirtError, Session
from simvz.host import Host
from simvz.inspect import inspect
from simvz_steps.gaps import GAPS

REPO = Path(__file__).resolve().parents[2]
REGENERATE = os.environ.get("SIMVZ_REGENERATE", "") in ("1", "all")
REGENERATE_GAPS = os.environ.get("SIMVZ_REGENERATE", "") == "all"
_GAP = re.compile(r"<!--\s*simvz-gap:\s*([\w-]+)\s*-->")
_HOST_MAC = re.compile(r"^(--netif_add \S*?,\S*?,\S*?,)[0-9a-f:]{17}", re.I)


def cases(kind: str, suffix: str) -> list[Path]:
    """The inputs of ``corpus/<kind>/``."""
    return sorted((REPO / "corpus" / kind).glob(f"*{suffix}"))


def gap_of(text: str) -> str | None:
    """The ``simvz-gap`` a case names, if any (checked to be a known gap)."""
    m = _GAP.search(text)
    if m is None:
        return None
    assert m.group(1) in GAPS, f"unknown gap {m.group(1)!r} (steps/gaps.py)"
    return m.group(1)


def command_line(entry: dict[str, Any]) -> str:
    """One node command as the .argv file shows it: the argv, the random host MAC of
    ``--netif_add`` (``virDomainNetGenerateMAC``) as ``*``, a failure's exit status."""
    words = [str(w) for w in entry["argv"]]
    for i, w in enumerate(words[:-1]):
        if w == "--netif_add":
            words[i + 1] = _HOST_MAC.sub(r"\1*", f"--netif_add {words[i + 1]}").split(" ", 1)[1]
    line = " ".join(words)
    return line + (f"  # exit {entry['exit']}" if entry["exit"] else "")


def run_calls(session: Session, calls: list[tuple[str, str, tuple[Any, ...]]], ev: Evidence) -> str:
    """Make ``calls`` ((target, method, args); target "conn" or a domain name) until one
    fails; the .argv text, and the evidence recorded into ``ev``."""
    out: list[str] = []
    for target, method, args in calls:
        out.append(f"# {method}")
        record = CallRecord(method)
        ev.calls.append(record)
        try:
            if target == "conn":
                session.call(method, *args)
            else:
                session.dom(target, method, *args)
            failed = None
        except LibvirtError as err:
            failed = err
            record.error = {"code": err.code, "domain": err.domain, "message": err.message}
        journal = session.journal_of_last()
        record.commands = [Command(" ".join(e["argv"]), int(e["exit"]), str(e.get("stderr", "")))
                           for e in journal]
        out += [command_line(e) for e in journal]
        if failed is not None:
            out.append(f"# {method} failed: {' '.join(failed.message.split())}")
            break
    return "\n".join(out) + "\n"


def observe(host: Host, name: str, ev: Evidence) -> None:
    """What the gaps' state claims read: the container's DISKSPACE and its veths."""
    conf = host.root / "etc" / "vz" / "conf" / f"{name}.conf"
    text = conf.read_text(encoding="utf-8", errors="replace") if conf.is_file() else ""
    values = [line.split("=", 1)[1].strip('"') for line in text.splitlines() if line.startswith("DISKSPACE=")]
    ev.observe("DISKSPACE", values[-1] if values else "none")
    cts: dict[str, Any] = {str(c["ctid"]): c for c in inspect(host)["containers"]}
    interfaces: dict[str, Any] = (cts.get(name) or {}).get("interfaces") or {}
    ev.observe("veths of the container", str(interfaces.get("veth", [])))


def check(case: Path, expected: Path, actual: str, gap: str | None, ev: Evidence) -> None:
    """Compare with the expected file (rewritten under SIMVZ_REGENERATE=1 unless the case
    is a gap's); a gap's case must differ and show its claim, else it fails (strict)."""
    if REGENERATE and (gap is None or REGENERATE_GAPS):
        expected.write_text(actual, encoding="utf-8")
    assert expected.exists(), f"{expected.name} missing: run with SIMVZ_REGENERATE=1 (a gap case: by hand)"
    want = expected.read_text(encoding="utf-8")
    if gap is None:
        assert actual == want, f"{case.name}: the driver's output differs from {expected.name}"
        return
    claim = GAPS[gap].claim
    assert claim is not None
    if actual == want:
        pytest.fail(f"[XPASS(strict)] {case.name} is as documented now, though tagged simvz-gap {gap}")
    found = claim.find(ev)
    assert found, f"{case.name} differs from {expected.name}, but not as gap {gap} says: {claim.describe()}"
    pytest.xfail(f"[{gap}] {found}")
