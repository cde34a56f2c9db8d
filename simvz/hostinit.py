"""``simvz init``: lay out a new simulated OpenVZ node under a directory.

The layout is OpenVZ's own (paths of ``KV:configure.ac``, ``KV:etc/vz.conf.in``, the
samples of ``KV:etc/conf/``, the kernel's /proc/vz files), so
that the LD_PRELOAD shim only has to map ``/etc/vz``, ``/vz``, ``/proc/vz`` and
``/usr/sbin/vz*`` onto the host directory and nothing else.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import sys
import tarfile
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

import simvz
from simvz.host import Host, Settings
from simvz.model.container import CONF_DIR, GLOBAL_CONF, NAMES_DIR
from simvz.model.hostnet import Bridge, HostNet, Network, Nic, default_net
from simvz.model.node import TemplateInfo

# The templates of the 2008 thread, plus vz.conf's DEF_OSTEMPLATE of vzctl 4.11.1.
DEFAULT_TEMPLATES = (
    "fedora-core-5-i386",
    "centos-4-i386",
    "debian-3.1-ia64",
    "gentoo-20060317-amd64",
    "centos-6-x86",
)

# fedora-core-5-i386 as the thread's `vzctl exec 101 df` / `df -i` show it right after
# create: 96424 1K-blocks and 6813 inodes used.
KNOWN_TEMPLATE_SIZES = {"fedora-core-5-i386": TemplateInfo(kb=96424, inodes=6813)}

SAMPLES = (
    "0.conf",
    "ve-basic.conf-sample",
    "ve-light.conf-sample",
    "ve-vswap-256m.conf-sample",
    "ve-vswap-512m.conf-sample",
    "ve-vswap-1024m.conf-sample",
    "ve-vswap-2g.conf-sample",
    "ve-vswap-4g.conf-sample",
)
# KV:etc/conf/ve-vswap-1g.conf-sample is a symlink in the vzctl tree and installed as one.
SAMPLE_LINKS = {"ve-vswap-1g.conf-sample": "ve-vswap-1024m.conf-sample"}

DIRS = (
    NAMES_DIR,
    "/etc/vz/dists",
    "/vz/private",
    "/vz/root",
    "/vz/lock",
    "/vz/dump",
    "/vz/template/cache",
    "/var/vzquota",
    "/proc/vz",
    "/usr/sbin",
)

# The node's executables under /usr/sbin (ip and brctl: how its network is observed).
TOOLS = ("vzctl", "vzlist", "vzmigrate", "ip", "brctl")
TEMPLATE_CACHE = "/vz/template/cache"

# The kernel provides /proc/vz/version, but nothing in vzctl 4.11.1's source reads it;
# the persona's build string (simvz.model.persona).

# The node's own resolver config: `NAMESERVER=inherit` in vz.conf copies it into CTs
# (KV:etc/vz.conf.in). TEST-NET-1 addresses (RFC 5737), never a real server.
HOST_RESOLV_CONF = "search simvz.test\nnameserver 192.0.2.53\n"

_VERSION_RE = re.compile(r"^[0-9]+(\.[0-9]+){0,2}$")


def init_host(
    root: Path,
    *,
    templates: Sequence[str] = (),
    vzctl_version: str = "4.11.1",
    seed: int = 0,
    hostname: str = "simvz-node",
    nics: Sequence[str] = (),
    bridges: Sequence[str] = (),
    networks: Sequence[str] = (),
    registry: Path | None = None,
    kernel: str = "042stab",
) -> Host:
    """Create a simulated OpenVZ node under ``root`` and return it.

    ``nics`` adds NICs; ``bridges`` adds bridges as ``NAME[=PORT,PORT]``; ``networks``
    adds libvirt networks as ``NAME=BRIDGE[,nat]`` (see :func:`node_network`);
    ``registry`` registers ``hostname`` there, so that vzmigrate finds this host;
    ``kernel`` is the kernel persona (:mod:`simvz.model.persona`).
    """
    from simvz.model.persona import persona

    kpers = persona(kernel)
    names = _template_names(templates)
    _check_args(vzctl_version, hostname)
    net = node_network(seed, nics, bridges, networks)
    host = Host(root)
    if host.is_initialised():
        raise FileExistsError(f"{host.root} is already a simulated host")
    if registry is not None:
        from simvz import registry as hosts

        hosts.register(hostname, host.root, registry)
    host.root.mkdir(parents=True, exist_ok=True)
    _write_config(host)
    for node_dir in DIRS:
        host.fs.mkdir(node_dir)
    write_dists(host)
    infos = {name: write_template(host, name, template_info(name, seed)) for name in names}
    uplink = net.nics["eth0"].mac
    host.save_settings(
        Settings(
            vzctl_version=vzctl_version, seed=seed, hostname=hostname, templates=infos, hwid=uplink,
            vswap=kpers.vswap, kernel=kpers.name,
        )
    )
    _write_proc(host, net, kpers.version)
    host.fs.write(VZNET_CONF, VZNET_CONF_TEXT)
    host.fs.write("/etc/resolv.conf", HOST_RESOLV_CONF)
    install_tools(host)
    return host


def check_template_name(name: str) -> None:
    """Refuse a template name that could name a path outside the template cache."""
    bad = not name or "/" in name or ".." in name or any(c.isspace() or c == "\0" for c in name)
    if bad:
        raise ValueError(f"invalid template name {name!r}")


def _template_names(extra: Iterable[str]) -> list[str]:
    names: list[str] = []
    for name in (*DEFAULT_TEMPLATES, *extra):
        check_template_name(name)
        if name not in names:
            names.append(name)
    return names


def _check_args(vzctl_version: str, hostname: str) -> None:
    if not _VERSION_RE.match(vzctl_version):
        raise ValueError(f"invalid vzctl version {vzctl_version!r} (expected X.Y.Z)")
    if not hostname or any(c.isspace() or c in "/\0" for c in hostname):
        raise ValueError(f"invalid hostname {hostname!r}")


def _data(name: str) -> str:
    return resources.files("simvz").joinpath("data", *name.split("/")).read_text(encoding="utf-8")


def _write_config(host: Host) -> None:
    host.fs.write(GLOBAL_CONF, _data("vz.conf"))
    for name in SAMPLES:
        host.fs.write(f"{CONF_DIR}/{name}", _data(f"conf/{name}"))
    for link, target in SAMPLE_LINKS.items():
        host.fs.symlink(target, f"{CONF_DIR}/{link}")


def write_dists(host: Host) -> None:
    """``/etc/vz/dists``: the distribution configs vzctl 4.11.1 installs and the action
    scripts they name (:mod:`simvz.model.dist`); without them vzctl refuses
    ``--hostname`` and ``--ipadd`` (``KV:src/lib/dist.c:get_dist_conf_name``)."""
    from simvz.model import dist
    from simvz.syntax import distconf

    for path, text in dist.installed_files().items():
        host.fs.write(path, text)
    for name in dist.SCRIPTS:
        host.fs.write(f"{dist.SCRIPTS_DIR}/{name}", distconf.script(name), mode=0o755)


def _write_proc(host: Host, net: HostNet, version: str) -> None:
    # The existence of /proc/vz is what makes vzctl and libvirt see an OpenVZ kernel
    # (KV:src/lib/env.c:vz_open); commit() renders veinfo, vestat, veip, vzquota, vswap
    # and user_beancounters from the kernel state, empty but for the node's network.
    with host.locked() as h:
        h.kernel.net = net
        h.commit()
    host.fs.write("/proc/vz/version", version + "\n")


# -- network -----------------------------------------------------------------------

# Bridged veths are put on their bridge by vznetaddbr only when vznet.conf names it,
# as OpenVZ's bridging how-to has administrators do (KV:bin/vznetcfg.in).
VZNET_CONF = "/etc/vz/vznet.conf"
VZNET_CONF_TEXT = '#!/bin/bash\nEXTERNAL_SCRIPT="/usr/sbin/vznetaddbr"\n'
_IFNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")


def nic_mac(seed: int, name: str) -> str:
    """A deterministic, locally administered unicast MAC for a host NIC."""
    digest = hashlib.sha256(f"{seed}\0nic\0{name}".encode()).digest()
    return "52:54:00:" + ":".join(f"{b:02x}" for b in digest[:3])


def node_network(seed: int, nics: Sequence[str], bridges: Sequence[str], networks: Sequence[str]) -> HostNet:
    """The default node network plus the NICs, bridges and libvirt networks asked for."""
    net = default_net(nic_mac(seed, "eth0"), lambda name: nic_mac(seed, name))
    for name in nics:
        _check_ifname(name)
        net.nics.setdefault(name, Nic(name, nic_mac(seed, name)))
    for spec in bridges:
        name, _, ports = spec.partition("=")
        _check_ifname(name)
        members = [p for p in ports.split(",") if p]
        for port in members:
            if port not in net.nics:
                raise ValueError(f"bridge {name}: no NIC {port!r} on the node")
        net.bridges[name] = Bridge(name, members)
    for spec in networks:
        _add_network(net, spec)
    return net


def _add_network(net: HostNet, spec: str) -> None:
    name, eq, rest = spec.partition("=")
    bridge, _, mode = rest.partition(",")
    if not eq or not name or mode not in ("", "nat"):
        raise ValueError(f"invalid network {spec!r} (expected NAME=BRIDGE[,nat])")
    _check_ifname(bridge)
    net.bridges.setdefault(bridge, Bridge(bridge))
    net.networks[name] = Network(name, bridge, nat=mode == "nat")


def _check_ifname(name: str) -> None:
    if not _IFNAME_RE.match(name) or name in (".", ".."):
        raise ValueError(f"invalid interface name {name!r}")


# -- templates ---------------------------------------------------------------------


def template_info(name: str, seed: int = 0) -> TemplateInfo:
    """The declared unpacked size of a template: known figures, else derived from the name."""
    known = KNOWN_TEMPLATE_SIZES.get(name)
    if known is not None:
        return TemplateInfo(known.kb, known.inodes)
    digest = hashlib.sha256(f"{seed}\0{name}".encode()).digest()
    kb = 200_000 + int.from_bytes(digest[:4], "big") % 400_001
    inodes = 8_000 + int.from_bytes(digest[4:8], "big") % 12_001
    return TemplateInfo(kb, inodes)


def template_path(name: str) -> str:
    """Node path of a template cache tarball."""
    check_template_name(name)
    return f"{TEMPLATE_CACHE}/{name}.tar.gz"


def write_template(host: Host, name: str, info: TemplateInfo, *, broken: bool = False) -> TemplateInfo:
    """Write a small real template tarball; ``broken`` leaves out ``sbin/init``."""
    members = template_members(name)
    if broken:
        members = [m for m in members if m[0] != "./sbin/init"]
    _atomic_bytes(host.fs.real(template_path(name)), build_tarball(members))
    return info


Member = tuple[str, int, bytes | None]  # name, mode, content (None = directory)


def template_members(name: str) -> list[Member]:
    """The files of a template cache, sorted by name (what vzctl create unpacks)."""
    init = f"#!/bin/sh\n# simvz: init of the simulated template {name}\nexec /bin/sh\n"
    members: list[Member] = [
        (".", 0o755, None),
        ("./bin", 0o755, None),
        ("./bin/sh", 0o755, b"#!/bin/sh\n# simvz: stand-in shell; commands run in the simulator\n"),
        ("./etc", 0o755, None),
        ("./etc/hostname", 0o644, b"localhost.localdomain\n"),
        ("./etc/issue", 0o644, f"{name} (simvz template)\n".encode()),
        ("./etc/resolv.conf", 0o644, b""),
        ("./root", 0o700, None),
        ("./sbin", 0o755, None),
        ("./sbin/init", 0o755, init.encode()),
        ("./tmp", 0o1777, None),
    ]
    return sorted(members, key=lambda m: m[0])


def build_tarball(members: Sequence[Member]) -> bytes:
    """A gzip'd tar of ``members``, byte-identical for identical input (mtime 0, root owner)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, mode, content in members:
            tar.addfile(*_tarinfo(name, mode, content))
    out = io.BytesIO()
    # gzip's header carries a file name and a time: both left empty for reproducibility.
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def _tarinfo(name: str, mode: int, content: bytes | None) -> tuple[tarfile.TarInfo, io.BytesIO | None]:
    info = tarfile.TarInfo(name)
    info.mode, info.mtime = mode, 0
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    if content is None:
        info.type = tarfile.DIRTYPE
        return info, None
    info.size = len(content)
    return info, io.BytesIO(content)


def _atomic_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.simvz-tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


# -- tools -------------------------------------------------------------------------


def tool_script(tool: str) -> str:
    """The text of ``/usr/sbin/<tool>``: absolute interpreter, no environment needed."""
    if not sys.executable:
        raise RuntimeError("cannot tell which Python interpreter runs simvz")
    package_parent = str(Path(simvz.__file__).resolve().parent.parent)
    # -I: ignore PYTHON* variables and the user site, so the tool behaves the same under
    # libvirt's `vzctl --help` call, whose environment is exactly LC_ALL=C
    # (openvz_conf.c:openvzExtractVersionInfo); -S: no site module, since the tools need only
    # the standard library and the package directory, put on sys.path here. The flags
    # are one word because Linux passes a shebang's arguments as a single argument.
    return (
        f"#!{sys.executable} -IS\n"
        f"# simvz: the simulated host's {tool}; it finds the host from its own path.\n"
        "import sys\n"
        f"sys.path.insert(0, {package_parent!r})\n"
        "from simvz.entry import main\n"
        f"main({tool!r})\n"
    )


def write_tool(host: Host, tool: str) -> None:
    """Write the executable ``/usr/sbin/<tool>`` of ``host`` as a Python script."""
    host.fs.write(f"/usr/sbin/{tool}", tool_script(tool), mode=0o755)


def fallback_script() -> str:
    """The text of ``/.simvz/tools/fallback``: the Python entry the native client execs
    as ``fallback TOOL EXECFN ARGS...`` when no tool server answers (docs/fastpath.md)."""
    package_parent = str(Path(simvz.__file__).resolve().parent.parent)
    return (
        f"#!{sys.executable} -IS\n"
        "# simvz: the node tools' Python entry, run by their native client without a server.\n"
        "import sys\n"
        f"sys.path.insert(0, {package_parent!r})\n"
        "from simvz.entry import fallback\n"
        "fallback()\n"
    )


def install_tools(host: Host, sockdir: str | None = None) -> None:
    """Install the node's tools: the native client of the tool server, with its Python
    fallback and ``/.simvz/tools.conf``; Python scripts when no client can be built
    (no C compiler)."""
    from simvz.fastpath import build, conf

    client = build.client()
    if client is None:
        for tool in TOOLS:
            write_tool(host, tool)
        return
    if not sys.executable:
        raise RuntimeError("cannot tell which Python interpreter runs simvz")
    host.fs.write("/.simvz/tools/fallback", fallback_script(), mode=0o755)
    host.fs.write("/.simvz/tools.conf", conf.tools_conf(sockdir))
    for tool in TOOLS:
        build.install(client, host.fs.real(f"/usr/sbin/{tool}"))
