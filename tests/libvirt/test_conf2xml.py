"""``corpus/conf2xml/NAME.conf`` -> ``NAME.xml``: the domain XML libvirt's driver shows
(``XMLDesc``) for container 101 whose ``/etc/vz/conf/101.conf`` is that file
(``openvz_conf.c:openvzLoadDomains``, ``openvzReadNetworkConf``, ``openvzReadFSConf``,
``openvzReadMemConf``), one test per file. See tests/libvirt/datadriven.py for
``SIMVZ_REGENERATE=1`` and the gap cases (``# simvz-gap: ID`` in the config)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simvz.harness.claims import CallRecord, Evidence
from simvz.harness.libvirt_runner import LibvirtError, Session
from simvz.hostinit import init_host
from tests.libvirt.datadriven import cases, check

CASES = cases("conf2xml", ".conf")
_GAP = re.compile(r"^# simvz-gap: ([\w-]+)$", re.M)


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_conf2xml(case: Path, tmp_path: Path) -> None:
    text = case.read_text(encoding="utf-8")
    host = init_host(tmp_path / "node")
    (host.root / "etc" / "vz" / "conf" / "101.conf").write_text(text, encoding="utf-8")
    (host.root / "vz" / "private" / "101").mkdir(parents=True)
    ev = Evidence()
    record = CallRecord("XMLDesc")
    ev.calls.append(record)
    with Session(host) as s:
        try:
            actual = str(s.dom("101", "XMLDesc", 0))
        except LibvirtError as err:
            record.error = {"code": err.code, "domain": err.domain, "message": err.message}
            actual = f"<!-- XMLDesc failed: {' '.join(err.message.split())} -->\n"
    found = re.findall(r"<filesystem ", actual)
    ev.observe("filesystems in the domain XML", str(len(found)) if found else "none")
    gap = _GAP.search(text)
    check(case, case.with_suffix(".xml"), actual, gap.group(1) if gap else None, ev)


def test_there_are_enough_cases() -> None:
    """The issue asks for at least 20."""
    assert len(CASES) >= 20
