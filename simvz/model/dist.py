"""Distribution action configs: ``/etc/vz/dists/<name>.conf`` maps each action vzctl
performs inside a container (add an IP, set the hostname, ...) to a script under
``/etc/vz/dists/scripts`` (``KV:src/lib/dist.c``).

The facts here are vzctl 4.11.1's shipped set, restated as data: which action keys each
config has and which script each key names (``KV:etc/dists/*.conf``), under which names
``make install`` installs them (``KV:etc/dists/Makefile.am:install-data-hook``), and
which scripts exist (``KV:etc/dists/scripts/``). The files :mod:`simvz.hostinit` writes
from them are the simulator's own; vzctl's scripts are not copied (see
``simvz/data/README.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from simvz import errors as E
from simvz.errors import VzError

DIST_DIR = "/etc/vz/dists"
SCRIPTS_DIR = f"{DIST_DIR}/scripts"
DEFAULT = "default"

# The action keys vzctl knows, in KV:src/lib/dist.c:action2id order; other keys are ignored.
ACTIONS = (
    "ADD_IP", "DEL_IP", "SET_HOSTNAME", "SET_DNS", "SET_USERPASS", "SET_UGID_QUOTA",
    "POST_CREATE", "PRE_START", "SET_CONSOLE",
)  # fmt: skip

_COMMON = {"SET_DNS": "set_dns.sh", "SET_USERPASS": "set_userpass.sh",
           "SET_UGID_QUOTA": "set_ugid_quota.sh", "POST_CREATE": "postcreate.sh"}  # fmt: skip


def _family(add: str, delete: str, hostname: str, *extras: dict[str, str]) -> dict[str, str]:
    base = {"ADD_IP": add, "DEL_IP": delete, "SET_HOSTNAME": hostname, **_COMMON}
    for extra in extras:
        base.update(extra)
    return {k: base[k] for k in ACTIONS if k in base}


_CONSOLE = {"SET_CONSOLE": "set_console.sh"}
_PRE = {"PRE_START": "prestart.sh"}
_RH = ("redhat-add_ip.sh", "redhat-del_ip.sh", "redhat-set_hostname.sh")
_DEB = ("debian-add_ip.sh", "debian-del_ip.sh", "debian-set_hostname.sh")
_SUSE = ("suse-add_ip.sh", "suse-del_ip.sh", "suse-set_hostname.sh")
_GENTOO_Q = {"SET_UGID_QUOTA": "gentoo-set_ugid_quota.sh"}
_SLACK_Q = {"SET_UGID_QUOTA": "slackware-set_ugid_quota.sh"}

# Each shipped source config: action key -> script (KV:etc/dists/<name>.conf).
SOURCES: dict[str, dict[str, str]] = {
    "default": _family(*_RH),
    "alpine": _family(*_DEB, _CONSOLE),
    "altlinux": _family("etcnet-add_ip.sh", "etcnet-del_ip.sh", "redhat-set_hostname.sh", _CONSOLE),
    "arch": _family("arch-add_ip.sh", "arch-del_ip.sh", "arch-set_hostname.sh",
                    {"SET_UGID_QUOTA": "arch-set_ugid_quota.sh"}, _CONSOLE),
    "debian-3": _family("debian-3.x-add_ip.sh", "debian-del_ip.sh", "debian-set_hostname.sh", _CONSOLE),
    "debian": _family(*_DEB, _PRE, _CONSOLE),
    "fedora-core": _family(*_RH, _CONSOLE),
    "funtoo": _family("funtoo-add_ip.sh", "funtoo-del_ip.sh", "funtoo-set_hostname.sh",
                      {"SET_DNS": "funtoo-set_dns.sh"}, _GENTOO_Q, _CONSOLE),
    "gentoo": _family("gentoo-add_ip.sh", "gentoo-del_ip.sh", "gentoo-set_hostname.sh",
                      _GENTOO_Q, _CONSOLE),
    "mandrake": _family(*_RH, _CONSOLE),
    "redhat-7.3": _family("redhat-7.x_add_ip.sh", "redhat-del_ip.sh", "redhat-set_hostname.sh", _CONSOLE),
    "redhat": _family(*_RH, _PRE, _CONSOLE),
    "slackware-9.0": _family("slackware-9.x_add_ip.sh", "slackware-9.x_del_ip.sh",
                             "slackware-set_hostname.sh", _SLACK_Q, _CONSOLE),
    "slackware": _family("slackware-add_ip.sh", "slackware-del_ip.sh", "slackware-set_hostname.sh",
                         _SLACK_Q, _CONSOLE),
    # suse-7.3.conf names suse-7.x_del_ip.sh, which vzctl 4.11.1 does not ship
    "suse-7.3": _family("suse-7.x_add_ip.sh", "suse-7.x_del_ip.sh", "suse-set_hostname.sh", _CONSOLE),
    "suse-8.0": _family("suse-8.x_add_ip.sh", "suse-8.x_del_ip.sh", "suse-set_hostname.sh", _CONSOLE),
    "suse": _family(*_SUSE, _PRE, _CONSOLE),
}  # fmt: skip


def _versions(source: str, prefix: str, versions: str) -> dict[str, str]:
    return {f"{prefix}-{v}": source for v in versions.split()}


# Installed name (without .conf) -> source config (KV:etc/dists/Makefile.am). Note that
# opensuse.conf is installed from suse.conf, and debian-3.conf only as debian-3.0/3.1.
INSTALLED: dict[str, str] = {
    "alpine": "alpine", "altlinux": "altlinux", **_versions("redhat-7.3", "altlinux", "2.4"),
    "arch": "arch", "centos": "redhat", **_versions("debian-3", "debian", "3.0 3.1"),
    "debian": "debian", "fedora-core": "fedora-core", "fedora": "fedora-core", "funtoo": "funtoo",
    "gentoo": "gentoo", "mandrake": "mandrake", "owl": "redhat-7.3", "redhat": "redhat",
    **_versions("redhat-7.3", "redhat", "7.0 7.1 7.2 7.3"), "rhel": "redhat", "scientific": "redhat",
    "slackware": "slackware", **_versions("slackware-9.0", "slackware", "9.0 9.1"),
    "suse": "suse", "opensuse": "suse", "sles": "suse", **_versions("suse-7.3", "suse", "7.3"),
    **_versions("suse-8.0", "suse", "8.0 8.1 8.2"), **_versions("debian-3", "ubuntu", "6.06"),
    "ubuntu": "debian",
}  # fmt: skip

# Scripts vzctl ships: every one a config names, except suse-7.x_del_ip.sh, plus the
# shell library they source (KV:etc/dists/scripts/functions).
SCRIPTS = tuple(
    sorted({s for conf in SOURCES.values() for s in conf.values()} - {"suse-7.x_del_ip.sh"} | {"functions"})
)


class Files(Protocol):
    """What resolution needs of the node's filesystem."""

    def isfile(self, path: str) -> bool: ...

    def read(self, path: str) -> str | None: ...


Log = Callable[[int, str], None]


@dataclass
class Actions:
    """The scripts a distribution config names, by action key (``dist_actions``)."""

    conf: str
    scripts: dict[str, str] = field(default_factory=dict)


def conf_path(fs: Files, dist_name: str | None, log: Log) -> str:
    """``KV:src/lib/dist.c:get_dist_conf_name``: ``<name>.conf``, then the name cut at
    its last ``-`` again and again, then ``default`` with a warning. The error message
    really names the directory twice."""
    fallback = f"{DIST_DIR}/{DEFAULT}"
    if dist_name is not None:
        name = dist_name.rstrip("/").rsplit("/", 1)[-1]  # basename(3)
        while name:
            path = f"{DIST_DIR}/{name}.conf"
            if fs.isfile(path):
                return path
            name = name.rsplit("-", 1)[0] if "-" in name else ""
        log(-1, f"Warning: configuration file for distribution {dist_name} not found, "
                f"using defaults from {fallback}")  # fmt: skip
    else:
        log(-1, f"Warning: distribution not specified in CT config, using defaults from {fallback}")
    if not fs.isfile(fallback):
        raise VzError(E.NO_DISTR_CONF, f"Distribution configuration file {DIST_DIR}/{fallback} not found")
    return fallback


def read_actions(fs: Files, dist_name: str | None, log: Log) -> Actions:
    """``KV:src/lib/dist.c:read_dist_actions``: the first line of each known action
    counts; a script that does not exist is reported and left out."""
    from simvz.syntax import distconf

    path = conf_path(fs, dist_name, log)
    text = fs.read(path)
    if text is None:
        raise VzError(E.NO_DISTR_CONF, f"Unable to open {path}: No such file or directory")
    out = Actions(path)
    for lineno, key, value, err in distconf.parse(text):
        if err is not None:
            log(-1, f"Warning: can't parse {path}:{lineno} ({err}), skipping")
            continue
        if not value or key not in ACTIONS:
            continue
        script = f"{SCRIPTS_DIR}/{value}"
        if not fs.isfile(script):
            log(-1, f"Action script {script} not found")
            continue
        out.scripts.setdefault(key, script)
    return out


def installed_files() -> Mapping[str, str]:
    """Node path -> text of every config ``make install`` puts under /etc/vz/dists."""
    from simvz.syntax import distconf

    files = {f"{DIST_DIR}/{DEFAULT}": distconf.render(DEFAULT, SOURCES[DEFAULT])}
    for name, source in INSTALLED.items():
        files[f"{DIST_DIR}/{name}.conf"] = distconf.render(name, SOURCES[source])
    return files
