"""The package's layers: each folder is a layer, and a module imports only from its own layer and
the layers below it (docs/architecture.md draws them). The library never prints: only ``gofix.cli``
talks to the terminal.

The lowest layer is the ground: the modules directly in ``gofix/`` (errors, coordinates, the record,
komi, edits, findings, the result type, the worker pool), with no torch and no files.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import gofix

PACKAGE = Path(gofix.__file__).parent

# lowest first; a module may import its own layer and those before it
LAYERS = ("ground", "rules", "formats", "models", "engine", "repair", "versions", "review", "train", "archive",
          "evaluate", "cli")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module: str) -> str:
    """``gofix.repair.check`` -> 'repair'; a module directly in gofix/ -> 'ground' (``__main__``: 'cli')."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] == "__main__":
        return "cli"
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else "ground"


def imports_of(path: Path) -> set[str]:
    """The gofix modules a file imports, absolute or relative, at any nesting level."""
    mod = module_name(path)
    package = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + (node.module.split(".") if node.module else []))
            else:
                target = node.module or ""
            if target == "gofix" or target.startswith("gofix."):
                for alias in node.names:  # `from gofix.formats import sgf`: the module gofix.formats.sgf
                    sub = f"{target}.{alias.name}"
                    out.add(sub if _exists(sub) else target)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("gofix."))
    return out


def _exists(module: str) -> bool:
    rel = Path(*module.split(".")[1:])
    return (PACKAGE / rel).with_suffix(".py").exists() or (PACKAGE / rel / "__init__.py").exists()


def test_every_folder_of_the_package_is_a_known_layer():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(LAYERS) - {"ground"}


def upward_imports(root: Path = PACKAGE) -> list[str]:
    bad = []
    for path in sorted(root.rglob("*.py")):
        mod = module_name(path)
        mine = LAYERS.index(layer_of(mod))
        for target in sorted(imports_of(path)):
            theirs = LAYERS.index(layer_of(target))
            if theirs > mine:
                bad.append(f"{mod} ({layer_of(mod)}) imports {target} ({layer_of(target)})")
    return bad


def test_no_module_imports_a_higher_layer():
    assert upward_imports() == []


def test_the_layer_check_sees_an_upward_import(tmp_path):
    """The guard itself: a rules module importing the repair layer is caught."""
    fake = tmp_path / "gofix"
    (fake / "rules").mkdir(parents=True)
    (fake / "rules" / "__init__.py").write_text("")
    (fake / "rules" / "bad.py").write_text("from gofix.repair.check import check_record\n")
    bad = [line for line in upward_imports_in(fake)]
    assert bad == ["gofix.rules.bad (rules) imports gofix.repair.check (repair)"]


def upward_imports_in(root: Path) -> list[str]:
    global PACKAGE
    saved, PACKAGE = PACKAGE, root
    try:
        return upward_imports(root)
    finally:
        PACKAGE = saved


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
    found = [p for path in sorted(PACKAGE.rglob("*.py")) if layer_of(module_name(path)) != "cli"
             for p in prints(path.read_text(encoding="utf-8"), module_name(path))]
    assert found == []


@pytest.mark.parametrize("source,caught", [("print('x')\n", True), ("import sys\nsys.stderr.write('x')\n", True),
                                           ("log.print('x')\n", False), ("s = 'print'\n", False)])
def test_the_print_check_sees_a_print(source, caught):
    assert bool(prints(source)) is caught
