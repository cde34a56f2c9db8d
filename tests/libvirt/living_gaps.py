"""Where libvirt 9.0.0's OpenVZ driver falls short on a living host: each gap carries its
claim as data (the failure's type, libvirt error code and a pattern on its message), so
that a combination is an expected failure only when it fails the way the claim says.
Any other failure is a failure; a combination with a gap that passes is reported
"fixed?" (tests/libvirt/test_states.py, test_stateful.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from simvz.harness.libvirt_runner import DriverCrash, LibvirtError


@dataclass(frozen=True)
class Claim:
    """How the failure must look: its type, libvirt's error code (None: any) and a
    regular expression searched in its message."""

    kind: type[BaseException]
    message: str
    code: int | None = None

    def matches(self, failure: BaseException) -> bool:
        if not isinstance(failure, self.kind):
            return False
        if self.code is not None and not (isinstance(failure, LibvirtError) and failure.code == self.code):
            return False
        text = failure.message if isinstance(failure, LibvirtError) else str(failure)
        return re.search(self.message, text) is not None


@dataclass(frozen=True)
class Gap:
    """A shortfall of the driver, the combinations it covers and its claim."""

    id: str
    reason: str
    claims: tuple[Claim, ...]  # the failure must match one of them
    entries: frozenset[str] | None = None  # driver table fields; None: every entry
    states: frozenset[str] | None = None
    phases: frozenset[str] | None = None

    def matches(self, failure: BaseException) -> bool:
        return any(c.matches(failure) for c in self.claims)

    def covers(self, entry: str, state: str, phase: str) -> bool:
        return all(
            allowed is None or value in allowed
            for allowed, value in ((self.entries, entry), (self.states, state), (self.phases, phase))
        )


def _set(*names: str) -> frozenset[str]:
    return frozenset(names)


A, L, C = AssertionError, LibvirtError, DriverCrash
STALE_AFTER = _set("running", "frozen", "kernel-only", "no-config", "destroyed", "no-private")
GAPS: tuple[Gap, ...] = (
    Gap(
        "kernel-only-connect-fails",
        "openvz_conf.c:openvzLoadDomains takes every CT `vzlist -a` prints and reads its UUID from a "
        "config that is gone: the connection fails outright with 'UUID in config file malformed'",
        (Claim(L, r"UUID in config file malformed"),),
        states=_set("kernel-only"),
        phases=_set("before"),
    ),
    Gap(
        "get-memory-parameters-flags",
        "virDomainGetMemoryParameters adds VIR_TYPED_PARAM_STRING_OKAY, openvzDomainGetMemoryParameters "
        "does virCheckFlags(0): 'unsupported flags (0x4)'; setting goes through a get first",
        (Claim(L, r"unsupported flags \(0x4\) in function openvzDomainGetMemoryParameters"),),
        entries=_set("domainGetMemoryParameters", "domainSetMemoryParameters"),
    ),
    Gap(
        "get-vcpus-flags-zero",
        "openvzDomainGetVcpusFlags accepts only VIR_DOMAIN_AFFECT_LIVE|VIR_DOMAIN_VCPU_MAXIMUM: flags 0 "
        "gives 'unsupported flags (0x0)'",
        (Claim(L, r"unsupported flags \(0x0\)"),),
        entries=_set("domainGetVcpusFlags"),
        states=_set(
            "stopped",
            "running",
            "mounted",
            "dumped",
            "frozen",
            "hand-edited",
            "no-uuid",
            "named",
            "copied-config",
            "other-connection",
            "no-private",
            "no-config",
            "destroyed",
            "kernel-only",
        ),
    ),
    Gap(
        "autostart-without-onboot",
        "openvzDomainGetAutostart dereferences the NULL value openvzReadVPSConfigParam leaves when the "
        "config has no ONBOOT: SIGSEGV",
        (Claim(C, r"SIGSEGV during autostart"),),
        entries=_set("domainGetAutostart"),
    ),
    Gap(
        "undefine-start-destroy",
        "openvz_driver.c:openvzDomainUndefineFlags runs `vzctl --quiet start destroy 101`: vzctl answers "
        "'Bad CT ID destroy', exit 21, and the config stays",
        (Claim(L, r"vzctl --quiet start destroy 101\) unexpected exit status 21: Bad CT ID destroy"),),
        entries=_set("domainUndefine", "domainUndefineFlags"),
    ),
    Gap(
        "redefine-runs-create",
        "openvz_driver.c:openvzDomainDefineXMLFlags runs `vzctl --quiet create 101 --name 101` for a "
        "domain that already exists (or whose private area is still there): vzctl refuses, exit 44",
        (Claim(L, r"vzctl --quiet create 101 --name 101\) unexpected exit status 44"),),
        entries=_set("domainDefineXML", "domainDefineXMLFlags", "domainCreateXML"),
    ),
    Gap(
        "update-device-diskspace-suffixes",
        "openvz_conf.c:openvzReadFSConf cannot read vzctl's DISKSPACE=\"2G:2.2G\" (the shipped sample's): "
        "the domain has no filesystem, so openvzDomainUpdateDeviceFlags answers 'target / doesn't exist' "
        "(or, for a CT the connection saw running, an error without a cause)",
        (Claim(L, r"target / doesn't exist"), Claim(L, r"An error occurred, but the cause is unknown")),
        entries=_set("domainUpdateDeviceFlags"),
    ),
    Gap(
        "frozen-is-running",
        "openvzGetVEStatus: vzlist cannot tell a frozen CT, and a connection that did not freeze it "
        "reports VIR_DOMAIN_RUNNING (1), not PAUSED (3)",
        (Claim(A, r"state 1, vzlist says 'running' \(want 3\)"),),
        entries=_set("domainGetState", "domainGetInfo"),
        states=_set("frozen"),
    ),
    Gap(
        "not-stopped-is-running",
        "openvz_conf.c:openvzLoadDomains marks every CT whose vzlist status is not 'stopped' as running "
        "with its id: a mounted or dumped ('suspended') CT is an active domain at open",
        (
            Claim(A, r"^\(1, 0\)$|^\(1, 2\)$|^\(\['101'\], \['101', '102'\]\)$"),
            Claim(A, r"lookupByID succeeded|resume succeeded"),
            Claim(A, r"'veth101.0' is not a known interface|chkpnt 101 --suspend\) unexpected"),
        ),
        states=_set("mounted", "dumped"),
        phases=_set("before"),
    ),
    Gap(
        "stale-after-out-of-band",
        "the driver reads the node's containers once, at open (openvz_conf.c:openvzLoadDomains): a CT "
        "started, frozen, destroyed, deconfigured or stripped of its private area afterwards keeps the "
        "id, activity and existence the connection saw (lists, lookupByID, isActive, info's cputime, "
        "suspend/resume, calls on a deleted CT that still 'exist')",
        (
            Claim(A, r"^\((\[\]|0|2|\['10[12]', '10[12]'\]), (\[101\]|1|\['102'\])\)$"),
            Claim(A, r"succeeded .*; wanted Refused\(code=42"),
            Claim(
                A,
                r"^\((1|8|55), .*(Container\(s\) not found|unsupported flags|Could not read container "
                r"config|unexpected exit status 1|domain is not running)",
            ),
            Claim(A, r"Failed to parse vzlist output|^\('', 'ct101.example.com'\)$"),
            Claim(
                L, r"no domain with matching id '101'|cannot read cputime for domain -1|domain is not running"
            ),
            Claim(L, r"Failed to parse vzlist output|Container\(s\) not found"),
        ),
        states=STALE_AFTER,
        phases=_set("after"),
    ),
)


def gap_for(entry: str, state: str, phase: str) -> Gap | None:
    """The first gap covering this combination (the table is ordered, specific first)."""
    return next((g for g in GAPS if g.covers(entry, state, phase)), None)
