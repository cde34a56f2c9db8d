"""Every scenario of features/ (the July 2008 thread's agreed semantics) against libvirt's
real OpenVZ driver on a fresh simulated host; the plugin prints the conformance matrix."""

from __future__ import annotations

from pytest_bdd import scenarios

from simvz_steps.catalogue import FEATURES

scenarios(str(FEATURES))
