"""simfs first-level disk quota, as vzquota and the OpenVZ kernel keep it
(``KV:src/lib/quota.c``; ``kolyshkin/vzquota:man/vzquota.8``; kernel ``fs/vzdquot.c``).

Usage is in 1 KiB blocks and inodes. Past the soft limit a grace timer starts
(QUOTATIME, default 259200 s); once it expires the soft limit acts as the hard one.
The hard limit is never exceeded. statfs inside the CT reports the *soft* limit as
the filesystem size (kernel ``fs/simfs.c:quota_get_stat``: f_blocks = bsoftlimit).
"""

from __future__ import annotations

from dataclasses import dataclass

from simvz.model.kernel import Quota

DEFAULT_GRACE = 259200


class QuotaExceeded(Exception):
    """EDQUOT: ``Disk quota exceeded``."""


def new(limits: tuple[tuple[int, int], tuple[int, int]], grace: int | None, used: tuple[int, int]) -> Quota:
    """A quota initialised (``vzquota init``) with usage from the private area."""
    (bs, bh), (is_, ih) = limits
    return Quota(
        bused=used[0],
        iused=used[1],
        bsoft=bs,
        bhard=bh,
        isoft=is_,
        ihard=ih,
        grace=grace if grace else DEFAULT_GRACE,
    )


def setlimit(q: Quota, limits: tuple[tuple[int, int], tuple[int, int]], grace: int | None, now: int) -> None:
    """``vzquota setlimit``: new limits take effect at once; grace timers re-evaluated."""
    (q.bsoft, q.bhard), (q.isoft, q.ihard) = limits
    if grace:
        q.grace = grace
    _update_timers(q, now)


def _update_timers(q: Quota, now: int) -> None:
    if q.bused <= q.bsoft:
        q.btime = 0
    elif not q.btime:
        q.btime = now + q.grace
    if q.iused <= q.isoft:
        q.itime = 0
    elif not q.itime:
        q.itime = now + q.grace


def charge(q: Quota, blocks: int, inodes: int, now: int) -> None:
    """Account a write; raise QuotaExceeded when a limit refuses it (nothing charged)."""
    nb, ni = q.bused + blocks, q.iused + inodes
    if blocks > 0 and _over(nb, q.bsoft, q.bhard, q.btime, now):
        raise QuotaExceeded
    if inodes > 0 and _over(ni, q.isoft, q.ihard, q.itime, now):
        raise QuotaExceeded
    q.bused, q.iused = max(nb, 0), max(ni, 0)
    _update_timers(q, now)


def _over(new: int, soft: int, hard: int, expires: int, now: int) -> bool:
    if new > hard:
        return True
    return new > soft and expires != 0 and now >= expires


@dataclass(frozen=True)
class Statfs:
    """What ``df`` inside the CT sees (1 KiB blocks, inodes)."""

    blocks: int
    bused: int
    bavail: int
    files: int
    iused: int
    ifree: int


def statfs(q: Quota) -> Statfs:
    """The soft limits are the filesystem's size; free space never goes negative."""
    bfree = max(q.bsoft - q.bused, 0)
    ifree = max(q.isoft - q.iused, 0)
    return Statfs(q.bsoft, q.bused, bfree, q.isoft, q.iused, ifree)
