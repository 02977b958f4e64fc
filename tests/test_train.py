"""The training loop: runs, validates, checkpoints, resumes, and runs under torchrun (2 CPU processes)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys

import pytest
import torch

from gofix.models import checkpoint, encoding
from gofix.train import data
from gofix.rules.synth import random_game
from gofix.train.loop import TrainConfig, evaluate, parse_args, train


def tiny_cache(n_train: int = 8, n_val: int = 3, seed: int = 0) -> data.GameCache:
    rng = random.Random(seed)
    games = [random_game(rng, rng.randrange(40, 80)) for _ in range(n_train + n_val)]
    return data.cache_from_games(games, ["train"] * n_train + ["val"] * n_val)


class Recorder:
    def __init__(self):
        self.steps, self.evals, self.paths = [], [], []

    def on_step(self, info):
        self.steps.append(info)

    def on_eval(self, info):
        self.evals.append(info)

    def on_checkpoint(self, path, info):
        self.paths.append(path)


def cfg(tmp_path, **kw) -> TrainConfig:
    base = dict(out_dir=str(tmp_path / "run"), preset="tiny", max_steps=6, eval_every_s=1e9, threads=1,
                max_tokens=600, warmup_steps=2, val_games=3)
    return TrainConfig(**{**base, **kw})


def test_train_reports_and_checkpoints(tmp_path):
    rec = Recorder()
    metrics = train(cfg(tmp_path), [rec], cache=tiny_cache())
    assert [s["step"] for s in rec.steps] == list(range(1, 7))
    assert len(rec.evals) == 1 and rec.evals[0]["step"] == 6
    for key in ("loss", "precision", "recall", "f05", "top_flag", "point_top1", "recall_at_1pct"):
        assert key in metrics
    model, ck = checkpoint.load(tmp_path / "run" / "last.pt")
    assert ck["step"] == 6 and ck["optimizer"] is not None and ck["train_config"]["preset"] == "tiny"
    assert (tmp_path / "run" / "best.pt").exists()


def test_resume_continues_at_the_saved_step(tmp_path):
    cache = tiny_cache()
    train(cfg(tmp_path, max_steps=4), cache=cache)
    rec = Recorder()
    train(cfg(tmp_path, max_steps=7, resume=True), [rec], cache=cache)
    assert [s["step"] for s in rec.steps] == [5, 6, 7]
    assert checkpoint.read(tmp_path / "run" / "last.pt")["step"] == 7


def test_init_from_fine_tunes_a_checkpoint_with_its_own_config(tmp_path):
    cache = tiny_cache()
    train(cfg(tmp_path / "a", max_steps=3, overrides={"hidden": 24}), cache=cache)
    src = tmp_path / "a" / "run" / "last.pt"
    rec = Recorder()
    # lr 0: one step leaves the weights as loaded; the preset named is ignored for the checkpoint's config
    train(cfg(tmp_path / "b", max_steps=1, lr=0.0, preset="no-such-preset", init_from=str(src)), [rec], cache=cache)
    assert [s["step"] for s in rec.steps] == [1]  # a new run: its own step count and clock
    a, b = checkpoint.read(src), checkpoint.read(tmp_path / "b" / "run" / "last.pt")
    assert b["model_config"] == a["model_config"] and b["model_config"]["hidden"] == 24
    assert all(torch.equal(a["state_dict"][k], b["state_dict"][k]) for k in a["state_dict"])
    with pytest.raises(ValueError, match="not a seq2seq"):
        train(cfg(tmp_path / "c", model="seq2seq", init_from=str(src)), cache=cache)


def test_init_from_adds_the_whole_board_view_as_a_no_op_that_then_learns(tmp_path):
    cache = tiny_cache()
    train(cfg(tmp_path / "a", max_steps=2), cache=cache)
    src = tmp_path / "a" / "run" / "last.pt"
    # lr 0: the view's projection stays at zero, so the tagger is the loaded one
    train(cfg(tmp_path / "b", max_steps=1, lr=0.0, init_from=str(src), overrides={"board_dim": 8}), cache=cache)
    a = checkpoint.load(src)[0].eval()
    b = checkpoint.load(tmp_path / "b" / "run" / "last.pt")[0].eval()
    assert b.cfg.board_dim == 8 and hasattr(b, "board_cnn") and not hasattr(a, "board_cnn")
    exs = [data.make_example(cache.game(i), None, random.Random(0), window=9, history=5, board=True)
           for i in range(3)]
    inputs, _ = encoding.collate(exs)
    with torch.no_grad():
        oa, ob = a(inputs)[0], b(inputs)[0]
    assert all(torch.equal(oa[k], ob[k]) for k in oa)
    # trained, the view changes the outputs (the projection left zero)
    train(cfg(tmp_path / "c", max_steps=3, lr=1e-2, init_from=str(src), overrides={"board_dim": 8}), cache=cache)
    c = checkpoint.load(tmp_path / "c" / "run" / "last.pt")[0].eval()
    assert c.board_proj.weight.abs().sum() > 0
    # other missing weights are still refused
    with pytest.raises(ValueError, match="do not fit"):
        train(cfg(tmp_path / "d", max_steps=1, init_from=str(src), overrides={"hidden": 40}), cache=cache)


def test_data_worker_process(tmp_path):
    rec = Recorder()
    train(cfg(tmp_path, max_steps=3, workers=1), [rec], cache=tiny_cache())
    assert [s["step"] for s in rec.steps] == [1, 2, 3]


def test_same_seed_same_run(tmp_path):
    cache = tiny_cache()
    a, b = Recorder(), Recorder()
    train(cfg(tmp_path / "a", max_steps=3), [a], cache=cache)
    train(cfg(tmp_path / "b", max_steps=3), [b], cache=cache)
    assert [s["loss"] for s in a.steps] == [s["loss"] for s in b.steps]


def test_evaluate_figures_on_a_perfect_model():
    class Oracle(torch.nn.Module):
        def forward(self, inputs, targets):
            w = targets["wrong"].clamp(min=0).float()
            e = torch.nn.functional.one_hot(targets["edit"].clamp(min=0), len(encoding.EDIT_CLASSES)).float()
            p = torch.nn.functional.one_hot(targets["point"].clamp(min=0), 82).float()
            return {"wrong": (w * 2 - 1) * 10, "edit": e, "point": p}, torch.tensor(0.0)

    cache = tiny_cache(0, 6)
    m = evaluate(Oracle(), data.fixed_batches(cache, range(6), max_tokens=2000))
    assert m["precision"] == m["recall"] == m["f05"] == 1.0
    assert m["top_flag"] == 1.0 and m["edit_acc"] == 1.0 and m["point_top1"] == 1.0


def test_command_line_parses():
    c = parse_args(["--preset", "tiny", "--causal", "--max-steps", "3", "--set", "hidden=16"])
    assert c.causal and c.max_steps == 3 and c.overrides == {"hidden": 16}


def test_two_process_ddp_smoke(tmp_path):
    path = tmp_path / "c.npz"
    data.save_cache(tiny_cache(8, 2), path)
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "gofix.train.loop", "--cache", str(path), "--out-dir", str(out), "--preset", "tiny",
           "--max-steps", "3", "--threads", "1", "--max-tokens", "400", "--val-games", "2",
           "--eval-every-s", "1000000"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # its own process group: a hang kills every rank
    try:
        stdout, stderr = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("torchrun did not finish in 120 s")
    assert proc.returncode == 0, stderr[-3000:]
    assert "eval" in stdout
    assert checkpoint.read(out / "last.pt")["step"] == 3


def test_history_accumulates_over_resume_and_init_from(tmp_path):
    cache = tiny_cache()
    train(cfg(tmp_path / "a", max_steps=2), cache=cache)
    train(cfg(tmp_path / "a", max_steps=5, resume=True), cache=cache)
    a = checkpoint.read(tmp_path / "a" / "run" / "last.pt")
    assert [(r["first_step"], r["steps"], r["resumed"]) for r in a["history"]] == [(0, 2, False), (2, 3, True)]
    assert all(r["device"].startswith("cpu") and r["moves_seen"] > 0 and "loss" in r["validation"]
               for r in a["history"])
    train(cfg(tmp_path / "b", max_steps=1, init_from=str(tmp_path / "a" / "run" / "last.pt")), cache=cache)
    b = checkpoint.read(tmp_path / "b" / "run" / "last.pt")
    assert b["history"][:2] == a["history"] and len(b["history"]) == 3
    assert b["history"][2]["init_from"].endswith("last.pt") and b["history"][2]["steps"] == 1


def test_a_checkpoint_without_history_gets_a_rebuilt_entry(tmp_path):
    from gofix.train.loop import past_runs

    cache = tiny_cache()
    train(cfg(tmp_path, max_steps=2), cache=cache)
    ck = checkpoint.read(tmp_path / "run" / "last.pt")
    del ck["history"]
    runs = past_runs(ck, "old.pt")
    assert len(runs) == 1 and runs[0]["rebuilt"] and runs[0]["steps"] == 2
    assert runs[0]["moves_seen"] == ck["metrics"]["moves_seen"] > 0


def test_a_shipped_checkpoint_takes_the_history_of_its_model_card(tmp_path):
    import json

    from gofix.train.loop import past_runs

    cache = tiny_cache()
    train(cfg(tmp_path, max_steps=1), cache=cache)
    ck = checkpoint.read(tmp_path / "run" / "last.pt")
    del ck["history"]
    shipped = tmp_path / "tagger.pt"
    card_runs = [{"run": "gpu", "device": "1 x H200", "moves_seen": 5}]
    (tmp_path / "tagger.json").write_text(json.dumps({"history": card_runs}))
    assert past_runs(ck, str(shipped)) == card_runs
    (tmp_path / "tagger.json").write_text("{not json")
    assert past_runs(ck, str(shipped))[0]["rebuilt"]


# ---------------------------------------------------------------- no usable game; the budget (issue 20.4)


class _Deadline:
    """Fail (instead of hanging the suite) if the block runs past ``seconds``."""

    def __init__(self, seconds: int):
        self.seconds = seconds

    def _fire(self, *_):
        raise TimeoutError(f"still running after {self.seconds} s")

    def __enter__(self):
        self.old = signal.signal(signal.SIGALRM, self._fire)
        signal.alarm(self.seconds)

    def __exit__(self, *exc):
        signal.alarm(0)
        signal.signal(signal.SIGALRM, self.old)


def test_no_training_game_fails_at_once_instead_of_spinning(tmp_path):
    from gofix.errors import NoGamesError

    with _Deadline(60), pytest.raises(NoGamesError, match="no usable games in .* split train"):
        train(cfg(tmp_path, max_steps=0, time_budget_s=5), cache=tiny_cache(n_train=0))


def test_a_stream_with_an_empty_shard_says_so():
    from gofix.errors import NoGamesError

    stream = data.TaggingStream(tiny_cache(n_train=1), [0], rank=1, world=2)
    with _Deadline(30), pytest.raises(NoGamesError, match="no games for shard 1 of 2"):
        next(iter(stream))


def test_train_cli_on_a_folder_without_games_says_what_eval_says(tmp_path):
    from typer.testing import CliRunner

    from gofix.cli import app

    (tmp_path / "empty").mkdir()  # no usable game: one 9x9 record (an empty folder is 'no game records found')
    (tmp_path / "empty" / "small.sgf").write_text("(;GM[1]SZ[9];B[aa];W[bb])")
    runner = CliRunner()
    with _Deadline(120):
        res = runner.invoke(app, ["train", str(tmp_path / "empty"), "--out", str(tmp_path / "o"),
                                  "--time-budget", "10s"])
        ev = runner.invoke(app, ["eval", str(tmp_path / "empty")])
    assert res.exit_code == 2 == ev.exit_code, res.output
    said = " ".join(res.stderr.split())
    assert f"error: no usable games in {tmp_path / 'empty'} (19x19, legal, 30+ moves, split train)" in said
    assert said.split("(")[0].split("error:")[1] == " ".join(ev.stderr.split()).split("(")[0].split("error:")[1]
    assert "Traceback" not in res.output


def test_training_stops_at_its_time_budget(tmp_path):
    import time

    start = time.monotonic()
    rec = Recorder()
    with _Deadline(120):
        train(cfg(tmp_path, max_steps=0, time_budget_s=2.0), [rec], cache=tiny_cache())
    took = time.monotonic() - start
    assert rec.steps and rec.steps[-1]["elapsed_s"] < 2.0 and took < 2.0 + 20  # start-up and one last validation
