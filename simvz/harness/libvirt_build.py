"""A libvirt other than the system's: a build tree (``meson setup build`` then ``ninja
-C build``) or an install prefix (``meson install --destdir``/``--prefix``), whose
``libvirt.so.0`` (and ``virsh``) the driver's process uses instead of the system's.

The library is chosen the way the dynamic loader chooses it: libvirt-python's
``libvirtmod`` needs ``libvirt.so.0``, and ``LD_LIBRARY_PATH`` is searched before the
system directories. What was asked for is not taken on trust: :func:`probe` starts a
process with the same environment and reports the file actually mapped
(``/proc/self/maps``) and the version the library itself reports (``virGetVersion``).
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# Where libvirt.so.0 sits: a meson build tree, then install prefixes (Debian multiarch,
# lib64, lib), then the directory itself.
LIBRARY_PLACES = (
    "src",
    "lib/x86_64-linux-gnu",
    "lib/aarch64-linux-gnu",
    "lib64",
    "lib",
    "usr/lib/x86_64-linux-gnu",
    "usr/lib64",
    "usr/lib",
    ".",
)
VIRSH_PLACES = ("tools", "bin", "usr/bin")
SONAME = "libvirt.so.0"
# Python's own allocations are not the driver's: no leak report at exit; a report goes to
# stderr, where the Session keeps it as the call's evidence (simvz.harness.sanitizer).
ASAN_OPTIONS = "detect_leaks=0:halt_on_error=1:abort_on_error=0:exitcode=86"
UBSAN_OPTIONS = "print_stacktrace=1:halt_on_error=1:exitcode=86"


class BuildError(Exception):
    """The directory holds no usable libvirt (one line, said before anything runs)."""


@dataclass(frozen=True)
class Loaded:
    """What a process actually loaded: the mapped file and the library's version."""

    library: str
    version: str

    def describe(self) -> str:
        """``libvirt 9.0.0 (/usr/lib/x86_64-linux-gnu/libvirt.so.0.9000.0)``."""
        return f"libvirt {self.version} ({self.library})"


@dataclass(frozen=True)
class LibvirtBuild:
    """A libvirt build tree or install prefix."""

    root: Path
    library: Path
    virsh: Path | None

    @classmethod
    def find(cls, directory: str | Path) -> LibvirtBuild:
        """The build in ``directory``; :class:`BuildError` when it holds no libvirt.so.0."""
        root = Path(directory).absolute()
        if root.exists() and not root.is_dir():
            raise BuildError(
                f"--libvirt-build {directory}: not a directory (give the build tree, "
                "e.g. libvirt-9.0.0/build, or the install prefix, not a file in it)"
            )
        if not root.is_dir():
            raise BuildError(f"--libvirt-build {directory}: no such directory")
        lib = next((root / p / SONAME for p in LIBRARY_PLACES if (root / p / SONAME).exists()), None)
        if lib is None:
            places = ", ".join(f"{p}/" for p in LIBRARY_PLACES)
            raise BuildError(
                f"--libvirt-build {directory}: no {SONAME} in {places} of it "
                "(give a libvirt build tree, e.g. libvirt-9.0.0/build, or an install prefix)"
            )
        virsh = next(
            (root / p / "virsh" for p in VIRSH_PLACES if os.access(root / p / "virsh", os.X_OK)), None
        )
        return cls(root, lib, virsh)

    def environ(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """``base`` (default: this process's environment) with the build's library
        directory first on LD_LIBRARY_PATH and its virsh first on PATH."""
        env = dict(os.environ if base is None else base)
        paths = [str(self.library.parent), *(p for p in env.get("LD_LIBRARY_PATH", "").split(":") if p)]
        env["LD_LIBRARY_PATH"] = ":".join(paths)
        if self.virsh is not None:
            env["PATH"] = ":".join([str(self.virsh.parent), env.get("PATH", "/usr/bin:/bin")])
        runtimes = self.sanitizer_runtimes()
        if runtimes:
            # Python is not built with ASan, so its runtime must be preloaded, first of all
            # ("ASan runtime does not come first in initial library list" otherwise)
            others = [p for p in env.get("LD_PRELOAD", "").split(":") if p and p not in runtimes]
            env["LD_PRELOAD"] = ":".join([*runtimes, *others])
            env.setdefault("ASAN_OPTIONS", ASAN_OPTIONS)
            env.setdefault("UBSAN_OPTIONS", UBSAN_OPTIONS)
        return env

    def sanitizer_runtimes(self) -> list[str]:
        """The ASan/UBSan runtime libraries the build's libvirt.so needs (``ldd``), ASan's
        first; none for a build without sanitizers."""
        return _sanitizer_runtimes(str(self.library))

    def check(self, python: str = sys.executable) -> Loaded:
        """Load the build in a fresh process; :class:`BuildError` unless the library
        loaded is this build's."""
        loaded = probe(self.environ(), python)
        if not _same_file(loaded.library, self.library):
            raise BuildError(
                f"--libvirt-build {self.root}: asked for {self.library}, but the process "
                f"loaded {loaded.library} (an RPATH in libvirt-python's libvirtmod?)"
            )
        return loaded


def probe(env: Mapping[str, str] | None = None, python: str = sys.executable) -> Loaded:
    """The libvirt a process started with ``env`` loads (libvirt-python's import)."""
    done = subprocess.run(
        [python, "-m", "simvz.harness.worker", "--probe"],
        env=dict(os.environ if env is None else env), capture_output=True, text=True, check=False,
        cwd=str(Path(__file__).resolve().parents[2]),
    )  # fmt: skip
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise BuildError(f"libvirt cannot be loaded: {last}")
    data = json.loads(done.stdout)
    return Loaded(data["library"], data["version"])


@functools.cache
def _sanitizer_runtimes(library: str) -> list[str]:
    try:
        done = subprocess.run(["ldd", library], capture_output=True, text=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return []
    found = re.findall(r"^\s*(lib(?:asan|ubsan)\.so[.\d]*)\s+=>\s+(\S+)", done.stdout, re.M)
    return sorted((path for _, path in found), key=lambda p: "libasan" not in p)


def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def loaded_in_this_process() -> Loaded:
    """The libvirt this process has mapped (after ``import libvirt``)."""
    from simvz.harness.worker import mapped_libvirt

    return Loaded(*mapped_libvirt())
