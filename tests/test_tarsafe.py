"""Template tarballs that try to write outside the private area are refused, with
vps-create's unpack failure (exit 48), on this Python's ``data`` filter and on the
fallback that Debian 12's python3 (3.11.2, no ``tarfile.data_filter``) runs.

The attack tarballs are built here, per test, never committed. Each is unpacked with
a canary directory beside the node (``tmp_path/outside``): its content and mtimes
must not change, and the node must be as before the refused ``vzctl create``."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from simvz import tarsafe
from simvz.backends import local
from simvz.backends.local import LocalBackend
from simvz.errors import VzError
from simvz.host import Host
from tests.conftest import make_host, vzctl
from tests.test_containment import SECRET, canary, state

Member = tuple[tarfile.TarInfo, bytes | None]
# dest of `vzctl create 151` is DIR/vz/private/151.tmp, four levels under tmp_path
UP = "../../../../"


def _file(name: str, data: bytes = b"pwned\n", mode: int = 0o644) -> Member:
    m = tarfile.TarInfo(name)
    m.size, m.mode = len(data), mode
    return m, data


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> Member:
    m = tarfile.TarInfo(name)
    m.type, m.linkname = kind, target
    return m, None


def _dir(name: str) -> Member:
    m = tarfile.TarInfo(name)
    m.type, m.mode = tarfile.DIRTYPE, 0o755
    return m, None


def _dev(name: str, kind: bytes) -> Member:
    m = tarfile.TarInfo(name)
    m.type, m.devmajor, m.devminor = kind, 1, 3
    return m, None


def _chain(depth: int) -> list[Member]:
    """``b/c -> ..``, ``x0 -> b/c``, ``xk -> x(k-1)/..``: each link, checked alone by
    its own text, stays inside; together ``x<depth>`` is ``depth`` levels above."""
    links = [_dir("b"), _link("b/c", ".."), _link("x0", "b/c")]
    links += [_link(f"x{k}", f"x{k - 1}/..") for k in range(1, depth + 1)]
    return [*links, _file(f"x{depth}/outside/pwned")]


ATTACKS: dict[str, Callable[[Path], list[Member]]] = {
    "traversal": lambda out: [_file(UP + "outside/pwned")],
    "traversal-inner": lambda out: [_dir("a"), _file("a/../" + UP + "outside/pwned")],
    "absolute-name": lambda out: [_file(str(out / "pwned"))],
    "absolute-symlink-then-write": lambda out: [_link("l", str(out)), _file("l/pwned")],
    "relative-symlink-then-write": lambda out: [_link("l", UP + "outside"), _file("l/pwned")],
    "symlink-to-root-then-write": lambda out: [_link("etc", "/"), _file("etc/pwned")],
    "symlink-chain": lambda out: _chain(4),
    "symlink-chain-deep": lambda out: _chain(6),
    "hardlink-outside-then-overwrite": lambda out: [
        _link("h", UP + "outside/file", tarfile.LNKTYPE),
        _file("h", b"pwned\n"),
    ],
    "hardlink-absolute": lambda out: [_link("h", str(out / "file"), tarfile.LNKTYPE)],
    "hardlink-through-symlink": lambda out: [
        _link("s", UP + "outside"),
        _link("h", "s/file", tarfile.LNKTYPE),
    ],
    "char-device": lambda out: [_dir("dev"), _dev("dev/null", tarfile.CHRTYPE)],
    "block-device": lambda out: [_dev("sda", tarfile.BLKTYPE)],
    "fifo": lambda out: [_dev("fifo", tarfile.FIFOTYPE)],
}


def build(members: list[Member]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.GNU_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return raw.getvalue()


@pytest.fixture(params=["stdlib", "fallback"])
def impl(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The running Python's ``data`` filter, or the fallback as on a Python without it
    (the switch, and the filter itself removed, so the fallback cannot lean on it)."""
    if request.param == "stdlib":
        if not hasattr(tarfile, "data_filter"):
            pytest.skip("this Python has no tarfile.data_filter")
        monkeypatch.setattr(tarsafe, "USE_STDLIB_FILTER", True)
    else:
        monkeypatch.setattr(tarsafe, "USE_STDLIB_FILTER", False)
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    return str(request.param)


def _node_files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): (
            "link" if p.is_symlink() else "dir" if p.is_dir() else p.read_text("latin-1")
        )
        for p in sorted(root.rglob("*"))
        if ".simvz" not in p.relative_to(root).parts
    }


def _node_with(tmp_path: Path, tarball: bytes) -> Host:
    node = make_host(tmp_path / "node")
    (node.root / "vz/template/cache/evil.tar.gz").write_bytes(tarball)
    return node


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_tarball_is_refused_by_create(tmp_path: Path, impl: str, attack: str) -> None:
    out = canary(tmp_path)
    node = _node_with(tmp_path, build(ATTACKS[attack](out)))
    before, node_before = state(out), _node_files(node.root)
    r = vzctl(node, "create", "151", "--ostemplate", "evil")
    assert r.exit == 48, (r.out, r.err)
    lines = r.err.splitlines()
    assert lines[0].startswith("tar: ") and "Traceback" not in r.err
    assert lines[1:] == [
        "vps-create ERROR: Unpack /vz/template/cache/evil.tar.gz failed",
        "Creation of container private area failed",
    ]
    assert state(out) == before
    assert _node_files(node.root) == node_before
    assert not list(tmp_path.glob("pwned")) and not (tmp_path / "node" / "pwned").exists()


def test_the_chain_is_named_by_the_member_that_escapes(tmp_path: Path, impl: str) -> None:
    """Each link of the chain is accepted while it resolves inside; the first whose
    resolution, through the links already unpacked, leaves the area is the one named."""
    node = _node_with(tmp_path, build(_chain(4)))
    r = vzctl(node, "create", "151", "--ostemplate", "evil")
    assert r.err.splitlines()[0] == "tar: x1: link target is outside the private area"


def test_a_garbage_tarball_is_the_unpack_failure_not_a_traceback(tmp_path: Path, impl: str) -> None:
    node = _node_with(tmp_path, b"\x1f\x8b this is not a gzip stream")
    r = vzctl(node, "create", "151", "--ostemplate", "evil")
    assert r.exit == 48 and "Traceback" not in r.err
    assert r.err.endswith(
        "Unpack /vz/template/cache/evil.tar.gz failed\nCreation of container private area failed\n"
    )
    assert not (node.root / "vz/private/151").exists() and not (node.root / "vz/private/151.tmp").exists()


def test_an_ordinary_template_unpacks_with_inside_links(tmp_path: Path, impl: str) -> None:
    """Relative links that stay inside (``bin/sh -> bash``, ``lib -> usr/lib``) unpack."""
    members = [_dir("sbin"), _file("sbin/init", b"init\n", 0o755), _dir("usr"), _dir("usr/lib")]
    members += [_link("lib", "usr/lib"), _dir("bin"), _link("bin/sh", "bash"), _file("lib/libc.so", b"c")]
    node = _node_with(tmp_path, build(members))
    r = vzctl(node, "create", "151", "--ostemplate", "evil")
    assert r.exit == 0, r.err
    private = node.root / "vz/private/151"
    assert (private / "sbin/init").read_bytes() == b"init\n"
    assert os.readlink(private / "bin/sh") == "bash" and (private / "usr/lib/libc.so").read_bytes() == b"c"


@pytest.mark.parametrize("attack", ["symlink-chain", "hardlink-outside-then-overwrite", "absolute-name"])
def test_the_real_host_backend_uses_the_same_checks(
    tmp_path: Path, impl: str, attack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``LocalBackend.prepare_private`` (root on a real host) refuses what create does;
    the cache directory is the only thing pointed elsewhere (a real one needs root)."""
    out = canary(tmp_path)
    cache = tmp_path / "node" / "cache"
    cache.mkdir(parents=True)
    (cache / "evil.tar.gz").write_bytes(build(ATTACKS[attack](out)))
    monkeypatch.setattr(local, "TEMPLATE_CACHE", str(cache))
    dest = tmp_path / "node" / "private" / "9" / "x"  # four levels under tmp_path
    before = state(out)
    with pytest.raises(VzError) as err:
        LocalBackend().prepare_private(str(dest), "evil")
    assert err.value.code == 48
    assert state(out) == before
    assert SECRET in (out / "file").read_text()


def test_the_real_host_backend_keeps_modes_as_tar_p_does(
    tmp_path: Path, impl: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """vps-create runs ``tar --numeric-owner -p``: a set-uid binary stays set-uid."""
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "t.tar.gz").write_bytes(build([_dir("bin"), _file("bin/su", b"su", 0o4755)]))
    monkeypatch.setattr(local, "TEMPLATE_CACHE", str(cache))
    LocalBackend().prepare_private(str(tmp_path / "p"), "t")
    assert stat.S_IMODE((tmp_path / "p/bin/su").stat().st_mode) == 0o4755
