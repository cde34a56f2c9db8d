"""One error root carrying vzctl's exit code and message (``KV:include/vzerror.h``).

Every refusal the simulated tools make is a :class:`VzError`; it is rendered to
stderr and the exit code in exactly one place, :func:`simvz.results.run`.
"""

from __future__ import annotations

# Exit codes used by the simulator, named as in vzctl's include/vzerror.h.
SETUBC_ERROR = 1
SYSTEM_ERROR = 3
BAD_KERNEL = 5
COMMAND_EXECUTION_ERROR = 8
LOCKED = 9
NOCONFIG = 10
NOSCRIPT = 11
NOVECONFIG = 14
CHKPNT_ERROR = 16
RESTORE_ERROR = 17
INVALID_PARAMETER_SYNTAX = 20
INVALID_PARAMETER_VALUE = 21
VE_ROOT_NOTSET = 22
VE_PRIVATE_NOTSET = 23
VE_TMPL_NOTSET = 24
NOTENOUGHUBCPARAMS = 28
VE_OSTEMPLATE_NOTSET = 29
VE_NOT_RUNNING = 31
VE_RUNNING = 32
STOP_ERROR = 33
FS_NOT_MOUNTED = 40
FS_MOUNTED = 41
FS_NOPRVT = 43
FS_PRVT_AREA_EXIST = 44
FS_NO_DISK_SPACE = 46
FS_BAD_TMPL = 47
FS_NEW_VE_PRVT = 48
DQ_ON = 60
DQ_INIT = 61
DQ_SET = 62
DISKSPACE_NOT_SET = 63
DQ_OFF = 66
IP_INUSE = 78
ACTIONSCRIPT_ERROR = 79
CP_CONFIG = 82
OSTEMPLATE_NOT_FOUND = 91
PLOOP_UNSUP = 99
NETDEV_ERROR = 104
VE_START_DISABLED = 105
APPLY_CONFIG_ERROR = 109
VETH_ERROR = 130
SET_NAME_ERROR = 131
CONFIG_SAVE_ERROR = 139
SNAPSHOT_LIST = 167
CHANGEPASS = 74
NO_DISTR_CONF = 107
NO_DISTR_ACTION_SCRIPT = 108
CONVERT_IMAGE = 155
CREATE_SNAPSHOT = 156
DELETE_SNAPSHOT = 158
SWITCH_SNAPSHOT = 159
MOUNT_SNAPSHOT = 160
UMOUNT_SNAPSHOT = 161
COMPACT_IMAGE = 166
RESOURCE_ERROR = 6


class VzError(Exception):
    """A refusal with vzctl's exit code; ``lines`` go to stderr, ``out_lines`` to stdout.

    Some vzctl refusals print on stdout (``destroy`` of a running CT logs at level 0),
    so the stream is part of the error's identity.
    """

    def __init__(self, code: int, *lines: str, stdout: bool = False, raw: bool = False) -> None:
        super().__init__(lines[0] if lines else f"exit {code}")
        self.code = code
        self.lines = list(lines)
        self.stdout = stdout
        # raw: printed with fprintf(stderr) by vzctl, so --quiet does not silence it
        self.raw = raw
        # keep_state: the failure itself changed the node (a failed start leaves the CT
        # stopped and unmounted), so the node's state is kept rather than rolled back
        self.keep_state = False


class UsageError(VzError):
    """Bad command line syntax (exit 20 unless given)."""

    def __init__(self, *lines: str, code: int = INVALID_PARAMETER_SYNTAX) -> None:
        super().__init__(code, *lines, raw=True)


class BadParameter(VzError):
    """``Bad parameter for --opt: value`` (exit 21), possibly preceded by a detail line."""

    def __init__(self, option: str, value: str, *detail: str) -> None:
        super().__init__(INVALID_PARAMETER_VALUE, *detail, f"Bad parameter for {option}: {value}")


class NotEmulated(VzError):
    """An invocation the simulator does not emulate: fails loudly, naming itself."""

    def __init__(self, what: str, supported: list[str]) -> None:
        super().__init__(
            INVALID_PARAMETER_SYNTAX,
            f"simvz: {what} is not emulated by the simulated host",
            "simvz: emulated: " + " ".join(sorted(supported)),
        )


class NodeError(VzError):
    """The node's own machinery failed: a full disk, an I/O error, a state file that is
    corrupt or of the wrong type. The command is rolled back and the node left as it
    was; the exit codes are listed in docs/failures.md."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(code, message, raw=True)

    @classmethod
    def from_os(cls, err: OSError, path: str) -> NodeError:
        """An OSError on ``path`` (a node path): ENOSPC/EDQUOT exit 46 as vzctl's
        ``VZ_FS_NO_DISK_SPACE``, anything else 3 (``VZ_SYSTEM_ERROR``)."""
        import errno

        code = FS_NO_DISK_SPACE if err.errno in (errno.ENOSPC, errno.EDQUOT) else SYSTEM_ERROR
        why = err.strerror or type(err).__name__
        return cls(code, f"Unable to write {path}: {why}" if path else f"Node error: {why}")

    @classmethod
    def corrupt(cls, path: str, why: str) -> NodeError:
        """A state file the node cannot use (exit 3, ``VZ_SYSTEM_ERROR``)."""
        return cls(SYSTEM_ERROR, f"Unable to read node state {path}: {why}")
