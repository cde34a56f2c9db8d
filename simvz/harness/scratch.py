"""Where throwaway simulated nodes are made: a memory file system when the machine has
one, because every config a node tool saves is fsynced first, as vzctl does
(``KV:src/lib/config.c:vps_save_config``; ``simvz/storage.py``), and on a disk each
fsync waits for the device. On tmpfs the fsync returns at once: the same calls, the
same files, the same answers, without the wait.

Used by the test suite (``tests/conftest.py``) and by ``simvz conformance`` for its
scenario nodes, never for a node a user creates (``simvz init DIR`` stays where asked).
"""

from __future__ import annotations

import os
from pathlib import Path

# /dev/shm is a tmpfs on Debian (and most Linux systems), writable by every user.
MEMORY_DIR = "/dev/shm"
# Below this much free space the disk is used: a run keeps failed tests' nodes.
MIN_FREE = 1 << 30
MOUNTS = "/proc/self/mounts"


def memory_tmpdir(directory: str = MEMORY_DIR, mounts: str = MOUNTS, min_free: int = MIN_FREE) -> str | None:
    """``directory`` when it is a writable tmpfs mount point with ``min_free`` bytes
    free; None otherwise (the caller then keeps the usual temporary directory)."""
    if not _is_tmpfs(directory, mounts) or not os.access(directory, os.W_OK | os.X_OK):
        return None
    try:
        st = os.statvfs(directory)
    except OSError:
        return None
    return directory if st.f_bavail * st.f_frsize >= min_free else None


def _is_tmpfs(directory: str, mounts: str) -> bool:
    try:
        text = Path(mounts).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    # fields: device, mount point (spaces as \040), type, options (proc(5))
    return any(
        len(fields) > 2 and fields[1] == directory and fields[2] == "tmpfs"
        for fields in (line.split() for line in text.splitlines())
    )


def scratch_environ(env: dict[str, str], directory: str | None = None) -> dict[str, str]:
    """``env`` with ``TMPDIR`` on the memory file system, unless the caller chose a
    ``TMPDIR`` already or there is no usable one."""
    if env.get("TMPDIR"):
        return env
    found = directory if directory is not None else memory_tmpdir()
    return env if found is None else {**env, "TMPDIR": found}
