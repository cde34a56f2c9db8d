"""``vzctl set --userpasswd`` (``KV:src/vzctl-actions.c:set``,
``KV:etc/dists/scripts/set_userpass.sh``): the password lands where the container's
own tools read it, on a stopped CT through a temporary start, and the CT is left as
it was."""

from __future__ import annotations

from simvz.host import Host
from simvz.model import passwd
from tests.conftest import start_ct, vzctl


def _shadow(host: Host, user: str) -> str:
    r = vzctl(host, "exec", "101", "cat", "/etc/shadow")
    assert r.exit == 0, r
    return next(line for line in r.out.splitlines() if line.startswith(user + ":"))


def test_a_stopped_ct_gets_the_password_and_stays_stopped(ct101: Host) -> None:
    r = vzctl(ct101, "set", "101", "--userpasswd", "root:s3cret")
    assert r.exit == 0 and "Killing container ..." in r.out
    assert vzctl(ct101, "status", "101").out == "CTID 101 exist unmounted down\n"
    start_ct(ct101)
    expected = passwd.pw_hash(ct101.settings.seed, 101, "root", "s3cret")
    assert _shadow(ct101, "root").split(":")[1] == expected


def test_a_new_user_is_added_with_a_home(ct101: Host) -> None:
    start_ct(ct101)
    assert vzctl(ct101, "set", "101", "--userpasswd", "alice:pw").exit == 0
    r = vzctl(ct101, "exec", "101", "cat", "/etc/passwd")
    assert "alice:x:500:500::/home/alice:/bin/bash" in r.out.splitlines()
    assert _shadow(ct101, "alice").split(":")[1] == passwd.pw_hash(0, 101, "alice", "pw")


def test_a_value_without_colon_is_user_and_password(ct101: Host) -> None:
    # set_userpass.sh: sed 's/:.*$//' and sed 's/^[^:]*://' both leave the whole value
    assert vzctl(ct101, "set", "101", "--userpasswd", "bob").exit == 0
    start_ct(ct101)
    assert _shadow(ct101, "bob").split(":")[1] == passwd.pw_hash(0, 101, "bob", "bob")


def test_an_empty_password_fails_with_74_and_the_ct_stays_stopped(ct101: Host) -> None:
    before = ct101.fs.read("/etc/vz/conf/101.conf")
    r = vzctl(ct101, "set", "101", "--userpasswd", "root:", "--save")
    assert r.exit == 74
    assert "Password change failed\n" in r.out
    assert r.err == "Error: failed to apply some parameters, not saving configuration file!\n"
    assert ct101.fs.read("/etc/vz/conf/101.conf") == before
    assert vzctl(ct101, "status", "101").out == "CTID 101 exist unmounted down\n"
