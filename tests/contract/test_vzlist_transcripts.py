"""Contract: every recorded vzlist 4.11.1 run (corpus/vzctl-4.11.1/transcripts.jsonl, tool
``vzlist``), replayed on a simulated host set up like the recording host, gives the same
exit code, stdout and stderr, and leaves the config files as they were
(the recording wins over our reading of ``KV:src/vzlist.c``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.contract.replay import cases, observed, recording_host, run_case, runs

VZLIST = [c for c in cases() if c["tool"] == "vzlist"]


def test_corpus_has_the_vzlist_cases() -> None:
    # The recording holds 14 vzlist runs; a lost case would silently pass nothing.
    assert len(VZLIST) == 14


@pytest.mark.parametrize(("case", "path"), runs(VZLIST, "vzlist"))  # paths: docs/fastpath.md
def test_vzlist_case(case: dict[str, Any], path: str, tmp_path: Path, tool_server: Path) -> None:
    host = recording_host(tmp_path, case)
    result = run_case(host, "vzlist", case["argv"], path, tool_server)
    assert (result.exit, result.out, result.err) == (case["exit"], case["stdout"], case["stderr"])
    # stdout and stderr interleave on a terminal as the recording shows.
    assert result.combined == case["combined_tty"].replace("\r\n", "\n")
    after = observed(tmp_path, case)
    assert after["files"] == case["files_after"]
    assert after["symlinks"] == case["symlinks_after"]
    assert after["dirs"] == sorted(case["dirs_after"])
