"""Template tarballs are unpacked safely on every Python 3.11 (Debian 12 ships 3.11.2,
before tarfile's ``data`` filter): nothing in a template can reach outside the CT."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from simvz.errors import VzError
from simvz.model import lifecycle as L


def _tar(*members: tarfile.TarInfo) -> tarfile.TarFile:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for m in members:
            t.addfile(m, io.BytesIO(b"x" * m.size) if m.isfile() else None)
    buf.seek(0)
    return tarfile.open(fileobj=buf)


def _sym(name: str, target: str) -> tarfile.TarInfo:
    m = tarfile.TarInfo(name)
    m.type, m.linkname = tarfile.SYMTYPE, target
    return m


@pytest.mark.parametrize(
    "member", [_sym("etc/passwd", "/etc/passwd"), _sym("a", "../../x"), tarfile.TarInfo("../escape")]
)
def test_escaping_members_are_refused_without_the_data_filter(
    member: tarfile.TarInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(tarfile, "data_filter", raising=False)
    with pytest.raises(VzError) as err:
        L.extract_template(_tar(member), tmp_path)
    assert err.value.code == 47
    assert list(tmp_path.iterdir()) == []


def test_ordinary_members_extract_without_the_data_filter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(tarfile, "data_filter", raising=False)
    f = tarfile.TarInfo("sbin/init")
    f.size = 3
    L.extract_template(_tar(f, _sym("bin/sh", "bash")), tmp_path)
    assert (tmp_path / "sbin/init").read_bytes() == b"xxx"
    assert (tmp_path / "bin/sh").is_symlink()
