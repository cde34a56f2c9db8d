"""Where libvirt 9.0.0's OpenVZ driver falls short of what the 2008 thread agreed: a
scenario tagged ``@gap:<id>`` is a strict expected failure with this reason, so a driver
that gets it right shows up as an unexpected pass. Each reason names what the driver
did (the argv it sent, from the node's journal, or the error it gave) and where."""

from __future__ import annotations

GAPS: dict[str, str] = {
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
    "quota-inodes": (
        "libvirt never adopted the thread's <quota type='inodes'>; the driver has no inode limit, "
        "so DISKINODES is left at the sample's value"
    ),
}
