"""Small development scripts whose output decides things: paired run comparison, cache building."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def script(name: str):
    """The maintainer script ``scripts/NAME.py`` as a module, loaded by its path (scripts are not a package)."""
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_cache = script("build_cache")
paired_loss = script("paired_loss")


def test_scripts_import_gofix_as_installed_and_nothing_private():
    """scripts/ and research/: no sys.path.insert, no import of tests, no private name of gofix (a
    name or attribute with a leading underscore, but a script's own ``self._x``)."""
    import ast

    root = SCRIPTS.parent
    found = []
    for path in sorted([*SCRIPTS.glob("*.py"), *(root / "research").glob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("gofix", "tests"):
                found += [f"{where} from {node.module} import {a.name}" for a in node.names
                          if a.name.startswith("_") or node.module.split(".")[0] == "tests"]
            elif isinstance(node, ast.Import):
                found += [f"{where} import {a.name}" for a in node.names if a.name.split(".")[0] == "tests"]
            elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                if not (isinstance(node.value, ast.Name) and node.value.id == "self"):
                    found.append(f"{where} {ast.unparse(node)}")
            elif isinstance(node, ast.Call) and ast.unparse(node.func) == "sys.path.insert":
                found.append(f"{where} sys.path.insert")
    assert not found, found


def test_bench_names_its_benchmarks(capsys):
    bench = script("bench")
    assert bench.main([]) == 2 and "python scripts/bench.py NAME" in capsys.readouterr().out
    assert bench.main(["no-such"]) == 2 and "one of check, clean" in capsys.readouterr().err
    assert set(bench.BENCHES) == {"check", "clean", "batch", "memory", "replay", "engine", "pipeline"}


def write_log(path: Path, losses: dict[int, float], lr: float, evals: list[str] = ()) -> None:
    lines = [f"step {s} loss {v:.4f} lr {lr:.2e} gnorm 1.00 moves/s 3000 t {s}s" for s, v in losses.items()]
    path.write_text("\n".join(lines + list(evals)) + "\n")


def test_paired_loss_compares_the_steps_both_runs_logged(tmp_path, capsys):
    rng = random.Random(0)
    a = {s: 2.0 + rng.random() for s in range(50, 1050, 50)}
    b = {s: v - 0.1 for s, v in a.items() if s <= 800}  # B: 0.1 lower on every shared batch, stopped earlier
    write_log(tmp_path / "a.log", a, 2e-4, ['eval {"step": 600, "loss": 2.65, "top_flag": 0.62}'])
    write_log(tmp_path / "b.log", b, 1e-4)
    assert paired_loss.main([str(tmp_path / "a.log"), str(tmp_path / "b.log")]) == 0
    out = capsys.readouterr().out
    assert "16 batches both logged, steps 50..800" in out
    assert "B - A      -0.1000 (standard error 0.0000); B lower on 16 of 16" in out
    assert "learning rate at step 800  A 2.00e-04   B 1.00e-04" in out
    assert "A eval step 600 loss 2.65 top_flag 0.62" in out
    assert paired_loss.main([str(tmp_path / "a.log"), str(tmp_path / "b.log"), "--from-step", "900"]) == 1


def test_build_cache_refuses_a_missing_source(tmp_path, capsys):
    assert build_cache.main([str(tmp_path / "c.npz"), str(tmp_path / "nowhere.tar.gz")]) == 2
    assert "no such file or folder" in capsys.readouterr().err and not (tmp_path / "c.npz").exists()


if __name__ == "__main__":
    sys.exit(pytest.main([__file__]))


def _trace(kind, edited, recorded, right, suspect=10):
    return {"suspect": suspect, "kind": kind, "edited": edited, "recorded": recorded, "head": [1, 1],
            "fixed": 0.0, "size": 0, "right": right}


def test_engine_calibration_separates_right_from_wrong_repairs_and_writes_nothing_unasked(tmp_path, capsys):
    import json

    ec = script("engine_calibrate")

    rng = random.Random(0)
    games = []
    for k in range(40):
        corrupted = k % 2 == 0
        cands = [_trace("replace", [-3.0] * 13, [-3.0 + rng.uniform(-0.5, 0.5)] * 13, False) for _ in range(4)]
        if corrupted:  # the right repair: the moves after it become natural again
            cands.append(_trace("replace", [-1.0] * 13, [-4.0] * 13, True))
        games.append({"game": str(k), "moves": 200, "truths": [{"kind": "near", "positions": [10]}] if corrupted else [],
                      "rules": [], "candidates": cands, "positions": 300, "seconds": 1.0})
    scale, offsets = ec.fit_params(games, 12)
    assert scale > 0 and set(offsets) == set(ec.KIND_GROUPS)
    sim = ec.simulate(games, 12, scale, offsets, 0.5)
    assert sim["exact_repair"] == 1.0 and sim["clean_untouched"] == 1.0 and sim["wrong_repairs"] == 0
    assert sim["flag_precision"] == 1.0 and sim["recall"] == 1.0
    assert ec.window_margin([-1.0] * 13, [-4.0] * 13, 1, 1, 4) == (15.0, 4)  # the edit + 4 moves after it
    path = tmp_path / "g.jsonl"
    path.write_text("".join(json.dumps(g) + "\n" for g in games))
    ec.main(["fit", str(path), "--windows", "4", "--thresholds", "0.5"])
    out = capsys.readouterr().out
    assert "chosen:" in out and "wrote" not in out
    ec.main(["score", str(path)])  # the shipped calibration as it is: the right repairs are 39 nats up
    out = capsys.readouterr().out
    assert "40 games (20 corrupted)" in out and "exact 20/20, 0 wrong" in out and "'near': '20/20'" in out


def test_the_shipped_engine_calibration_is_complete():
    from gofix.engine.judge import CALIBRATION, DEFAULT_SETTINGS, settings, trust

    got = settings()
    assert set(got) == set(DEFAULT_SETTINGS)
    if CALIBRATION.is_file():
        assert 0 < got["engine_threshold"] < 1 and got["engine_scale"] > 0 and got["engine_offsets"]
        t = trust()
        assert t["games"] > 0 and 0 <= t["exact_repair"] <= 1 and t["fitted_on"]
