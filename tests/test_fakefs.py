"""The simulated node runs on pyfakefs too: model, formats and storage touch files only
through ordinary os/pathlib calls under the host directory."""

from __future__ import annotations

from pathlib import Path

from pyfakefs.fake_filesystem import FakeFilesystem

from simvz.hostinit import init_host
from simvz.results import Result


def test_a_container_lives_its_life_on_a_fake_filesystem(fs: FakeFilesystem) -> None:
    # pyfakefs links /tmp to the temp directory when that is elsewhere (the suite's is on
    # /dev/shm); a checkout under the real /tmp must still be found at its own path
    if fs.islink("/tmp"):
        fs.remove_object("/tmp")
    fs.add_real_directory(str(Path(__file__).resolve().parents[1] / "simvz" / "data"))
    host = init_host(Path("/node"))

    def run(*a: str) -> Result:
        return host.run("vzctl", ["vzctl", *a])

    assert run("create", "101", "--ostemplate", "centos-6-x86").exit == 0
    assert run("set", "101", "--hostname", "fake.example.com", "--save").exit == 0
    assert run("start", "101").exit == 0
    assert run("exec", "101", "hostname").out == "fake.example.com\n"
    assert 'HOSTNAME="fake.example.com"' in Path("/node/etc/vz/conf/101.conf").read_text()
    assert "       101 " in Path("/node/proc/vz/veinfo").read_text()
