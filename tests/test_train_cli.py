"""`gofix train` as a user sees it (issue 20, item 11): a progress bar with moves/s and the loss, a table
at the end (no Python dicts), a --resume with its budget spent says so, Ctrl-C says what was kept."""

from __future__ import annotations

import random

from typer.testing import CliRunner

from gofix.cli import app
from gofix.cli.train import TrainReport, cache_line
from gofix.rules.synth import random_game

runner = CliRunner()


def _sgf(moves) -> str:
    return "(;GM[1]FF[4]SZ[19]" + "".join(f";{m.colour.upper()}[{m.sgf}]" for m in moves) + ")"


def _games(folder, n=12):
    folder.mkdir()
    for k in range(n):
        (folder / f"g{k}.sgf").write_text(_sgf(random_game(random.Random(k), 60)))
    return folder


def test_train_ends_with_a_table_and_a_resume_with_its_budget_spent_says_so(tmp_path):
    src = _games(tmp_path / "games")
    out = tmp_path / "run"
    args = ["train", str(src), "--out", str(out), "--preset", "tiny", "--time-budget", "3s", "--threads", "1",
            "--no-calibrate"]  # no validation game among these 12 (the model card: tests/test_calibrate.py)
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "{'" not in res.stdout and "{\"" not in res.stdout, res.stdout  # no dicts
    assert "gofix train" in res.stdout and "moves" in res.stdout and "birnn" in res.stdout
    assert "of 12 games kept (0 unreadable, 0 not 19x19, 0 short or illegal)" in res.stdout
    again = runner.invoke(app, [*args, "--resume"])
    assert again.exit_code == 2, again.output
    said = " ".join(again.stderr.split())
    assert "nothing to do:" in said and "has trained" in said and "3 s time budget" in said, said
    assert "validation:" not in again.stdout  # nothing trained


def test_ctrl_c_says_what_was_kept_and_how_to_resume(tmp_path, monkeypatch):
    import gofix.train.loop

    src = _games(tmp_path / "games", 3)

    def interrupted(cfg, callbacks):
        raise KeyboardInterrupt

    monkeypatch.setattr(gofix.train.loop, "train", interrupted)
    res = runner.invoke(app, ["train", str(src), "--out", str(tmp_path / "run"), "--preset", "tiny"])
    assert res.exit_code == 130, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "last.pt keeps the last checkpoint" in lines[0] and "--resume" in lines[0]


class _Bar:
    def __init__(self):
        self.fields = {}

    def update(self, task, **kw):
        self.fields.update(kw)


def test_the_bar_shows_moves_per_second_and_the_loss():
    clock = iter([0.0, 2.0, 4.0])
    bar = _Bar()
    rep = TrainReport(bar, 0, 10.0, None, clock=lambda: next(clock))
    rep.on_step({"step": 1, "loss": 1.5, "moves": 1000, "elapsed_s": 2.0})
    assert bar.fields["rate"] == 500.0 and bar.fields["loss"] == 1.5 and bar.fields["description"] == "step 1"
    rep.on_step({"step": 2, "loss": 1.25, "moves": 1000, "elapsed_s": 4.0})
    assert bar.fields["rate"] == 500.0 and bar.fields["loss"] == 1.25 and bar.fields["completed"] == 4.0
    assert cache_line("c.npz", {"read": 10, "kept": 7, "unreadable": 1, "not_19": 2}) == \
        "cache c.npz: 7 of 10 games kept (1 unreadable, 2 not 19x19, 0 short or illegal)"
