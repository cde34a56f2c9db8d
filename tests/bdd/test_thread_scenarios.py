"""Every scenario of features/ (the July 2008 thread's agreed semantics) against libvirt's
real OpenVZ driver on a fresh simulated host; the plugin prints the conformance matrix."""

from __future__ import annotations

from pathlib import Path

from pytest_bdd import scenarios

scenarios(str(Path(__file__).resolve().parents[2] / "features"))
