#!/usr/bin/env python3
"""A monitoring check of the kind run on OpenVZ hosts: for every running container it
reads /proc/user_beancounters, /proc/bc/<id>/resources, /proc/vz/vestat and vzlist's UBC
fields, and prints one JSON object: each source's numbers by CT, and the problems it
found comparing them (none on a healthy node). Plain Python, no simvz import: run it on
a real host, or on a simulated one under ``simvz run DIR -- python3 monitor.py``."""

from __future__ import annotations

import glob
import json
import subprocess
import sys

FIELDS = ("kmemsize", "numproc", "physpages", "privvmpages", "numfile", "oomguarpages", "swappages")


def beancounters(text: str) -> dict[str, dict[str, list[int]]]:
    """``uid: resource held maxheld barrier limit failcnt`` blocks, by CT ID."""
    out: dict[str, dict[str, list[int]]] = {}
    current = None
    for line in text.splitlines()[2:]:
        words = line.split()
        if words and words[0].endswith(":"):
            current = out.setdefault(words[0][:-1], {})
            words = words[1:]
        if current is not None and len(words) == 6:
            current[words[0]] = [int(w) for w in words[1:]]
    return out


def bc_resources() -> dict[str, dict[str, list[int]]]:
    out = {}
    for path in glob.glob("/proc/bc/*/resources"):
        ctid = path.split("/")[3]
        with open(path) as fh:
            out[ctid] = {w[0]: [int(x) for x in w[1:]] for w in (line.split() for line in fh) if len(w) == 6}
    return out


def vestat() -> dict[str, dict[str, int]]:
    with open("/proc/vz/vestat") as fh:
        lines = fh.read().splitlines()
    heads = lines[1].split()
    out = {}
    for line in lines[2:]:
        values = [int(v) for v in line.split()]
        row = dict(zip(heads[1:6], values[1:6], strict=True))  # user nice system uptime idle
        row["used"] = values[8]
        out[str(values[0])] = row
    return out


def vzlist() -> dict[str, dict[str, list[int]]]:
    cols = ["ctid", "numproc"] + [f"{f}{s}" for f in FIELDS for s in ("", ".m", ".b", ".l", ".f")]
    done = subprocess.run(
        ["/usr/sbin/vzlist", "-H", "-o", ",".join(cols)], capture_output=True, text=True, check=True
    )
    out = {}
    for line in done.stdout.splitlines():
        words = line.split()
        values = [int(w) for w in words[2:]]
        out[words[0]] = {f: values[5 * i : 5 * i + 5] for i, f in enumerate(FIELDS)}
    return out


def main() -> int:
    with open("/proc/user_beancounters") as fh:
        ub = beancounters(fh.read())
    bc, vs, vl = bc_resources(), vestat(), vzlist()
    problems = []
    for ctid in sorted(vl):
        for f in FIELDS:
            if f != "swappages" and ub[ctid][f] != vl[ctid][f]:
                problems.append(f"{ctid} {f}: user_beancounters {ub[ctid][f]} vzlist {vl[ctid][f]}")
            if bc[ctid][f] != vl[ctid][f]:
                problems.append(f"{ctid} {f}: /proc/bc {bc[ctid][f]} vzlist {vl[ctid][f]}")
            held, maxheld, barrier, limit, _ = vl[ctid][f]
            if not held <= maxheld <= limit or (held > barrier and f not in ("oomguarpages", "physpages")):
                problems.append(f"{ctid} {f}: held {held} maxheld {maxheld} barrier {barrier} limit {limit}")
        cpu = vs[ctid]["user"] + vs[ctid]["nice"] + vs[ctid]["system"] if ctid in vs else -1
        if cpu < 0 or (vs[ctid]["uptime"] > 0 and cpu == 0) or cpu > vs[ctid]["uptime"] * 64:
            problems.append(f"{ctid}: CPU time {cpu} for an uptime of {vs[ctid]['uptime']} jiffies")
    report = {"user_beancounters": ub, "bc": bc, "vestat": vs, "vzlist": vl, "problems": problems}
    json.dump(report, sys.stdout, indent=1, sort_keys=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
