"""Passwords set by ``vzctl set --userpasswd`` inside a container, as the shipped
``set_userpass.sh`` action does (``KV:etc/dists/scripts/set_userpass.sh``): vzctl joins
every ``--userpasswd`` value into one ``USERPW`` variable (``KV:src/lib/vps_configure.c:
vps_pw_configure``); the script takes the user up to the first ``:`` and the password
after it (the whole value for both when there is no ``:``), fails when either is
empty, adds a missing user with ``useradd -m`` and sets the password.

The result is kept where the container's own tools read it: ``/etc/passwd`` and
``/etc/shadow`` of its private area. The shadow entry holds a salted SHA-256 of the
password (``$simvz-sha256$salt$hex``), deterministic per node seed, CT and user, so a
test can check it; it is not a crypt(3) hash a real login would accept.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

UID_MIN = 500  # RHEL 6 useradd's first regular UID (/etc/login.defs)


class Files(Protocol):
    """What the password change needs of the node's filesystem."""

    def read(self, path: str) -> str | None: ...

    def write(self, path: str, text: str, mode: int = 0o644) -> None: ...

    def mkdir(self, path: str) -> None: ...


def split_userpw(values: list[str]) -> tuple[str, str]:
    """The user and password the script sees: ``echo $USERPW`` squeezes blanks, then
    ``sed 's/:.*$//'`` and ``sed 's/^[^:]*://'``."""
    joined = " ".join(" ".join(values).split())
    user, colon, password = joined.partition(":")
    return (user, password) if colon else (joined, joined)


def pw_hash(seed: int, veid: int, user: str, password: str) -> str:
    """The shadow field: a salted digest, deterministic for the node's seed."""
    salt = hashlib.sha256(f"{seed}\0{veid}\0{user}".encode()).hexdigest()[:16]
    digest = hashlib.sha256(f"{salt}\0{password}".encode()).hexdigest()
    return f"$simvz-sha256${salt}${digest}"


def set_password(fs: Files, private: str, user: str, hashed: str) -> None:
    """Add ``user`` to ``/etc/passwd`` (with a home) if missing, then set its shadow entry."""
    passwd_path, shadow_path = f"{private}/etc/passwd", f"{private}/etc/shadow"
    passwd = (fs.read(passwd_path) or "").splitlines()
    if not any(line.split(":", 1)[0] == user for line in passwd):
        uid = 0 if user == "root" else _next_uid(passwd)
        home = "/root" if user == "root" else f"/home/{user}"
        passwd.append(f"{user}:x:{uid}:{uid}::{home}:/bin/bash")
        fs.mkdir(f"{private}{home}")
        fs.write(passwd_path, "".join(line + "\n" for line in passwd))
    shadow = [line for line in (fs.read(shadow_path) or "").splitlines() if line.split(":", 1)[0] != user]
    shadow.append(f"{user}:{hashed}::0:99999:7:::")
    fs.write(shadow_path, "".join(line + "\n" for line in shadow), mode=0o600)


def _next_uid(passwd: list[str]) -> int:
    uids = [int(f[2]) for line in passwd if len(f := line.split(":")) > 2 and f[2].isdigit()]
    return max([UID_MIN - 1, *(u for u in uids if u >= UID_MIN)]) + 1
