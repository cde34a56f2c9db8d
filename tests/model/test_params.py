"""The key table and value rules (``KV:src/lib/config.c``, ``KV:src/lib/util.c:parse_line``)."""

from __future__ import annotations

import pytest

from simvz.model import params as P
from simvz.syntax import values as V


def test_duplicate_scalar_keeps_first_with_warning_but_ubc_keeps_last() -> None:
    ps = P.load('HOSTNAME="a"\nHOSTNAME="b"\nKMEMSIZE="1"\nKMEMSIZE="2"\n', "/f")
    assert ps.str("HOSTNAME") == "a" and ps.pair("KMEMSIZE") == (2, 2)
    assert [w.text for w in ps.warnings] == ['Warning at /f:2: duplicate for HOSTNAME ("b"), ignored']


def test_list_keys_accumulate_and_ip_address_is_deduplicated() -> None:
    ps = P.load(
        'IP_ADDRESS="10.0.0.1"\nIP_ADDRESS="10.0.0.1 10.0.0.2/24"\nNETDEV="eth1"\nNETDEV="eth1"\n', "/f"
    )
    assert ps.list("IP_ADDRESS") == ["10.0.0.1", "10.0.0.2/24"]
    assert ps.list("NETDEV") == ["eth1", "eth1"]


def test_unknown_key_warns_only_at_verbose_level() -> None:
    ps = P.load('MY_KEY="x"\n', "/f")
    assert [(w.level, w.text) for w in ps.warnings] == [
        (1, 'Warning at /f:1: unknown parameter MY_KEY ("x"), ignored')
    ]


def test_invalid_value_is_skipped_with_a_warning() -> None:
    ps = P.load("CPUUNITS=1000   # c\n", "/f")
    assert ps.int("CPUUNITS") is None
    assert ps.warnings[0].text == 'Warning at /f:1: invalid value for CPUUNITS ("1000   # c"), skipped'


@pytest.mark.parametrize(
    ("text", "divisor", "expected"),
    [
        ("10G", 1024, (10485760, 10485760)),
        ("2.2G", 1024, (2306867, 2306867)),
        ("1G:", 1024, (1048576, 0)),
        ("256M", 4096, (65536, 65536)),
        ("1P", 4096, (1, 1)),
        ("unlimited", 4096, (V.LONG_MAX, V.LONG_MAX)),
    ],
)
def test_size_suffixes(text: str, divisor: int, expected: tuple[int, int]) -> None:
    """``KV:src/lib/config.c:parse_ul_sfx``, ``get_mul``: K/M/G/T powers of 1024, P is a
    page, fractions allowed with a suffix."""
    assert V.parse_pair(text, divisor, True) == expected


def test_item_counts_take_no_suffix_and_disk_quota_no_unlimited() -> None:
    with pytest.raises(V.Invalid):
        V.parse_pair("1K", 0, True)
    with pytest.raises(V.Invalid):
        V.parse_pair("unlimited", 1024, False)


def test_overflow_is_truncated() -> None:
    with pytest.raises(V.Truncated):
        V.parse_pair("18446744073709551615", 1, True)  # > LONG_MAX, < ULLONG_MAX


def test_ubc_written_once_when_barrier_equals_limit() -> None:
    assert V.pair_text((2048, 2048)) == "2048" and V.pair_text((1, V.LONG_MAX)) == "1:unlimited"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/vz/private/$VEID", "/vz/private/101"),
        ("/a/${VEID}/b/", "/a/101/b"),
        ("/x/$VEID/$VEID", "/x/101/$VEID"),
    ],
)
def test_veid_substitution(path: str, expected: str) -> None:
    """``KV:src/lib/util.c:subst_VEID``: first occurrence only, trailing slashes stripped."""
    assert P.subst_veid(path, 101) == expected


@pytest.mark.parametrize("text", ["0101", "+101", ""])
def test_loose_ct_ids(text: str) -> None:
    """Transcripts ctid_leading_zero, ctid_plus_sign; the empty string is CT0."""
    assert V.parse_int(text) == (101 if text else 0)
