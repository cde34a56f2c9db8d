"""The path-redirecting preload library: built from ``preload.c`` with the system C
compiler on first use, cached by the hash of its source, and the environment that
makes a program see a simulated node as the machine's own OpenVZ host."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

SOURCE = Path(__file__).with_name("preload.c")


class ShimError(RuntimeError):
    """The shim cannot be built (no compiler, compile error)."""


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/simvz`` or ``~/.cache/simvz``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "simvz"


def library() -> Path:
    """The built shim, compiling it when this source has not been built yet."""
    return build_library(SOURCE, "simvz-preload")


def build_library(source_file: Path, stem: str) -> Path:
    """``source_file`` compiled as a preloadable library, cached by the source's hash.

    Parallel builders each compile to a temporary file and rename it into place, so
    a reader never sees a half-written library.
    """
    source = source_file.read_bytes()
    target = cache_dir() / f"{stem}-{hashlib.sha256(source).hexdigest()[:16]}.so"
    if target.exists():
        return target
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise ShimError(f"no C compiler (cc) found: install gcc to build {source_file.name}")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=target.parent)
    os.close(fd)
    cmd = [compiler, "-shared", "-fPIC", "-O2", "-Wall", "-o", tmp, str(source_file), "-ldl"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        os.unlink(tmp)
        raise ShimError(f"building {source_file.name} failed:\n{done.stderr}")
    os.replace(tmp, target)
    return target


def environ(root: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) plus what the shim needs: the
    library in LD_PRELOAD, the node in SIMVZ_ROOT, and the node's tools first on PATH
    (newer libvirt looks vzctl up on PATH instead of using /usr/sbin/vzctl)."""
    env = dict(os.environ if base is None else base)
    preload = str(library())
    others = [p for p in env.get("LD_PRELOAD", "").split(":") if p and p != preload]
    # a sanitizer's runtime (an --asan libvirt build's) must stay first of all
    first = [p for p in others if Path(p).name.startswith("libasan")]
    env["LD_PRELOAD"] = ":".join([*first, preload, *(p for p in others if p not in first)])
    env["SIMVZ_ROOT"] = str(Path(root).absolute())
    tools = str(Path(root).absolute() / "usr" / "sbin")
    env["PATH"] = ":".join([tools, env.get("PATH", "/usr/local/bin:/usr/bin:/bin")])
    return env
