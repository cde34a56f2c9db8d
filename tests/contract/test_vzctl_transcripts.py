"""Contract: every recorded vzctl 4.11.1 run, replayed on a simulated host, gives the
same exit code, stdout, stderr and config files (vzctl-transcripts.md; the recording
wins over our notes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.contract.replay import cases, observed, recording_host

# Cases where the recording shows an artifact of the recording host, not vzctl behaviour.
ARTIFACTS = {
    # vzctl's double free aborts (SIGABRT) depending on heap layout; an earlier recording
    # exited 31 after the same message, which is what a simulator without the bug does.
    "suspend_not_running": "double free in vzctl; exit 31 with the same first line",
    # vzquota was not installed on the recording host.
    "runscript_not_running": "recording host lacked /usr/sbin/vzquota",
    # the emulated /dev/vzctl was /dev/null on the recording host.
    "console_not_running": "ENOTTY from the recording host's fake /dev/vzctl",
}

VZCTL = [c for c in cases() if c["tool"] == "vzctl"]


@pytest.mark.parametrize("case", VZCTL, ids=[c["case"] for c in VZCTL])
def test_vzctl_case(case: dict[str, Any], tmp_path: Path) -> None:
    if case["case"] in ARTIFACTS:
        pytest.skip("recording-host artifact: " + ARTIFACTS[case["case"]])
    host = recording_host(tmp_path, case)
    result = host.run("vzctl", case["argv"])
    after = observed(tmp_path, case)
    assert (result.exit, result.out, result.err) == (case["exit"], case["stdout"], case["stderr"])
    # the interleaving a user sees on a terminal
    assert result.combined.decode("utf-8", "surrogateescape") == case["combined_tty"]
    assert after["files"] == case["files_after"]
    assert after["symlinks"] == case["symlinks_after"]
    assert after["dirs"] == sorted(case["dirs_after"])
