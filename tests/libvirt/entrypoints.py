"""Every entry point of libvirt 9.0.0's OpenVZ driver table (``openvz_driver.c``,
``openvzHypervisorDriver``) as data, and what libvirt's API documents for each given
what the administrator sees on the node just before the call (``vzlist``, the config
files): the oracle of tests/libvirt/test_states.py.

An expectation is :class:`Ok` (a check of the answer and of the node afterwards) or
:class:`Refused` (a libvirt error code and message; the node must be left as it was).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simvz.harness.libvirt_runner import Domain
from simvz.host import Host
from tests.libvirt.states import HAND_EDIT_MARK, LONG_COMMENT, TARGET
from tests.libvirt.support import (
    AFFECT_CONFIG,
    AFFECT_LIVE,
    PAUSED,
    RUNNING,
    SHUTOFF,
    UUID_209,
    conf_path,
    domain_xml,
    template_fs,
    vzlist,
)

# virErrorNumber (virterror.h)
NO_DOMAIN, OPERATION_DENIED, OPERATION_INVALID, INVALID_ARG = 42, 29, 55, 8
NEW_QUOTA = template_fs("centos-6-x86", hard_kib=2097152, soft_kib=1572864)
REDEFINED = domain_xml(TARGET, uuid=UUID_209, vcpu=2)


@dataclass(frozen=True)
class View:
    """The node as its administrator sees it just before a call: ``vzlist -a`` and the
    config files. ``frozen`` is the one fact vzlist cannot show (a frozen CT is
    "running" to vzctl and vzlist)."""

    listed: dict[int, str]  # CTID -> vzlist status, every CT vzlist -a shows
    conf: dict[str, str] | None  # 101.conf's KEY=value lines, None when there is none
    uuid_lines: tuple[str, ...]
    frozen: bool
    text: str = ""  # 101.conf as it is

    @property
    def status(self) -> str | None:
        return self.listed.get(TARGET)

    @property
    def exists(self) -> bool:
        """libvirt's domains are the containers vzlist -a lists (openvz_conf.c:openvzLoadDomains)."""
        return self.status is not None

    @property
    def active(self) -> bool:
        return self.status == "running"

    @property
    def state(self) -> int:
        """The virDomainState the API owes: a frozen CT is paused, a dumped one shut off."""
        return PAUSED if self.frozen and self.active else RUNNING if self.active else SHUTOFF


def view(host: Host, frozen: bool) -> View:
    """What ``vzlist -a -H -octid,status`` and ``/etc/vz/conf/101.conf`` say now."""
    listed = {
        int(ctid): st
        for ctid, st in (line.split() for line in vzlist(host, "-a", "-H", "-octid,status").splitlines())
    }
    path = conf_path(host, TARGET)
    if not path.exists():
        return View(listed, None, (), frozen)
    text = path.read_text()
    conf = dict(
        (k, v.strip('"'))
        for k, _, v in (line.partition("=") for line in text.splitlines())
        if _ and k[:1] != "#"
    )
    uuids = tuple(line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("#UUID:"))
    return View(listed, conf, uuids, frozen, text)


Check = Callable[[Any, Host, View], None]


@dataclass(frozen=True)
class Ok:
    """The call succeeds; ``check(answer, node_after, view_before)`` asserts the rest."""

    check: Check = field(default=lambda _v, _h, _w: None)
    writes: bool = False  # it changes the node: run on a connection of its own


@dataclass(frozen=True)
class Refused:
    """The call fails with this libvirt error code (None: any) and message; node unchanged."""

    code: int | None
    message: str


Expect = Ok | Refused


@dataclass(frozen=True)
class Entry:
    """One field of ``openvzHypervisorDriver`` and the libvirt-python call that reaches it."""

    field: str
    target: str  # "conn", "dom" (domain 101, looked up by name) or "session" (open/close)
    method: str
    args: tuple[Any, ...]
    expect: Callable[[View], Expect]

    @property
    def writes(self) -> bool:
        """It may change the node or the driver's memory (tested where that differs)."""
        return self.field in WRITES

    @property
    def kind(self) -> str:
        """What the call can show, which decides the states it runs in (test_states.py:
        ``in_ci``): a node call, a probe of what the connection believes of domain 101,
        another read of it (its config), or one of three kinds of write."""
        return next((k for k, fields in KINDS.items() if self.field in fields), "read")

    @property
    def alias(self) -> bool:
        """The same driver function as another row with flags 0 (``...Flags``, ``...WithFlags``)."""
        return self.field in ALIASES


WRITES = frozenset({
    "domainCreate", "domainCreateWithFlags", "domainShutdown", "domainShutdownFlags", "domainDestroy",
    "domainDestroyFlags", "domainReboot", "domainSuspend", "domainResume", "domainSetVcpus",
    "domainSetVcpusFlags", "domainSetMemoryParameters", "domainSetAutostart", "domainUpdateDeviceFlags",
    "domainUndefine", "domainUndefineFlags", "domainDefineXML", "domainDefineXMLFlags", "domainCreateXML",
})  # fmt: skip
ALIASES = frozenset({
    "domainCreateWithFlags", "domainShutdownFlags", "domainDestroyFlags", "domainUndefineFlags",
    "domainDefineXMLFlags",
})  # fmt: skip

KINDS: dict[str, frozenset[str]] = {
    # answered without looking at any container (the connection's own calls, the node's)
    "node": frozenset({
        "connectOpen", "connectClose", "connectGetType", "connectGetVersion", "connectGetHostname",
        "connectGetMaxVcpus", "nodeGetInfo", "nodeGetCPUStats", "nodeGetMemoryStats",
        "nodeGetCellsFreeMemory", "nodeGetFreeMemory", "nodeGetCPUMap", "connectGetCapabilities",
        "connectIsEncrypted", "connectIsSecure", "connectIsAlive",
    }),
    # what the connection believes of domain 101: its existence, activity and id
    "probe": frozenset({
        "connectListDomains", "connectNumOfDomains", "connectListAllDomains", "connectListDefinedDomains",
        "connectNumOfDefinedDomains", "domainLookupByName", "domainLookupByID", "domainLookupByUUID",
        "domainGetInfo", "domainGetState", "domainIsActive",
    }),
    # change whether the CT runs: differ with its activity
    "lifecycle": frozenset({
        "domainCreate", "domainCreateWithFlags", "domainShutdown", "domainShutdownFlags", "domainDestroy",
        "domainDestroyFlags", "domainReboot", "domainSuspend", "domainResume",
    }),
    # rewrite 101.conf: differ with the config's presence and content
    "config": frozenset({
        "domainSetVcpus", "domainSetVcpusFlags", "domainSetMemoryParameters", "domainSetAutostart",
        "domainUpdateDeviceFlags",
    }),
    # make or remove the domain: differ with its existence, UUID and private area
    "define": frozenset({
        "domainUndefine", "domainUndefineFlags", "domainDefineXML", "domainDefineXMLFlags", "domainCreateXML",
    }),
}  # fmt: skip


NO_SUCH = Refused(NO_DOMAIN, r"no domain")


def _dom(fn: Callable[[View], Expect]) -> Callable[[View], Expect]:
    """A call on domain 101: only a domain that exists can be asked anything."""
    return lambda v: fn(v) if v.exists else NO_SUCH


def _eq(expected: Any) -> Check:
    def check(value: Any, _h: Host, _v: View) -> None:
        assert value == expected, (value, expected)

    return check


def _is(kind: type) -> Callable[[View], Expect]:
    def check(value: Any, _h: Host, _v: View) -> None:
        assert isinstance(value, kind), value

    return lambda _v: Ok(check)


def _after(predicate: Callable[[Host], bool], what: str) -> Check:
    def check(_value: Any, host: Host, _v: View) -> None:
        assert predicate(host), what

    return check


def _status_is(want: str) -> Check:
    def check(_value: Any, host: Host, _v: View) -> None:
        rows = dict(line.split() for line in vzlist(host, "-a", "-H", "-octid,status").splitlines())
        assert rows.get(str(TARGET)) == want, f"vzlist shows CT {TARGET} {rows.get(str(TARGET))}, not {want}"

    return check


def _conf_has(key: str, value: str) -> Check:
    """After a config write: the new value, and every line the administrator wrote kept."""

    def check(_value: Any, host: Host, before: View) -> None:
        text = conf_path(host, TARGET).read_text()
        assert f'{key}="{value}"' in text.splitlines(), (key, value)
        if HAND_EDIT_MARK in before.text:
            assert HAND_EDIT_MARK in text and LONG_COMMENT in text, "the administrator's hand edits were lost"

    return check


def _listing(active: bool | None, count: bool = False, ids: bool = False) -> Callable[[View], Expect]:
    """The list calls agree with ``vzlist -a``: running CTs are active domains."""

    def expect(v: View) -> Expect:
        chosen = sorted(c for c, st in v.listed.items() if active is None or (st == "running") == active)
        want: Any = len(chosen) if count else chosen if ids else [str(c) for c in chosen]

        def check(value: Any, _h: Host, _v: View) -> None:
            got = value if count or ids or active is False else [d.name for d in value]
            assert (got if count else sorted(got, key=str)) == (want if count else sorted(want, key=str)), (
                got,
                want,
            )

        return Ok(check)

    return expect


def _lifecycle(need_active: bool, then: str | None) -> Callable[[View], Expect]:
    def expect(v: View) -> Expect:
        if v.conf is None:  # vzctl itself refuses a CT without config; the driver passes that on
            return Refused(None, r"Child process \(/usr/sbin/vzctl")
        if v.active != need_active:
            return (
                Refused(OPERATION_DENIED, "domain is not in shutoff state")
                if not need_active
                else Refused(None, "domain is not in running state")
            )
        return Ok(_status_is(then) if then else _eq(0), writes=True)

    return _dom(expect)


def _create(v: View) -> Expect:
    if v.active:
        return Refused(OPERATION_DENIED, "domain is not in shutoff state")
    return Ok(_status_is("running"), writes=True)


def _suspend(v: View) -> Expect:
    if not v.active:
        return Refused(OPERATION_INVALID, "domain is not running")
    if v.conf is None:
        return Refused(None, r"Child process \(/usr/sbin/vzctl")
    return Ok(writes=not v.frozen)


def _resume(v: View) -> Expect:
    if not v.active:
        return Refused(OPERATION_INVALID, "domain is not running")
    return Ok(writes=v.frozen)


def _config_write(key: str, value: str) -> Callable[[View], Expect]:
    return _dom(lambda v: Ok(_conf_has(key, value), writes=True))


def _uuid_lookup(v: View) -> Expect:
    # the domain keeps the UUID its config's #UUID line gives it (openvz_conf.c:openvzGetVPSUUID)
    known = v.exists and (not v.uuid_lines or v.uuid_lines[0] == UUID_209)
    return Ok(_eq(Domain(str(TARGET)))) if known else Refused(NO_DOMAIN, "no domain")


def _xml(v: View) -> Expect:
    def check(value: Any, _h: Host, _v: View) -> None:
        assert f"<name>{TARGET}</name>" in value
        cpus = (v.conf or {}).get("CPUS")
        if cpus:
            assert re.search(rf"<vcpu[^>]*>{cpus}</vcpu>", value), f"XML shows CPUS={cpus}"

    return Ok(check)


def _vcpus(v: View) -> Expect:
    cpus = (v.conf or {}).get("CPUS")
    return Ok(_eq(int(cpus))) if cpus else _is(int)(v)


def _hostname(v: View) -> Expect:
    if v.conf is None:
        return Refused(None, "Hostname of '101' is unset")
    name = (v.conf or {}).get("HOSTNAME")
    return Ok(_eq(name)) if name else _is(str)(v)


def _define(v: View) -> Expect:
    # a domain of that name with another UUID is refused (virDomainObjListAdd)
    if v.exists and v.uuid_lines and v.uuid_lines[0] != UUID_209:
        return Refused(None, "already exists with uuid")
    return Ok(_conf_has("CPUS", "2"), writes=True)


def _create_xml(v: View) -> Expect:
    if v.active:
        return Refused(None, "is already active")
    if v.exists and v.uuid_lines and v.uuid_lines[0] != UUID_209:
        return Refused(None, "already exists with uuid")
    return Ok(_status_is("running"), writes=True)


def _undefine(v: View) -> Expect:
    # virDomainUndefine: the config goes; a running domain keeps running, now transient
    def check(_value: Any, host: Host, before: View) -> None:
        assert not conf_path(host, TARGET).exists(), "101.conf is still there"

    return Ok(check, writes=True)


def _autostart(v: View) -> Expect:
    # a CT without config has no ONBOOT to tell (openvz_driver.c:openvzDomainGetAutostart reads it)
    if v.conf is None:
        return Refused(None, "Could not read container config")
    return Ok(_eq(int(v.conf.get("ONBOOT") == "yes")))


def _state(v: View) -> Expect:
    def check(value: Any, _h: Host, _v: View) -> None:
        assert value[0] == v.state, f"state {value[0]}, vzlist says {v.status!r} (want {v.state})"

    return Ok(check)


def _info(v: View) -> Expect:
    def check(value: Any, _h: Host, _v: View) -> None:
        assert value[0] == v.state, f"info state {value[0]}, vzlist says {v.status!r} (want {v.state})"

    return Ok(check)


ENTRIES: tuple[Entry, ...] = (
    Entry("connectOpen", "session", "open", (), lambda v: Ok()),
    Entry("connectClose", "session", "close", (), lambda v: Ok()),
    Entry("connectGetType", "conn", "getType", (), lambda v: Ok(_eq("OpenVZ"))),
    Entry("connectGetVersion", "conn", "getVersion", (), _is(int)),
    Entry("connectGetHostname", "conn", "getHostname", (), _is(str)),
    Entry("connectGetMaxVcpus", "conn", "getMaxVcpus", ("openvz",), _is(int)),
    Entry("nodeGetInfo", "conn", "getInfo", (), _is(list)),
    Entry("nodeGetCPUStats", "conn", "getCPUStats", (-1, 0), _is(dict)),
    Entry("nodeGetMemoryStats", "conn", "getMemoryStats", (-1, 0), _is(dict)),
    Entry("nodeGetCellsFreeMemory", "conn", "getCellsFreeMemory", (0, 1), _is(list)),
    Entry("nodeGetFreeMemory", "conn", "getFreeMemory", (), _is(int)),
    Entry("nodeGetCPUMap", "conn", "getCPUMap", (0,), _is(list)),
    Entry("connectGetCapabilities", "conn", "getCapabilities", (), _is(str)),
    Entry("connectIsEncrypted", "conn", "isEncrypted", (), lambda v: Ok(_eq(0))),
    Entry("connectIsSecure", "conn", "isSecure", (), lambda v: Ok(_eq(1))),
    Entry("connectIsAlive", "conn", "isAlive", (), lambda v: Ok(_eq(1))),
    Entry("connectListDomains", "conn", "listDomainsID", (), _listing(True, ids=True)),
    Entry("connectNumOfDomains", "conn", "numOfDomains", (), _listing(True, count=True)),
    Entry("connectListAllDomains", "conn", "listAllDomains", (0,), _listing(None)),
    Entry("connectListDefinedDomains", "conn", "listDefinedDomains", (), _listing(False)),
    Entry("connectNumOfDefinedDomains", "conn", "numOfDefinedDomains", (), _listing(False, count=True)),
    Entry(
        "domainLookupByName", "conn", "lookupByName", (str(TARGET),), _dom(lambda v: Ok(_eq(Domain("101"))))
    ),
    Entry(
        "domainLookupByID",
        "conn",
        "lookupByID",
        (TARGET,),
        lambda v: Ok(_eq(Domain("101"))) if v.active else Refused(NO_DOMAIN, "no domain"),
    ),
    Entry("domainLookupByUUID", "conn", "lookupByUUIDString", (UUID_209,), _uuid_lookup),
    Entry("domainGetOSType", "dom", "OSType", (), _dom(lambda v: Ok(_eq("exe")))),
    Entry("domainGetInfo", "dom", "info", (), _dom(_info)),
    Entry("domainGetState", "dom", "state", (0,), _dom(_state)),
    Entry("domainIsActive", "dom", "isActive", (), _dom(lambda v: Ok(_eq(int(v.active))))),
    Entry("domainIsPersistent", "dom", "isPersistent", (), _dom(lambda v: Ok(_eq(1)))),
    Entry("domainIsUpdated", "dom", "isUpdated", (), _dom(lambda v: Ok(_eq(0)))),
    Entry("domainGetXMLDesc", "dom", "XMLDesc", (0,), _dom(_xml)),
    Entry("domainGetVcpusFlags", "dom", "vcpusFlags", (0,), _dom(_vcpus)),
    Entry("domainGetMaxVcpus", "dom", "maxVcpus", (), _dom(_is(int))),
    Entry("domainGetMemoryParameters", "dom", "memoryParameters", (0,), _dom(_is(dict))),
    Entry(
        "domainGetAutostart",
        "dom",
        "autostart",
        (),
        _dom(_autostart),
    ),
    Entry(
        "domainInterfaceStats",
        "dom",
        "interfaceStats",
        ("veth101.0",),
        _dom(
            lambda v: (
                Refused(INVALID_ARG, "not a known interface")
                if v.active
                else Refused(OPERATION_INVALID, "domain is not running")
            )
        ),
    ),
    Entry("domainGetHostname", "dom", "hostname", (0,), _dom(_hostname)),
    Entry("domainHasManagedSaveImage", "dom", "hasManagedSaveImage", (0,), _dom(lambda v: Ok(_eq(0)))),
    Entry("domainCreate", "dom", "create", (), _dom(_create)),
    Entry("domainCreateWithFlags", "dom", "createWithFlags", (0,), _dom(_create)),
    Entry("domainShutdown", "dom", "shutdown", (), _lifecycle(True, "stopped")),
    Entry("domainShutdownFlags", "dom", "shutdownFlags", (0,), _lifecycle(True, "stopped")),
    Entry("domainDestroy", "dom", "destroy", (), _lifecycle(True, "stopped")),
    Entry("domainDestroyFlags", "dom", "destroyFlags", (0,), _lifecycle(True, "stopped")),
    Entry("domainReboot", "dom", "reboot", (0,), _lifecycle(True, "running")),
    Entry("domainSuspend", "dom", "suspend", (), _dom(_suspend)),
    Entry("domainResume", "dom", "resume", (), _dom(_resume)),
    Entry("domainSetVcpus", "dom", "setVcpus", (2,), _config_write("CPUS", "2")),
    Entry("domainSetVcpusFlags", "dom", "setVcpusFlags", (2, AFFECT_LIVE), _config_write("CPUS", "2")),
    Entry(
        "domainSetMemoryParameters",
        "dom",
        "setMemoryParameters",
        ({"hard_limit": 524288}, 0),
        _config_write("PRIVVMPAGES", "0:131072"),
    ),
    Entry("domainSetAutostart", "dom", "setAutostart", (1,), _config_write("ONBOOT", "yes")),
    Entry(
        "domainUpdateDeviceFlags",
        "dom",
        "updateDeviceFlags",
        (NEW_QUOTA, AFFECT_CONFIG),
        _config_write("DISKSPACE", "1572864:2097152"),
    ),
    Entry("domainUndefine", "dom", "undefine", (), _dom(_undefine)),
    Entry("domainUndefineFlags", "dom", "undefineFlags", (0,), _dom(_undefine)),
    Entry("domainDefineXML", "conn", "defineXML", (REDEFINED,), _define),
    Entry("domainDefineXMLFlags", "conn", "defineXMLFlags", (REDEFINED, 0), _define),
    Entry("domainCreateXML", "conn", "createXML", (REDEFINED, 0), _create_xml),
)

# Fields of openvzHypervisorDriver no table row reaches, and why.
NOT_IN_TABLE: dict[str, str] = {
    "connectURIProbe": "asked only when libvirt.open() gets no URI; every row opens openvz:///system",
    "connectSupportsFeature": "internal to migration, not in libvirt-python; tests/libvirt/test_migration.py",
    "domainMigrateBegin3Params": "needs a second node: tests/libvirt/test_migration.py",
    "domainMigratePrepare3Params": "needs a second node: tests/libvirt/test_migration.py",
    "domainMigratePerform3Params": "needs a second node: tests/libvirt/test_migration.py",
    "domainMigrateFinish3Params": "needs a second node: tests/libvirt/test_migration.py",
    "domainMigrateConfirm3Params": "needs a second node: tests/libvirt/test_migration.py",
}
