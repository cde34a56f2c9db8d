"""Where libvirt 9.0.0's OpenVZ driver falls short on a living host: each gap covers
exactly the combinations of the table (entry point, state, phase) that fail, and
carries its claims (:class:`simvz.harness.claims.Claim`): a combination is an expected
failure only when the evidence it recorded matches one of them. Any other failure is a
failure; a covered combination that passes is reported "fixed?" (test_states.py).

The evidence of a combination: the call's libvirt error and the node commands it caused
(``error`` and ``argv`` claims), a crash's signal, and under the key ``check`` the first
line of the failed check, the answer and what the API owes (``state`` claims).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from simvz.harness.claims import Claim
from tests.libvirt.entrypoints import ENTRIES
from tests.libvirt.states import CATALOGUE

Cell = tuple[str, str, str]  # (entry point, state, phase)
STATES = frozenset(s.name for s in CATALOGUE)
ALL = frozenset((s, p) for s in STATES for p in ("before", "after"))
GONE = frozenset({"no-config", "destroyed", "no-private"})  # vzlist -a no longer lists CT 101
# where the connection knows domain 101: it opened (kernel-only's did not) and either saw
# the CT or the CT went away after it opened
KNOWN = ALL - {(s, "before") for s in GONE | {"kernel-only"}}
GONE_AFTER = frozenset((s, "after") for s in GONE)


def cells(entries: Iterable[str], where: Iterable[tuple[str, str]]) -> frozenset[Cell]:
    """Every entry point in every (state, phase) of ``where``."""
    return frozenset((e, s, p) for e in entries for s, p in where)


def _pairs(states: Iterable[str], phase: str) -> frozenset[tuple[str, str]]:
    return frozenset((s, phase) for s in states)


@dataclass(frozen=True)
class Gap:
    """A shortfall of the driver, the cells of the table it covers and its claims."""

    id: str
    reason: str
    claims: tuple[Claim, ...]  # the evidence must match one of them
    where: frozenset[Cell]

    def covers(self, entry: str, state: str, phase: str) -> bool:
        return (entry, state, phase) in self.where


# the calls that answer from the activity the connection saw at open
STALE_ACTIVITY = (
    "connectListDomains", "connectNumOfDomains", "connectNumOfDefinedDomains", "domainLookupByID",
    "domainIsActive", "domainGetInfo", "domainInterfaceStats", "domainResume", "domainSuspend",
)  # fmt: skip
# the calls that still find a CT gone since the connection opened
STALE_EXISTENCE = (
    "connectListAllDomains", "connectNumOfDefinedDomains", "domainLookupByName", "domainLookupByUUID",
    "domainGetOSType", "domainGetInfo", "domainGetState", "domainIsActive", "domainIsPersistent",
    "domainIsUpdated", "domainGetXMLDesc", "domainGetMaxVcpus", "domainGetHostname",
    "domainHasManagedSaveImage", "domainInterfaceStats", "domainCreate", "domainShutdown", "domainDestroy",
    "domainReboot", "domainSuspend", "domainResume", "domainSetVcpus", "domainSetVcpusFlags",
    "domainUndefine",
)  # fmt: skip
NOT_STOPPED = (
    "connectNumOfDomains", "connectListDefinedDomains", "connectNumOfDefinedDomains", "domainLookupByID",
    "domainIsActive", "domainInterfaceStats", "domainSuspend", "domainResume", "domainCreateXML",
)  # fmt: skip
TIDY = frozenset({("stopped", "before"), ("running", "before"), ("running", "after")})  # the aliases' cells

GAPS: tuple[Gap, ...] = (
    Gap(
        "kernel-only-connect-fails",
        "openvz_conf.c:openvzLoadDomains takes every CT `vzlist -a` prints and reads its UUID from a "
        "config that is gone: the connection fails outright with 'UUID in config file malformed'",
        (Claim("error", r"UUID in config file malformed"),),
        cells((e.field for e in ENTRIES), {("kernel-only", "before")}),
    ),
    Gap(
        "stale-after-out-of-band",
        "the driver reads the node's containers once, at open (openvz_conf.c:openvzLoadDomains): a CT "
        "started, frozen, destroyed, deconfigured or stripped of its private area afterwards keeps the "
        "id, activity and existence the connection saw (lists, lookupByID, isActive, info's cputime, "
        "suspend/resume, calls on a deleted CT that still 'exist')",
        (
            Claim("state", r"\((\[\]|0|2|\['10[12]', '10[12]'\]), (\[101\]|1|\['102'\])\)", key="check"),
            Claim("state", r"\w+ succeeded \(.*\); wanted Refused\(code=42, .*", key="check"),
            Claim(
                "error",
                r"no domain with matching id '101'|cannot read cputime for domain -1|domain is not running"
                r"|Failed to parse vzlist output|Container\(s\) not found|Could not read container config",
            ),
        ),
        cells(STALE_ACTIVITY, _pairs(("running", "frozen", "kernel-only"), "after"))
        | cells(STALE_EXISTENCE, GONE_AFTER)
        | cells(("domainSetAutostart",), GONE_AFTER)
        | cells(("domainGetAutostart",), _pairs(("destroyed", "no-config"), "after")),
    ),
    Gap(
        "not-stopped-is-running",
        "openvz_conf.c:openvzLoadDomains marks every CT whose vzlist status is not 'stopped' as running "
        "with its id: a mounted or dumped ('suspended') CT is an active domain at open",
        (
            Claim("state", r"\((1, 0|1, 2|\['101'\], \['101', '102'\])\)", key="check"),
            Claim("state", r"(lookupByID|resume) succeeded .*", key="check"),
            Claim(
                "error",
                r"'veth101.0' is not a known interface|chkpnt 101 --suspend\) unexpected"
                r"|domain '101' is already active",
            ),
        ),
        cells(NOT_STOPPED, _pairs(("mounted", "dumped"), "before")),
    ),
    Gap(
        "frozen-is-running",
        "openvz_driver.c:openvzGetVEStatus: vzlist cannot tell a frozen CT, and a connection that did not "
        "freeze it reports VIR_DOMAIN_RUNNING (1), not PAUSED (3)",
        (Claim("state", r"(info )?state 1, vzlist says 'running' \(want 3\)", key="check"),),
        cells(("domainGetState", "domainGetInfo"), {("frozen", "before")})
        | cells(("domainGetState",), {("frozen", "after")}),
    ),
    Gap(
        "get-memory-parameters-flags",
        "virDomainGetMemoryParameters adds VIR_TYPED_PARAM_STRING_OKAY, openvzDomainGetMemoryParameters "
        "does virCheckFlags(0): 'unsupported flags (0x4)'; setting goes through a get first",
        (Claim("error", r"unsupported flags \(0x4\) in function openvzDomainGetMemoryParameters", code=8),),
        cells(("domainGetMemoryParameters", "domainSetMemoryParameters"), KNOWN),
    ),
    Gap(
        "get-vcpus-flags-zero",
        "openvzDomainGetVcpusFlags accepts only VIR_DOMAIN_AFFECT_LIVE|VIR_DOMAIN_VCPU_MAXIMUM: flags 0 "
        "gives 'unsupported flags (0x0)'",
        (Claim("error", r"unsupported flags \(0x0\)", code=8),),
        cells(("domainGetVcpusFlags",), KNOWN),
    ),
    Gap(
        "autostart-without-onboot",
        "openvzDomainGetAutostart dereferences the NULL value openvzReadVPSConfigParam leaves when the "
        "config has no ONBOOT: SIGSEGV",
        (Claim("signal", "SIGSEGV"),),
        cells(("domainGetAutostart",), KNOWN - _pairs(("destroyed", "no-config", "kernel-only"), "after")),
    ),
    Gap(
        "undefine-start-destroy",
        "openvz_driver.c:openvzDomainUndefineFlags runs `vzctl --quiet start destroy 101`: vzctl answers "
        "'Bad CT ID destroy', exit 21, and the config stays",
        (Claim("argv", r"vzctl --quiet start destroy 101$", exit=21),),
        cells(("domainUndefine",), KNOWN - GONE_AFTER) | cells(("domainUndefineFlags",), TIDY),
    ),
    Gap(
        "redefine-runs-create",
        "openvz_driver.c:openvzDomainDefineXMLFlags runs `vzctl --quiet create 101 --name 101` for a "
        "domain that already exists (or whose private area is still there): vzctl refuses, exit 44; "
        "createXML does the same for a domain it believes stopped",
        (Claim("argv", r"vzctl --quiet create 101 --name 101$", exit=44),),
        cells(
            ("domainDefineXML",),
            KNOWN - _pairs(("no-private", "destroyed"), "after") | {("no-config", "before")},
        )
        - {("domainDefineXML", "no-uuid", "before")}
        | cells(("domainDefineXMLFlags",), TIDY)
        | cells(
            ("domainCreateXML",),
            ALL
            - _pairs(("no-private", "destroyed", "kernel-only", "no-uuid", "running", "frozen"), "before")
            - _pairs(("mounted", "dumped"), "before")
            - _pairs(("no-private", "destroyed"), "after"),
        ),
    ),
    Gap(
        "update-device-diskspace-suffixes",
        "openvz_conf.c:openvzReadFSConf cannot read vzctl's DISKSPACE=\"2G:2.2G\" (the shipped sample's): "
        "the domain has no filesystem, so openvzDomainUpdateDeviceFlags answers 'target / doesn't exist' "
        "(or, for a CT the connection saw running, an error without a cause)",
        (
            Claim("error", r"target / doesn't exist"),
            Claim("error", r"An error occurred, but the cause is unknown"),
        ),
        cells(("domainUpdateDeviceFlags",), KNOWN),
    ),
)


def gaps_for(entry: str, state: str, phase: str) -> list[Gap]:
    """The gaps covering this combination (a failure may be any one of them)."""
    return [g for g in GAPS if g.covers(entry, state, phase)]


def problems() -> list[str]:
    """Registry errors: a claim that cannot be evaluated, a cell of no known entry or state."""
    fields = {e.field for e in ENTRIES}
    out = [f"gap {g.id!r}: {c.problem()}" for g in GAPS for c in g.claims if c.problem()]
    out += [f"gap {g.id!r} covers unknown {cell}" for g in GAPS for cell in g.where
            if cell[0] not in fields or cell[1] not in STATES]  # fmt: skip
    return out
