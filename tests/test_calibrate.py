"""The model card (``evaluate.calibrate``, ``gofix calibrate``, the card ``gofix train`` writes) on tiny
models trained here in seconds, and shipping a checkpoint (``train.ship``)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gofix.cli import app
from gofix.errors import CheckpointError, NoGamesError
from gofix.evaluate import calibrate as cal
from gofix.models import checkpoint
from gofix.rules.synth import random_game
from gofix.train import data
from gofix.train.loop import TrainConfig, train

runner = CliRunner()
SMALL = dict(games=20, judge_games=20, judge_train_games=20, trust_games=20)  # all a tiny cache holds


def _cache(n_train: int = 8, n_val: int = 4, seed: int = 0) -> data.GameCache:
    rng = random.Random(seed)
    games = [random_game(rng, rng.randrange(40, 80)) for _ in range(n_train + n_val)]
    return data.cache_from_games(games, ["train"] * n_train + ["val"] * n_val)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny tagger and encoder-decoder (6 steps each) and the cache they were trained on."""
    root = tmp_path_factory.mktemp("tiny")
    cache = _cache()
    path = root / "cache.npz"
    data.save_cache(cache, path)
    out = {}
    for kind in ("birnn", "seq2seq"):
        cfg = TrainConfig(cache=str(path), out_dir=str(root / kind), model=kind, preset="tiny", max_steps=6,
                          eval_every_s=1e9, threads=1, max_tokens=600, warmup_steps=2, val_games=4)
        train(cfg, [], cache=cache)
        out[kind] = root / kind / "last.pt"
    return {"cache": path, "tagger": out["birnn"], "seq2seq": out["seq2seq"], "root": root}


def _copy(src, dst_dir, name="tagger.pt"):
    dst_dir.mkdir(parents=True, exist_ok=True)
    dst = dst_dir / name
    dst.write_bytes(src.read_bytes())
    return dst


def _keys(x, depth=2):
    """The card's structure: its keys, and the keys of the dicts in it, ``depth`` levels down."""
    if not isinstance(x, dict) or depth == 0:
        return None
    return {k: _keys(v, depth - 1) for k, v in x.items()}


def _without_timings(x):
    if isinstance(x, dict):
        return {k: _without_timings(v) for k, v in x.items() if k not in ("detect_games_per_s", "games_per_s")}
    if isinstance(x, list):
        return [_without_timings(v) for v in x]
    return x


def test_the_card_has_the_shipped_schema_and_what_every_command_reads(tiny, tmp_path):
    ck = _copy(tiny["tagger"], tmp_path)
    s2s = _copy(tiny["seq2seq"], tmp_path, "s2s.pt")
    lines = []
    done = cal.calibrate(ck, tiny["cache"], seq2seq=s2s, log=lines.append, **SMALL)
    card = json.loads((tmp_path / "tagger.json").read_text())
    assert card == done.card and done.steps == cal.STEPS and lines
    assert list(card) == [k for k in cal.ORDER if k in card]
    assert card["validation"]["games"] == 4 and card["validation"]["split"] == "val"  # the cache's own split
    assert card["change_trust"]["games"] == 4 and card["judge"]["weights_fitted_on"]["games"] == 8
    assert card["model"]["kind"] == "birnn-tagger" and card["history"] and card["moves_seen_total"] > 0
    shipped = cal.read_card(Path(__file__).resolve().parent.parent / "gofix" / "weights" / "tagger.json")
    if shipped:  # the same entries, the same fields in each (the notes written by hand aside)
        want = {k: v for k, v in _keys(shipped).items() if k not in cal.KEPT}
        got = _keys(card)
        assert set(got) == set(want)
        for k, v in want.items():
            assert (set(got[k]) if got[k] else None) == (set(v) if v else None), k
    s2s_card = json.loads((tmp_path / "s2s.json").read_text())
    assert set(s2s_card) == {"repair_threshold", "with_tagger", "validation", "model"}
    assert s2s_card["with_tagger"]["flag_threshold"] == card["flag_threshold"]
    from gofix.repair.judge import Judge
    from gofix.repair.pretrained import calibrated_threshold, change_trust

    assert calibrated_threshold(ck) == card["flag_threshold"]
    assert calibrated_threshold(ck, "repair_threshold") == card["repair_threshold"]
    assert (change_trust(ck) or {}) == (card["change_trust"] if card["change_trust"]["changed"] else {})
    judge = Judge(ck)
    assert judge.scale == card["judge"]["scale"] and judge.weights == card["judge"]["weights"]
    # the same inputs and seeds: the same card (but for the seconds it took)
    again = cal.calibrate(ck, tiny["cache"], card=tmp_path / "again.json", seq2seq=s2s,
                          seq2seq_card=tmp_path / "s2s-again.json", **SMALL)
    assert _without_timings(again.card) == _without_timings(card)


def test_a_card_there_is_replaced_only_with_force_and_keeps_its_notes(tiny, tmp_path):
    ck = _copy(tiny["tagger"], tmp_path)
    card = tmp_path / "tagger.json"
    card.write_text(json.dumps({"other_runs": [{"run": "x"}], "history_note": "by hand", "flag_threshold": 0.1}))
    before = card.read_text()
    with pytest.raises(cal.CardExistsError, match="exists; use --force"):
        cal.calibrate(ck, tiny["cache"], steps=("thresholds",), **SMALL)
    assert card.read_text() == before
    done = cal.calibrate(ck, tiny["cache"], steps=("thresholds",), force=True, **SMALL)
    assert done.replaced == [card] and done.card["other_runs"] == [{"run": "x"}]
    assert done.card["history_note"] == "by hand" and "judge" not in done.card
    # a later step alone keeps the thresholds measured before and measures the changes at them
    trust = cal.calibrate(ck, tiny["cache"], steps=("trust",), force=True, **SMALL)
    assert trust.card["flag_threshold"] == done.card["flag_threshold"]
    assert trust.card["validation"] == done.card["validation"] and "change_trust" in trust.card


def test_calibrate_refuses_what_it_cannot_measure(tiny, tmp_path):
    ck = _copy(tiny["tagger"], tmp_path)
    with pytest.raises(CheckpointError, match="encoder-decoder"):
        cal.calibrate(tiny["seq2seq"], tiny["cache"], card=tmp_path / "x.json")
    empty = tmp_path / "empty.npz"
    data.save_cache(_cache(4, 0), empty)
    with pytest.raises(NoGamesError, match="no usable val game"):
        cal.calibrate(ck, empty)
    with pytest.raises(ValueError, match="no thresholds"):
        cal.calibrate(ck, tiny["cache"], steps=("trust",))
    assert not (tmp_path / "tagger.json").exists() and not (tmp_path / "x.json").exists()


def test_the_command_writes_the_card_and_refuses_to_overwrite_it(tiny, tmp_path):
    ck = _copy(tiny["tagger"], tmp_path)
    args = ["calibrate", str(ck), "--games", "20", "--judge-games", "20", "--judge-train-games", "20",
            "--trust-games", "20"]
    res = runner.invoke(app, args)  # --data: the cache the checkpoint was trained on
    assert res.exit_code in (0, 1), res.output
    assert f"model card {tmp_path / 'tagger.json'}" in " ".join(res.stdout.split())
    assert "thresholds on 4 validation games" in res.stdout and "{'" not in res.stdout
    card = (tmp_path / "tagger.json").read_text()
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "exists; use --force to overwrite it" in again.stderr
    assert (tmp_path / "tagger.json").read_text() == card
    forced = runner.invoke(app, [*args, "--force", "--steps", "thresholds"])
    assert forced.exit_code in (0, 1) and "(replaced)" in forced.stdout
    bad = runner.invoke(app, [*args, "--steps", "everything"])
    assert bad.exit_code == 2
    s2s = runner.invoke(app, ["calibrate", str(tiny["seq2seq"]), "--data", str(tiny["cache"]),
                              "--card", str(tmp_path / "s.json")])
    assert s2s.exit_code == 2 and "encoder-decoder" in s2s.stderr and not (tmp_path / "s.json").exists()


def test_the_command_asks_for_data_when_the_training_cache_is_gone(tiny, tmp_path):
    ck = checkpoint.read(tiny["tagger"])
    ck["train_config"] = {**ck["train_config"], "cache": str(tmp_path / "gone.npz")}
    path = tmp_path / "moved.pt"
    checkpoint.save(path, ck)
    res = runner.invoke(app, ["calibrate", str(path)])
    assert res.exit_code == 2 and "give --data" in res.stderr and "gone.npz" in " ".join(res.stderr.split())


def _sgf(moves) -> str:
    return "(;GM[1]FF[4]SZ[19]" + "".join(f";{m.colour.upper()}[{m.sgf}]" for m in moves) + ")"


def _games(folder, n_train: int, n_val: int):
    """SGF files of random games, ``n_val`` of them in the validation split (by their hash)."""
    from gofix.train.splits import game_key, split_of

    folder.mkdir()
    want = {"train": n_train, "val": n_val}
    k = 0
    while any(want.values()):
        moves = random_game(random.Random(k), 60)
        split = split_of(game_key(moves, 19))
        if want.get(split):
            want[split] -= 1
            (folder / f"g{k}.sgf").write_text(_sgf(moves))
        k += 1
    return folder


def test_train_writes_the_model_card_of_what_it_trained(tmp_path):
    src = _games(tmp_path / "games", 10, 2)
    out = tmp_path / "run"
    res = runner.invoke(app, ["train", str(src), "--out", str(out), "--preset", "tiny", "--time-budget", "3s",
                              "--threads", "1"])
    assert res.exit_code in (0, 1), res.output
    card = json.loads((out / "best.json").read_text()) if (out / "best.json").exists() else \
        json.loads((out / "last.json").read_text())
    assert {"flag_threshold", "repair_threshold", "judge", "change_trust"} <= set(card)
    assert card["validation"]["games"] == 2 and "model card" in res.stdout


def test_train_without_validation_games_says_there_is_no_card(tmp_path):
    src = _games(tmp_path / "games", 6, 0)
    out = tmp_path / "run"
    base = ["train", str(src), "--out", str(out), "--preset", "tiny", "--time-budget", "2s", "--threads", "1"]
    res = runner.invoke(app, base)
    assert res.exit_code == 1, res.output
    said = " ".join(res.stderr.split())
    assert "no model card:" in said and "gofix calibrate" in said
    assert not list(out.glob("*.json"))
    quiet = runner.invoke(app, [*base[:3], str(tmp_path / "run2"), *base[4:], "--no-calibrate"])
    assert quiet.exit_code == 0 and "no model card" not in quiet.stderr


def test_ship_weights_drops_the_optimizer_and_copies_the_history(tiny, tmp_path):
    from gofix.train.ship import ship_weights

    card = tmp_path / "shipped.json"
    card.write_text(json.dumps({"flag_threshold": 0.5, "other_runs": []}))
    ck = ship_weights(tiny["tagger"], tmp_path / "shipped.pt", card=card)
    shipped = checkpoint.read(tmp_path / "shipped.pt")
    assert shipped["optimizer"] is None and shipped["rng"] is None and shipped["history"] == ck["history"]
    entries = json.loads(card.read_text())
    assert entries["flag_threshold"] == 0.5 and entries["history"] == ck["history"]
    assert entries["moves_seen_total"] == sum(r["moves_seen"] for r in ck["history"]) > 0
