"""Small development scripts whose output decides things: paired run comparison, cache building."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
sys.path.insert(0, str(SCRIPTS))

import build_cache  # noqa: E402
import paired_loss  # noqa: E402


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
