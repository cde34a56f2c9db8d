"""Migration between two simulated nodes, each with its own libvirt driver.

The shim shows one node per process, so the two ends cannot share a process the way
``virDomainMigrate3(dom, dconn, ...)`` would have them. With libvirtd on each node,
libvirt's remote driver runs each phase of the V3 protocol on its own node; this module
does the same: one process per node (started with that node's shim) runs its phases
through the driver entry points libvirt.so exports for the daemon
(``virDomainMigrateBegin3Params`` ... ``Confirm3Params``), and :func:`migrate3` calls them
in the order of ``libvirt-domain.c:virDomainMigrateVersion3Full`` (extensible parameters,
no change protection: the OpenVZ driver supports MIGRATION_PARAMS and V3 only).

Run as ``python -m simvz.harness.migration`` it is the per-node process: one JSON request
per line on stdin, one answer per line on stdout. :func:`migrate_between` is what the
simulated backend's ``migrate`` runs (:class:`simvz.backends.sim.SimBackend`).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import subprocess
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simvz.backends.base import Migrated
from simvz.harness import shim
from simvz.harness.libvirt_runner import DriverCrash, LibvirtError, default_build, exited
from simvz.host import Host

if TYPE_CHECKING:
    from simvz.harness.libvirt_build import LibvirtBuild

PARAM_URI, PARAM_DEST_XML, PARAM_DEST_NAME = "migrate_uri", "destination_xml", "destination_name"
MIGRATE_LIVE, MIGRATE_PAUSED = 1, 32
PAUSED = 3


class Node:
    """The libvirt driver of one simulated node, in its own process."""

    def __init__(self, host: Host, libvirt: LibvirtBuild | None = None) -> None:
        self.host = host
        base = libvirt.environ() if libvirt is not None else _libvirt_environ()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "simvz.harness.migration"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=shim.environ(host.root, base), text=True,
        )  # fmt: skip
        self.call("ready")

    def call(self, op: str, **args: Any) -> Any:
        """Run one phase (or query) on this node; a driver error raises LibvirtError."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            stderr = self._proc.stderr.read() if self._proc.stderr else ""
            raise DriverCrash(op, self._proc.wait(), stderr)
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise LibvirtError(**answer["error"])
        return answer["ok"]

    def close(self) -> None:
        """End the node's process."""
        for stream in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
            if stream is not None:
                stream.close()
        if not exited(self._proc, 30):
            self._proc.kill()
            self._proc.wait()


@dataclass
class Outcome:
    """What the migration returned: the domain on the destination, or the error."""

    domain: str | None
    error: LibvirtError | None


def migrate3(src: Node, dst: Node, name: str, uri: str, live: bool = False) -> Outcome:
    """``virDomainMigrate3(dom, dconn, {migrate_uri: uri}, flags)`` between two nodes."""
    flags = MIGRATE_LIVE if live else 0
    params: dict[str, str] = {PARAM_URI: uri}
    try:
        params[PARAM_DEST_XML] = src.call("begin", name=name, params=params, flags=flags)
    except LibvirtError as err:
        return Outcome(None, err)
    if src.call("state", name=name)[0] == PAUSED:
        flags |= MIGRATE_PAUSED
    try:
        uri_out = dst.call("prepare", params=params, flags=flags)
    except LibvirtError as err:
        return Outcome(None, err)
    if uri_out:
        params[PARAM_URI] = uri_out
    error: LibvirtError | None = None
    notify_source = True
    try:
        src.call("perform", name=name, params=params, flags=flags)
    except LibvirtError as err:
        error, notify_source = err, False  # a failed Perform is not confirmed to the source
    params.setdefault(PARAM_DEST_NAME, name)
    try:
        domain = dst.call("finish", params=params, flags=flags, cancelled=int(error is not None))
    except LibvirtError as err:
        domain, error = None, error or err
    if notify_source:
        # libvirt only warns when Confirm fails: the guest may be left paused on the source
        with contextlib.suppress(LibvirtError):
            src.call("confirm", name=name, params=params, flags=flags, cancelled=int(domain is None))
    return Outcome(domain, None if domain else error)


def migrate_between(
    src: Host, dst: Host, name: str, live: bool, libvirt: LibvirtBuild | None = None
) -> Migrated:
    """Migrate the domain ``name`` from ``src`` to ``dst``, registered under its host name
    (the URI ``ssh://<name>``, whose host vzmigrate gets as DEST): each node's driver in a
    process started for this migration, as libvirtd on each node would run it."""
    uri = f"ssh://{dst.settings.hostname}"
    nodes: list[Node] = []
    before = len(src.journal())
    try:
        nodes.append(Node(src, libvirt))
        nodes.append(Node(dst, libvirt))
        outcome = migrate3(nodes[0], nodes[1], name, uri, live=live)
    finally:
        for node in nodes:
            node.close()
    return Migrated(outcome.domain, outcome.error, src.journal()[before:])


# ---- the per-node process -------------------------------------------------------------


def _serve() -> None:
    import libvirt

    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
    conn = libvirt.open("openvz:///system")
    api = _Api(ctypes.CDLL("libvirt.so.0"), conn)
    for line in sys.stdin:
        req = json.loads(line)
        try:
            answer = {"ok": getattr(api, req.pop("op"))(**req)}
        except libvirt.libvirtError as err:
            answer = {
                "error": {
                    "code": err.get_error_code(),
                    "domain": err.get_error_domain(),
                    "message": err.get_error_message(),
                }
            }
        except _Failed as err:
            answer = {"error": err.args[0]}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


class _Failed(Exception):
    """A phase returned failure; carries libvirt's last error."""


class _Api:
    """The daemon-side migration entry points of libvirt.so, on one connection."""

    def __init__(self, lib: ctypes.CDLL, conn: Any) -> None:
        self.lib, self.conn = lib, conn
        vp, ip, cp = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
        out = ctypes.POINTER(ctypes.c_void_p)
        iout = ctypes.POINTER(ctypes.c_int)
        sigs: dict[str, tuple[Any, list[Any]]] = {
            "virDomainMigrateBegin3Params": (vp, [vp, vp, ip, out, iout, ctypes.c_uint]),
            "virDomainMigratePrepare3Params": (ip, [vp, vp, ip, cp, ip, out, iout, out, ctypes.c_uint]),
            "virDomainMigratePerform3Params": (ip, [vp, cp, vp, ip, cp, ip, out, iout, ctypes.c_uint]),
            "virDomainMigrateFinish3Params": (vp, [vp, vp, ip, cp, ip, out, iout, ctypes.c_uint, ip]),
            "virDomainMigrateConfirm3Params": (ip, [vp, vp, ip, cp, ip, ctypes.c_uint, ip]),
            "virTypedParamsAddString": (ip, [out, iout, iout, cp, cp]),
            "virTypedParamsFree": (None, [vp, ip]),
            "virGetLastErrorMessage": (cp, []),
            "virGetLastErrorCode": (ip, []),
            "virGetLastErrorDomain": (ip, []),
            "virDomainGetName": (cp, [vp]),
            "virDomainFree": (ip, [vp]),
        }
        for fn, (res, args) in sigs.items():
            getattr(lib, fn).restype, getattr(lib, fn).argtypes = res, args

    def _ptr(self, obj: Any, kind: bytes) -> int:
        get = ctypes.pythonapi.PyCapsule_GetPointer
        get.restype, get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
        return int(get(obj._o, kind))

    def _dom(self, name: str) -> int:
        self._held = self.conn.lookupByName(name)  # the pointer lives as long as its object
        return self._ptr(self._held, b"virDomainPtr")

    def _params(self, params: dict[str, str]) -> tuple[ctypes.c_void_p, ctypes.c_int]:
        arr, n, size = ctypes.c_void_p(), ctypes.c_int(0), ctypes.c_int(0)
        for key, value in params.items():
            self.lib.virTypedParamsAddString(
                ctypes.byref(arr), ctypes.byref(n), ctypes.byref(size), key.encode(), value.encode()
            )
        return arr, n

    def _fail(self) -> _Failed:
        msg = self.lib.virGetLastErrorMessage()
        code, domain = self.lib.virGetLastErrorCode(), self.lib.virGetLastErrorDomain()
        return _Failed({"code": code, "domain": domain, "message": (msg or b"").decode("utf-8", "replace")})

    def ready(self) -> str:
        return "ready"

    def state(self, name: str) -> list[int]:
        return list(self.conn.lookupByName(name).state(0))

    def domains(self) -> list[str]:
        return sorted(d.name() for d in self.conn.listAllDomains(0))

    def define(self, xml: str, start: bool) -> str:
        dom = self.conn.defineXML(xml)
        if start:
            dom.create()
        return str(dom.name())

    def begin(self, name: str, params: dict[str, str], flags: int) -> str:
        arr, n = self._params(params)
        cookie, cookielen = ctypes.c_void_p(), ctypes.c_int()
        xml = self.lib.virDomainMigrateBegin3Params(
            self._dom(name), arr, n, ctypes.byref(cookie), ctypes.byref(cookielen), flags
        )
        if not xml:
            raise self._fail()
        return ctypes.string_at(xml).decode()

    def prepare(self, params: dict[str, str], flags: int) -> str | None:
        arr, n = self._params(params)
        cookie, cookielen, uri = ctypes.c_void_p(), ctypes.c_int(), ctypes.c_void_p()
        conn = self._ptr(self.conn, b"virConnectPtr")
        rc = self.lib.virDomainMigratePrepare3Params(
            conn, arr, n, None, 0, ctypes.byref(cookie), ctypes.byref(cookielen), ctypes.byref(uri), flags
        )
        if rc < 0:
            raise self._fail()
        return ctypes.string_at(uri.value).decode() if uri.value else None

    def perform(self, name: str, params: dict[str, str], flags: int) -> int:
        arr, n = self._params(params)
        cookie, cookielen = ctypes.c_void_p(), ctypes.c_int()
        rc: int = self.lib.virDomainMigratePerform3Params(
            self._dom(name), None, arr, n, None, 0, ctypes.byref(cookie), ctypes.byref(cookielen), flags
        )
        if rc < 0:
            raise self._fail()
        return rc

    def finish(self, params: dict[str, str], flags: int, cancelled: int) -> str | None:
        arr, n = self._params(params)
        cookie, cookielen = ctypes.c_void_p(), ctypes.c_int()
        conn = self._ptr(self.conn, b"virConnectPtr")
        dom = self.lib.virDomainMigrateFinish3Params(
            conn, arr, n, None, 0, ctypes.byref(cookie), ctypes.byref(cookielen), flags, cancelled
        )
        if not dom:
            if cancelled:
                return None
            raise self._fail()
        name = str(self.lib.virDomainGetName(dom).decode())
        self.lib.virDomainFree(dom)
        return name

    def confirm(self, name: str, params: dict[str, str], flags: int, cancelled: int) -> int:
        arr, n = self._params(params)
        rc: int = self.lib.virDomainMigrateConfirm3Params(self._dom(name), arr, n, None, 0, flags, cancelled)
        if rc < 0:
            raise self._fail()
        return rc


def _libvirt_environ() -> dict[str, str] | None:
    """The run's --libvirt-build (its library first), as every Session has it; None: the
    system's libvirt."""
    build = default_build()
    return build.environ() if build is not None else None


if __name__ == "__main__":
    _serve()
