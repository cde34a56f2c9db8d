"""Kernel state as JSON-ready values: what ``dataclasses.asdict`` gives, built for the
few plain types the kernel model holds.

Every command converts the kernel state twice (once as loaded, once to see whether it
changed: :meth:`simvz.host.Host.save_kernel`); ``asdict``'s generic recursion, which
deep-copies every leaf, made that a third of a ``vzctl status``.
"""

from __future__ import annotations

import copy
from typing import Any

_LEAVES = (str, int, bool, float, type(None))


def plain(value: Any) -> Any:
    """``value`` with every dataclass turned into a dict of its fields (in field
    order), every container copied: nothing of the result is shared with ``value``."""
    kind = type(value)
    if kind in _LEAVES:
        return value
    if hasattr(kind, "__dataclass_fields__"):
        return {name: plain(getattr(value, name)) for name in kind.__dataclass_fields__}
    if kind is dict:
        return {plain(k): plain(v) for k, v in value.items()}
    if kind is list:
        return [plain(v) for v in value]
    if kind is tuple:
        return tuple(plain(v) for v in value)
    return copy.deepcopy(value)
