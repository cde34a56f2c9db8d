"""simvz: a simulated legacy OpenVZ host (vzctl 4.11.1) for testing OpenVZ tooling."""

from __future__ import annotations

__version__ = "0.1.0"
