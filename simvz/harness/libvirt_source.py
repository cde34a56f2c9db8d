"""Build libvirt from Debian's source (12's 9.0.0, 13's 11.3.0) or from a source tree of
one's own (a git checkout), with patches, into a cache outside the clone:
``$XDG_CACHE_HOME/simvz/libvirt/<version>-<hash>`` (default ``~/.cache``), where the hash
covers the source tree's path, the patches' text, the meson options and the targets, so
a changed patch is a new build and an unchanged one is reused.

Debian's source (``apt-get source libvirt/<suite>``, Debian's own patches applied by
dpkg-source) is fetched with a private apt configuration in the cache, so the machine's
``/etc/apt`` is neither needed nor changed. The recipe is the README's ("Your own
libvirt build"): only the OpenVZ driver, ``ninja -C build tools/virsh``.

:class:`Recipe` is data: a coverage or sanitizer build is a recipe with more meson
options (``-Db_coverage=true``, ``-Db_sanitize=address,undefined``) and so another cache
entry. A build is incremental: an entry whose ``build.ninja`` exists is brought up to date
by ninja, and a source tree is synchronised into its entry file by file (only changed
files are copied, so ninja recompiles only what changed).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
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
# Debian's releases of libvirt that ship the OpenVZ driver: version -> suite.
SUITES = {"9.0.0": "bookworm", "11.3.0": "trixie"}
# What a version needs besides PLAIN: from 10.x on, meson insists on libnl for a Linux
# build and on the remote driver for virsh (libvirt's meson.build).
EXTRA_OPTIONS = {"11.3.0": ("-Dlibnl=enabled", "-Ddriver_remote=enabled")}
COVERAGE = ("-Db_coverage=true",)
# b_lundef=false: a sanitized shared library leaves the runtime's symbols to the loader
SANITIZE = ("-Db_sanitize=address,undefined", "-Db_lundef=false")
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

Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


class SourceUnavailable(BuildError):
    """Debian's source (or the tools to build it) cannot be had on this machine."""


@dataclass(frozen=True)
class Recipe:
    """What to build: Debian's libvirt ``version`` (or the tree ``source``), these
    patches, these meson options."""

    version: str = VERSION
    patches: tuple[Path, ...] = ()
    options: tuple[str, ...] = PLAIN
    targets: tuple[str, ...] = ("tools/virsh",)
    tools: tuple[str, ...] = field(default=TOOLS, compare=False)
    source: Path | None = None

    @classmethod
    def debian(
        cls,
        version: str = VERSION,
        patches: tuple[Path, ...] = (),
        coverage: bool = False,
        asan: bool = False,
    ) -> Recipe:
        """Debian's ``version`` with the options it needs, plus gcov and/or ASan+UBSan."""
        if version not in SUITES:
            known = ", ".join(SUITES)
            raise SourceUnavailable(f"no Debian source of libvirt {version} known (one of {known})")
        return cls(version, patches, _options(version, coverage, asan))

    @classmethod
    def tree(
        cls, source: Path, patches: tuple[Path, ...] = (), coverage: bool = False, asan: bool = False
    ) -> Recipe:
        """The libvirt source tree (a git checkout) at ``source``; the version is read
        from its meson.build."""
        source = source.absolute()
        version = source_version(source)
        return cls(version, patches, _options(version, coverage, asan), source=source)

    def key(self) -> str:
        """``<version>-<hash of source, patches, options, targets>``: the cache entry's name."""
        h = hashlib.sha256()
        for part in (*self.options, "|", *self.targets, "|"):
            h.update(part.encode() + b"\0")
        for patch in self.patches:
            h.update(patch.name.encode() + b"\0" + patch.read_bytes() + b"\0")
        if self.source is not None:
            h.update(b"tree\0" + str(self.source).encode())
        return f"{self.version}-{h.hexdigest()[:16]}"


def _options(version: str, coverage: bool, asan: bool) -> tuple[str, ...]:
    extra = EXTRA_OPTIONS.get(version)
    if extra is None and _at_least(version, (10, 0, 0)):
        extra = EXTRA_OPTIONS["11.3.0"]
    return (*PLAIN, *(extra or ()), *(COVERAGE if coverage else ()), *(SANITIZE if asan else ()))


def _at_least(version: str, want: tuple[int, int, int]) -> bool:
    try:
        parts = tuple(int(p) for p in version.split(".")[:3])
    except ValueError:
        return True  # a git master's version: the newest rules
    return parts >= want


def source_version(source: Path) -> str:
    """The version in a libvirt tree's ``meson.build`` (``project('libvirt', 'c',
    version: '11.3.0', ...)``)."""
    meson = source / "meson.build"
    try:
        text = meson.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        why = f"{source}: not a libvirt source tree (no meson.build: {err.strerror})"
        raise SourceUnavailable(why) from err
    m = re.search(r"project\(\s*'libvirt'.*?version:\s*'([^']+)'", text, re.S)
    if m is None:
        raise SourceUnavailable(f"{source}: not a libvirt source tree (meson.build names no libvirt version)")
    return m.group(1)


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
    log = log or cache / f"{recipe.key()}.log"
    with _locked(cache / f"{recipe.key()}.lock"):
        if recipe.source is not None:
            _sync_tree(recipe, out, log)
        elif not (out / ".done").exists():
            source = fetch_source(recipe.version, cache)
            if not (out / "build" / "build.ninja").exists():  # else: resume, incrementally
                shutil.rmtree(out, ignore_errors=True)
                shutil.copytree(source, out, symlinks=True)
                _patch(recipe, out)
            _make(recipe, out, log)
            (out / ".done").write_text(recipe.key() + "\n")
    return LibvirtBuild.find(out / "build")


def _sync_tree(recipe: Recipe, out: Path, log: Path) -> None:
    """Copy what changed in the source tree into ``out`` (mtimes kept, so ninja
    rebuilds only that), patch the copies, and build."""
    assert recipe.source is not None
    changed = _sync(recipe.source, out)
    if changed or not (out / ".patched").exists():
        _patch(recipe, out)
        (out / ".patched").write_text("")
    _make(recipe, out, log)


def _sync(src: Path, dst: Path) -> int:
    """Files of ``src`` copied to ``dst`` because they are new or differ in size or
    mtime (a patched copy differs, so it is copied afresh and patched again); ``.git``
    and ``build`` directories are not copied."""
    count = 0
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = [d for d in dirnames if d not in (".git", "build")]
        rel = Path(dirpath).relative_to(src)
        (dst / rel).mkdir(parents=True, exist_ok=True)
        for name in filenames:
            a, b = Path(dirpath) / name, dst / rel / name
            sa = a.lstat()
            try:
                sb = b.lstat()
                same = sa.st_size == sb.st_size and int(sa.st_mtime) == int(sb.st_mtime)
            except FileNotFoundError:
                same = False
            if not same:
                b.unlink(missing_ok=True)
                shutil.copy2(a, b, follow_symlinks=False)
                count += 1
    return count


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
    package = f"libvirt/{SUITES.get(version, 'bookworm')}"
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        _run(["apt-get", *opts, "update"], cwd=Path(tmp), what="apt-get update (deb-src)", unavailable=True)
        try:
            _run(["apt-get", *opts, "source", package], cwd=Path(tmp), what="apt-get source",
                 unavailable=True)  # fmt: skip
        except SourceUnavailable:
            # a mirror without the .dsc still serves the tarballs, which apt has checked
            # against the signed Sources index: unpack them as dpkg-source -x would
            if not _unpack_tarballs(Path(tmp), version):
                raise
        got = Path(tmp) / f"libvirt-{version}"
        if not (got / "meson.build").exists():
            found = ", ".join(p.name for p in Path(tmp).iterdir() if p.is_dir()) or "nothing"
            raise SourceUnavailable(f"apt-get source libvirt gave {found}, not libvirt-{version}")
        tree.parent.mkdir(exist_ok=True)
        got.rename(tree)
    return tree


def _unpack_tarballs(tmp: Path, version: str) -> bool:
    """``libvirt_V.orig.tar.xz`` with ``debian/`` from ``libvirt_V-R.debian.tar.xz`` and
    its quilt series applied (a 3.0 (quilt) source package); False when either is missing."""
    orig = next(iter(sorted(tmp.glob(f"libvirt_{version}.orig.tar.*"))), None)
    deb = next(iter(sorted(tmp.glob(f"libvirt_{version}-*.debian.tar.*"))), None)
    if orig is None or deb is None or orig.name.endswith(".asc"):
        return False
    tree = tmp / f"libvirt-{version}"
    tree.mkdir()
    _run(["tar", "-xf", str(orig), "-C", str(tree), "--strip-components=1"], cwd=tmp, what="unpack orig")
    _run(["tar", "-xf", str(deb), "-C", str(tree)], cwd=tmp, what="unpack debian")
    series = tree / "debian" / "patches" / "series"
    names = series.read_text().split("\n") if series.exists() else []
    for name in (n.split("#")[0].strip() for n in names):
        if name:
            patch = tree / "debian" / "patches" / name
            _run(["patch", "-p1", "--batch", "-i", str(patch)], cwd=tree, what=f"Debian patch {name}")
    return True


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


def _patch(recipe: Recipe, out: Path) -> None:
    for patch in recipe.patches:
        _run(["patch", "-p1", "--batch", "--forward", "-i", str(patch)], cwd=out, what=f"patch {patch.name}")


def _make(recipe: Recipe, out: Path, log: Path) -> None:
    if not (out / "build" / "build.ninja").exists():
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
