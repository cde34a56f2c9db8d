"""``simvz conformance --compare A.json B.json ...``: every header, one column per run,
then every scenario whose result differs (a scenario missing from one side included);
exit 1 when any does. The HTML page is read back from headless Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any, cast

import lxml.html
import pytest

from simvz.main import main


def report(path: Path, host: str, results: dict[str, str], libvirt: str = "libvirt 9.0.0 (/x)") -> Path:
    rows: list[dict[str, Any]] = [
        {"feature": "Lifecycle", "scenario": s, "corpus": [], "result": r, "reason": ""}
        for s, r in results.items()
    ]
    for row in rows:
        if row["result"] == "not honoured":
            row.update(gap="undefine-start-destroy", evidence={
                "matched": "undefine on 990209 ran exit 21: /usr/sbin/vzctl --quiet start destroy 990209",
                "lines": ["step: When the domain is undefined"]})  # fmt: skip
    path.write_text(json.dumps({"header": {"host": host, "libvirt": libvirt}, "scenarios": rows}))
    return path


def _after_columns(out: list[str]) -> list[str]:
    """The lines after the column matrix and its counts."""
    return out[next(i for i, line in enumerate(out) if "scenarios differ" in line or "Same result" in line) :]


def test_compare_prints_the_headers_and_only_the_scenarios_that_differ(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = report(
        tmp_path / "a.json",
        "simulated",
        {"Start": "honoured", "Undefine": "not honoured", "Fault": "honoured"},
    )
    b = report(
        tmp_path / "b.json",
        "real OpenVZ host",
        {"Start": "honoured", "Undefine": "honoured", "New": "FAILED"},
    )
    assert main(["conformance", "--compare", str(a), str(b)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[:6] == [
        f"A: {a}", "   host: simulated", "   libvirt: libvirt 9.0.0 (/x)",
        f"B: {b}", "   host: real OpenVZ host", "   libvirt: libvirt 9.0.0 (/x)",
    ]  # fmt: skip
    rest = _after_columns(out)
    assert rest[0] == "3 of 4 scenarios differ (A -> B):"
    assert [" ".join(line.split()) for line in rest[1:] if not line.startswith("      A:")] == [
        "Lifecycle: Fault honoured -> absent",
        "Lifecycle: New absent -> FAILED",
        "Lifecycle: Undefine not honoured -> honoured",
    ]


def test_identical_results_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = report(tmp_path / "a.json", "sim", {"Start": "honoured"})
    b = report(tmp_path / "b.json", "real", {"Start": "honoured"})
    assert main(["conformance", "--compare", str(a), str(b)]) == 0
    assert capsys.readouterr().out.endswith("Same result and evidence for all 1 scenarios (A, B).\n")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No such file or directory"),
        ("{not json", "not JSON"),
        ('{"rows": []}', "not a conformance report"),
    ],
)
def test_a_file_that_is_no_report_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    good = report(tmp_path / "a.json", "sim", {"Start": "honoured"})
    assert main(["conformance", "--compare", str(good), str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"simvz: conformance --compare: {bad}: ") and message in err
    assert err.count("\n") == 1


def test_three_runs_print_one_column_each(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gap = {"Start": "honoured", "Undefine": "not honoured"}
    fixed = {"Start": "honoured", "Undefine": "fixed?"}
    runs = [
        report(tmp_path / "a.json", "sim", gap),
        report(tmp_path / "b.json", "sim", gap, "libvirt 11.3.0"),
        report(tmp_path / "c.json", "sim", fixed, "libvirt 11.3.0 (fixed)"),
    ]
    assert main(["conformance", "--compare", *map(str, runs)]) == 1  # B -> C differs
    out = capsys.readouterr().out.splitlines()
    table = out[out.index("Lifecycle") - 1 : out.index("Lifecycle") + 3]
    assert table[0].split() == ["scenario", "A", "B", "C"]
    assert table[2].split() == ["Start", "honoured", "honoured", "honoured"]
    assert table[3].startswith("* Undefine")  # marked: not the same in every run
    assert table[3].split()[2:] == ["not", "honoured", "not", "honoured", "fixed?"]
    assert "Same result and evidence for all 2 scenarios (A, B)." in out
    assert "1 of 2 scenarios differ (B -> C):" in out


def test_one_report_is_no_comparison(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = report(tmp_path / "a.json", "sim", {"Start": "honoured"})
    assert main(["conformance", "--compare", str(a)]) == 2
    assert "give at least two reports" in capsys.readouterr().err


def _xp(node: Any, path: str) -> list[Any]:
    return cast(list[Any], node.xpath(path))


def _text(node: Any, path: str) -> str:
    return str(node.xpath(f"string({path})"))


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (scripts/setup installs it)")
def test_the_html_page_shows_a_column_per_run_coloured_with_the_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Headless Chromium loads the page and gives back the DOM it built (a second or
    several on a loaded machine, hence slow): what a reader's browser shows."""
    a = report(tmp_path / "a.json", "sim", {"Start": "honoured", "Undefine": "not honoured"})
    b = report(tmp_path / "b.json", "sim", {"Start": "honoured", "Undefine": "FAILED"}, "libvirt 11.3.0 (/y)")
    assert main(["conformance", "--compare", str(a), str(b), "--report", str(tmp_path / "out")]) == 1
    capsys.readouterr()
    page = tmp_path / "out" / "matrix.html"
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    dom = lxml.html.fromstring(done.stdout)
    heads = _xp(dom, "//table[@id='matrix']/thead//th[@class='run']")
    assert [_text(h, ".//div[@class='tag']") for h in heads] == ["A", "B"]
    assert "libvirt: libvirt 11.3.0 (/y)" in heads[1].text_content()
    rows = {_text(r, "td[@class='scenario']"): r for r in _xp(dom, "//table[@id='matrix']/tbody/tr")}
    assert sorted(rows) == ["Start", "Undefine"]
    undefine = _xp(rows["Undefine"], "td[@class='verdict']")
    assert [c.get("data-verdict") for c in undefine] == ["not honoured", "FAILED"]
    assert "background:#ffd9a8" in undefine[0].get("style")  # the colour of an explained gap
    assert "background:#ff6f6f" in undefine[1].get("style")  # and of a failure
    details = _xp(undefine[0], ".//details")
    assert len(details) == 1 and _text(details[0], "summary") == "not honoured"
    assert "vzctl --quiet start destroy 990209" in _text(details[0], "pre")
    assert [c.get("data-verdict") for c in _xp(rows["Start"], "td[@class='verdict']")] == ["honoured"] * 2
