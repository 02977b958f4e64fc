"""The network as judge of repairs: log-likelihoods of move sequences, margins of edits, and the
repair engine with a judge. A tiny network written in KataGo's format, and an oracle engine that
knows the clean game, stand in for the real one (tests/test_engine_reference.py has that)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from gofix.edits import Edit, apply_edit
from gofix.engine import modelfile as mf
from gofix.engine.engine import Engine
from gofix.engine.features import GameFeatures, KBoard, to_loc
from gofix.engine.judge import ILLEGAL_LOGP, EngineJudge
from gofix.record import GameRecord, Move, Node
from gofix.rules.synth import random_game

from test_engine import tiny_desc


def _record(moves, size=9):
    return GameRecord("t.sgf", 0, size, Node({}), list(moves))


@pytest.fixture(scope="module")
def tiny_engine(tmp_path_factory):
    path = tmp_path_factory.mktemp("net") / "t.bin.gz"
    mf.write_model(tiny_desc(), path)
    return Engine.load(path)


def _game(n=30, size=9, seed=1):
    return random_game(random.Random(seed), n, size)


def test_sequence_log_probabilities_are_the_policy_of_each_position_and_are_cached(tiny_engine):
    moves = _game()
    judge = EngineJudge(tiny_engine)
    lp = judge.pass_logp(_record(moves), moves)
    assert lp.shape == (len(moves),) and (lp < 0).all()
    gf = GameFeatures(9, [(m.colour, m.point) for m in moves])
    pol = tiny_engine.evaluate(gf, range(len(moves))).policy
    idx = [(8 - m.point[0]) * 9 + m.point[1] if m.point is not None else 81 for m in moves]
    assert np.allclose(lp, np.log(pol[np.arange(len(moves)), idx]), atol=1e-4)
    n = judge.evaluated
    assert n == len(moves)
    judge.pass_logp(_record(moves), moves)  # every position is cached now
    assert judge.evaluated == n
    other = moves[:10] + [Move(moves[10].colour, None, "")] + moves[11:]
    judge.pass_logp(_record(other), other)  # shares the first 11 positions with the first list
    assert judge.evaluated == n + len(moves) - 11


def test_a_sequence_ends_at_a_move_the_network_cannot_play(tiny_engine):
    moves = _game()
    bad = moves[:12] + [Move(moves[12].colour, moves[3].point, "")] + moves[13:]  # on an occupied point
    lp = EngineJudge(tiny_engine).pass_logp(_record(bad), bad)
    assert len(lp) == 13 and lp[-1] == ILLEGAL_LOGP
    off = moves[:5] + [Move(moves[5].colour, (12, 12), "")] + moves[6:]  # off a 9x9 board
    lp = EngineJudge(tiny_engine).pass_logp(_record(off), off)
    assert len(lp) == 6 and lp[-1] == ILLEGAL_LOGP


def test_margins_compare_the_edit_and_the_window_after_it(tiny_engine):
    moves = _game()
    rec = _record(moves)
    judge = EngineJudge(tiny_engine, window=5)
    same = Edit(10, 1, (moves[10],))
    free = sorted({(r, c) for r in range(9) for c in range(9)} - {m.point for m in moves[:25]})
    move = Edit(10, 1, (Move(moves[10].colour, free[0], ""),))
    occupied = Edit(10, 1, (Move(moves[10].colour, moves[2].point, ""),))
    edits = [same, move, occupied]
    got = judge.margins(rec, moves, edits, [apply_edit(moves, e) for e in edits])
    assert got[0].margin == 0.0 and got[0].follow == 5
    m = got[1]
    assert m.follow == 5 and len(m.edited) == len(m.recorded) == 6
    assert math.isclose(m.margin, m.edited.sum() - m.recorded.sum())
    whole = judge.pass_logp(rec, moves)
    assert np.allclose(m.recorded, whole[10:16])  # the record's side is the record's own pass
    assert got[2].margin == -math.inf  # the edit puts a stone on a stone


class _Oracle:
    """An engine that knows the clean game: its next move gets all the probability wherever the
    moves so far are the clean game's, and every move is equally likely elsewhere."""

    name = "oracle"

    def __init__(self, clean, size=19):
        board = KBoard(size)
        self.clean = [to_loc(board, m.point) for m in clean]
        self.size = size

    def log_policy(self, items):
        n = self.size * self.size + 1
        rows = np.full((len(items), n), -math.log(n), dtype=np.float32)
        for k, (gf, t) in enumerate(items):
            if t < len(self.clean) and [loc for _, loc in gf.moves[:t]] == self.clean[:t]:
                loc = self.clean[t]
                x, y = gf.board(t).xy(loc)
                rows[k] = -30.0
                rows[k, y * self.size + x] = 0.0
        return rows


def test_an_oracle_judge_repairs_a_stone_one_point_off_and_leaves_the_clean_game_alone():
    from gofix.repair.pretrained import load_detector
    from gofix.repair.repairer import ModelRepairer

    det = load_detector()
    if det is None:
        pytest.skip("no bundled tagger")
    clean = random_game(random.Random(3), 80, 19)
    i = 40
    r, c = clean[i].point
    board = {m.point for m in clean}
    wrong = next(p for p in ((r, c + 1), (r, c - 1), (r + 1, c), (r - 1, c))
                 if 0 <= p[0] < 19 and 0 <= p[1] < 19 and p not in board)
    noisy = apply_edit(clean, Edit(i, 1, (Move(clean[i].colour, wrong, ""),)))
    oracle = EngineJudge(_Oracle(clean), window=8)
    rep = ModelRepairer(det, engine=oracle, engine_surprise=-3.0)
    result = rep.repair(GameRecord("t.sgf", 0, 19, Node({}), noisy))
    assert [(m.colour, m.point) for m in result.moves] == [(m.colour, m.point) for m in clean]
    assert result.engine == "oracle" and result.judged[i] >= 0.9
    assert [e.moves for e in result.edits] == [(i + 1,)]
    untouched = ModelRepairer(det, engine=EngineJudge(_Oracle(clean), window=8), engine_surprise=-3.0)
    result = untouched.repair(GameRecord("t.sgf", 0, 19, Node({}), clean))
    assert not result.edits and result.moves == clean


@pytest.mark.parametrize("kind", ["dropped pair", "block moved", "dropped move"])
def test_the_network_s_own_inserts_and_reorders_restore_what_the_tagger_s_heads_do_not_propose(kind):
    from gofix.repair.pretrained import load_detector
    from gofix.repair.repairer import ModelRepairer

    det = load_detector()
    if det is None:
        pytest.skip("no bundled tagger")
    clean = random_game(random.Random(5), 80, 19)
    i = 40
    if kind == "dropped pair":
        noisy = clean[:i] + clean[i + 2:]
    elif kind == "dropped move":  # the transcriber kept the colours alternating: every later colour flips
        noisy = clean[:i] + [Move("w" if m.colour == "b" else "b", m.point, m.sgf) for m in clean[i + 1:]]
    else:  # moves 41-42 written 6 plies later
        noisy = clean[:i] + clean[i + 2:i + 8] + clean[i:i + 2] + clean[i + 8:]
    record = GameRecord("t.sgf", 0, 19, Node({}), noisy)
    # the block kind alone where it is asked for (~50 candidates a suspect: the tagger's time)
    knobs = dict(engine_surprise=-3.0, engine_also=("block",) if kind == "block moved" else ("swap2", "extra"),
                 engine_inserts=True)
    result = ModelRepairer(det, engine=EngineJudge(_Oracle(clean), window=8), **knobs).repair(record)
    assert [(m.colour, m.point) for m in result.moves] == [(m.colour, m.point) for m in clean]
    assert result.edits and result.edits[0].moves[0] in (i + 1, i + 7)
    if kind != "dropped pair":
        return
    # without them the tagger's edit heads (no encoder-decoder here) do not get it back
    plain = ModelRepairer(det, engine=EngineJudge(_Oracle(clean), window=8), engine_surprise=-3.0).repair(record)
    assert [(m.colour, m.point) for m in plain.moves] != [(m.colour, m.point) for m in clean]
    untouched = ModelRepairer(det, engine=EngineJudge(_Oracle(clean), window=8), **knobs)
    assert not untouched.repair(GameRecord("t.sgf", 0, 19, Node({}), clean)).edits


def test_the_version_judge_picks_the_clean_version_and_the_rules_come_first():
    from gofix.versions.engine import VersionJudge

    clean = random_game(random.Random(5), 60, 19)
    i = 30
    free = next(p for p in ((r, c) for r in range(19) for c in range(19)) if p not in {m.point for m in clean})
    wrong = apply_edit(clean, Edit(i, 1, (Move(clean[i].colour, free, ""),)))
    vj = VersionJudge("unused.bin.gz")
    vj._judge = EngineJudge(_Oracle(clean), window=6)
    for versions in ([clean, wrong], [wrong, clean]):
        v = vj.choose(19, versions, [(i, i + 1), (i, i + 1)])
        assert versions[v.choice] is clean and v.reason == "model" and v.confidence > 0.9
    occupied = apply_edit(clean, Edit(i, 1, (Move(clean[i].colour, clean[3].point, ""),)))
    v = vj.choose(19, [occupied, clean], [(i, i + 1), (i, i + 1)])
    assert v.choice == 1 and v.reason == "illegal"
    import pickle

    assert pickle.loads(pickle.dumps(vj))._judge is None  # a worker loads its own network


def test_cli_engine_options(tmp_path, monkeypatch):
    import json

    from typer.testing import CliRunner

    from gofix.cli import app
    from gofix.engine import locate

    net = tmp_path / "t.bin.gz"
    mf.write_model(tiny_desc(), net)
    game = tmp_path / "g.sgf"
    moves = "".join(f";{'BW'[k % 2]}[{m.sgf}]" for k, m in enumerate(random_game(random.Random(2), 40, 19)))
    game.write_text(f"(;GM[1]FF[4]SZ[19]KM[6.5]{moves})")
    runner = CliRunner()
    res = runner.invoke(app, ["check", str(game), "--json", "--engine", "katago", "--katago-model", str(net)])
    assert res.exit_code in (0, 1), res.output
    line = json.loads(res.stdout.splitlines()[0])
    assert line["engine"] == "tiny"
    res = runner.invoke(app, ["check", str(game), "--json", "--engine", "none", "--katago-model", str(net)])
    assert "engine" not in json.loads(res.stdout.splitlines()[0])
    monkeypatch.setattr(locate, "find_network", lambda explicit=None: None)
    res = runner.invoke(app, ["check", str(game), "--engine", "katago"])
    assert res.exit_code == 2 and "gofix engine fetch" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["check", str(game), "--engine", "bogus"])
    assert res.exit_code == 2 and "auto, katago or none" in res.output
    res = runner.invoke(app, ["compare", str(game), str(game), "--engine", "auto"])
    assert res.exit_code == 0, res.output  # the same record twice: they agree, no network needed
