"""The real-host safety guard, after libvirt-tck's ``tck`` prefix, adapted to numeric
container IDs: scenarios use only a reserved range of CT IDs.

- Before the run (:meth:`Guard.preflight`): the host must be an OpenVZ host
  (``/proc/vz``, as vzctl decides it, ``KV:src/lib/env.c:vz_open``) and the run must be
  root's (vzctl refuses others); no container may exist in the range, unless the
  operator asked to clean it (then only those are destroyed); and no container outside
  the range may lack a ``#UUID:`` line, because libvirt's driver appends one to every
  ``/etc/vz/conf/<N>.conf`` that lacks it when it connects (libvirt 9.0.0
  ``src/openvz/openvz_conf.c:openvzAssignUUIDs``), unless the operator accepts that.
- During the run (:meth:`Guard.check`): a command the harness runs on the host that
  names a container outside the range and could change it is refused.
- After every scenario (:meth:`Guard.cleanup`): every container of the range is
  stopped and destroyed, private areas and dumps of the range removed, and the host's
  network compared with its state before the scenario (bridge ports, NICs, routes):
  what a scenario changed must be gone, or the cleanup fails loudly.
- :meth:`Guard.plan` says all of that without doing any of it (dry run).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simvz.backends.base import HostBackend
from simvz.backends.local import parse_config
from simvz.harness.touch import Unreadable, read_vzctl, read_vzmigrate
from simvz.model.params import subst_veid

DEFAULT_RANGE = "990000-990999"
GLOBAL_CONF = "/etc/vz/vz.conf"
# The areas a container's config names and vzctl creates, mounts and deletes:
# destroy removes VE_PRIVATE (KV:src/lib/env.c:vps_destroy_dir), start mounts it on
# VE_ROOT (KV:src/lib/fs_simfs.c).
AREA_KEYS = ("VE_PRIVATE", "VE_ROOT")


class GuardError(Exception):
    """The run must not start (or a command must not run): one clear message."""


@dataclass(frozen=True)
class CtidRange:
    """The reserved CT IDs, ``first``..``last`` inclusive."""

    first: int
    last: int

    @classmethod
    def parse(cls, text: str) -> CtidRange:
        """``990000-990999``; IDs up to 100 are vzctl's reserved ones, never allowed."""
        m = re.fullmatch(r"\s*([0-9]+)\s*-\s*([0-9]+)\s*", text, re.ASCII)
        if not m:
            raise GuardError(f"bad CT ID range {text!r}: expected FIRST-LAST, e.g. {DEFAULT_RANGE}")
        first, last = int(m.group(1)), int(m.group(2))
        if not 100 < first <= last <= 2**31 - 1:
            raise GuardError(f"bad CT ID range {text!r}: need 100 < FIRST <= LAST < 2^31")
        return cls(first, last)

    def __contains__(self, ctid: object) -> bool:
        return isinstance(ctid, int) and self.first <= ctid <= self.last

    @property
    def size(self) -> int:
        """How many IDs."""
        return self.last - self.first + 1

    def host_id(self, scenario_id: int) -> int:
        """The host's CT ID for a scenario's (``209`` -> ``990209``)."""
        if not 0 <= scenario_id < self.size:
            raise GuardError(f"scenario container {scenario_id} does not fit the reserved range {self}")
        return self.first + scenario_id

    def __str__(self) -> str:
        return f"{self.first}-{self.last}"


@dataclass
class Survey:
    """What the host holds, seen against the range."""

    in_range: list[int] = field(default_factory=list)
    outside: list[int] = field(default_factory=list)
    untagged: list[int] = field(default_factory=list)  # outside, config without #UUID:
    leftovers: list[str] = field(default_factory=list)  # range paths without a container


@dataclass
class Guard:
    """The guard of one host backend."""

    host: HostBackend
    ids: CtidRange
    real: bool = True  # a real host: preflight checks root and /proc/vz

    # -- before the run ------------------------------------------------------------------
    def survey(self) -> Survey:
        """Containers (by config file, as the driver finds them) in and out of the range."""
        s = Survey()
        for name in self.host.list_dir("/etc/vz/conf"):
            ctid = _canonical_id(name.removesuffix(".conf")) if name.endswith(".conf") else None
            if not ctid:
                continue
            if ctid in self.ids:
                s.in_range.append(ctid)
            else:
                s.outside.append(ctid)
                if not re.search(r"^#UUID: ", self.host.read(f"/etc/vz/conf/{name}") or "", re.M):
                    s.untagged.append(ctid)
        for area in ("/vz/private", "/vz/root"):
            s.leftovers += [
                f"{area}/{n}" for n in self.host.list_dir(area)
                if _canonical_id(n) in self.ids and _canonical_id(n) not in s.in_range
            ]  # fmt: skip
        return s

    def preflight(
        self, force_clean: bool = False, accept_uuid_tags: bool = False, euid: int | None = None
    ) -> list[str]:
        """Refuse (GuardError) or make the host ready; returns what was done."""
        self._check_host(os.geteuid() if euid is None else euid)
        s = self.survey()
        self._check_survey(s, force_clean, accept_uuid_tags)
        return self.cleanup_all() if force_clean or s.leftovers else []

    def _check_survey(self, s: Survey, force_clean: bool, accept_uuid_tags: bool) -> None:
        if s.in_range and not force_clean:
            raise GuardError(
                f"containers {_ids(s.in_range)} exist in the reserved range {self.ids}: "
                "the run would use their IDs. Destroy them, choose another range "
                "(--vz-ctid-range), or pass --vz-force-clean to destroy exactly those"
            )
        if s.untagged and not accept_uuid_tags:
            raise GuardError(
                f"containers {_ids(s.untagged)} (outside the reserved range) have no #UUID line: "
                "libvirt's OpenVZ driver appends one to every such config when it connects "
                "(openvz_conf.c:openvzAssignUUIDs). Pass --vz-accept-uuid-tags to let it, "
                "or run `virsh -c openvz:///system list` once yourself first"
            )

    def _check_host(self, euid: int) -> None:
        if not self.real:
            return
        if not os.path.exists("/proc/vz"):
            raise GuardError(
                "this machine is not an OpenVZ host: /proc/vz does not exist "
                "(it needs an OpenVZ kernel; without one, run the simulated host, the default)"
            )
        if euid != 0:
            raise GuardError("the real-host run needs root: vzctl refuses any other user")
        missing = [t for t in ("/usr/sbin/vzctl", "/usr/sbin/vzlist") if not os.access(t, os.X_OK)]
        if missing:
            raise GuardError(f"{' and '.join(missing)} not found: install vzctl 4.x")

    def plan(
        self, needs: dict[str, set[str]], scenario_ids: set[int], force_clean: bool,
        accept_uuid_tags: bool = False,
    ) -> tuple[list[str], bool]:
        """What a run would touch, and whether the guard would refuse it (nothing is
        changed): the lines to show, and True when the run would be refused."""
        lines = [f"host: {self.host.describe()}", f"reserved CT IDs: {self.ids}"]
        try:
            self._check_host(os.geteuid())
        except GuardError as err:
            return [*lines, f"refused: {err}"], True  # nothing else of this machine matters
        s = self.survey()
        ids = sorted(self.ids.host_id(i) for i in scenario_ids)
        lines.append(f"containers the scenarios create and destroy: {_ids(ids) or 'none'}")
        if s.in_range:
            verb = "would be destroyed first (--vz-force-clean)" if force_clean else "block the run"
            lines.append(f"containers already in the range ({verb}): {_ids(s.in_range)}")
        lines += [f"leftover to remove: {p}" for p in s.leftovers]
        lines.append(f"containers outside the range (never touched by simvz): {_ids(s.outside) or 'none'}")
        if s.untagged:
            lines.append(
                f"  of which libvirt's driver would tag with a #UUID line on connect: {_ids(s.untagged)}"
            )
        lines += self._needs_lines(needs)
        try:
            self._check_survey(s, force_clean, accept_uuid_tags)
        except GuardError as err:
            return [*lines, f"refused: {err}"], True
        return lines, False

    def _needs_lines(self, needs: dict[str, set[str]]) -> list[str]:
        from simvz.backends.base import Unavailable

        check = {
            "template": self.host.ensure_template,
            "bridge": self._has_bridge,
            "nic": self.host.ensure_spare_nic,
        }
        lines = []
        for kind in sorted(needs):
            for name in sorted(needs[kind]):
                try:
                    check[kind](name)
                    lines.append(f"needs {kind} {name}: present")
                except Unavailable as why:
                    lines.append(f"needs {kind} {name}: missing ({why}): its scenarios are skipped")
        return lines

    def _has_bridge(self, name: str) -> None:
        from simvz.backends.base import Unavailable

        if name not in {b["name"] for b in self.host.inspect()["network"]["bridges"]}:
            raise Unavailable(f"the host has no bridge {name!r}")

    # -- during the run ------------------------------------------------------------------
    def check(self, argv: list[str]) -> None:
        """Refuse a command that could touch a container, or an area, outside the range:
        by ID, by name, through a private/root area or dump file it names, or through
        the areas its container's config already names. What cannot be read is refused."""
        tool = argv[0].rsplit("/", 1)[-1] if argv else ""
        checker = _CHECKS.get(tool)
        if checker is None:
            raise GuardError(f"refused: {' '.join(argv)}: the guard knows no tool {tool!r}")
        try:
            checker(self, argv)
        except Unreadable as why:
            raise GuardError(f"refused: {' '.join(argv)}: the guard cannot read it ({why})") from None

    def _check_vzctl(self, argv: list[str]) -> None:
        call = read_vzctl(argv[1:])
        if call.read_only:
            return
        assert call.target is not None
        ctid = call.target if isinstance(call.target, int) else self._ctid_of_name(call.target)
        if ctid not in self.ids:
            raise GuardError(
                f"refused: {' '.join(argv)} would touch container {call.target}, "
                f"outside the reserved range {self.ids}"
            )
        assert ctid is not None
        for key, value in call.paths.items():
            self.confine(ctid, key, value, f"{' '.join(argv)} sets")
        for sample in call.samples:
            conf = parse_config(self.host.read(f"/etc/vz/conf/ve-{sample}.conf-sample") or "")
            for key in AREA_KEYS:
                if key in conf:
                    self.confine(ctid, key, conf[key], f"config sample {sample!r} sets")
        if call.dumpfile is not None:
            self._confine_dump(ctid, call.dumpfile)
        self.check_areas(ctid)

    def _check_vzmigrate(self, argv: list[str]) -> None:
        call = read_vzmigrate(argv[1:])
        if call.ctid is None:
            return
        if call.ctid not in self.ids:
            raise GuardError(
                f"refused: {' '.join(argv)} names no container of the reserved range {self.ids} "
                f"(it would migrate {call.ctid})"
            )
        self.check_areas(call.ctid)

    def _ctid_of_name(self, name: str) -> int | None:
        # vzlist resolves a name as vzctl does (get_veid_by_name: the link in
        # /etc/vz/names); ``--`` so that a name like ``-S`` is no option of vzlist's
        r = self.host.run(["vzlist", "-a", "-H", "-o", "ctid", "--", name])
        out = r.stdout.split()
        return int(out[0]) if r.ok and len(out) == 1 and re.fullmatch(r"[0-9]+", out[0]) else None

    # -- areas ---------------------------------------------------------------------------
    def own_area(self, ctid: int, key: str) -> str:
        """Where ``key`` (VE_PRIVATE, VE_ROOT) of a container of the range must resolve:
        vz.conf's value for it (``/vz/private/$VEID``), its directory's symlinks resolved."""
        template = parse_config(self.host.read(GLOBAL_CONF) or "").get(key, "")
        if "$VEID" not in template and "${VEID}" not in template:
            raise GuardError(
                f"refused: {GLOBAL_CONF} has {key}={template!r}, without $VEID: "
                "the guard cannot tell one container's area from another's"
            )
        parent, _, name = subst_veid(template, ctid).rpartition("/")
        # the parent resolved (``/vz`` may be a link to ``/var/lib/vz``), the area itself
        # not: a link there leads elsewhere, and is refused
        return f"{self._resolve(parent or '/').rstrip('/')}/{name}"

    def check_areas(self, ctid: int) -> None:
        """The areas container ``ctid``'s config names (its own VE_PRIVATE/VE_ROOT, else
        vz.conf's) are its own and no container outside the range uses them."""
        conf = {**parse_config(self.host.read(GLOBAL_CONF) or ""), **self._config(ctid)}
        for key in AREA_KEYS:
            self.confine(ctid, key, conf.get(key, ""), f"the config of container {ctid} has")

    def confine(self, ctid: int, key: str, value: str, what: str) -> None:
        """``value`` (a path for ``key`` of container ``ctid``) resolves to its own area,
        which no container outside the range uses; else GuardError."""
        got = self._resolve(subst_veid(value, ctid)) if value else ""
        want = self.own_area(ctid, key)
        if got != want:
            raise GuardError(
                f"refused: {what} {key}={value} (resolved: {got or 'nothing'}), not the area "
                f"{want} of container {ctid}: it could touch what is outside the reserved range"
            )
        for other, areas in self._outside_areas().items():
            if any(_overlap(got, a) for a in areas):
                raise GuardError(
                    f"refused: {key} {got} of container {ctid} overlaps an area of container "
                    f"{other}, outside the reserved range"
                )

    def _confine_dump(self, ctid: int, path: str) -> None:
        dumpdir = self._resolve(parse_config(self.host.read(GLOBAL_CONF) or "").get("DUMPDIR", "/vz/dump"))
        got = self._resolve(path)
        parent, _, name = got.rpartition("/")
        m = re.fullmatch(r"Dump\.([0-9]+)", name)
        if parent != dumpdir or (m is not None and int(m.group(1)) != ctid):
            raise GuardError(
                f"refused: --dumpfile {path} (resolved: {got}) is no dump file of container {ctid} "
                f"in {dumpdir}"
            )

    def _outside_areas(self) -> dict[int, list[str]]:
        defaults = parse_config(self.host.read(GLOBAL_CONF) or "")
        out: dict[int, list[str]] = {}
        for ctid in self.survey().outside:
            conf = {**defaults, **self._config(ctid)}
            out[ctid] = [self._resolve(subst_veid(conf[k], ctid)) for k in AREA_KEYS if conf.get(k)]
        return out

    def _config(self, ctid: int) -> dict[str, str]:
        return parse_config(self.host.read(f"/etc/vz/conf/{ctid}.conf") or "")

    def _resolve(self, path: str) -> str:
        if not path.startswith("/"):
            raise GuardError(f"refused: {path!r} is not an absolute path")
        try:
            return self.host.resolve(path)
        except OSError as err:
            raise GuardError(f"refused: {path} cannot be resolved ({err.strerror or err})") from None

    # -- after every scenario ---------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The host network as its tools show it (compared after the cleanup)."""
        net = self.host.inspect()["network"]
        return {
            "ports": {b["name"]: sorted(b["ports"]) for b in net["bridges"]},
            "nics": sorted(n["name"] for n in net["nics"] if n["owner"] is None),
            "routes": sorted(net["routes"]),
        }

    def cleanup(self, before: dict[str, Any] | None) -> list[str]:
        """Destroy everything of the range; GuardError when the host is not as it was."""
        done = self.cleanup_all()
        if before is not None:
            diff = changes(before, self.snapshot())
            if diff:
                raise GuardError("the host's network is not as before the scenario: " + "; ".join(diff))
        return done

    def cleanup_all(self) -> list[str]:
        """Stop and destroy every container of the range, remove the range's leftovers.

        A container whose areas are not its own (its config points at another
        container's private area, through ``.``/``..`` or a symlink) is not touched at
        all, nor is a leftover that resolves elsewhere: the cleanup fails loudly instead.
        """
        done: list[str] = []
        errors: list[str] = []
        for ctid in self.survey().in_range:
            try:
                steps = self._teardown(ctid)
            except GuardError as err:
                errors.append(f"container {ctid} left alone: {err}")
                continue
            for argv in steps:
                r = self.host.run(argv)
                done.append(" ".join(argv))
                if not r.ok and argv[1] == "destroy":
                    errors.append(f"{' '.join(argv)}: exit {r.exit}: {r.stderr.strip()}")
        dumps = [
            f"/vz/dump/{n}" for n in self.host.list_dir("/vz/dump")
            if re.fullmatch(r"Dump\.([0-9]+)", n) and int(n[5:]) in self.ids
        ]  # fmt: skip
        for path in [*self.survey().leftovers, *dumps]:
            why = self._leftover_problem(path)
            if why:
                errors.append(why)
                continue
            self.host.remove_tree(path)
            done.append(f"rm -rf {path}")
        if errors:
            raise GuardError("cleanup of the reserved range failed: " + "; ".join(errors))
        return done

    def _leftover_problem(self, path: str) -> str | None:
        """Why the leftover ``path`` must not be removed: it is (or passes through) a
        symlink leading elsewhere, or a container outside the range uses it."""
        parent, _, name = path.rpartition("/")
        got = self._resolve(path)
        if got != f"{self._resolve(parent)}/{name}":
            return f"{path} left alone: it resolves to {got}, outside the reserved range's areas"
        for other, areas in self._outside_areas().items():
            if any(_overlap(got, a) for a in areas):
                return f"{path} left alone: container {other}, outside the reserved range, uses it"
        return None

    def _teardown(self, ctid: int) -> list[list[str]]:
        self.check(["vzctl", "destroy", str(ctid)])  # belt and braces: never outside
        words = self.host.run(["vzctl", "status", str(ctid)]).stdout.split()
        steps = []
        if "running" in words:
            # libvirt's virDomainSuspend freezes the CT (``vzctl chkpnt --suspend``) and
            # ``vzctl status`` cannot tell a frozen CT from a running one; a frozen CT's
            # tasks take no SIGKILL until thawed, so thaw first (refused, harmlessly,
            # when it is not frozen).
            steps.append(["vzctl", "chkpnt", str(ctid), "--resume"])
            steps.append(["vzctl", "stop", str(ctid), "--fast"])
        elif "mounted" in words:
            steps.append(["vzctl", "umount", str(ctid)])
        steps.append(["vzctl", "destroy", str(ctid)])
        return steps


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What differs in the host network: ports of the bridges there before (a simulated
    host may have gained a bridge a scenario arranged), host NICs, routes."""
    diff = []
    for bridge, ports in before["ports"].items():
        if after["ports"].get(bridge) != ports:
            diff.append(f"ports of {bridge}: before {ports}, after {after['ports'].get(bridge)}")
    for key in ("nics", "routes"):
        gone = sorted(set(before[key]) - set(after[key]))
        new = sorted(set(after[key]) - set(before[key]))
        if gone or new:
            diff.append(f"{key}: gone {gone}, new {new}")
    return diff


def _canonical_id(text: str) -> int | None:
    """A CT ID as vzctl writes it in file names (``990005``; not ``0990005``, nor other
    scripts' digits, which Python's ``int`` would take)."""
    return int(text) if re.fullmatch(r"0|[1-9][0-9]{0,9}", text) else None


def _overlap(a: str, b: str) -> bool:
    """One path is the other or inside it."""
    return a == b or a.startswith(b.rstrip("/") + "/") or b.startswith(a.rstrip("/") + "/")


_CHECKS: dict[str, Callable[[Guard, list[str]], None]] = {
    "vzctl": Guard._check_vzctl,
    "vzmigrate": Guard._check_vzmigrate,
    # vzlist only looks; ip and brctl change the host's network, which the cleanup
    # compares with its state before the scenario (Guard.cleanup)
    "vzlist": lambda _g, _a: None,
    "ip": lambda _g, _a: None,
    "brctl": lambda _g, _a: None,
}


def _ids(ids: list[int]) -> str:
    return ", ".join(map(str, ids))
