"""The node tools' native client: built from ``client.c`` with the system C compiler on
first use and cached by the hash of its source, like the preload shim
(simvz/harness/shim.py); installed into a node by hard link (else copy)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

SOURCE = Path(__file__).with_name("client.c")


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/simvz`` or ``~/.cache/simvz``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "simvz"


def client() -> Path | None:
    """The built client, compiling it when this source has not been built yet; None
    when there is no C compiler or the build fails (the node then gets Python tools).

    Static, when the C library allows: a static client starts faster than a dynamic
    one and never loads the preload shim libvirt's driver runs under.
    """
    try:
        source = SOURCE.read_bytes()
    except OSError:  # a package without its C source (or a fake file system in tests)
        return None
    target = cache_dir() / f"simvz-client-{hashlib.sha256(source).hexdigest()[:16]}"
    if target.exists():
        return target
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    for static in (["-static"], []):
        if _compile(compiler, static, target):
            return target
    return None


def _compile(compiler: str, flags: list[str], target: Path) -> bool:
    # Parallel builders each compile to a temporary file and rename it into place.
    fd, tmp = tempfile.mkstemp(dir=target.parent)
    os.close(fd)
    cmd = [compiler, "-O2", "-Wall", *flags, "-o", tmp, str(SOURCE)]
    done = subprocess.run(cmd, capture_output=True, check=False)
    if done.returncode != 0:
        os.unlink(tmp)
        return False
    os.chmod(tmp, 0o755)
    os.replace(tmp, target)
    return True


def install(binary: Path, dest: Path) -> None:
    """Put ``binary`` at ``dest``: a hard link when on one file system, else a copy;
    atomically either way (temporary name, rename)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.simvz-tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(binary, tmp)
    except OSError:
        shutil.copyfile(binary, tmp)
        os.chmod(tmp, 0o755)
    os.replace(tmp, dest)
