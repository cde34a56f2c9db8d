"""Conformance reports side by side: ``simvz conformance --compare A.json B.json``
prints both headers (host, driver, libvirt) and every scenario whose result differs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class ReportError(Exception):
    """A file that is not a conformance report (one line)."""


def load(path: str | Path) -> dict[str, Any]:
    """A report written by ``--json``/``--report`` (``{"header", "scenarios"}``)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise ReportError(f"{path}: {err.strerror}") from err
    except ValueError as err:
        raise ReportError(f"{path}: not JSON ({err})") from err
    if not isinstance(data, dict) or not isinstance(data.get("scenarios"), list):
        raise ReportError(f"{path}: not a conformance report (no scenarios list)")
    return data


def _results(report: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["feature"], r["scenario"]): r for r in report["scenarios"]}


def _evidence(row: dict[str, Any] | None) -> str:
    """What a verdict rests on: the gap and its matched evidence, else what was observed."""
    if row is None:
        return ""
    ev = row.get("evidence") or {}
    if ev.get("matched"):
        return f"[{row.get('gap', '')}] {ev['matched']}"
    return " | ".join(ev.get("lines", [])) or str(row.get("reason", ""))


def _key(row: dict[str, Any] | None) -> tuple[str, str, str]:
    """What two runs must share to count as the same: the verdict, the gap whose claim
    matched, and for a failure no claim explains, its first failing step and error.
    Not the matched evidence's bytes: a pointer passed as an argument (the
    ostemplate-pointer gap) differs from run to run."""
    if row is None:
        return ("absent", "", "")
    ev = row.get("evidence") or {}
    unexplained = row.get("result") in ("not honoured (changed)", "FAILED")
    error = (ev.get("error") or {}).get("message", "")
    observed = f"{ev.get('step', '')} {error}" if unexplained else ""
    return (row.get("result", "?"), row.get("gap", ""), observed)


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(feature, scenario, result in A, result in B) wherever the verdict or its evidence
    (the gap matched, an unexplained failure's step and error) differ; a scenario
    missing from one report counts as ``absent`` there."""
    ra, rb = _results(a), _results(b)
    out = []
    for f, s in sorted(set(ra) | set(rb)):
        x, y = ra.get((f, s)), rb.get((f, s))
        vx, vy = (x or {}).get("result", "absent"), (y or {}).get("result", "absent")
        if _key(x) != _key(y):
            out.append((f, s, vx, vy))
    return out


def compare(a_path: str | Path, b_path: str | Path) -> tuple[str, bool]:
    """The comparison as text, and whether any scenario differs (verdict or evidence);
    each difference lists the evidence on both sides."""
    a, b = load(a_path), load(b_path)
    lines = []
    for tag, path, report in (("A", a_path, a), ("B", b_path, b)):
        lines.append(f"{tag}: {path}")
        lines += [f"   {k}: {v}" for k, v in report.get("header", {}).items()]
    diff = differences(a, b)
    total = len(set(_results(a)) | set(_results(b)))
    if not diff:
        lines.append(f"Same result and evidence for all {total} scenarios.")
        return "\n".join(lines) + "\n", False
    width = max(len(f"{f}: {s}") for f, s, _, _ in diff)
    lines.append(f"{len(diff)} of {total} scenarios differ (A -> B):")
    ra, rb = _results(a), _results(b)
    for f, s, x, y in diff:
        lines.append(f"  {f + ': ' + s:<{width}}  {x} -> {y}")
        for tag, row in (("A", ra.get((f, s))), ("B", rb.get((f, s)))):
            if _evidence(row):
                lines.append(f"      {tag}: {_evidence(row)}")
    return "\n".join(lines) + "\n", True
