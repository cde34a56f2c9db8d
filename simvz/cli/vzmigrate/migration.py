"""One vzmigrate run after its option loop, step by step in ``KV:bin/vzmigrate.in``'s
order, with its undo chain; the destination node reached "over ssh" (:class:`Peer`)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simvz.cli.vzmigrate.args import (
    APPLY_CONFIG,
    CANT_CONNECT,
    CANT_READ_REMOTE_CONFIG,
    COPY,
    EXISTS,
    IP_IN_USE,
    LOCKED,
    NOEXIST,
    OVZ_NOT_RUNNING,
    QUOTA,
    START_VPS,
    STOP_SOURCE,
    UNSUP_PLOOP,
    USAGE,
    VPS_IS_STOPPED,
    Exit,
    Options,
)
from simvz.cli.vzmigrate.shell import dot_source, grep_cw, ip_pattern, mirror, ps_f
from simvz.model import migration
from simvz.results import Console, Result

if TYPE_CHECKING:
    from pathlib import Path

    from simvz.host import Host
    from simvz.storage import Storage

CONFDIR, VZCONF, TMPDIR = "/etc/vz/conf", "/etc/vz/vz.conf", "/var/tmp"
ACT_SCRIPTS_SFX = ("start", "stop", "mount", "umount", "premount", "postumount")
# Lines of KV:bin/vzmigrate.in (unchanged by pathsubst) that bash names in its errors.
LOCK_LINE, VPSCONF_LINE = 202, 756
# What `vzcptcheck caps` prints on a simulated node: every node has the same CPU.
CPT_CAPS = "1073970623"


# -- the destination, reached "over ssh" ------------------------------------------------


class Peer:
    """The destination node: its tools run in-process and journal there; its files are
    touched under its host lock. A DEST naming the source itself reuses the lock this
    run holds (a second flock on it would never be granted)."""

    def __init__(self, source: Host, root: Path) -> None:
        from simvz.host import Host

        self.source = source
        self.same = root.resolve() == source.root.resolve()
        self.host = source if self.same else Host(root)

    def vzctl(self, argv: list[str]) -> Result:
        """``ssh root@DEST vzctl ...``."""
        if not self.same:
            return self.host.run("vzctl", argv)
        return run_local(self.source, "vzctl", argv)

    @contextmanager
    def node(self, commit: bool = False) -> Iterator[Host]:
        """The destination under its lock (files; kernel state with ``commit``)."""
        if self.same:
            yield self.source
            return
        with self.host.locked() as h:
            yield h
            if commit:
                h.commit()

    @contextmanager
    def files(self) -> Iterator[Storage]:
        """The destination's files, under its lock."""
        with self.node() as h:
            yield h.fs


def run_local(host: Host, tool: str, argv: list[str]) -> Result:
    """A tool of the source node, run under the lock this run already holds; journaled.
    A refusal leaves the kernel state as it was, as ``Host.run`` does by not committing."""
    from simvz.cli import vzctl, vzlist

    started, before = time.time(), migration.kernel_state(host)
    fn = vzctl.main if tool == "vzctl" else vzlist.main
    result = fn(host, argv, b"")
    if result.refused:
        migration.restore_kernel(host, before)
    host.journal_append(tool, argv, result, started)
    return result


# -- the migration ---------------------------------------------------------------------


@dataclass
class Status:
    """``get_status``: the words of ``vzctl --quiet status``."""

    exist: str = ""
    mounted: str = ""
    state: str = ""
    suspended: str = ""


class Migration:
    """One run of the script after its option loop, in the script's order."""

    def __init__(self, host: Host, con: Console, opts: Options, argv0: str) -> None:
        self.host, self.con, self.o = host, con, opts
        # bash names the script as the kernel ran it: the path found on PATH
        self.script = argv0 if "/" in argv0 else "/usr/sbin/vzmigrate"
        self.veid = opts.veid
        self.env: dict[str, str] = {}
        self.st = Status()
        self.peer: Peer | None = None
        self.remote: dict[str, str] = {}
        self.act_scripts: list[str] = []
        self.dump_file = ""
        self.cpu_caps = ""
        verbose = ["--verbose"] * min(max(opts.verbose - 1, 0), 3)
        self.vzctl = ["vzctl", *verbose]
        self.vzctl_l = [*self.vzctl, "--skiplock"]

    # -- output --------------------------------------------------------------------
    def log(self, level: int, text: str) -> None:
        """``log``: 0 ``Error:`` on stderr, 1 stdout, 2 indented and only with ``-v``."""
        if level == 0:
            self.con.write(2, f"Error: {text}\n")
        elif level == 1:
            self.con.write(1, text + "\n")
        elif self.o.verbose > 0:
            self.con.write(1, f"   {text}\n")

    def show(self, r: Result, level: int = 1) -> bool:
        """``logexec``: a command's output shown at level 1 or with ``-v``; True on success."""
        if level == 1 or self.o.verbose > 0:
            self.con.write(1, r.out)
            self.con.write(2, r.err)
        return r.exit == 0

    def fail(self, code: int, *lines: str, undo: str = "") -> Exit:
        """Error lines, then ``undo_<undo>`` and its chain; returns the exit to raise."""
        for line in lines:
            self.log(0, line)
        self.undo(undo)
        return Exit(code)

    # -- local and remote commands -----------------------------------------------------
    def local(self, *args: str) -> Result:
        """``$VZCTL_L ...`` on the source."""
        return run_local(self.host, "vzctl", [*self.vzctl_l, *args])

    def remote_vzctl(self, *args: str) -> Result:
        """``$SSH root@$host $VZCTL ...``."""
        assert self.peer is not None
        return self.peer.vzctl([*self.vzctl, *args])

    @property
    def dest(self) -> Peer:
        """The destination, known once ssh has connected."""
        assert self.peer is not None
        return self.peer

    # -- the run ---------------------------------------------------------------------------
    def run(self) -> None:
        """The whole script after option parsing."""
        self.resolve_name()
        self.load_vzconf()
        self.lock()
        self.check_source()
        what = "live migration" if self.o.online else "migration"
        self.log(
            1, f"{'Checking' if self.o.check_only else 'Starting'} {what} of CT {self.veid} to {self.o.dest}"
        )
        self.connect()
        self.check_destination()
        if self.o.check_only:
            self.undo_lock()
            raise Exit(0)
        self.con.keep_state = True  # from here on both nodes change
        self.prepare()
        self.sync()
        self.transfer()
        self.finish()

    def resolve_name(self) -> None:
        """``vzlist -o ctid -H NAME`` for a CT name; its own error on stderr, exit 10."""
        words = self.veid.split()
        if len(words) == 1 and words[0].isascii() and words[0].isdigit():
            return
        r = run_local(self.host, "vzlist", ["vzlist", "-o", "ctid", "-H", *words])
        self.con.write(2, r.err)
        found = r.out.replace(" ", "").rstrip("\n")
        if not found.isascii() or not found.isdigit():
            raise Exit(NOEXIST)
        self.veid = found

    def load_vzconf(self) -> None:
        """``. $vzconf`` (with VEID set: ``$VEID`` in vz.conf expands)."""
        text = self.host.fs.read(VZCONF)
        if text is None:
            raise self.fail(NOEXIST, f"Can't read global config file {VZCONF}")
        self.log(2, f"Loading {VZCONF}")
        self.env["VEID"] = self.veid
        dot_source(text, self.env)

    @property
    def lockfile(self) -> str:
        """``$LOCKDIR/$VEID.lck``: the file vzctl locks a CT with, too."""
        return f"{self.env.get('LOCKDIR', '')}/{self.veid}.lck"

    def lock(self) -> None:
        """``lock_ct``: ``echo $$ > $f`` under noclobber; an existing file, even one left by
        a dead process, means locked (the script never checks the PID, unlike vzctl)."""
        f, fs = self.lockfile, self.host.fs
        if fs.exists(f):
            self.con.write(2, f"{self.script}: line {LOCK_LINE}: {f}: cannot overwrite existing file\n")
            pid = (fs.read(f) or "").strip()
            self.log(0, f"CT {self.veid} already locked by PID {pid}")
            if pid:
                self.con.write(1, ps_f(pid))
            raise Exit(LOCKED)
        if not fs.isdir(f.rsplit("/", 1)[0] or "/"):
            self.con.write(2, f"{self.script}: line {LOCK_LINE}: {f}: No such file or directory\n")
            raise self.fail(USAGE, f"Can't lock CT {self.veid}")
        fs.write(f, f"{os.getpid()}\n")
        self.log(1, f"Locked CT {self.veid}")

    def undo_lock(self) -> None:
        """``undo_lock``: remove the lock file if it is still ours."""
        f = self.lockfile
        pid = (self.host.fs.read(f) or "").strip()
        if pid and pid != str(os.getpid()):
            self.log(0, f"unexpected PID {pid} in {f} (expecting {os.getpid()})")
        else:
            self.host.fs.remove(f)

    def check_source(self) -> None:
        """``get_status`` of the source CT: missing (10); live needs it running (2)."""
        r = self.local("--quiet", "status", self.veid)
        self.con.write(2, r.err)
        words = [*r.out.split()[2:6], "", "", "", ""]
        self.st = Status(*words[:4])
        if self.st.exist == "deleted":
            raise self.fail(NOEXIST, f"CT #{self.veid} doesn't exist", undo="lock")
        if self.o.online and self.st.state != "running":
            raise self.fail(
                VPS_IS_STOPPED, "Can't perform live migration of a stopped container", undo="lock"
            )

    def connect(self) -> None:
        """``ssh root@$host /bin/true``, then ``/etc/init.d/vz status`` there; for live
        migration the cpt and rst modules (present wherever /proc/vz is)."""
        from simvz import registry

        root = registry.resolve(self.host.root, self.o.dest)
        if root is None:
            if self.o.verbose > 0:
                host = self.o.dest.lower()
                self.con.write(2, f"ssh: Could not resolve hostname {host}: Name or service not known\r\n")
            raise self.fail(
                CANT_CONNECT,
                "Can't connect to destination address using public key",
                "Please put your public key to destination node",
                undo="lock",
            )
        self.peer = Peer(self.host, root)
        with self.dest.files() as fs:
            vz_running = fs.isdir("/proc/vz")
        if self.o.verbose > 0:
            self.con.write(
                1, "OpenVZ is running...\n" if vz_running else "Running kernel is not an OpenVZ kernel\n"
            )
        if not vz_running:
            raise self.fail(
                OVZ_NOT_RUNNING,
                "OpenVZ is not running on the target machine",
                "Can't continue migration",
                undo="lock",
            )
        if self.o.online and not self.host.fs.isdir("/proc/vz"):
            raise self.fail(
                OVZ_NOT_RUNNING,
                "vzcpt module is not loaded on the source node",
                "Can't continue live migration",
                undo="lock",
            )

    def check_destination(self) -> None:
        """CT on the destination (9), CPT checks, remote paths (19), ploop (16), IPs (12)."""
        r = self.remote_vzctl("--quiet", "status", self.veid)
        self.con.write(2, r.err)
        words = r.out.split()
        if len(words) > 2 and words[2] == "exist":
            raise self.fail(EXISTS, f"CT #{self.veid} already exists on destination node", undo="lock")
        if self.o.online or self.st.suspended == "suspended":
            self.check_cpt()
        self.load_ct_conf()
        self.remote_paths()
        self.check_ploop()
        self.check_ips()

    def check_cpt(self) -> None:
        """``check_cpt_props``: equal kernels and CPUs on simulated nodes always pass."""
        self.log(2, "Checking for CPT version compatibility")
        self.log(2, "Checking for CPU flags compatibility")
        self.cpu_caps = CPT_CAPS

    def load_ct_conf(self) -> None:
        """``. $vpsconf``: a missing file ends sh in POSIX mode, leaving the lock file."""
        path = f"{CONFDIR}/{self.veid}.conf"
        self.log(2, f"Loading {path}")
        text = self.host.fs.read(path)
        if text is None:
            self.con.write(2, f"{self.script}: line {VPSCONF_LINE}: {path}: No such file or directory\n")
            self.con.keep_state = True
            raise Exit(1)
        dot_source(text, self.env)

    def remote_paths(self) -> None:
        """VE_ROOT, VE_PRIVATE and DUMPDIR of the destination's vz.conf for this VEID."""
        self.log(2, "Getting remote VE_ROOT and VE_PRIVATE")
        with self.dest.files() as fs:
            text = fs.read(VZCONF)
        remote: dict[str, str] = {"VEID": self.veid}
        if text is None:
            self.con.write(2, f"sh: {VZCONF}: No such file or directory\n")
        else:
            dot_source(text, remote)
        self.remote = {k: remote.get(k, "") for k in ("VE_ROOT", "VE_PRIVATE", "DUMPDIR")}
        if not self.remote["VE_ROOT"] or not self.remote["VE_PRIVATE"]:
            raise self.fail(CANT_READ_REMOTE_CONFIG, "Failed to get remote VE_ROOT/VE_PRIVATE", undo="lock")
        for key in ("VE_PRIVATE", "VE_ROOT"):
            if self.env.get(key, "") != self.remote[key]:
                self.log(1, f"Remote {key} path differs from local {self.veid}.conf")
                self.log(1, f"Using {self.remote[key]} for syncing")
        if not self.env.get("DUMPDIR"):
            self.env["DUMPDIR"] = "/vz/dump"
        if not self.remote["DUMPDIR"]:
            self.env["DUMPDIR"] = "/vz/dump"  # sic: the script sets the local one here

    @property
    def dumpfile(self) -> str:
        """``VE_DUMPFILE``."""
        return f"{self.env['DUMPDIR']}/tmp-dump.{self.veid}"

    @property
    def dumpfile_remote(self) -> str:
        """``VE_DUMPFILE_REMOTE``."""
        return f"{self.remote['DUMPDIR']}/tmp-dump.{self.veid}"

    def check_ploop(self) -> None:
        """A ploop CT needs ``ploop`` on the destination; simulated nodes have none (16)."""
        if not self.host.fs.isfile(f"{self.env.get('VE_PRIVATE', '')}/root.hdd/DiskDescriptor.xml"):
            return
        self.log(2, "Checking if ploop is supported on destination node")
        if self.o.verbose > 0:
            self.con.write(2, "bash: ploop: command not found\n")
        raise self.fail(UNSUP_PLOOP, "Destination node does not support ploop, can't migrate", undo="lock")

    def check_ips(self) -> None:
        """``grep -cwE`` of the CT's IPs (masks stripped) in the destination's veip."""
        ip_x = ip_pattern(self.env.get("IP_ADDRESS", ""))
        if not re.search("[0-9a-f]", ip_x):
            return
        self.log(2, f"Checking IPs on destination node: {ip_x}")
        with self.dest.files() as fs:
            veip = fs.read("/proc/vz/veip") or ""
        if grep_cw("|".join(ip_x.split()), veip) > 0:
            raise self.fail(IP_IN_USE, "IP address(es) already in use on destination node", undo="lock")

    # -- preparing the destination -----------------------------------------------------------
    @property
    def vpsconf(self) -> str:
        """``$confdir/$VEID.conf``."""
        return f"{CONFDIR}/{self.veid}.conf"

    @property
    def disk_quota(self) -> bool:
        """``[ "${DISK_QUOTA}" != "no" ]``."""
        return self.env.get("DISK_QUOTA", "") != "no"

    def copy_to_dest(self, src: str, dst: str) -> bool:
        """``scp`` of one file; False when the source file is missing."""
        text = self.host.fs.read(src)
        if text is None:
            if self.o.verbose > 0:
                self.con.write(2, f"{src}: No such file or directory\n")
            return False
        with self.dest.files() as fs:
            fs.write(dst, text)
        return True

    def prepare(self) -> None:
        """``Preparing remote node``: config, name, action scripts, dump, dirs, quota."""
        self.log(1, "Preparing remote node")
        self.log(2, "Copying config file")
        if not self.copy_to_dest(self.vpsconf, self.vpsconf):
            raise self.fail(COPY, "Failed to copy config file", undo="lock")
        rp, rr = self.remote["VE_PRIVATE"], self.remote["VE_ROOT"]
        self.show(self.remote_vzctl("set", self.veid, "--private", rp, "--root", rr, "--save"), 2)
        self.apply_name()
        self.copy_act_scripts()
        self.copy_suspended_dump()
        self.make_dirs()
        if self.disk_quota:
            self.init_quota()

    def apply_name(self) -> None:
        """``vzctl set --applyconfig_map name --save``; 20/21 (an older vzctl) are fine."""
        r = self.remote_vzctl("set", self.veid, "--applyconfig_map", "name", "--save")
        self.show(r, 2)
        if r.exit not in (0, 20, 21):
            raise self.fail(APPLY_CONFIG, "Failed to apply config on destination node", undo="conf")

    def copy_act_scripts(self) -> None:
        """``<id>.{start,stop,mount,umount,premount,postumount}`` that exist."""
        files = [f"{CONFDIR}/{self.veid}.{sfx}" for sfx in ACT_SCRIPTS_SFX]
        self.act_scripts = [f for f in files if self.host.fs.isfile(f)]
        if not self.act_scripts:
            return
        self.log(2, "Copying action scripts")
        if not all(self.copy_to_dest(f, f) for f in self.act_scripts):
            raise self.fail(COPY, "Failed to copy action scripts", undo="conf")

    def copy_suspended_dump(self) -> None:
        """A suspended CT's ``Dump.<id>`` goes to the destination's DUMPDIR."""
        if self.st.suspended != "suspended":
            return
        self.dump_file = f"Dump.{self.veid}"
        self.log(2, "Copying dump file")
        src = f"{self.env['DUMPDIR']}/{self.dump_file}"
        if not self.copy_to_dest(src, f"{self.remote['DUMPDIR']}/{self.dump_file}"):
            raise self.fail(COPY, "Failed to copy dump file", undo="act_scripts")

    def make_dirs(self) -> None:
        """Root and private dirs; a symlinked VE_PRIVATE is recreated as the same link."""
        self.log(2, "Creating remote container root dir")
        with self.dest.files() as fs:
            fs.mkdir(self.remote["VE_ROOT"])
        self.log(2, "Creating remote container private dir")
        private = self.env.get("VE_PRIVATE", "")
        with self.dest.files() as fs:
            if self.host.fs.readlink(private) is not None:
                target = self.host.fs.resolve(private)
                fs.mkdir(target)
                fs.symlink(target, self.remote["VE_PRIVATE"])
            fs.mkdir(fs.resolve(self.remote["VE_PRIVATE"]))

    def init_quota(self) -> None:
        """``Initializing remote quota``: quotainit, quotaon there (output always shown)."""
        self.log(1, "Initializing remote quota")
        self.log(2, "Quota init")
        if not self.show(self.remote_vzctl("quotainit", self.veid)):
            raise self.fail(QUOTA, "Failed to initialize quota", undo="root")
        self.log(2, "Turning remote quota on")
        if not self.show(self.remote_vzctl("quotaon", self.veid)):
            raise self.fail(QUOTA, "Failed to turn quota on", undo="quota_init")

    # -- moving the CT ------------------------------------------------------------------------
    def rsync(self) -> None:
        """``rsync $VE_PRIVATE/ root@$host:$VE_PRIVATE_REMOTE/``. The destination's quota
        is on while rsync writes, so it counts what arrives: the source's usage."""
        private = self.env.get("VE_PRIVATE", "")
        if not self.host.fs.isdir(self.host.fs.resolve(private)):
            self.con.write(2, f'rsync: change_dir "{private}" failed: No such file or directory (2)\n')
            raise FileNotFoundError(private)
        src = self.host.fs.real(self.host.fs.resolve(private))
        usage = self.source_usage()
        with self.dest.node(commit=True) as d:
            mirror(src, d.fs.real(d.fs.resolve(self.remote["VE_PRIVATE"])))
            if self.veid.isdigit():
                migration.receive_usage(d, int(self.veid), usage)

    def source_usage(self) -> tuple[int, int] | None:
        """The source's first-level quota usage (vzquota's file survives a stop)."""
        if not self.veid.isdigit():
            return None
        return migration.quota_usage(self.host, int(self.veid))

    def sync(self) -> None:
        """``Syncing private`` (the first pass, CT still up)."""
        self.log(1, "Syncing private")
        try:
            self.rsync()
        except OSError:
            raise self.fail(COPY, "Failed to sync container private areas", undo="quota_on") from None

    def transfer(self) -> None:
        """Stop or checkpoint the source, second sync, second-level quota."""
        if self.o.online:
            self.checkpoint()
        elif self.st.state == "running":
            self.log(1, "Stopping container")
            if not self.show(self.local("stop", self.veid), 2):
                raise self.fail(STOP_SOURCE, "Failed to stop container", undo="sync")
        elif self.st.mounted == "mounted":
            self.log(1, "Unmounting container")
            if not self.show(self.local("umount", self.veid), 2):
                raise self.fail(STOP_SOURCE, "Failed to umount container", undo="sync")
        if self.st.state == "running":
            self.log(2, "Syncing private (2nd pass)")
            try:
                self.rsync()
            except OSError:
                raise self.fail(COPY, "Failed to sync container private areas", undo="source_stage") from None
        if self.disk_quota:
            # vzdqdump/vzdqload carry the second-level (per-user) quota, which the
            # simulated nodes do not keep; the dump file in /var/tmp is not written.
            self.log(1, "Syncing 2nd level quota")
            for step in ("Dumping", "Copying", "Loading"):
                self.log(2, f"{step} 2nd level quota")

    def checkpoint(self) -> None:
        """``Live migrating container...``: suspend, dump, copy the dump file."""
        self.log(1, "Live migrating container...")
        flags = ["--flags", self.cpu_caps] if self.cpu_caps else []
        self.log(2, "Suspending container")
        if not self.show(self.local("chkpnt", self.veid, "--suspend", *flags), 2):
            raise self.fail(STOP_SOURCE, "Failed to suspend container", undo="sync")
        self.log(2, "Dumping container")
        if not self.show(self.local("chkpnt", self.veid, "--dump", "--dumpfile", self.dumpfile), 2):
            raise self.fail(STOP_SOURCE, "Failed to dump container", undo="suspend")
        self.log(2, "Copying dumpfile")
        if not self.copy_to_dest(self.dumpfile, self.dumpfile_remote):
            raise self.fail(COPY, "Failed to copy dump", undo="dump")

    def finish(self) -> None:
        """Bring the CT up on the destination, clean up, destroy or keep the source."""
        if self.o.online:
            self.restore()
        else:
            self.start_dest()
        if self.o.remove_area:
            self.log(2, "Destroying container")
            self.show(self.local("destroy", self.veid), 2)
        else:
            # kept as <id>.conf.migrated to allow backward migration
            self.host.fs.rename(self.vpsconf, self.vpsconf + ".migrated")
        self.undo_lock()

    def restore(self) -> None:
        """Undump and resume on the destination; kill and unmount the source's copy."""
        self.log(2, "Undumping container")
        r = self.remote_vzctl(
            "restore", self.veid, "--undump", "--dumpfile", self.dumpfile_remote, "--skip_arpdetect"
        )
        if not self.show(r, 2):
            raise self.fail(START_VPS, "Failed to undump container", undo="copy_quota")
        self.log(2, "Resuming container")
        if not self.show(self.remote_vzctl("restore", self.veid, "--resume"), 2):
            raise self.fail(START_VPS, "Failed to resume container", undo="undump")
        self.print_times()
        self.log(1, "Cleaning up")
        self.log(2, "Killing container")
        self.show(self.local("chkpnt", self.veid, "--kill"), 2)
        self.show(self.local("umount", self.veid), 2)
        self.log(2, "Removing dumpfiles")
        self.host.fs.remove(self.dumpfile)
        with self.dest.files() as fs:
            fs.remove(self.dumpfile_remote)

    def start_dest(self) -> None:
        """Start (or mount) it there as it was here; a stopped one gets its quota off."""
        if self.st.state == "running":
            self.log(1, "Starting container")
            if not self.show(self.remote_vzctl("start", self.veid), 2):
                raise self.fail(START_VPS, "Failed to start container", undo="copy_quota")
        elif self.st.mounted == "mounted":
            self.log(1, "Mounting container")
            if not self.show(self.remote_vzctl("mount", self.veid), 2):
                raise self.fail(START_VPS, "Failed to mount container", undo="copy_quota")
        elif self.disk_quota:
            self.log(1, "Turning quota off")
            self.vzquota("off")
        self.log(1, "Cleaning up")

    def print_times(self) -> None:
        """``print_times``: every stage of a simulated migration takes no time."""
        if not self.o.times:
            return
        rows = ("Suspend + Dump", "Copy dump file", "Second rsync", "2nd level quota", "Undump + Resume")
        text = "\n" + "".join(f"  {r:>20}: {0.0:6.2f}\n" for r in rows)
        text += f"  {' ':>20}  ------\n  {'Total suspended time':>20}: {0.0:6.2f}\n\n"
        self.con.write(1, text)

    def vzquota(self, action: str) -> None:
        """``ssh root@$host vzquota off|drop <id>`` (vzquota is not a simulated tool)."""
        if not self.veid.isdigit():
            return
        with self.dest.node(commit=True) as d:
            (migration.quota_drop if action == "drop" else migration.quota_off)(d, int(self.veid))

    # -- the undo chain -------------------------------------------------------------------
    def undo(self, first: str) -> None:
        """``undo_<first>`` and every undo it calls after its own work (``UNDO_NEXT``)."""
        step = first
        while step:
            if step == "source_stage":
                step = "copy_dump" if self.o.online else "stop"
            getattr(self, f"_undo_{step}")()
            step = UNDO_NEXT[step]

    def _undo_undump(self) -> None:
        self.show(self.remote_vzctl("restore", self.veid, "--kill"), 2)

    def _undo_copy_quota(self) -> None:
        """The quota dump files, never written here."""

    def _undo_dump(self) -> None:
        self.host.fs.remove(self.dumpfile)

    def _undo_copy_dump(self) -> None:
        with self.dest.files() as fs:
            fs.remove(self.dumpfile_remote)

    def _undo_stop(self) -> None:
        """Start (or mount) the source CT again; its output is shown."""
        if self.st.state == "running":
            self.show(self.local("start", self.veid))
        elif self.st.mounted == "mounted":
            self.show(self.local("mount", self.veid))

    def _undo_sync(self) -> None:
        """Nothing of its own: the root goes in ``undo_root``."""

    def _undo_suspend(self) -> None:
        self.show(self.local("chkpnt", self.veid, "--resume"), 2)

    def _undo_quota_on(self) -> None:
        if self.disk_quota:
            self.vzquota("off")

    def _undo_quota_init(self) -> None:
        if self.disk_quota:
            self.vzquota("drop")

    def _undo_root(self) -> None:
        with self.dest.files() as fs:
            fs.rmtree(self.remote["VE_ROOT"])

    def _undo_private(self) -> None:
        """The synced private area, unless ``--keep-dst``; the script tests the *local*
        path for being a symlink."""
        if self.o.keep_dst:
            return
        private = self.remote["VE_PRIVATE"]
        target = self.host.fs.resolve(private) if self.host.fs.readlink(private) else None
        with self.dest.files() as fs:
            fs.rmtree(target or private)
            fs.remove(private)

    def _undo_dump_file(self) -> None:
        if self.dump_file:
            with self.dest.files() as fs:
                fs.remove(f"{self.remote['DUMPDIR']}/{self.dump_file}")

    def _undo_act_scripts(self) -> None:
        with self.dest.files() as fs:
            for f in self.act_scripts:
                fs.remove(f)

    def _undo_conf(self) -> None:
        """Name and config off the destination (vzctl's stdout to /dev/null)."""
        self.con.write(2, self.remote_vzctl("set", self.veid, "--name", "", "--save").err)
        with self.dest.files() as fs:
            fs.remove(self.vpsconf)

    def _undo_lock(self) -> None:
        self.undo_lock()


# Which undo each undo of KV:bin/vzmigrate.in calls when done (undo_quota_dump, which
# removes the never written quota dump, is folded into copy_quota).
UNDO_NEXT = {
    "undump": "copy_quota", "copy_quota": "source_stage", "dump": "suspend", "copy_dump": "suspend",
    "suspend": "sync", "stop": "sync", "sync": "quota_on", "quota_on": "quota_init",
    "quota_init": "root", "root": "private", "private": "dump_file", "dump_file": "act_scripts",
    "act_scripts": "conf", "conf": "lock", "lock": "",
}  # fmt: skip
