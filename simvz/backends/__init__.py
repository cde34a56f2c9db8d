"""Host backends: the one narrow contract through which steps touch an OpenVZ host,
simulated or real (in the style of pytest-testinfra's backends)."""
