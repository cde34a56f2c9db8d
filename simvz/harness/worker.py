"""The child process that holds a libvirt connection: it is started with the preload
shim in its environment (LD_PRELOAD must be set when a process starts), so libvirt.so's
OpenVZ driver sees the simulated node as this machine's OpenVZ host.

Protocol: the first line out is ``{"ok": "ready", "library", "version"}`` (the
libvirt.so actually mapped, from /proc/self/maps) or an open error; then one JSON
object per line on stdin, one answer per line on stdout.
Request ``{"target": "conn" | "dom:<name>", "method": str, "args": [...]}``;
answer ``{"ok": value}`` or ``{"error": {"code", "domain", "message"}}``. Domains in
answers are ``{"__domain__": name}``; bytes are ``{"__bytes__": latin-1 text}``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

# Only the standard library's lightest modules besides libvirt: a scenario starts this
# process for each connection, and its imports are most of that start's CPU time.


def _encode(value: Any) -> Any:
    import libvirt

    if isinstance(value, libvirt.virDomain):
        return {"__domain__": value.name()}
    if isinstance(value, bytes):
        return {"__bytes__": value.decode("latin-1")}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def mapped_libvirt() -> tuple[str, str]:
    """The ``libvirt.so`` this process has mapped (``/proc/self/maps``, after ``import
    libvirt``) and the version it reports."""
    import libvirt

    with open("/proc/self/maps", encoding="utf-8") as maps:
        paths = [fields[-1] for fields in map(str.split, maps) if len(fields) >= 6]
    library = next((p for p in paths if p.rpartition("/")[2].startswith("libvirt.so")), "?")
    v = libvirt.getVersion()
    return library, f"{v // 1000000}.{v // 1000 % 1000}.{v % 1000}"


def serve(uri: str) -> None:
    """Open ``uri`` and answer requests until stdin closes."""
    import libvirt

    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)  # errors come as exceptions
    out = sys.stdout
    try:
        conn = libvirt.open(uri)
    except libvirt.libvirtError as err:
        out.write(json.dumps({"error": _error(err)}) + "\n")
        out.flush()
        return
    library, version = mapped_libvirt()
    out.write(json.dumps({"ok": "ready", "library": library, "version": version}) + "\n")
    out.flush()
    for line in sys.stdin:
        out.write(json.dumps(_answer(conn, json.loads(line))) + "\n")
        out.flush()


def _answer(conn: Any, req: dict[str, Any]) -> dict[str, Any]:
    import libvirt

    libvirt_error = libvirt.libvirtError
    target = req["target"]
    if target == "worker" and req["method"] == "segfault":
        # the harness's own test of crash reporting: a real SIGSEGV, as a driver bug gives
        import ctypes

        ctypes.string_at(0)
    try:
        obj = conn if target == "conn" else conn.lookupByName(target.split(":", 1)[1])
        return {"ok": _encode(getattr(obj, req["method"])(*req.get("args", [])))}
    except libvirt_error as err:
        return {"error": _error(err)}
    except Exception as err:  # any failure of the binding is the answer to the call
        # e.g. SystemError when libvirt's error message is not UTF-8 (it can carry argv):
        # libvirt's own error, read as bytes, is still the answer when there is one
        raw = _raw_last_error()
        return {"error": raw or {"code": -1, "domain": -1, "message": f"{type(err).__name__}: {err}"}}


def _raw_last_error() -> dict[str, Any] | None:
    """libvirt's last error of this thread (``virGetLastError``), its message decoded
    with ``\\xNN`` for bytes that are not UTF-8; None when there is none."""
    import ctypes

    class VirError(ctypes.Structure):
        # the leading fields of virError (include/libvirt/virterror.h)
        _fields_ = [("code", ctypes.c_int), ("domain", ctypes.c_int), ("message", ctypes.c_char_p)]

    try:
        lib = ctypes.CDLL("libvirt.so.0")  # the library already mapped: same handle
    except OSError:
        return None
    lib.virGetLastError.restype = ctypes.POINTER(VirError)
    last = lib.virGetLastError()
    if not last or not last.contents.code:
        return None
    message = (last.contents.message or b"").decode("utf-8", "backslashreplace")
    return {"code": last.contents.code, "domain": last.contents.domain, "message": message}


def _error(err: Any) -> dict[str, Any]:
    return {
        "code": err.get_error_code(),
        "domain": err.get_error_domain(),
        "message": err.get_error_message(),
    }


def probe() -> None:
    """``--probe``: print the libvirt.so this process loads and its version, as JSON."""
    library, version = mapped_libvirt()
    sys.stdout.write(json.dumps({"library": library, "version": version}) + "\n")


if __name__ == "__main__":
    if sys.argv[1:] == ["--probe"]:
        probe()
    else:
        serve(sys.argv[1] if len(sys.argv) > 1 else "openvz:///system")
