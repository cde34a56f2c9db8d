"""Where throwaway nodes go (simvz/harness/scratch.py): a writable tmpfs with room, else
the usual temporary directory; a TMPDIR the user chose always wins. The mount tables
are written by the tests (a stand-in for /proc/self/mounts, which a test cannot change)."""

from __future__ import annotations

from pathlib import Path

from simvz.harness.scratch import memory_tmpdir, scratch_environ


def _mounts(tmp_path: Path, where: Path, fstype: str) -> str:
    table = tmp_path / "mounts"
    table.write_text(f"/dev/vda / ext4 rw 0 0\n{fstype} {where} {fstype} rw,nosuid,nodev 0 0\n")
    return str(table)


def test_a_writable_tmpfs_with_room_is_chosen(tmp_path: Path) -> None:
    assert memory_tmpdir(str(tmp_path), _mounts(tmp_path, tmp_path, "tmpfs"), min_free=1) == str(tmp_path)


def test_a_directory_that_is_no_tmpfs_mount_is_not(tmp_path: Path) -> None:
    assert memory_tmpdir(str(tmp_path), _mounts(tmp_path, tmp_path, "ext4"), min_free=1) is None
    # a directory below a tmpfs mount point is not the mount point itself
    inner = tmp_path / "inner"
    inner.mkdir()
    assert memory_tmpdir(str(inner), _mounts(tmp_path, tmp_path, "tmpfs"), min_free=1) is None


def test_a_tmpfs_without_room_or_an_unreadable_table_is_not(tmp_path: Path) -> None:
    table = _mounts(tmp_path, tmp_path, "tmpfs")
    assert memory_tmpdir(str(tmp_path), table, min_free=1 << 62) is None
    assert memory_tmpdir(str(tmp_path), str(tmp_path / "no-such-table"), min_free=1) is None


def test_the_users_tmpdir_wins(tmp_path: Path) -> None:
    mine = {"TMPDIR": "/var/tmp/mine", "HOME": "/root"}
    assert scratch_environ(mine, str(tmp_path)) == mine
    assert scratch_environ({"HOME": "/root"}, str(tmp_path)) == {"HOME": "/root", "TMPDIR": str(tmp_path)}
