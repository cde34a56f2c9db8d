"""The config file format (parser ``KV:src/lib/util.c:parse_line``, rewrite
``KV:src/lib/config.c:vps_save_config``)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from pyfakefs.fake_filesystem import FakeFilesystem

from simvz.storage import Storage
from simvz.syntax import vzconf
from simvz.syntax.vzconf import Entry, Unparsable


def test_quoted_value_runs_to_the_last_quote_and_drops_a_trailing_comment() -> None:
    assert vzconf.parse('CPUUNITS="1000" # weight\n') == [Entry(1, "CPUUNITS", "1000")]


def test_unquoted_value_is_the_raw_rest_of_the_line() -> None:
    """``KV:src/lib/util.c:parse_line``: ``NAMESERVER=inherit # Copy...`` keeps the comment in the value."""
    assert vzconf.parse("NAMESERVER=inherit # copy\n") == [Entry(1, "NAMESERVER", "inherit # copy")]


def test_backslashes_are_removed_before_parsing() -> None:
    assert vzconf.parse('DESCRIPTION="a\\\\b \\"q\\""\n') == [Entry(1, "DESCRIPTION", 'a\\b "q"')]


def test_comments_blank_lines_and_indentation() -> None:
    text = "# c\n\n   HOSTNAME=x\n"
    assert vzconf.parse(text) == [Entry(3, "HOSTNAME", "x")]


def test_line_without_equals_and_unmatched_quote_are_reported_with_line_numbers() -> None:
    assert vzconf.parse('junk\nA="open\n') == [
        Unparsable(1, "'=' not found"),
        Unparsable(2, "unmatched quotes"),
    ]


def test_key_is_not_trimmed() -> None:
    assert vzconf.parse("KEY = v\n") == [Entry(1, "KEY ", " v")]


def test_crlf_line_is_trimmed_like_whitespace() -> None:
    assert vzconf.parse('HOSTNAME="a"\r\n') == [Entry(1, "HOSTNAME", "a")]


def test_merge_replaces_first_exact_key_line_only() -> None:
    """``KV:src/lib/config.c:find_conf_line``: later duplicates stay; an indented key is not
    matched, so a line is appended."""
    text = 'HOSTNAME=a\nHOSTNAME="b"\n  ONBOOT="yes"\n#UUID: x\n'
    out = vzconf.merge(text, [("HOSTNAME", "c"), ("ONBOOT", "no")])
    assert out == 'HOSTNAME="c"\nHOSTNAME="b"\n  ONBOOT="yes"\n#UUID: x\nONBOOT="no"\n'


def test_merge_never_escapes_and_adds_a_final_newline() -> None:
    assert vzconf.merge("A=1", [("DESCRIPTION", 'say "hi"')]) == 'A=1\nDESCRIPTION="say "hi""\n'


def test_round_trip_of_unchanged_text_keeps_every_byte() -> None:
    text = '# head\nX=1\n\n  weird line\nY="2" # c\n'
    assert vzconf.merge(text, []) == text


def test_storage_writes_atomically_on_a_fake_filesystem(fs: FakeFilesystem) -> None:
    """The format and storage layers run on pyfakefs: no real disk involved."""
    node = Storage(Path("/host"))
    node.write("/etc/vz/conf/101.conf", 'HOSTNAME="a"\n')
    merged = vzconf.merge(node.read("/etc/vz/conf/101.conf") or "", [("HOSTNAME", "b")])
    node.write("/etc/vz/conf/101.conf", merged)
    assert Path("/host/etc/vz/conf/101.conf").read_text() == 'HOSTNAME="b"\n'
    assert [p.name for p in Path("/host/etc/vz/conf").iterdir()] == ["101.conf"]


def test_node_paths_cannot_climb_out_of_the_host(fs: FakeFilesystem) -> None:
    node = Storage(Path("/host"))
    assert node.real("/../../etc/passwd") == Path("/host/etc/passwd")
    assert node.real("vz/private/../../..") == Path("/host")


# Characters that matter to the parser: escapes, comments, quotes, every whitespace
# vzctl trims, fgets's only separator, and characters str.splitlines would split on.
_CONF_CHARS = st.sampled_from([*'\\#="AB x', "\t", "\r", "\v", "\f", "\n", "\n", "\x1c", "\x0b"])


@given(st.lists(_CONF_CHARS, max_size=40).map("".join))
@settings(max_examples=400, deadline=None)
def test_parse_finds_what_parse_line_finds_on_every_fgets_line(text: str) -> None:
    """parse() skips comment and blank lines without a Python call each (a config of
    millions of lines is read by every command); it must find exactly what parsing
    each line as fgets returns it finds."""
    expected = []
    for lineno, raw in enumerate(vzconf._fgets_lines(text), start=1):
        item = vzconf.parse_line(raw, lineno)
        if item is not None:
            expected.append(item)
    assert vzconf.parse(text) == expected


@given(
    st.lists(_CONF_CHARS, max_size=40).map("".join),
    st.lists(st.tuples(st.sampled_from(["A", "B", "AB"]), st.sampled_from(["1", "x\\y", ""])), max_size=3),
)
@settings(max_examples=400, deadline=None)
def test_merge_replaces_the_first_key_line_of_the_fgets_lines(
    text: str, stored: list[tuple[str, str]]
) -> None:
    """merge() as vps_save_config rewrites: every fgets line kept, newline-terminated,
    the first starting exactly KEY= replaced, keys without one appended."""
    lines = [ln if ln.endswith("\n") else ln + "\n" for ln in vzconf._fgets_lines(text)]
    appended = []
    for key, value in stored:
        at = next((i for i, ln in enumerate(lines) if ln.startswith(key + "=")), None)
        if at is None:
            appended.append(vzconf.render_line(key, value))
        else:
            lines[at] = vzconf.render_line(key, value)
    assert vzconf.merge(text, stored) == "".join(lines) + "".join(appended)
