"""Contract: every recorded vzctl 4.11.1 run, replayed on a simulated host, gives the
same exit code, stdout, stderr and config files (corpus/vzctl-4.11.1/transcripts.jsonl;
the recording wins over our reading of the source)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simvz.host import Host
from tests.contract.replay import cases, observed, recording_host, run_case, runs

# Cases whose recording shows an artifact of the recording host rather than vzctl on a
# real node; for each, what the simulated node answers instead: (exit, stdout, stderr).
ARTIFACTS: dict[str, tuple[int, str, str]] = {
    # vzctl's double free aborts (SIGABRT) depending on heap layout; an earlier recording
    # exited 31 after the same message, which is what a node without the crash shows.
    "suspend_not_running": (31, "", "Unable to setup checkpointing: container is not running\n"),
    # vzquota was missing on the recording host; on a node with vzquota the mount
    # initialises the quota and the script runs.
    "runscript_not_running": (0, "Initializing quota ...\n", ""),
    # console needs a terminal: not emulated, so it fails loudly (exit 20) instead of
    # the recording host's ENOTTY from a fake /dev/vzctl.
    "console_not_running": (20, "", "simvz: vzctl console is not emulated by the simulated host\n"),
}

VZCTL = [c for c in cases() if c["tool"] == "vzctl"]


@pytest.mark.parametrize(("case", "path"), runs(VZCTL, "vzctl"))  # paths: docs/fastpath.md
def test_vzctl_case(case: dict[str, Any], path: str, tmp_path: Path, tool_server: Path) -> None:
    host = recording_host(tmp_path, case)
    if case["case"] in ARTIFACTS:
        _check_artifact(host, case, tmp_path, path, tool_server)
        return
    result = run_case(host, "vzctl", case["argv"], path, tool_server)
    after = observed(tmp_path, case)
    assert (result.exit, result.out, result.err) == (case["exit"], case["stdout"], case["stderr"])
    # the interleaving a user sees on a terminal
    assert result.combined == case["combined_tty"]
    assert after["files"] == case["files_after"]
    assert after["symlinks"] == case["symlinks_after"]
    assert after["dirs"] == sorted(case["dirs_after"])


def _check_artifact(host: Host, case: dict[str, Any], root: Path, path: str, sockdir: Path) -> None:
    (root / "bin").mkdir(exist_ok=True)
    (root / "bin/true").write_text("true\n")  # the host's /bin/true, run by runscript
    result = run_case(host, "vzctl", case["argv"], path, sockdir)
    code, out, err = ARTIFACTS[case["case"]]
    assert (result.exit, result.out) == (code, out)
    assert result.err.startswith(err)
    assert observed(root, case)["files"] == case["files_after"]
