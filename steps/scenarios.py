"""The thread's scenarios (the features shipped with the step library) as one pytest
module: what ``simvz conformance`` runs, from a clone or from an installed simvz."""

from __future__ import annotations

from pytest_bdd import scenarios

from simvz_steps.catalogue import FEATURES

scenarios(str(FEATURES))
