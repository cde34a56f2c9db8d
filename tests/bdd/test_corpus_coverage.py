"""Every item of the thread corpus is covered by at least one scenario (its
``@corpus:<id>`` tag), so the conformance matrix accounts for the whole thread."""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_every_thread_item_has_a_scenario() -> None:
    index = json.loads((REPO / "corpus" / "thread" / "index.json").read_text())
    items = index["items"] if isinstance(index, dict) else index
    ids = {item["id"].split("-")[0] for item in items}
    tagged: set[str] = set()
    for feature in (REPO / "features").rglob("*.feature"):
        tagged |= set(re.findall(r"@corpus:(\w+)", feature.read_text()))
    assert sorted(ids - tagged) == []
    assert sorted(tagged - ids) == [], "tags naming no corpus item"
