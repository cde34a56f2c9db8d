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


# Attributes through which a tool reaches the kernel state (``host.kernel``, a Ctx's ``kct``).
KERNEL_ATTRS = frozenset({"kernel", "kct"})


def _through_kernel(expr: ast.expr) -> bool:
    """Whether ``expr`` (``d.kernel.cts[1].quota``, ``host.kernel.ct(1)``) is reached
    through the kernel state."""
    node: ast.expr | None = expr
    while node is not None:
        if isinstance(node, ast.Attribute):
            if node.attr in KERNEL_ATTRS:
                return True
            node = node.value
        elif isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            node = None
    return False


def _written(stmt: ast.AST) -> list[ast.expr]:
    """What an assignment or ``del`` writes, tuples unpacked."""
    if isinstance(stmt, ast.Assign):
        found = list(stmt.targets)
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
        found = [stmt.target]
    elif isinstance(stmt, ast.Delete):
        found = list(stmt.targets)
    else:
        return []
    out: list[ast.expr] = []
    while found:
        t = found.pop()
        if isinstance(t, (ast.Tuple, ast.List)):
            found += t.elts
        else:
            out.append(t)
    return out


def _root_name(expr: ast.expr) -> str | None:
    while isinstance(expr, (ast.Attribute, ast.Subscript)):
        expr = expr.value
    return expr.id if isinstance(expr, ast.Name) else None


def kernel_writes(path: Path, root: Path = REPO) -> list[str]:
    """Each place a module writes kernel state itself: an assignment or ``del`` through
    ``.kernel``/``.kct`` (``host.kernel.clock = ...``), through a name bound to kernel
    state in the same function (``q = d.kernel.ct(1).quota; q.bused = ...``), or a call
    of ``Kernel.ct``, which registers a container."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    out = []
    scopes = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module))]
    for scope in scopes:
        bound = {
            t.id
            for n in ast.walk(scope)
            if isinstance(n, ast.Assign) and _through_kernel(n.value)
            for t in _written(n)
            if isinstance(t, ast.Name)
        }
        for n in ast.walk(scope):
            line = getattr(n, "lineno", 0)
            for t in _written(n):
                if isinstance(t, ast.Name):
                    continue
                if _through_kernel(t) or _root_name(t) in bound:
                    out.append(f"{path.relative_to(root)}:{line}: writes {ast.unparse(t)}")
            called = n.func if isinstance(n, ast.Call) else None
            if isinstance(called, ast.Attribute) and called.attr == "ct" and _through_kernel(called.value):
                out.append(f"{path.relative_to(root)}:{line}: registers {ast.unparse(n)}")
    return sorted(set(out), key=lambda w: (int(w.split(":")[1]), w))


def test_the_tools_write_no_kernel_state() -> None:
    """A tool changes the kernel state only through a model operation (vzmigrate's
    destination quota, its undo of a refused vzctl: ``simvz.model.migration``); one that
    assigned ``host.kernel.*`` itself would change a container behind the model's rules."""
    found = [w for p in sorted((REPO / "simvz" / "cli").rglob("*.py")) for w in kernel_writes(p)]
    assert not found, "kernel state written by a tool:\n" + "\n".join(found)


def test_kernel_writes_are_found_however_they_are_spelt(tmp_path: Path) -> None:
    """The check sees a direct assignment, a tuple of targets, an alias, a ``del`` and a
    registering ``Kernel.ct``; reads and calls of model operations pass."""
    src = tmp_path / "tool.py"
    src.write_text(
        "def f(h, d, m):\n"
        "    h.kernel.clock, h.kernel.cts = 1, {}\n"
        "    q = d.kernel.ct(1).quota\n"
        "    q.bused, q.iused = 2, 3\n"
        "    del d.kernel.cts[4]\n"
        "    ok = h.kernel.peek(5).quota\n"
        "    m.charge(ok, 1)\n"
        "    x = h.kernel.running()\n"
    )
    found = [w.split(": ", 1)[1] for w in kernel_writes(src, tmp_path)]
    assert found == [
        "writes h.kernel.clock",
        "writes h.kernel.cts",
        "registers d.kernel.ct(1)",
        "writes q.bused",
        "writes q.iused",
        "writes d.kernel.cts[4]",
    ]
