"""simvz's pytest-bdd step library: Given/When/Then steps for OpenVZ domain XML
scenarios, usable from any repository's ``.feature`` files once simvz is installed
(it is registered as the pytest plugin ``simvz_steps``). Vocabulary: features/README.md.
"""
