"""``python -m simvz``: the ``simvz`` command."""

from __future__ import annotations

import sys

from simvz.main import main

sys.exit(main())
