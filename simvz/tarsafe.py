"""Unpacking an OS template cache so that nothing in it can land outside the target.

vzctl untars a template with GNU tar (``KV:scripts/vps-create.in:create_prvt``); a
template is a stranger's tarball, and both the simulated node and the real-host backend
(``LocalBackend.prepare_private``, as root) unpack it. Every member is checked right
before it is written, against the tree as it is at that moment, so a chain of symlinks
built by earlier members (``b/c -> ..``, ``x0 -> b/c``, ``x1 -> x0/..``) is seen
for what it resolves to. Refused: absolute names, names or link targets that resolve
outside the target, absolute link targets, device files and FIFOs.

The checks are those of the standard library's ``data`` filter (``tarfile.data_filter``,
Python 3.11.4+), which is used where it exists. Debian 12's ``python3`` is 3.11.2,
which has neither the filter nor ``extractall(filter=...)``: there the same checks run
in :func:`_check_member`, and members are extracted one by one after being checked.
``USE_STDLIB_FILTER`` switches between the two (tests force the fallback with it).

A refused or unreadable tarball fails the way vps-create's tar failure does: exit 48
(``VZ_FS_NEW_VE_PRVT``), ``vps-create ERROR: Unpack <tarball> failed``, preceded by a
``tar:`` line naming the member and why; the caller removes what was unpacked so far.
"""

from __future__ import annotations

import copy
import os
import stat
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from simvz import errors as E
from simvz.errors import VzError

USE_STDLIB_FILTER = hasattr(tarfile, "data_filter")

CREATE_FAILED = "Creation of container private area failed"


class Refused(Exception):
    """A member the extraction refuses (``reason`` is what the ``tar:`` line says)."""

    def __init__(self, member: str, reason: str) -> None:
        super().__init__(f"{member}: {reason}")
        self.member = member
        self.reason = reason


def unpack_error(tarball: str, why: str) -> VzError:
    """vps-create's failure as vzctl passes it on (exit 48), naming the node's tarball."""
    return VzError(
        E.FS_NEW_VE_PRVT, f"tar: {why}", f"vps-create ERROR: Unpack {tarball} failed", CREATE_FAILED
    )


def extract(tarball: Path, dest: Path, *, shown_as: str, keep_owners: bool = False) -> None:
    """Unpack ``tarball`` into the existing directory ``dest``; refuse any escape.

    ``keep_owners``: keep owners and modes as ``tar --numeric-owner -p`` does (the
    real-host backend, as root); otherwise the ``data`` filter's sanitised modes.
    Raises the unpack error (:func:`unpack_error`, shown with ``shown_as``) for a
    refused member and for a tarball that cannot be read.
    """
    try:
        with tarfile.open(tarball) as tar:
            if USE_STDLIB_FILTER:
                tar.extractall(dest, filter=_stdlib_filter(keep_owners), numeric_owner=keep_owners)
            else:
                _extract_checked(tar, dest, keep_owners)
    except Refused as err:
        raise unpack_error(shown_as, str(err)) from None
    except tarfile.FilterError as err:
        raise unpack_error(shown_as, f"{_name(err.tarinfo)}: {_stdlib_reason(err)}") from None
    except (tarfile.TarError, OSError, EOFError, ValueError) as err:
        # a truncated, corrupt or non-tar file: tar says why and vps-create gives up
        raise unpack_error(shown_as, f"{Path(tarball).name}: {_os_reason(err)}") from None


def _name(member: tarfile.TarInfo) -> str:
    return member.name


def _os_reason(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return "This does not look like a tar archive"


# Reasons, the same whichever implementation refused (the stdlib's own messages carry
# machine paths, which are not the node's business).
ABSOLUTE = "member name is absolute"
OUTSIDE = "member would be extracted outside the private area"
SPECIAL = "device files and FIFOs are not unpacked"
ABSOLUTE_LINK = "link target is an absolute path"
LINK_OUTSIDE = "link target is outside the private area"


def _stdlib_reason(err: tarfile.FilterError) -> str:
    reasons: list[tuple[type[tarfile.FilterError], str]] = [
        (tarfile.AbsolutePathError, ABSOLUTE),
        (tarfile.OutsideDestinationError, OUTSIDE),
        (tarfile.SpecialFileError, SPECIAL),
        (tarfile.AbsoluteLinkError, ABSOLUTE_LINK),
        (tarfile.LinkOutsideDestinationError, LINK_OUTSIDE),
    ]
    return next((why for cls, why in reasons if isinstance(err, cls)), "member refused")


Filter = Callable[[tarfile.TarInfo, str], "tarfile.TarInfo | None"]


def _stdlib_filter(keep_owners: bool) -> Filter:
    """The ``data`` filter, plus a refusal of absolute names (the filter would strip the
    ``/``; a template with such names is refused rather than guessed at)."""

    def check(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
        if member.name.startswith("/"):
            raise Refused(member.name, ABSOLUTE)
        checked = tarfile.data_filter(member, dest)
        if keep_owners:
            m = member
            return checked.replace(
                mode=m.mode, uid=m.uid, gid=m.gid, uname=m.uname, gname=m.gname, deep=False
            )
        return checked

    return check


# -- the fallback, for Pythons without tarfile.data_filter ---------------------------------
# members are checked before extract(); where extract() takes a filter (3.12+ warns
# without one), it is told not to filter again
_TRUSTED: dict[str, Any] = {"filter": "fully_trusted"} if hasattr(tarfile, "fully_trusted_filter") else {}


def _extract_checked(tar: tarfile.TarFile, dest: Path, keep_owners: bool) -> None:
    """Check each member against the tree as unpacked so far, then extract it; directory
    modes and owners are set last (a read-only directory must not stop its members)."""
    dirs: list[tarfile.TarInfo] = []
    for member in tar:
        checked = _check_member(member, str(dest), keep_owners)
        tar.extract(checked, dest, set_attrs=not checked.isdir(), numeric_owner=keep_owners, **_TRUSTED)
        if checked.isdir():
            dirs.append(checked)
    for d in reversed(dirs):
        _set_dir_attrs(d, dest, keep_owners)


def _check_member(member: tarfile.TarInfo, dest: str, keep_owners: bool) -> tarfile.TarInfo:
    """The ``data`` filter's checks; returns the member as it is to be extracted."""
    root = os.path.realpath(dest)
    if member.name.startswith("/") or os.path.isabs(member.name):
        raise Refused(member.name, ABSOLUTE)
    if not _inside(root, os.path.join(root, member.name)):
        raise Refused(member.name, OUTSIDE)
    if not (member.isreg() or member.islnk() or member.isdir() or member.issym()):
        raise Refused(member.name, SPECIAL)
    if member.issym() or member.islnk():
        if os.path.isabs(member.linkname):
            raise Refused(member.name, ABSOLUTE_LINK)
        # a symlink's target is relative to its directory, a hard link's to the archive
        base = os.path.join(root, os.path.dirname(member.name)) if member.issym() else root
        if not _inside(root, os.path.join(base, member.linkname)):
            raise Refused(member.name, LINK_OUTSIDE)
    return member if keep_owners else _data_attrs(member)


def _inside(root: str, path: str) -> bool:
    """``path``, with every symlink already on disk followed, is ``root`` or under it."""
    real = os.path.realpath(path)
    return os.path.commonpath([real, root]) == root


def _data_attrs(member: tarfile.TarInfo) -> tarfile.TarInfo:
    """Modes and owners as the ``data`` filter leaves them: no set-id, sticky or
    group/other write bits; files readable and writable by their owner, executable by
    group/other only if by the owner; directories and symlinks get default modes;
    owners are not applied."""
    out = copy.copy(member)
    if member.isreg() or member.islnk():
        mode = member.mode & 0o755
        if not mode & stat.S_IXUSR:
            mode &= ~0o111
        out.mode = mode | 0o600
    else:
        out.mode = None  # type: ignore[assignment]  # None: extraction leaves the default
    out.uid = out.gid = None  # type: ignore[assignment]
    out.uname = out.gname = None  # type: ignore[assignment]
    return out


def _set_dir_attrs(d: tarfile.TarInfo, dest: Path, keep_owners: bool) -> None:
    """A directory's mode (and owner) once its members are in, if it is still a
    directory inside ``dest`` (a later member may have replaced it)."""
    root = os.path.realpath(dest)
    path = os.path.join(root, d.name)
    if not keep_owners or not _inside(root, path):
        return
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        return
    if os.geteuid() == 0:
        os.lchown(path, d.uid, d.gid)
    os.chmod(path, d.mode)
