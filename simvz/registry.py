"""The registry of simulated hosts: hostname -> host directory, so that ``vzmigrate DEST``
finds DEST without a network.

One JSON file shared by the hosts registered in it: ``$SIMVZ_REGISTRY``, else
``$XDG_RUNTIME_DIR/simvz/hosts.json``, else ``<tmpdir>/simvz-<uid>/hosts.json``. The tools
run with an empty environment (libvirt runs vzmigrate with a clean one), so each host
remembers the registry it was registered in, in ``<DIR>/.simvz/registry``. Writes take
an flock on ``hosts.json.lock`` and replace the file atomically.
"""

from __future__ import annotations

import fcntl
import json
import os
import stat
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ENV = "SIMVZ_REGISTRY"
HOST_FILE = ".simvz/registry"  # in a host directory: the path of its registry
VERSION = 1


class RegistryError(Exception):
    """A name already registered for another live host, or an unreadable registry."""


def default_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the registry is when nothing else is said (see the module docstring)."""
    env = os.environ if env is None else env
    if env.get(ENV):
        return Path(env[ENV]).absolute()
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime) and os.path.isdir(runtime):
        return Path(runtime) / "simvz" / "hosts.json"
    return Path(tempfile.gettempdir()) / f"simvz-{os.getuid()}" / "hosts.json"


def _shared_tmp(path: Path) -> bool:
    """True for the default under the shared temporary directory, which anyone can
    create first (``/tmp/simvz-<uid>``)."""
    return path.parent == Path(tempfile.gettempdir()) / f"simvz-{os.getuid()}"


def _check_private(directory: Path) -> None:
    """Refuse a registry directory in a shared place that another user could have
    made or swapped: it must be a real directory (not a symlink), ours, and writable
    by no one else, or the hosts it names could be anyone's."""
    try:
        st = os.lstat(directory)
    except OSError as err:
        raise RegistryError(f"{directory}: {err.strerror}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise RegistryError(f"{directory}: not a directory (refusing a registry there)")
    if st.st_uid != os.getuid() or st.st_mode & 0o022:
        raise RegistryError(
            f"{directory}: owned by uid {st.st_uid} with mode {stat.S_IMODE(st.st_mode):o}, "
            f"not private to uid {os.getuid()} (refusing a registry there; set ${ENV})"
        )


def _key(name: str) -> str:
    # host names are case-insensitive, and ssh lowercases the one it is given
    return name.lower()


def _read(path: Path) -> dict[str, str]:
    if _shared_tmp(path) and os.path.lexists(path.parent):
        _check_private(path.parent)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        raise RegistryError(f"{path}: unreadable registry ({err})") from None
    hosts = data.get("hosts", {}) if isinstance(data, dict) else None
    if not isinstance(hosts, dict):
        raise RegistryError(f"{path}: not a simvz host registry")
    return {str(k): str(v) for k, v in hosts.items()}


def _write(path: Path, hosts: dict[str, str]) -> None:
    text = json.dumps({"version": VERSION, "hosts": dict(sorted(hosts.items()))}, indent=1) + "\n"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if _shared_tmp(path):
        _check_private(path.parent)
    with open(path.with_name(path.name + ".lock"), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _is_host(root: str) -> bool:
    return (Path(root) / ".simvz" / "host.json").is_file()


def check(name: str, root: Path, registry: Path) -> None:
    """Raise RegistryError if ``name`` is registered for another host that still exists."""
    old = _read(registry).get(_key(name))
    if old is not None and Path(old) != root.absolute() and _is_host(old):
        raise RegistryError(f"host name {name!r} is already registered for {old} (in {registry})")


def register(name: str, root: Path, registry: Path) -> None:
    """Register ``name`` -> ``root`` and remember the registry in ``root``.

    A name may be taken over only when its old directory is no longer a simulated host.
    """
    root = root.absolute()
    with _locked(registry):
        check(name, root, registry)
        hosts = _read(registry)
        hosts[_key(name)] = str(root)
        _write(registry, hosts)
    remember(root, registry)


def remember(root: Path, registry: Path) -> None:
    """Write the registry's path into the host directory (the tools have no environment)."""
    state = root / ".simvz"
    state.mkdir(parents=True, exist_ok=True)
    tmp = state / f".registry.{os.getpid()}.tmp"
    tmp.write_text(str(registry.absolute()) + "\n", encoding="utf-8")
    os.replace(tmp, state / "registry")


def registry_of(root: Path) -> Path:
    """The registry a host was registered in; the environment-free default otherwise."""
    try:
        text = (root / HOST_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        text = ""
    return Path(text) if text else default_path({})


def lookup(name: str, registry: Path) -> Path | None:
    """The directory of the live host registered as ``name``, if any."""
    try:
        found = _read(registry).get(_key(name))
    except RegistryError:
        return None
    return Path(found) if found is not None and _is_host(found) else None


def resolve(root: Path, dest: str) -> Path | None:
    """DEST of ``vzmigrate`` seen from the host at ``root``: a registered name, or (a
    simulator extension) the absolute path of another host directory."""
    if dest.startswith("/"):
        return Path(dest) if _is_host(dest) else None
    return lookup(dest, registry_of(root))


def names(registry: Path) -> dict[str, str]:
    """Every registered name and its directory."""
    return _read(registry)
