"""Surfaces: exact parse and render of OpenVZ text formats."""
