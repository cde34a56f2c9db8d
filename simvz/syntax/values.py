"""Value syntax of vzctl options and config keys (``KV:src/lib/config.c``,
``KV:src/lib/util.c``): C library number parsing with vzctl's suffix rules.

Each parser returns the value or raises :class:`Invalid` (vzctl's ERR_INVAL);
:class:`Truncated` (ERR_LONG_TRUNC) carries the clamped value, because a config file
keeps it with a warning while the command line refuses it.
"""

from __future__ import annotations

import ipaddress
import re

LONG_MAX = 2**63 - 1
ULLONG_MAX = 2**64 - 1
INT_MAX = 2**31 - 1
PAGE_SIZE = 4096  # x86/x86_64; 'P' suffix and page-valued UBCs use it

_SPACE = " \t\n\v\f\r"
_MUL = {"t": 1024**4, "g": 1024**3, "m": 1024**2, "k": 1024, "p": PAGE_SIZE, "b": 1}


class Invalid(ValueError):
    """The value is not acceptable (ERR_INVAL)."""


class Truncated(ValueError):
    """The value overflowed and was clamped (ERR_LONG_TRUNC)."""

    def __init__(self, value: object) -> None:
        super().__init__("truncated")
        self.value = value


def big_int(digits: str, cap: int) -> int:
    """``int(digits)``, but a number of more digits than ``cap`` has is returned as
    +/-``cap`` without converting it (C clamps it anyway; Python refuses > 4300 digits)."""
    sign = -1 if digits.startswith("-") else 1
    body = digits.lstrip("+-").lstrip("0")
    if len(body) > len(str(cap)):
        return sign * cap
    return int(digits) if body else 0


def strtoull(text: str) -> tuple[int, str]:
    """C ``strtoull(text, &tail, 10)``: (value, tail); overflow raises Invalid (ERANGE)."""
    m = re.match(r"[ \t\n\v\f\r]*([+-]?)([0-9]+)", text)
    if m is None:
        return 0, text
    value = big_int(m.group(2), ULLONG_MAX + 1)
    if value > ULLONG_MAX:
        raise Invalid(text)
    if m.group(1) == "-":
        value = (-value) % (ULLONG_MAX + 1)
    return value, text[m.end() :]


def strtol(text: str) -> tuple[int, str]:
    """C ``strtol(text, &tail, 10)`` with clamping to the long range."""
    m = re.match(r"[ \t\n\v\f\r]*([+-]?[0-9]+)", text)
    if m is None:
        return 0, text
    value = max(-LONG_MAX - 1, min(LONG_MAX, big_int(m.group(1), LONG_MAX + 1)))
    return value, text[m.end() :]


def parse_int(text: str) -> int:
    """vzctl's ``parse_int``: whole string, decimal, fits a C int (leading +, 0s allowed;
    the empty string is 0, as strtol leaves nothing behind)."""
    value, tail = strtol(text)
    if tail or not -INT_MAX - 1 <= value <= INT_MAX:
        raise Invalid(text)
    return value


def parse_ul(text: str) -> int:
    """vzctl's ``parse_ul``: unsigned decimal or the word ``unlimited`` (LONG_MAX)."""
    if text == "unlimited":
        return LONG_MAX
    value, tail = strtoull(text)
    if tail or value > LONG_MAX:
        raise Invalid(text)
    return value


def _float_prefix(text: str) -> tuple[float, str]:
    m = re.match(r"[ \t\n\v\f\r]*[+-]?[0-9]*\.[0-9]*(?:[eE][+-]?[0-9]+)?", text)
    assert m is not None  # only called after digits and a dot were seen
    return float(m.group(0)), text[m.end() :]


def parse_ul_sfx(text: str, divisor: int, allow_unlimited: bool) -> tuple[int, str]:
    """One number with an optional suffix, scaled by ``1/divisor``; returns (value, tail).

    ``divisor == 0`` means the parameter takes no suffix. A value above LONG_MAX is
    returned as is; the caller clamps it.
    """
    if allow_unlimited and text.startswith("unlimited"):
        return LONG_MAX, text[9:]
    value, tail = strtoull(text)
    number: float = value
    if tail.startswith("."):
        number, tail = _float_prefix(text)
        value = int(number)
    if tail and tail[0] != ":":
        mul = _MUL.get(tail[0].lower())
        if not divisor or mul is None:
            raise Invalid(text)
        scaled = number * mul / divisor
        value = LONG_MAX + 1 if scaled > LONG_MAX else int(scaled)
        tail = tail[1:]
    return value, tail


def parse_pair(text: str, divisor: int, allow_unlimited: bool) -> tuple[int, int]:
    """``A[:B]`` with B defaulting to A (``parse_twoul_sfx``); may raise Truncated."""
    first, tail = parse_ul_sfx(text, divisor, allow_unlimited)
    truncated = first > LONG_MAX
    first = min(first, LONG_MAX)
    if tail.startswith(":"):
        second, rest = parse_ul_sfx(tail[1:], divisor, allow_unlimited)
        if rest:
            raise Invalid(text)
        truncated = truncated or second > LONG_MAX
        second = min(second, LONG_MAX)
    elif not tail:
        second = first
    else:
        raise Invalid(text)
    if truncated:
        raise Truncated((first, second))
    return first, second


def parse_bytes_to_pages(text: str) -> int:
    """``--ram``/``--swap``: bytes with suffix, rounded *up* to pages (``parse_vswap``)."""
    value, tail = parse_ul_sfx(text, 1, True)
    if tail:
        raise Invalid(text)
    pages = (value + PAGE_SIZE - 1) // PAGE_SIZE
    if pages > LONG_MAX:
        raise Truncated(LONG_MAX)
    return pages


def ub_text(value: int) -> str:
    """A UBC number as vzctl writes it: LONG_MAX is the word ``unlimited``."""
    return "unlimited" if value == LONG_MAX else str(value)


def pair_text(pair: tuple[int, int]) -> str:
    """UBC pairs are written once when barrier equals limit (``KV:util.c:ubcstr``)."""
    if pair[0] == pair[1]:
        return ub_text(pair[0])
    return f"{ub_text(pair[0])}:{ub_text(pair[1])}"


def parse_yesno(text: str) -> bool:
    """Exactly ``yes`` or ``no``."""
    if text == "yes":
        return True
    if text == "no":
        return False
    raise Invalid(text)


def canonical_ip(text: str) -> tuple[str, int | None, int] | None:
    """``addr[/mask]`` canonicalised as inet_pton/inet_ntop do: (ip, mask, family).

    ``None`` for the addresses vzctl silently ignores (0.0.0.0, ::).
    """
    addr, slash, mask_text = text.partition("/")
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError as exc:
        raise Invalid(text) from exc
    if _is_inet_aton_only(addr, ip.version):
        raise Invalid(text)
    mask: int | None = None
    if slash:
        limit = 32 if ip.version == 4 else 128
        if not mask_text.isdigit() or int(mask_text) > limit:
            raise Invalid(text)
        mask = int(mask_text)
    if ip.is_unspecified:
        return None
    return str(ip), mask, ip.version


def _is_inet_aton_only(addr: str, version: int) -> bool:
    # ipaddress rejects leading zeros in IPv4 ("010.0.0.1") as inet_pton does.
    return version == 4 and addr.count(".") != 3


def is_space(ch: str) -> bool:
    """C ``isspace`` in the C locale."""
    return ch in _SPACE


def parse_iolimit(text: str, default_mul: int) -> int:
    """IOLIMIT: ``unlimited`` is 0; a number with an optional one-letter size suffix,
    otherwise times ``default_mul`` (1 MiB/s on the command line, 1 B/s in a config);
    clamped to INT_MAX (``KV:src/lib/config.c:parse_iolimit``)."""
    if text == "unlimited":
        return 0
    value, tail = strtoull(text)
    truncated = value > INT_MAX
    value = min(value, INT_MAX)
    if tail:
        mul = _MUL.get(tail[0].lower())
        if mul is None or len(tail) != 1:
            raise Invalid(text)
        value *= mul
    else:
        value *= default_mul
    if truncated or value > INT_MAX:
        raise Truncated(INT_MAX)
    return value
