"""The step library's own steps (tests/bdd/features), each on a fresh simulated host."""

from __future__ import annotations

from pathlib import Path

from pytest_bdd import scenarios

scenarios(str(Path(__file__).resolve().parent / "features"))
