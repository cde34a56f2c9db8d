"""Model: state and rules of a legacy OpenVZ host; no argv, no output formats."""
