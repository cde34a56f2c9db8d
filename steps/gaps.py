"""Where libvirt 9.0.0's OpenVZ driver falls short of what the 2008 thread agreed. A
scenario tagged ``@gap:<id>`` is expected to fail, and only for this reason: each gap
says what the driver did (``reason``, with where in libvirt's source) and states it as a
claim (:class:`simvz.harness.claims.Claim`) checked against the evidence the scenario
recorded: the argv the driver ran (the node's journal), its libvirt error, a crash
signal, or a value read from the host. A failure the claim does not match is "not
honoured (changed)", a pass is "fixed?"."""

from __future__ import annotations

from dataclasses import dataclass

from simvz.harness.claims import Claim


@dataclass(frozen=True)
class Gap:
    """A known driver shortfall: what the driver does, and the claim that proves it."""

    reason: str
    claim: Claim | None


REASONS: dict[str, str] = {
    "ostemplate-pointer": (
        "openvz_driver.c:openvzDomainDefineCmd passes fss[0]->src (a virStorageSource pointer) "
        "as the --ostemplate value: vzctl receives garbage bytes "
        "(`vzctl --quiet create 209 --name 209 --ostemplate <garbage>`) and answers 91, "
        "template not found; the define fails"
    ),
    "diskspace-suffixes": (
        "openvz_conf.c:openvzReadFSConf reads DISKSPACE with plain integers and gives up on the "
        'shipped sample value "2G:2.2G" that vzctl accepts: the domain XML loses its <filesystem>'
    ),
    "network-type-ignored": (
        "openvz_driver.c:openvzDomainSetNetwork returns early for <interface type='network'> "
        '("TODO: processing NAT and physical device"): no veth is created, nothing joins virbr0'
    ),
    "hostdev-unsupported": (
        "the openvz driver has no host device support: <hostdev>/<host class='network'> devices "
        "are dropped or refused, no NETDEV reaches vzctl"
    ),
    "failed-define-kept": (
        "openvz_driver.c:openvzDomainDefineXMLFlags adds the domain to its list before running "
        "vzctl and does not remove it when vzctl fails: the domain stays listed"
    ),
    "failed-define-leaves-container": (
        "openvz_driver.c:openvzDomainDefineXMLFlags runs `vzctl create` and then "
        "`vzctl --quiet set 209 --netif_add ... --save`; when the set fails (exit 130) the define "
        "fails but nothing destroys the container it created: CT 209 stays on the host"
    ),
    "undefine-start-destroy": (
        "openvz_driver.c:openvzDomainUndefineFlags builds `vzctl --quiet start destroy <name>`: "
        "vzctl reads `destroy` as the CT ID and answers `Bad CT ID destroy`, exit 21 "
        "(recorded from the real vzctl 4.11.1: transcript start_destroy_101)"
    ),
    "update-device-refused": (
        "openvz_driver.c:openvzUpdateDevice compares the new <filesystem> with the one "
        "openvz_conf.c:openvzReadFSConf built from the config field by field, accessmode "
        "included, which the two set differently: even the domain's own filesystem with a new "
        "space_hard_limit is refused with 'Can only modify disk quota', and no vzctl runs"
    ),
    "mount-quota-ignored": (
        "openvz_driver.c:openvzSetDiskQuota handles only type='template': the limits of a mount "
        "filesystem are accepted, but no vzctl --diskspace runs; the config keeps the sample's "
        "DISKSPACE"
    ),
    "kmemsize-truncated": (
        "openvz_driver.c:openvzDomainSetMemoryInternal prints the memory in bytes into a 16-byte "
        "buffer with g_snprintf: from 976562500000 KiB on (16 digits) the value is cut to its "
        "first 15 digits, so vzctl sets a KMEMSIZE a tenth (or less) of what the XML asked for"
    ),
    "migrate-memory-unset": (
        "openvz_conf.c:openvzLoadDomains reads a container's memory tuning but never its "
        "memory size, so a connection opened after the define (as every virsh migrate is) "
        "has it as 0: openvz_driver.c:openvzDomainMigrateBegin3Params formats <memory "
        "unit='KiB'>0</memory>, and the destination's openvzDomainMigratePrepare3Params "
        "refuses that XML ('Memory size must be specified via <memory> or in the <numa> "
        "configuration'); vzmigrate never runs"
    ),
    "quota-inodes": (
        "libvirt never adopted the thread's <quota type='inodes'>; the driver has no inode limit, "
        "so DISKINODES is left at the sample's value"
    ),
}

# What each gap's failure looks like, checked against the run's evidence.
CLAIMS: dict[str, Claim] = {
    # the pointer's bytes are no template name: no ASCII [A-Za-z0-9_.-] word (the names of
    # vzctl's template caches) ends the argv; \w would take pointer bytes that happen to
    # decode as UTF-8 letters (seen in a run: a Cyrillic capital IE, then "pUpU") for a template name
    # Anything but the template the scenarios' XML names (the thread's fedora-core-5-i386,
    # which their host has): a pointer's bytes can happen to be letters ("pBuNPV"), and
    # the forked driver processes of one run share one address layout.
    "ostemplate-pointer": Claim(
        "argv", r"vzctl --quiet create \S+ --name \S+ --ostemplate (?!fedora-core-5-i386$)", exit=91
    ),
    "diskspace-suffixes": Claim("state", "none", key="filesystems in the domain XML"),
    "network-type-ignored": Claim("state", r"\[\]", key="veths of the container"),
    "hostdev-unsupported": Claim(
        "error", r"^unsupported configuration: hostdev mode '\w+' is not supported in openvz$", code=67
    ),
    "failed-define-kept": Claim("state", r"listed", key="libvirt's domain list"),
    "failed-define-leaves-container": Claim("state", r".* exist .*", key="vzctl status"),
    "undefine-start-destroy": Claim("argv", r"vzctl --quiet start destroy \S+$", exit=21),
    "update-device-refused": Claim("error", r"^unsupported configuration: Can only modify disk quota$"),
    "migrate-memory-unset": Claim(
        "error", r"Memory size must be specified via <memory> or in the <numa> configuration"
    ),
    "quota-inodes": Claim("state", r"131072:144179", key="DISKINODES"),
    "mount-quota-ignored": Claim("state", r"2G:2\.2G", key="DISKSPACE"),
    "kmemsize-truncated": Claim("argv", r"vzctl --quiet set \S+ --kmemsize \d{15} --save$"),
}

GAPS: dict[str, Gap] = {k: Gap(reason, CLAIMS.get(k)) for k, reason in REASONS.items()}


def problems() -> list[str]:
    """Registry errors: a gap without a claim, a claim that cannot be evaluated."""
    out = [f"gap {k!r} has no claim (steps/gaps.py CLAIMS)" for k, g in GAPS.items() if g.claim is None]
    out += [f"gap {k!r}: {g.claim.problem()}" for k, g in GAPS.items() if g.claim and g.claim.problem()]
    return out
