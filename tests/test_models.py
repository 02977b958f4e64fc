"""The tagger: shapes for every preset, overfitting one batch, checkpoints, the detector."""

from __future__ import annotations

import random
import re

import pytest
import torch

from gofix.models import BiRNNTagger, PRESETS, checkpoint, encoding, preset
from gofix.train import data
from gofix.findings import Finding
from gofix.repair.check import check_record
from gofix.repair.detect import ModelDetector
from gofix.errors import CheckpointError
from gofix.record import GameRecord, Node
from gofix.rules.synth import random_game

torch.set_num_threads(1)


def batch(cfg, n_games: int = 3, seed: int = 0):
    rng = random.Random(seed)
    games = [random_game(rng, rng.randrange(40, 70)) for _ in range(n_games)]
    cache = data.cache_from_games(games)
    ch = data.default_channels(2, 0.0)
    exs = [data.make_example(cache.game(i), ch[i % 2], rng, window=cfg.window, history=cfg.history)
           for i in range(n_games)]
    return encoding.collate(exs)


@pytest.mark.parametrize("name", sorted(PRESETS))
@pytest.mark.parametrize("causal", [False, True])
def test_shapes_for_every_preset(name, causal):
    cfg = preset(name, causal=causal)
    inputs, targets = batch(cfg)
    out, loss = BiRNNTagger(cfg)(inputs, targets)
    B, T = inputs["mask"].shape
    assert out["wrong"].shape == (B, T)
    assert out["edit"].shape == (B, T, len(encoding.EDIT_CLASSES))
    assert out["point"].shape == (B, T, cfg.window ** 2 + 1)
    assert loss.ndim == 0 and torch.isfinite(loss)


def test_whole_board_view_reads_the_board_and_needs_it():
    cfg = preset("tiny", board_dim=8, board_channels=4)
    rng = random.Random(2)
    cache = data.cache_from_games([random_game(rng, 50) for _ in range(2)])
    exs = [data.make_example(cache.game(i), None, rng, window=cfg.window, history=cfg.history, board=True)
           for i in range(2)]
    inputs, targets = encoding.collate(exs)
    torch.manual_seed(0)
    model = BiRNNTagger(cfg)
    torch.nn.init.normal_(model.board_proj.weight)  # a trained view: the board matters
    out, loss = model(inputs, targets)
    assert torch.isfinite(loss)
    loss.backward()
    assert model.board_cnn.conv1.weight.grad.abs().sum() > 0
    moved = dict(inputs, board=torch.roll(inputs["board"], 1, dims=1))
    assert not torch.allclose(model(moved)[0]["wrong"], out["wrong"])
    with pytest.raises(ValueError, match="whole board"):
        model({k: v for k, v in inputs.items() if k != "board"})


def test_detector_feeds_the_whole_board_to_a_tagger_that_reads_it(tmp_path):
    torch.manual_seed(0)
    cfg = preset("tiny", board_dim=8, board_channels=4)
    model = BiRNNTagger(cfg)
    torch.nn.init.normal_(model.board_proj.weight)
    path = tmp_path / "b.pt"
    checkpoint.save(path, checkpoint.make(model))
    rec = GameRecord("x", 0, 19, Node(), moves=random_game(random.Random(3), 60))
    scores = ModelDetector(path).analyse(rec)
    assert scores.p_wrong.shape == (60,)


def test_causal_model_ignores_the_future():
    torch.manual_seed(0)
    cfg = preset("tiny", causal=True)
    model = BiRNNTagger(cfg).eval()
    rng = random.Random(1)
    moves = random_game(rng, 50)
    full = encoding.encode_moves(moves, window=cfg.window, history=cfg.history)
    cut = encoding.encode_moves(moves[:30], window=cfg.window, history=cfg.history)

    def run(enc):
        inputs, _ = encoding.collate([{"planes": enc.planes, "on_board": enc.on_board, "features": enc.features}])
        return model(inputs)[0]["wrong"][0]

    torch.testing.assert_close(run(full)[:30], run(cut), rtol=1e-4, atol=1e-5)


def test_tiny_overfits_one_batch():
    torch.manual_seed(0)
    cfg = preset("tiny")
    inputs, targets = batch(cfg, 2)
    model = BiRNNTagger(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = None
    for _ in range(40):
        _, loss = model(inputs, targets)
        first = first if first is not None else float(loss.detach())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss.detach()) < 0.3 * first


def test_checkpoint_round_trip_and_errors(tmp_path):
    torch.manual_seed(0)
    cfg = preset("tiny")
    model = BiRNNTagger(cfg).eval()
    inputs, targets = batch(cfg)
    path = tmp_path / "m.pt"
    checkpoint.save(path, checkpoint.make(model, train_config={"seed": 1}, step=7, metrics={"f05": 0.5}))
    loaded, ck = checkpoint.load(path)
    assert ck["step"] == 7 and ck["train_config"] == {"seed": 1} and ck["vocab"]["size"] == 19
    a, b = model(inputs)[0], loaded(inputs)[0]
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0)
    torch.load(path, weights_only=True)  # nothing but plain data inside
    bad = tmp_path / "bad.pt"
    bad.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        checkpoint.load(bad)
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        checkpoint.load(tmp_path / "missing.pt")
    ck["model_config"]["hidden"] = 64
    torch.save(ck, tmp_path / "mismatch.pt")
    with pytest.raises(CheckpointError, match="do not fit"):
        checkpoint.load(tmp_path / "mismatch.pt")
    torch.save({"format": "something-else"}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a gofix checkpoint"):
        checkpoint.load(tmp_path / "other.pt")


def test_model_detector_findings(tmp_path):
    torch.manual_seed(0)
    model = BiRNNTagger(preset("tiny"))
    with torch.no_grad():
        model.wrong_head.bias.fill_(5.0)  # flags everything: exercises every repair sentence
    path = tmp_path / "m.pt"
    checkpoint.save(path, checkpoint.make(model))
    moves = random_game(random.Random(2), 60)
    rec = GameRecord("g.sgf", 0, 19, Node(), moves=moves)
    det = ModelDetector(path, threshold=0.5)
    scores = det.analyse(rec)
    assert scores.p_wrong.shape == (60,) and scores.edit_probs.shape == (60, len(encoding.EDIT_CLASSES))
    assert len(scores.best_point) == 60
    found = det.findings(rec, [])
    assert len(found) == 60
    for f in found:
        assert isinstance(f, Finding) and f.kind == "suspect" and 0.5 <= f.confidence <= 1.0
        assert set(f.to_dict()) == {"move", "colour", "point", "gtp", "kind", "confidence", "note", "repair"}
        # the tagger's classes reach users in words, never by their internal names ('near', 'swap2', ...)
        assert f.to_dict()["repair"] is None and f.note.startswith("the model finds this move unlikely: ")
        assert not any(re.search(rf"\b{name}\b", f.note) for name in encoding.EDIT_CLASSES[1:] if "_" in name
                       or name in ("near", "digit", "transpose", "mirror", "swap2", "extra")), f.note
    report = check_record(rec, [det])
    assert report.status == "flagged"
    assert det.findings(GameRecord("s.sgf", 0, 9, Node(), moves=[]), []) == []
    eight = ModelDetector(model, symmetries=8).analyse(rec)
    assert eight.p_wrong.shape == (60,) and abs(eight.edit_probs.sum(-1) - 1).max() < 1e-4
    many = det.analyse_many([rec, GameRecord("s", 0, 13, Node(), moves=[]), rec])
    assert many[1] is None
    torch.testing.assert_close(torch.tensor(many[0].p_wrong), torch.tensor(many[2].p_wrong))


@pytest.mark.parametrize("causal", [False, True])
def test_padding_does_not_change_outputs(causal):
    torch.manual_seed(0)
    cfg = preset("tiny", causal=causal, layers=2)
    model = BiRNNTagger(cfg).eval()
    rng = random.Random(3)
    encs = [encoding.encode_moves(random_game(rng, n), window=cfg.window, history=cfg.history) for n in (30, 55)]
    exs = [{"planes": e.planes, "on_board": e.on_board, "features": e.features} for e in encs]
    alone = model(encoding.collate(exs[:1])[0])[0]
    together = model(encoding.collate(exs)[0])[0]
    for k in alone:
        torch.testing.assert_close(alone[k][0], together[k][0, :30], rtol=1e-4, atol=1e-5)
