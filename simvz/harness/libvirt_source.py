"""Build libvirt from Debian 12's source, with patches, into a cache outside the clone:
``$XDG_CACHE_HOME/simvz/libvirt/<version>-<hash>`` (default ``~/.cache``), where the hash
covers the patches' text, the meson options and the targets, so a changed patch is a
new build and an unchanged one is reused.

The source is Debian's (``apt-get source libvirt``, Debian's own patches applied by
dpkg-source), fetched with a private apt configuration in the cache, so the machine's
``/etc/apt`` is neither needed nor changed. The recipe is the README's ("Your own
libvirt build"): only the OpenVZ driver, ``ninja -C build tools/virsh``.

:class:`Recipe` is data: a coverage or sanitizer build is a recipe with more meson
options (``-Db_coverage=true``, ``-Db_sanitize=address``) and so another cache entry.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from simvz.harness.libvirt_build import BuildError, LibvirtBuild

VERSION = "9.0.0"
PATCHES = Path(__file__).resolve().parents[2] / "corpus" / "patches"
# The README's recipe: nothing but the OpenVZ driver (and what virsh needs).
PLAIN = ("-Dauto_features=disabled", "-Ddriver_openvz=enabled", "-Dsystem=true")
TOOLS = ("apt-get", "dpkg-source", "meson", "ninja", "cc", "pkg-config", "xsltproc", "patch")
DEB_SRC = """\
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


class SourceUnavailable(BuildError):
    """Debian's source (or the tools to build it) cannot be had on this machine."""


@dataclass(frozen=True)
class Recipe:
    """What to build: Debian's libvirt ``version``, these patches, these meson options."""

    version: str = VERSION
    patches: tuple[Path, ...] = ()
    options: tuple[str, ...] = PLAIN
    targets: tuple[str, ...] = ("tools/virsh",)
    tools: tuple[str, ...] = field(default=TOOLS, compare=False)

    def key(self) -> str:
        """``<version>-<hash of patches, options, targets>``: the cache entry's name."""
        h = hashlib.sha256()
        for part in (*self.options, "|", *self.targets, "|"):
            h.update(part.encode() + b"\0")
        for patch in self.patches:
            h.update(patch.name.encode() + b"\0" + patch.read_bytes() + b"\0")
        return f"{self.version}-{h.hexdigest()[:16]}"


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/simvz/libvirt``, else ``~/.cache/simvz/libvirt``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "simvz" / "libvirt"


def thread_fixes() -> tuple[Path, ...]:
    """The patch files in ``corpus/patches/`` (the two one-line driver fixes)."""
    return tuple(sorted(PATCHES.glob("*.patch")))


def build(recipe: Recipe, cache: Path | None = None, log: Path | None = None) -> LibvirtBuild:
    """The build of ``recipe``, made once and reused: :class:`SourceUnavailable` when the
    source or a tool is missing, :class:`BuildError` when the build itself fails."""
    cache = cache or cache_root()
    cache.mkdir(parents=True, exist_ok=True)
    missing = [t for t in recipe.tools if shutil.which(t) is None]
    if missing:
        raise SourceUnavailable(f"cannot build libvirt here: no {', '.join(missing)} on PATH")
    out = cache / recipe.key()
    with _locked(cache / f"{recipe.key()}.lock"):
        if not (out / ".done").exists():
            source = fetch_source(recipe.version, cache)
            shutil.rmtree(out, ignore_errors=True)
            _make(recipe, source, out, log or cache / f"{recipe.key()}.log")
            (out / ".done").write_text(recipe.key() + "\n")
    return LibvirtBuild.find(out / "build")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    # parallel test workers and runs share one cache entry: one builds, the others wait
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def fetch_source(version: str, cache: Path) -> Path:
    """Debian's unpacked ``libvirt-<version>`` source tree, fetched once into the cache."""
    tree = cache / "source" / f"libvirt-{version}"
    if (tree / "meson.build").exists():
        return tree
    apt = cache / "apt"
    opts = _apt_config(apt)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        _run(["apt-get", *opts, "update"], cwd=Path(tmp), what="apt-get update (deb-src)", unavailable=True)
        _run(["apt-get", *opts, "source", "libvirt"], cwd=Path(tmp), what="apt-get source", unavailable=True)
        got = Path(tmp) / f"libvirt-{version}"
        if not (got / "meson.build").exists():
            found = ", ".join(p.name for p in Path(tmp).iterdir() if p.is_dir()) or "nothing"
            raise SourceUnavailable(f"apt-get source libvirt gave {found}, not libvirt-{version}")
        tree.parent.mkdir(exist_ok=True)
        got.rename(tree)
    return tree


def _apt_config(apt: Path) -> list[str]:
    # a private apt state: Debian's deb-src lines, lists and archives under the cache
    (apt / "sources").mkdir(parents=True, exist_ok=True)
    (apt / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    (apt / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    (apt / "sources" / "debian-src.sources").write_text(DEB_SRC)
    return [
        "-q", "-o", f"Dir::Etc::SourceParts={apt / 'sources'}", "-o", "Dir::Etc::SourceList=/dev/null",
        "-o", f"Dir::State::Lists={apt / 'lists'}", "-o", f"Dir::Cache={apt / 'cache'}",
        "-o", "APT::Sandbox::User=root" if os.geteuid() == 0 else "Debug::NoLocking=1",
    ]  # fmt: skip


def _make(recipe: Recipe, source: Path, out: Path, log: Path) -> None:
    shutil.copytree(source, out, symlinks=True)
    for patch in recipe.patches:
        _run(["patch", "-p1", "--batch", "--forward", "-i", str(patch)], cwd=out, what=f"patch {patch.name}")
    _run(["meson", "setup", "build", *recipe.options], cwd=out, what="meson setup", log=log)
    _run(["ninja", "-C", "build", *recipe.targets], cwd=out, what="ninja", log=log)


def _run(argv: list[str], cwd: Path, what: str, log: Path | None = None, unavailable: bool = False) -> None:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if log is not None:
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"$ {' '.join(argv)}\n{done.stdout}{done.stderr}")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or done.stdout.strip().splitlines() or ["?"])[-1]
        error = SourceUnavailable if unavailable else BuildError
        raise error(f"{what} failed (exit {done.returncode}): {last}")
