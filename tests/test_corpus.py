"""The 2008 thread corpus (corpus/thread/): its index is complete and consistent, every XML file
parses, and the items the scenarios need are there. Reads nothing outside the repository."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
THREAD = CORPUS / "thread"
INDEX = json.loads((THREAD / "index.json").read_text(encoding="utf-8"))
ITEMS: list[dict[str, Any]] = INDEX["items"]
BY_ID = {item["id"]: item for item in ITEMS}
MESSAGES = {m["id"]: m for m in INDEX["messages"]}

KINDS = {"xml", "command", "output", "proposal-text"}
DECISIONS = {"accepted", "corrected", "rejected", "left open"}
THREAD_ORIGIN = "thread"
RECONSTRUCTION = "reconstruction, not in the thread"
LATER = "later libvirt, not in the thread"
EXCERPT_SEPARATOR = "\n[...]\n"
REFERENCE_FIELDS = ("corrected_into", "superseded_by", "expressed_by", "derived_from")


def ids(field: str) -> list[tuple[str, str]]:
    return [(item["id"], ref) for item in ITEMS for ref in item.get(field, [])]


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def parse(path: Path) -> etree._Element:
    return etree.fromstring(path.read_bytes())


def files_of(item: dict[str, Any]) -> list[str]:
    return [item["file"], *([item["reconstruction_file"]] if "reconstruction_file" in item else [])]


def test_ids_unique_and_named_after_their_file() -> None:
    counts = Counter(item["id"] for item in ITEMS)
    assert [i for i, n in counts.items() if n > 1] == []
    for item in ITEMS:
        assert re.fullmatch(r"\d\d-[a-z0-9]+(-[a-z0-9]+)*", item["id"]), item["id"]
        assert Path(item["file"]).stem == item["id"]


def test_numbers_unique_and_in_order() -> None:
    numbers = [item["id"][:2] for item in ITEMS]
    assert numbers == sorted(numbers)
    assert len(set(numbers)) == len(numbers)


@pytest.mark.parametrize("item", ITEMS, ids=lambda item: item["id"])
def test_entry_fields(item: dict[str, Any]) -> None:
    assert item["kind"] in KINDS
    assert item["decision"] in DECISIONS
    assert item["origin"] in {THREAD_ORIGIN, RECONSTRUCTION, LATER}
    assert item["author"] and item["summary"] and item["message_label"]
    for name in files_of(item):
        assert (THREAD / name).is_file(), name
    suffix = Path(item["file"]).suffix
    expected = {"xml": {".xml", ".txt"}, "command": {".cmd"}, "output": {".txt"}, "proposal-text": {".txt"}}
    assert suffix in expected[item["kind"]]
    if item["origin"] == THREAD_ORIGIN:
        message = MESSAGES[item["message"]]
        assert message["author"] == item["author"]
        assert message["subject"] in item["message_label"]
        assert (message["date"] or "date not given in the thread") in item["message_label"]
        assert item["thread_text"], "a thread item records its text as the thread has it"
        for decided in item["decided_in"]:
            assert decided in MESSAGES
    else:
        assert item["message"] is None and item["thread_text"] == []
        assert item["derived_from"], "an item not in the thread says what it derives from"
    if item["origin"] == LATER:
        assert "libvirt.org/formatdomain.html" in item["source"]


@pytest.mark.parametrize("item", [i for i in ITEMS if i["origin"] == THREAD_ORIGIN], ids=lambda i: i["id"])
def test_file_holds_the_thread_text(item: dict[str, Any]) -> None:
    """Only whitespace may differ from the flattened thread (re-indentation, restored line breaks)."""
    text = (THREAD / item["file"]).read_text(encoding="utf-8")
    assert collapse(text) == collapse(EXCERPT_SEPARATOR.join(item["thread_text"]))


@pytest.mark.parametrize("item", [i for i in ITEMS if i["kind"] == "xml"], ids=lambda i: i["id"])
def test_xml_parses(item: dict[str, Any]) -> None:
    path = THREAD / item["file"]
    if item["well_formed_as_written"]:
        assert path.suffix == ".xml"
        parse(path)
        assert "reconstruction_file" not in item
    else:
        # The exact text stays in .txt; the .xml next to it is the well-formed reconstruction.
        assert path.suffix == ".txt"
        with pytest.raises(etree.XMLSyntaxError):
            parse(path)
        assert item["reconstruction_file"] == item["id"] + ".xml"
        parse(THREAD / item["reconstruction_file"])


def test_every_xml_file_parses() -> None:
    xml_files = sorted(THREAD.glob("*.xml"))
    assert xml_files
    for path in xml_files:
        parse(path)


def test_commands_are_one_line() -> None:
    for item in ITEMS:
        if item["kind"] == "command":
            lines = (THREAD / item["file"]).read_text(encoding="utf-8").splitlines()
            assert len(lines) == 1 and lines[0].strip() == lines[0], item["id"]
            assert item["prompt"] and item["where"]


@pytest.mark.parametrize("field", REFERENCE_FIELDS)
def test_references_point_to_existing_ids(field: str) -> None:
    for source, ref in ids(field):
        assert ref in BY_ID, f"{source}.{field} -> {ref}"
        assert ref != source
    for item in ITEMS:
        if "part_of" in item:
            assert item["part_of"] in BY_ID


def test_corrected_items_say_into_what() -> None:
    for item in ITEMS:
        assert bool(item["corrected_into"]) == (item["decision"] == "corrected"), item["id"]


def test_rejected_items_say_why() -> None:
    for item in ITEMS:
        if item["decision"] == "rejected":
            assert item["reason"], item["id"]


def test_every_file_is_listed() -> None:
    listed = {name for item in ITEMS for name in files_of(item)}
    present = {p.name for p in THREAD.iterdir()} - {"index.json"}
    assert present - listed == set(), "files not in index.json"
    assert listed - present == set(), "index.json names missing files"


def test_readme_lists_every_item_and_both_corpora() -> None:
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    for item in ITEMS:
        for name in files_of(item):
            assert f"(thread/{name})" in readme, name
    assert "vzctl-4.11.1/" in readme


def test_messages_are_replies_in_one_thread() -> None:
    for message in MESSAGES.values():
        assert message["in_reply_to"] is None or message["in_reply_to"] in MESSAGES
    assert {m["author"] for m in MESSAGES.values()} == set(INDEX["thread"]["participants"])


def _find(fragment: str, *, origin: str | None = None) -> list[str]:
    found = []
    for item in ITEMS:
        if origin is not None and item["origin"] != origin:
            continue
        if any(fragment in (THREAD / name).read_text(encoding="utf-8") for name in files_of(item)):
            found.append(item["id"])
    return found


REQUIRED = [
    ("<name>209</name>", THREAD_ORIGIN),
    ("<uuid>8dea22b31d52d8f32516782e98ab8fa0</uuid>", THREAD_ORIGIN),
    ("<domain type='openvz' id='209'>", RECONSTRUCTION),
    ("vzctl set 105 --name test_vm --save", THREAD_ORIGIN),
    ("vzctl status test_vm", THREAD_ORIGIN),
    ('<filesystem type="template">', THREAD_ORIGIN),
    ('<source name="fedora-core-5-i386" />', THREAD_ORIGIN),
    ('<target dir="/"/>', THREAD_ORIGIN),
    ('<filesystem type="mount">', THREAD_ORIGIN),
    ('"ostemplate"', THREAD_ORIGIN),
    ("sample config", THREAD_ORIGIN),
    ("totally opaque to the management app", THREAD_ORIGIN),
    ('<quota type="size" max="10000"/>', THREAD_ORIGIN),
    ('<quota type="inodes" max="200000"/>', THREAD_ORIGIN),
    ("<space_hard_limit unit='bytes'>", LATER),
    ("<space_soft_limit unit='bytes'>", LATER),
    ("It can be changed on running container", THREAD_ORIGIN),
    ("1048576", THREAD_ORIGIN),
    ("200000    6813", THREAD_ORIGIN),
    ("<source bridge='eth10'/>", THREAD_ORIGIN),
    ("--netif_add eth15,", THREAD_ORIGIN),
    ("<target type='network'>", THREAD_ORIGIN),
    ("<interface type='network'>\n  <source network='default'/>", THREAD_ORIGIN),
    ("<host class='network' dev='eth1'/>", THREAD_ORIGIN),
    ("<host class='network' subsys='pci'>", THREAD_ORIGIN),
    ("<hostdev mode='capabilities' type='net'>", LATER),
    ("<interface type='route'>", THREAD_ORIGIN),
    ("<interface type='ethernet'>", RECONSTRUCTION),
    ("vzctl set 150 --ipadd 2.2.2.2 --save", THREAD_ORIGIN),
]


@pytest.mark.parametrize(("fragment", "origin"), REQUIRED)
def test_issue_items_present(fragment: str, origin: str) -> None:
    assert _find(fragment, origin=origin), fragment


def test_key_decisions() -> None:
    """The decisions the scenarios build on, as the thread took them."""
    decision = {item_id: item["decision"] for item_id, item in BY_ID.items()}
    assert decision["61-summary-interface-route"] == "rejected"
    assert decision["59-summary-interface-nat"] == "corrected"
    assert BY_ID["59-summary-interface-nat"]["corrected_into"] == ["63-nat-interface-network"]
    assert decision["63-nat-interface-network"] == "accepted"
    assert decision["55-summary-domain"] == "corrected"
    assert decision["03-os-config-proposal"] == "rejected"
    assert decision["64-host-device-explicit"] == "left open"
    summary_parts = {i["id"] for i in ITEMS if i.get("part_of") == "55-summary-domain"}
    assert len(summary_parts) == 6
