"""The import graph of simvz and its step library, read from the source with ``ast``:
no cycles, and every import points down the layer order of docs/architecture.md.

Every import counts: at module level, inside a function (imported on demand) and under
``if TYPE_CHECKING:`` (a type-only import is still a dependency a reader must follow).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# (package directory, the module name it installs as); steps/ installs as simvz_steps
TREES = ((REPO / "simvz", "simvz"), (REPO / "steps", "simvz_steps"))

# Lowest first: a module may import its own layer's modules and those of layers below,
# never above. A module belongs to the longest prefix listed; "simvz" names only the
# package's __init__, so that a new module matches no layer until it is given one.
# The reasons are in docs/architecture.md.
ONLY_ITSELF = frozenset({"simvz"})
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("core", ("simvz", "simvz.errors", "simvz.confine", "simvz.storage", "simvz.tarsafe",
              "simvz.results", "simvz.registry", "simvz.syntax", "simvz.hostview",
              "simvz.fastpath", "simvz.fastpath.build", "simvz.fastpath.conf")),
    ("model", ("simvz.model",)),
    ("formats", ("simvz.formats",)),
    ("node", ("simvz.host",)),
    ("tools", ("simvz.cli",)),
    ("node services", ("simvz.hostinit", "simvz.faults", "simvz.inspect", "simvz.entry", "simvz.coverage",
                       "simvz.fastpath.server")),
    ("harness", ("simvz.backends", "simvz.harness", "simvz.report")),
    ("steps", ("simvz_steps",)),
    ("command", ("simvz.main", "simvz.__main__")),
)  # fmt: skip


@dataclass(frozen=True)
class Import:
    """One import statement's target, where it is written."""

    source: str
    target: str
    where: str  # file:line, the file relative to the repository


def modules(trees: tuple[tuple[Path, str], ...] = TREES) -> dict[str, Path]:
    """Every module of the trees by dotted name."""
    found: dict[str, Path] = {}
    for root, name in trees:
        for path in sorted(root.rglob("*.py")):
            parts = [name, *path.relative_to(root).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports(mods: dict[str, Path], root: Path = REPO) -> list[Import]:
    """Every import of one module of ``mods`` by another, wherever it is written."""
    out = []
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for target in _targets(node, package):
                known = _known(target, mods)
                if known is not None and known != name:
                    out.append(Import(name, known, f"{path.relative_to(root)}:{node.lineno}"))
    return out


def _targets(node: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        up = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join([*up, base] if base else up)
    # `from pkg import mod` imports pkg.mod; `from mod import name` imports mod (_known
    # walks up from mod.name to the module)
    return [f"{base}.{alias.name}" for alias in node.names]


def _known(target: str, mods: dict[str, Path]) -> str | None:
    while target and target not in mods:
        target = target.rpartition(".")[0]
    return target or None


def layer_of(module: str) -> int | None:
    """Index in LAYERS of the longest prefix naming ``module``."""
    named = [
        (len(prefix), index)
        for index, (_name, prefixes) in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or (prefix not in ONLY_ITSELF and module.startswith(prefix + "."))
    ]
    return max(named)[1] if named else None


def upward(edges: list[Import]) -> list[str]:
    """Each import of a higher layer's module, as a line naming it."""
    out = []
    for imp in edges:
        low, high = layer_of(imp.source), layer_of(imp.target)
        if low is not None and high is not None and high > low:
            out.append(
                f"{imp.where}: {imp.source} ({LAYERS[low][0]}) imports {imp.target} ({LAYERS[high][0]})"
            )
    return sorted(set(out))


def cycles(edges: list[Import]) -> list[str]:
    """Each import cycle, as its imports in order (``file:line``), one per line."""
    graph: dict[str, dict[str, Import]] = {}
    for imp in edges:
        graph.setdefault(imp.source, {}).setdefault(imp.target, imp)
    found: list[str] = []
    seen: set[frozenset[str]] = set()
    for start in sorted(graph):
        path = _cycle_from(graph, start)
        if path is not None and frozenset(i.source for i in path) not in seen:
            seen.add(frozenset(i.source for i in path))
            found.append(" -> ".join(f"{i.source} ({i.where})" for i in path) + f" -> {start}")
    return found


def _cycle_from(graph: dict[str, dict[str, Import]], start: str) -> list[Import] | None:
    """The shortest path of imports from ``start`` back to it (breadth first)."""
    paths: list[list[Import]] = [[imp] for imp in graph.get(start, {}).values()]
    visited = {start}
    while paths:
        path = paths.pop(0)
        last = path[-1].target
        if last == start:
            return path
        if last in visited:
            continue
        visited.add(last)
        paths += [[*path, imp] for imp in graph.get(last, {}).values()]
    return None


# -- the repository ------------------------------------------------------------------------------


def test_every_module_has_a_layer() -> None:
    """A new module must be placed in a layer (here and in docs/architecture.md)."""
    unplaced = [m for m in modules() if layer_of(m) is None]
    assert not unplaced, "modules in no layer (add them to LAYERS and docs/architecture.md): " + ", ".join(
        unplaced
    )


def test_no_import_cycles() -> None:
    """Not even through an import inside a function or under TYPE_CHECKING."""
    found = cycles(imports(modules()))
    assert not found, "import cycles:\n" + "\n".join(found)


def test_imports_point_down_the_layers() -> None:
    """The model imports neither the formats, the tools nor the node; the node not its
    tools; nothing imports the step library but the simvz command."""
    found = upward(imports(modules()))
    assert not found, "imports of a higher layer:\n" + "\n".join(found)


def test_the_model_is_below_surfaces_and_node() -> None:
    """The one rule the whole order exists for, stated on its own."""
    model = layer_of("simvz.model.container")
    assert model is not None
    for above in ("simvz.formats.procvz", "simvz.cli.vzctl", "simvz.host", "simvz.hostinit"):
        layer = layer_of(above)
        assert layer is not None and layer > model, above


# -- the checker itself, on a tree made for it -----------------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> dict[str, Path]:
    for rel, text in files.items():
        path = tmp_path / "simvz" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return modules(((tmp_path / "simvz", "simvz"),))


def test_a_type_only_cycle_is_reported_with_its_lines(tmp_path: Path) -> None:
    mods = _tree(tmp_path, {
        "__init__.py": "",
        "model/__init__.py": "",
        "model/a.py": "import typing\nif typing.TYPE_CHECKING:\n    from simvz.model.b import B\n",
        "model/b.py": "def f() -> None:\n    from simvz.model import a\n",
    })  # fmt: skip
    found = cycles(imports(mods, tmp_path))
    first, second = "simvz.model.a (simvz/model/a.py:3)", "simvz.model.b (simvz/model/b.py:2)"
    assert found == [f"{first} -> {second} -> simvz.model.a"]


def test_an_upward_import_names_module_line_and_layers(tmp_path: Path) -> None:
    mods = _tree(tmp_path, {
        "__init__.py": "",
        "model/__init__.py": "",
        "model/container.py": "import os\n\nfrom simvz.formats.values import big_int\n",
        "formats/__init__.py": "",
        "formats/values.py": "from . import other\n",
        "formats/other.py": "from ..model import container\n",
    })  # fmt: skip
    found = upward(imports(mods, tmp_path))
    assert found == [
        "simvz/model/container.py:3: simvz.model.container (model) imports simvz.formats.values (formats)"
    ]


def _model_aliases(tree: ast.Module) -> set[str]:
    """Names a module binds to simvz.model modules (``from simvz.model import lifecycle as L``)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "simvz.model":
            names |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {a.asname for a in node.names if a.name.startswith("simvz.model.") and a.asname}
    return names


def private_model_uses(mods: dict[str, Path], root: Path = REPO) -> list[str]:
    """Each use, outside the model, of a model function or name kept private (``_name``)."""
    out = []
    for name, path in mods.items():
        if name.startswith("simvz.model"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        aliases = _model_aliases(tree)
        for node in ast.walk(tree):
            used: list[str] = []
            line = getattr(node, "lineno", 0)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.value.id in aliases and node.attr.startswith("_") and not node.attr.startswith("__"):
                    used = [f"{node.value.id}.{node.attr}"]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("simvz.model"):
                used = [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
            out += [f"{path.relative_to(root)}:{line}: {name} uses {u}" for u in used]
    return out


def test_no_one_calls_the_models_private_functions() -> None:
    """What the tools do to a container goes through the model's public operations."""
    found = private_model_uses(modules())
    assert not found, "private model functions used outside the model:\n" + "\n".join(found)
