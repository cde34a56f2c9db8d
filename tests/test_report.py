"""``simvz conformance --compare A.json B.json``: both headers, then every scenario whose
result differs (a scenario missing from one side included); exit 1 when any does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simvz.main import main


def report(path: Path, host: str, results: dict[str, str]) -> Path:
    rows = [
        {"feature": "Lifecycle", "scenario": s, "corpus": [], "result": r, "reason": ""}
        for s, r in results.items()
    ]
    path.write_text(
        json.dumps({"header": {"host": host, "libvirt": "libvirt 9.0.0 (/x)"}, "scenarios": rows})
    )
    return path


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
    assert out[6] == "3 of 4 scenarios differ (A -> B):"
    assert [" ".join(line.split()) for line in out[7:]] == [
        "Lifecycle: Fault honoured -> absent",
        "Lifecycle: New absent -> FAILED",
        "Lifecycle: Undefine not honoured -> honoured",
    ]


def test_identical_results_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = report(tmp_path / "a.json", "sim", {"Start": "honoured"})
    b = report(tmp_path / "b.json", "real", {"Start": "honoured"})
    assert main(["conformance", "--compare", str(a), str(b)]) == 0
    assert capsys.readouterr().out.endswith("Same result and evidence for all 1 scenarios.\n")


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
