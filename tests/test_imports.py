"""The package's import graph: no cycles, and no import from a lower layer to a higher one
(counting imports inside functions too); the library never prints.

A function-level import hides a cycle from Python at import time but not from the
reader; ``detect -> evaluate -> pretrained -> detect`` was one (the result type now
lives below both, in ``results``).

Each folder of the package is a layer (docs/architecture.md draws them): a module imports only from
its own layer and the layers below it. The lowest layer is the ground: the modules directly in
``gofix/`` (errors, coordinates, the record, komi, edits, findings, the result type, the worker
pool), with no torch and no files. Only ``gofix.cli`` talks to the terminal.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import gofix

PACKAGE = Path(gofix.__file__).parent


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module name -> the package modules it imports (absolute or relative, any nesting level)."""
    graph: dict[str, set[str]] = {}
    modules = {".".join(p.relative_to(root.parent).with_suffix("").parts).removesuffix(".__init__")
               for p in root.rglob("*.py")}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        mod = ".".join(parts)
        package = parts if is_pkg else parts[:-1]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - (node.level - 1)]
                    target = ".".join(base + (node.module.split(".") if node.module else []))
                else:
                    target = node.module or ""
                if target.split(".")[0] != root.name:
                    continue
                for a in node.names:  # a submodule taken by name, else a name of the module
                    deps.add(f"{target}.{a.name}" if f"{target}.{a.name}" in modules else target)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.split(".")[0] == root.name)
        graph[mod] = {d for d in deps if d != mod}
    return {m: {d for d in deps if d in graph} for m, deps in graph.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    for start in sorted(graph):
        if state.get(start):
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next((d for d in it if d in graph and state.get(d) != 2), None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            else:
                state[nxt] = 1
                stack.append((nxt, iter(sorted(graph[nxt]))))
                path.append(nxt)
    return None


def test_the_finder_sees_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_graph_reads_function_level_imports(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "x.py").write_text("def f():\n    from .y import g\n")
    (pkg / "y.py").write_text("from . import x\n")
    graph = import_graph(pkg)
    assert graph["pkg.x"] == {"pkg.y"} and graph["pkg.y"] == {"pkg.x"}
    assert find_cycle(graph) is not None


def test_the_graph_reads_absolute_imports(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "a.py").write_text("from pkg.b import f\n")
    (pkg / "b.py").write_text("def f():\n    from pkg.sub import a\n")
    graph = import_graph(pkg)
    assert graph["pkg.sub.a"] == {"pkg.b"} and graph["pkg.b"] == {"pkg.sub.a"}
    assert find_cycle(graph) is not None


def test_gofix_has_no_import_cycle():
    assert find_cycle(import_graph()) is None


# ------------------------------------------------------------------ layers

# lowest first; a module may import its own layer and those before it
LAYERS = ("ground", "rules", "formats", "models", "train", "engine", "repair", "versions", "review", "archive",
          "evaluate", "cli")


def layer_of(module: str) -> str:
    """``gofix.repair.check`` -> 'repair'; a module directly in gofix/ -> 'ground' (``__main__``: 'cli')."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] == "__main__":
        return "cli"
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else "ground"


def test_every_folder_of_the_package_is_a_known_layer():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(LAYERS) - {"ground"}


def upward_imports(root: Path = PACKAGE) -> list[str]:
    bad = []
    for mod, targets in sorted(import_graph(root).items()):
        mine = LAYERS.index(layer_of(mod))
        for target in sorted(targets):
            if LAYERS.index(layer_of(target)) > mine:
                bad.append(f"{mod} ({layer_of(mod)}) imports {target} ({layer_of(target)})")
    return bad


def test_no_module_imports_a_higher_layer():
    assert upward_imports() == []


# layers that never import another one, though the order would allow it: inference (the engine, the
# repair engine, versions, the review) never needs the training code
SIDE_ROOMS = {"train": ("engine", "repair", "versions", "review")}


def test_inference_never_imports_the_training_code():
    bad = [f"{mod} imports {target}" for mod, targets in sorted(import_graph().items()) for target in sorted(targets)
           if layer_of(target) in SIDE_ROOMS and layer_of(mod) in SIDE_ROOMS[layer_of(target)]]
    assert bad == []


def third_party(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            out.add(node.module.split(".")[0])
    return out


def test_the_ground_needs_no_torch_and_no_numpy():
    ground = [p for p in sorted(PACKAGE.glob("*.py"))]
    assert {p.name: sorted(third_party(p) & {"torch", "numpy"}) for p in ground
            if third_party(p) & {"torch", "numpy"}} == {}


def test_gofix_help_starts_without_torch():
    """``gofix --help`` and the commands that need no model start without importing torch."""
    import subprocess
    import sys

    code = "import sys, gofix.cli; print(sorted(m for m in ('torch', 'numpy') if m in sys.modules))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "torch" not in res.stdout, res.stdout


def test_the_layer_check_sees_an_upward_import(tmp_path):
    """The guard itself: a rules module importing the repair layer is caught."""
    fake = tmp_path / "gofix"
    (fake / "rules").mkdir(parents=True)
    (fake / "rules" / "__init__.py").write_text("")
    (fake / "rules" / "bad.py").write_text("from gofix.repair.check import check_record\n")
    (fake / "__init__.py").write_text("")
    (fake / "repair").mkdir()
    (fake / "repair" / "__init__.py").write_text("")
    (fake / "repair" / "check.py").write_text("")
    assert upward_imports(fake) == ["gofix.rules.bad (rules) imports gofix.repair.check (repair)"]


def prints(source: str, where: str = "") -> list[str]:
    """Calls that write to the terminal: print(), sys.stdout/stderr writes, a rich Console."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            owner = ast.unparse(f.value) if isinstance(f, ast.Attribute) else ""
            if name == "print" and not owner or name == "Console" or (
                    name in ("write", "flush") and owner in ("sys.stdout", "sys.stderr")):
                found.append(f"{where}:{node.lineno} {ast.unparse(f)}")
    return found


def test_the_library_never_prints():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        mod = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        if layer_of(mod) != "cli":
            found += prints(path.read_text(encoding="utf-8"), mod)
    assert found == []


@pytest.mark.parametrize("source,caught", [("print('x')\n", True), ("import sys\nsys.stderr.write('x')\n", True),
                                           ("log.print('x')\n", False), ("s = 'print'\n", False)])
def test_the_print_check_sees_a_print(source, caught):
    assert bool(prints(source)) is caught
