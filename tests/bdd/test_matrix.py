"""The conformance matrix's Markdown report."""

from __future__ import annotations

from steps.plugin import markdown


def test_markdown_lists_every_row_with_its_reason_and_escapes_pipes() -> None:
    rows = [
        {"feature": "Lifecycle", "scenario": "Undefine", "corpus": ["56"], "result": "not honoured",
         "reason": "[gap] vzctl --quiet start destroy 209 | exit 21"},
        {"feature": "Routed", "scenario": "Both IPs", "corpus": ["66", "69"], "result": "honoured",
         "reason": ""},
    ]  # fmt: skip
    text = markdown(rows)
    assert (
        "| Lifecycle | Undefine | 56 | not honoured | [gap] vzctl --quiet start destroy 209 \\| exit 21 |"
        in text
    )
    assert "| Routed | Both IPs | 66, 69 | honoured |  |" in text
