"""The encoder-decoder: cache-consistent scoring, learns to copy, trains and loads, scores repairs."""

import random

import numpy as np
import pytest
import torch

from gofix.models import checkpoint, encoding
from gofix.train import data
from gofix.edits import Edit
from gofix.models.seq2seq import BOS, N_POINTS, Seq2SeqRepairer, preset
from gofix.record import GameRecord, Node
from gofix.repair.rescore import Seq2SeqScorer
from gofix.rules.synth import random_game


def _batch(games, channel=None, seed=0):
    cache = data.cache_from_games(games, ["train"] * len(games))
    exs = [data.make_example(cache.game(i), channel, random.Random(seed + i), window=9, history=5)
           for i in range(len(games))]
    return encoding.collate(exs)


def test_cached_scoring_equals_the_teacher_forced_pass():
    torch.manual_seed(0)
    games = [random_game(random.Random(i), 50) for i in range(3)]
    inputs, targets = _batch(games, data.default_channels()[0])
    model = Seq2SeqRepairer(preset("tiny")).eval()
    one_in, one_tg = encoding.collate([data.make_example(
        data.cache_from_games(games[1:2], ["train"]).game(0), None, random.Random(0), window=9, history=5)])
    with torch.no_grad():
        out, loss = model(one_in, one_tg)
        full = model.token_logp(out["colour"], out["point"], one_tg["clean"])[0]
        enc, mask = model.encode(one_in)
        mem = model.memory(enc)
        clean = one_tg["clean"]
        for start in (0, 1, 17):
            pre = model.prefix(mem, mask, clean[:, :start])
            conts = clean[:, start:start + 8].expand(3, -1)
            total, per = model.score(mem, mask, pre, conts, torch.tensor([8, 5, 1]))
            assert torch.allclose(per[0], full[start:start + 8], atol=1e-5)
            assert torch.allclose(total, torch.stack([full[start:start + n].sum() for n in (8, 5, 1)]), atol=1e-4)
        lc, lp = model.next_moves(mem, mask, model.prefix(mem, mask, clean[:, :10]))
        t = int(clean[0, 10])
        assert abs(float(lc[t // N_POINTS] + lp[t % N_POINTS]) - float(full[10])) < 1e-5
    assert torch.isfinite(loss)
    # a batch with padding gives a finite loss too
    assert torch.isfinite(model(inputs, targets)[1])


def test_learns_to_copy_a_clean_game():
    """Proof on a trivial task: source = target = one clean game; the decoder learns to copy it."""
    torch.manual_seed(0)
    inputs, targets = _batch([random_game(random.Random(5), 40)])
    model = Seq2SeqRepairer(preset("tiny", d_model=64, heads=4, ff=128))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(150):
        _, loss = model(inputs, targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        out, _ = model(inputs, targets)
    pred = out["colour"].argmax(-1) * N_POINTS + out["point"].argmax(-1)
    assert float((pred == targets["clean"]).float().mean()) >= 0.95
    assert BOS not in targets["clean"]


def test_trains_and_loads_through_the_loop(tmp_path):
    from gofix.train.loop import TrainConfig, train

    games = [random_game(random.Random(i), 40 + i) for i in range(12)]
    cache = data.cache_from_games(games, ["train"] * 9 + ["val"] * 3)
    cfg = TrainConfig(out_dir=str(tmp_path), model="seq2seq", preset="tiny", max_steps=3, eval_every_s=1e9,
                      val_games=3, max_tokens=400, threads=1, warmup_steps=1)
    metrics = train(cfg, cache=cache)
    assert {"loss", "token_acc", "repair_acc", "copy_acc"} <= set(metrics) and np.isfinite(metrics["loss"])
    model, ck = checkpoint.load(tmp_path / "best.pt")
    assert ck["model_kind"] == "seq2seq" and isinstance(model, Seq2SeqRepairer) and ck["step"] == 3
    with pytest.raises(ValueError):
        train(TrainConfig(out_dir=str(tmp_path / "x"), model="seq2seq", causal=True, preset="tiny"), cache=cache)


def test_scorer_compares_edits_on_the_same_stretch():
    torch.manual_seed(1)
    moves = random_game(random.Random(9), 60)
    rec = GameRecord("t.sgf", 0, 19, Node({}), list(moves))
    scorer = Seq2SeqScorer(Seq2SeqRepairer(preset("tiny")))
    src = scorer.source(rec)
    same = Edit(20, 1, (moves[20],))  # a no-op splice scores exactly as the record
    other = Edit(20, 1, (moves[20]._replace(point=(0, 0)),))
    delete = Edit(30, 1, ())
    base, scores = scorer.compare(src, moves, [same, other, delete])
    assert scores.shape == (3,) and abs(scores[0] - base) < 1e-4
    assert np.isfinite(scores).all() and scores[1] != base
    props = scorer.next_moves(src, moves, 25, k=5)
    assert 1 <= len(props) <= 5 and all(m.point is not None for m, _ in props)
    assert [lp for _, lp in props] == sorted((lp for _, lp in props), reverse=True)
    # only legal moves: never a point occupied in the position before the gap, even when the model
    # prefers it (an untrained model often does), and always k of them
    from gofix.rules.board import replay

    board = replay(19, moves[:25], superko=False).board
    taken = {p for stones in board.stones() for p in stones}
    props = scorer.next_moves(src, moves, 25, k=40)
    assert len(props) == 40 and not {m.point for m, _ in props} & taken
    assert all(board.is_legal(m.colour, m.point) for m, _ in props)
    assert scorer.source(GameRecord("t.sgf", 0, 9, Node({}), list(moves[:3]))) is None
