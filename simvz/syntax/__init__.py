"""The syntax of vzctl's values and config files: pure functions of text, no node.

Below the model (simvz/model reads configs with them) and the surfaces (simvz/cli parses
options with them); see docs/architecture.md.
"""
