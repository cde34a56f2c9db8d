"""Prints the living-host table's catalogue, its size and how many combinations the
driver honours (no gap) or falls short on (a claim-checked gap), from the table itself:
``.venv/bin/python -m tests.libvirt.living_summary``. A pytest run of
tests/libvirt/test_states.py shows the same split as passed / xfailed."""

from __future__ import annotations

from collections import Counter

from tests.libvirt.entrypoints import ENTRIES, NOT_IN_TABLE
from tests.libvirt.living_gaps import gap_for
from tests.libvirt.states import CATALOGUE
from tests.libvirt.test_states import CASES


def main() -> None:
    print("host states:")
    for s in CATALOGUE:
        print(f"  {s.name:17} {s.how}")
    gaps = Counter(g.id if (g := gap_for(e.field, s.name, p)) else "honoured" for e, s, p in CASES)
    print(f"entry points: {len(ENTRIES)} in the table, {len(NOT_IN_TABLE)} left out (see NOT_IN_TABLE)")
    print(f"generated tests: {len(CASES)} (entry points x {len(CATALOGUE)} states x before/after;")
    print("  the 5 ...Flags aliases only in stopped and running)")
    print(f"honoured: {gaps.pop('honoured')}; driver falls short: {sum(gaps.values())}")
    for gap, n in gaps.most_common():
        print(f"  {n:4} {gap}")


if __name__ == "__main__":
    main()
