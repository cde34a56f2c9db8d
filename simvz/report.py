"""Conformance reports side by side: ``simvz conformance --compare A.json B.json ...``
prints each run's header (host, driver, libvirt), a matrix with one column per run, and
every scenario whose result differs; the same matrix as Markdown and as a self-contained
HTML page (a colour per verdict, the evidence in ``<details>``), which a single run's
``--report DIR`` writes as ``DIR/matrix.html`` too."""

from __future__ import annotations

import html
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


def tag(i: int) -> str:
    """A run's column name: A, B, C, ..."""
    return chr(ord("A") + i) if i < 26 else f"R{i + 1}"


def scenario_keys(reports: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(feature, scenario) of every scenario of any report, sorted."""
    return sorted({k for r in reports for k in _results(r)})


def columns(paths: list[str | Path]) -> tuple[str, bool]:
    """Every report's header, then one column per run (the verdict of each scenario, and
    the counts), then each pair of neighbouring runs' differences with their evidence;
    and whether any neighbouring pair differs."""
    reports = [load(p) for p in paths]
    lines = []
    for i, (path, report) in enumerate(zip(paths, reports, strict=True)):
        lines.append(f"{tag(i)}: {path}")
        lines += [f"   {k}: {v}" for k, v in report.get("header", {}).items()]
    keys = scenario_keys(reports)
    results = [_results(r) for r in reports]
    width = max([len(s) for _, s in keys] + [8])
    cell = max([len(_verdict(res.get(k))) for res in results for k in keys] + [12])
    lines.append("")
    head = f"  {'scenario':<{width}}  " + "  ".join(f"{tag(i):<{cell}}" for i in range(len(reports)))
    lines.append(head.rstrip())
    for feature in sorted({f for f, _ in keys}):
        lines.append(feature)
        for k in (k for k in keys if k[0] == feature):
            row = "  ".join(f"{_verdict(res.get(k)):<{cell}}" for res in results)
            mark = " " if len({_key(res.get(k)) for res in results}) == 1 else "*"
            lines.append(f"{mark} {k[1]:<{width}}  {row}".rstrip())
    lines.append("")
    lines += [f"{tag(i)}: {_counts(r)}" for i, r in enumerate(reports)]
    differ = False
    for i in range(len(reports) - 1):
        text, d = _pair(reports[i], reports[i + 1], tag(i), tag(i + 1))
        differ = differ or d
        lines.append(text)
    return "\n".join(lines) + "\n", differ


def _verdict(row: dict[str, Any] | None) -> str:
    return str(row.get("result", "?")) if row else "absent"


def _counts(report: dict[str, Any]) -> str:
    found: dict[str, int] = {}
    for r in report["scenarios"]:
        found[r.get("result", "?")] = found.get(r.get("result", "?"), 0) + 1
    return ", ".join(f"{n} {v}" for v, n in sorted(found.items(), key=lambda kv: -kv[1]))


def _pair(a: dict[str, Any], b: dict[str, Any], ta: str, tb: str) -> tuple[str, bool]:
    diff = differences(a, b)
    total = len(set(_results(a)) | set(_results(b)))
    if not diff:
        return f"Same result and evidence for all {total} scenarios ({ta}, {tb}).", False
    width = max(len(f"{f}: {s}") for f, s, _, _ in diff)
    lines = [f"{len(diff)} of {total} scenarios differ ({ta} -> {tb}):"]
    ra, rb = _results(a), _results(b)
    for f, s, x, y in diff:
        lines.append(f"  {f + ': ' + s:<{width}}  {x} -> {y}")
        for t, row in ((ta, ra.get((f, s))), (tb, rb.get((f, s)))):
            if _evidence(row):
                lines.append(f"      {t}: {_evidence(row)}")
    return "\n".join(lines), True


def columns_markdown(paths: list[str | Path]) -> str:
    """The matrix with one column per run, as a Markdown table (evidence under each verdict)."""
    reports = [load(p) for p in paths]
    out = ["# OpenVZ domain XML conformance: runs side by side", ""]
    for i, (path, report) in enumerate(zip(paths, reports, strict=True)):
        libvirt = report.get("header", {}).get("libvirt", "")
        out.append(f"- **{tag(i)}**: `{path}` — {libvirt}")
    out += ["", "| feature | scenario | " + " | ".join(tag(i) for i in range(len(reports))) + " |"]
    out.append("|---|---|" + "---|" * len(reports))
    results = [_results(r) for r in reports]
    for k in scenario_keys(reports):
        cells = []
        for res in results:
            ev = _evidence(res.get(k))
            cells.append(_md(_verdict(res.get(k))) + (f"<br>{_md(ev)}" if ev else ""))
        out.append(f"| {_md(k[0])} | {_md(k[1])} | " + " | ".join(cells) + " |")
    out += ["", *(f"- {tag(i)}: {_counts(r)}" for i, r in enumerate(reports))]
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


# a colour per verdict: what a reader scans the page for
COLOURS = {
    "honoured": "#c8f0c8",
    "not honoured": "#ffd9a8",
    "not honoured (changed)": "#ff9f9f",
    "fixed?": "#a8d8ff",
    "FAILED": "#ff6f6f",
    "hung": "#d9a8ff",
    "skipped": "#e6e6e6",
    "absent": "#ffffff",
}


def html_page(reports: list[tuple[str, dict[str, Any]]], title: str = "") -> str:
    """A self-contained page (no script, no external file): one column per run, headed
    by its name and libvirt; each cell coloured by verdict, its evidence in ``<details>``."""
    e = html.escape
    title = title or ("OpenVZ domain XML conformance" + (": runs side by side" if len(reports) > 1 else ""))
    head = ["<tr><th>feature</th><th>scenario</th>"]
    for i, (name, report) in enumerate(reports):
        h = report.get("header", {})
        facts = "".join(f"<div class=fact>{e(k)}: {e(str(v))}</div>" for k, v in h.items())
        head.append(f"<th class=run data-run='{tag(i)}'><div class=tag>{tag(i)}</div>"
                    f"<div class=name>{e(name)}</div>{facts}</th>")  # fmt: skip
    head.append("</tr>")
    body = []
    results = [_results(r) for _, r in reports]
    for k in scenario_keys([r for _, r in reports]):
        cells = [f"<td class=feature>{e(k[0])}</td><td class=scenario>{e(k[1])}</td>"]
        for res in results:
            row = res.get(k)
            verdict = _verdict(row)
            colour = COLOURS.get(verdict, "#ffffff")
            lines = _evidence_lines(row)
            inner = e(verdict)
            if lines:
                inner = (f"<details><summary>{e(verdict)}</summary><pre>{e(chr(10).join(lines))}</pre>"
                         "</details>")  # fmt: skip
            style = f"data-verdict='{e(verdict)}' style='background:{colour}'"
            cells.append(f"<td class=verdict {style}>{inner}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    counts = "".join(f"<li>{tag(i)}: {e(_counts(r))}</li>" for i, (_, r) in enumerate(reports))
    legend = "".join(f"<span class=key style='background:{c}'>{e(v)}</span>" for v, c in COLOURS.items())
    return f"""<!DOCTYPE html>
<html lang=en><head><meta charset=utf-8><title>{e(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 1em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #999; padding: 3px 6px; vertical-align: top; text-align: left; }}
th.run .tag {{ font-size: 130%; }} .fact {{ font-weight: normal; font-size: 80%; }}
pre {{ white-space: pre-wrap; max-width: 50em; font-size: 85%; }}
.key {{ padding: 2px 6px; margin-right: 4px; border: 1px solid #999; }}
</style></head>
<body><h1>{e(title)}</h1>
<p class=legend>{legend}</p>
<table id=matrix><thead>{"".join(head)}</thead><tbody>
{chr(10).join(body)}
</tbody></table>
<ul class=counts>{counts}</ul>
</body></html>
"""


def _evidence_lines(row: dict[str, Any] | None) -> list[str]:
    if row is None:
        return []
    ev = row.get("evidence") or {}
    out = [f"matched [{row.get('gap', '')}]: {ev['matched']}"] if ev.get("matched") else []
    out += list(ev.get("lines", []))
    if not out and row.get("reason"):
        out = [str(row["reason"])]
    return out


def compare(a_path: str | Path, b_path: str | Path) -> tuple[str, bool]:
    """The comparison as text, and whether any scenario differs (verdict or evidence);
    each difference lists the evidence on both sides."""
    a, b = load(a_path), load(b_path)
    lines = []
    for t, path, report in (("A", a_path, a), ("B", b_path, b)):
        lines.append(f"{t}: {path}")
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
