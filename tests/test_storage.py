"""Reading node files (simvz/storage.py): what is not a regular file reads as missing,
and reading never waits on it."""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

import pytest

from simvz import storage
from simvz.host import Host
from tests.conftest import create_ct, make_host, vzctl


@pytest.fixture
def node(tmp_path: Path) -> Host:
    return make_host(tmp_path / "node")


def test_a_regular_file_reads_whole_and_a_missing_one_as_none(node: Host) -> None:
    text = "".join(f'KEY{i}="{"x" * 100}"\n' for i in range(2000))  # 200 KB
    node.fs.write("/etc/vz/conf/big.conf", text)
    assert node.fs.read("/etc/vz/conf/big.conf") == text
    assert node.fs.read("/etc/vz/conf/missing.conf") is None
    node.fs.write("/etc/vz/conf/empty.conf", "")
    assert node.fs.read("/etc/vz/conf/empty.conf") == ""


def test_a_fifo_socket_or_directory_in_a_configs_place_reads_as_missing(node: Host) -> None:
    """A FIFO is not opened for a blocking read (nothing would ever write to it)."""
    conf = node.fs.real("/etc/vz/conf")
    os.mkfifo(conf / "fifo.conf")
    (conf / "dir.conf").mkdir()
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(os.fspath(conf / "sock.conf"))
        for name in ("fifo.conf", "dir.conf", "sock.conf"):
            assert node.fs.read(f"/etc/vz/conf/{name}") is None, name


def test_status_of_a_ct_whose_config_is_a_fifo_answers_at_once(node: Host) -> None:
    """(Were the FIFO opened for reading, the command would wait forever.)"""
    create_ct(node, 101)
    conf = node.fs.real("/etc/vz/conf/101.conf")
    conf.unlink()
    os.mkfifo(conf)
    r = vzctl(node, "status", "101")
    assert r.exit == 0
    assert re.fullmatch(rb"CTID 101 (exist|deleted) unmounted down\n", r.stdout)


def test_read_fd_reads_from_the_offset_to_the_end(tmp_path: Path) -> None:
    p = tmp_path / "f"
    p.write_bytes(b"0123456789")
    fd = os.open(p, os.O_RDONLY)
    try:
        os.lseek(fd, 4, os.SEEK_SET)
        assert storage.read_fd(fd) == b"456789"
    finally:
        os.close(fd)


def test_a_file_whose_size_says_nothing_is_read_to_its_end() -> None:
    """A /proc file's size is 0 (as a real host's /proc/vz files are): read to the end."""
    data = storage.slurp(f"/proc/{os.getpid()}/status")
    assert data is not None and data.startswith(b"Name:") and b"\nPid:\t" in data
    assert len(data) > 512 and data.endswith(b"\n")
