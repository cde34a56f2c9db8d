"""simvz's pytest-bdd step library: Given/When/Then steps for OpenVZ domain XML
scenarios, usable from any repository's ``.feature`` files once simvz is installed
(it is registered as the pytest plugin ``simvz_steps``). Vocabulary: features/README.md.
"""

# The folder is steps/, the package is simvz_steps (a link to it, and the name it installs
# under): imported by its folder's name, every step module would load a second time.
if __name__ != "simvz_steps":
    raise ImportError(f"import the step library as simvz_steps, not {__name__}")
