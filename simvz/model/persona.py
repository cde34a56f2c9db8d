"""Kernel personas of a simulated node: which OpenVZ kernel generation it runs.

- ``042stab``: RHEL 6 based 2.6.32 kernels, with vswap (``/proc/vz/vswap`` exists); the
  /proc formats of :mod:`simvz.formats.procvz` are this kernel's.
- ``028stab``: RHEL 5 based 2.6.18 kernels, without vswap.

What vzctl 4.11.1 does differently on them is decided by one test, ``is_vswap_mode``:
does ``/proc/vz/vswap`` exist (``KV:src/lib/util.c:is_vswap_mode``). Without it
``--ram``/``--swap`` are refused (``KV:src/lib/config.c:parse_vswap``) and a CT whose
config is a vswap one does not start (``KV:src/lib/ub.c:check_ub``). No 2.6.18 OpenVZ
kernel source could be found to check its /proc formats against, so the 028stab
persona keeps the 042stab layout of the other files (see docs/kernel-personas.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Persona:
    """What differs between kernel generations, as far as the node shows it."""

    name: str
    vswap: bool
    version: str  # /proc/vz/version: a representative build of the generation


PERSONAS = {
    "042stab": Persona("042stab", vswap=True, version="042stab120.11"),
    "028stab": Persona("028stab", vswap=False, version="028stab123.1"),
}
DEFAULT = "042stab"


def persona(name: str) -> Persona:
    """The persona called ``name``; ValueError names the known ones."""
    found = PERSONAS.get(name)
    if found is None:
        raise ValueError(f"unknown kernel {name!r} (known: {', '.join(PERSONAS)})")
    return found
