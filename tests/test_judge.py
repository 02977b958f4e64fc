"""The judge: rules verdicts on constructed versions, the undecided case, the model path, bad input."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch

from gofix.models import BiRNNTagger, checkpoint, preset
from gofix.train.corrupt import KINDS
from gofix.repair.judge import Evidence, Judge, Verdict, VersionsError, check_versions
from gofix.record import Move
from gofix.rules.synth import random_game

torch.set_num_threads(1)

REASONS = {"illegal", "fewer illegal", "both illegal", "model", "both plausible", "both legal"}


def _m(colour, r, c):
    return Move(colour, (r, c), "")


# a short legal opening; the second version writes move 3 at the point move 5 is played on later
CLEAN = [_m("b", 3, 3), _m("w", 15, 15), _m("b", 3, 15), _m("w", 15, 3), _m("b", 2, 13), _m("w", 9, 9)]
MOVED = CLEAN[:2] + [_m("b", 2, 13)] + CLEAN[3:]  # move 5 now lands on an occupied point


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    torch.manual_seed(0)
    model = BiRNNTagger(preset("tiny")).eval()
    path = tmp_path_factory.mktemp("judge") / "tiny.pt"
    checkpoint.save(path, checkpoint.make(model))
    return path


@pytest.mark.parametrize("order", [0, 1])
def test_rules_pick_the_version_that_stays_legal(order):
    versions = [CLEAN, MOVED] if order == 0 else [MOVED, CLEAN]
    v = Judge(rules_only=True).choose(19, versions, [(2, 3), (2, 3)])
    assert v.choice == order and v.reason == "illegal"
    assert 0.5 <= v.confidence <= 1.0
    assert v.scores == ((0.0, 1.0) if order == 0 else (1.0, 0.0))  # illegal counts without a model


def test_rules_alone_cannot_split_two_legal_versions():
    other = CLEAN[:2] + [_m("b", 4, 15)] + CLEAN[3:]
    v = Judge(rules_only=True).choose(19, [CLEAN, other], [(2, 3), (2, 3)])
    assert v == Verdict(None, 0.5, "both legal", (0.0, 0.0))


def test_both_illegal_is_said():
    tail = [_m("b", 10, 10), _m("w", 3, 3), _m("b", 11, 11)]  # an occupied point in the shared tail
    other = CLEAN[:2] + [_m("b", 4, 15)] + CLEAN[3:]
    v = Judge(rules_only=True).choose(19, [CLEAN + tail, other + tail], [(2, 3), (2, 3)])
    assert v.choice is None and v.reason == "both illegal"
    # one more illegal move in one version: the other has fewer
    v = Judge(rules_only=True).choose(19, [MOVED + tail, other + tail], [(2, 3), (2, 3)])
    assert v.choice == 1 and v.reason == "fewer illegal"


def test_identical_scores_are_undecided(tiny):
    judge = Judge(tiny)
    moves = random_game(random.Random(3), 50)
    v = judge.choose(19, [moves, list(moves)], [(20, 21), (20, 21)])
    assert v.choice is None and v.reason == "both plausible" and v.confidence == 0.5
    assert math.isclose(v.scores[0], v.scores[1], rel_tol=1e-6)
    ev = Evidence([0, 0], [np.ones(3), np.ones(3)], [1, 1], [1, 1], [0.0, 0.0])
    assert judge.decide(ev).choice is None


def test_decide_follows_the_margin(tiny):
    judge = Judge(tiny, context=1, scale=1.0, point_weight=0.0, move_cost=0.0, min_confidence=0.5)
    ev = Evidence([0, 0], [np.array([0.1, 3.0, 0.1]), np.array([0.1, 0.5, 0.1])], [1, 1], [1, 1], [0.0, 0.0])
    v = judge.decide(ev)
    assert v.choice == 1 and v.reason == "model"
    assert math.isclose(v.confidence, 1 / (1 + math.exp(-2.5)))
    assert judge.decide(ev, min_confidence=0.95).choice is None  # a margin too small to decide


@pytest.mark.parametrize("kind", ["near", "drop_one_recolour", "extra_pair", "swap2"])
def test_model_verdict_shapes_and_ranges(tiny, kind):
    moves = random_game(random.Random(5), 80)
    noisy, truth = KINDS[kind](moves, 19, random.Random(1))
    lo, hi = truth.span
    if kind == "drop_one_recolour":
        spans = [(lo, len(moves)), (lo, len(noisy))]
    else:
        spans = [(lo, hi + len(truth.undo.insert) - truth.undo.delete), (lo, hi)]
    for symmetries in (1, 8):
        v = Judge(tiny, symmetries=symmetries).choose(19, [moves, noisy], spans)
        assert isinstance(v, Verdict) and v.reason in REASONS
        assert v.choice in (0, 1, None) and 0.5 <= v.confidence <= 1.0
        assert len(v.scores) == 2 and all(isinstance(s, float) and math.isfinite(s) for s in v.scores)


def test_more_than_two_versions(tiny):
    moves = random_game(random.Random(6), 40)
    a = moves[:10] + [moves[10]._replace(point=(moves[10].point[0], (moves[10].point[1] + 1) % 19))] + moves[11:]
    b = moves[:10] + [moves[10]._replace(point=((moves[10].point[0] + 1) % 19, moves[10].point[1]))] + moves[11:]
    v = Judge(tiny).choose(19, [moves, a, b], [(10, 11)] * 3)
    assert v.choice in (0, 1, 2, None) and len(v.scores) == 3 and 0.5 <= v.confidence <= 1.0


def test_bad_input_raises_quoting_it():
    with pytest.raises(VersionsError, match=r"2 versions but 1 spans: \[\(2, 3\)\]"):
        check_versions([CLEAN, MOVED], [(2, 3)])
    with pytest.raises(VersionsError, match="at least two versions"):
        check_versions([CLEAN], [(2, 3)])
    other = list(MOVED)
    other[5] = _m("w", 10, 10)
    with pytest.raises(VersionsError, match=r"differs from version 0 at move 6 .*after its span \(2, 3\)"):
        Judge(rules_only=True).choose(19, [CLEAN, other], [(2, 3), (2, 3)])
    with pytest.raises(VersionsError, match=r"differs from version 0 at move 1 .*before its span \(2, 3\)"):
        check_versions([CLEAN, [_m("b", 4, 4)] + MOVED[1:]], [(2, 3), (2, 3)])
    with pytest.raises(VersionsError, match=r"span 1 \(2, 9\) does not fit version 1 of 6 moves"):
        check_versions([CLEAN, MOVED], [(2, 3), (2, 9)])
    with pytest.raises(VersionsError, match="do not share the moves outside their spans"):
        check_versions([CLEAN, MOVED], [(2, 3), (3, 4)])


def test_fitted_weights_and_calibration_from_the_model_card(tiny, tmp_path):
    import json
    import shutil

    from gofix.repair.judge import confidence

    path = tmp_path / "tagger.pt"
    shutil.copy(tiny, path)
    knots = [[0.1, 0.6], [1.0, 0.9], [5.0, 0.99]]
    weights = {"surprise@2": 1.0, "edit:keep@0": -0.5, "peak@4": 0.2, "moves@2": -0.01, "point": -0.3}
    path.with_suffix(".json").write_text(json.dumps({"judge": {"weights": weights, "calibration": knots,
                                                               "context": 1}}))
    judge = Judge(path)
    assert judge.weights == weights and judge.context == 4  # widened to the widest context the weights use
    moves = random_game(random.Random(7), 60)
    noisy, truth = KINDS["near"](moves, 19, random.Random(2))
    lo, hi = truth.span
    v = judge.choose(19, [noisy, moves], [(lo, hi), (lo, hi)])
    assert v.choice in (0, 1, None) and 0.5 <= v.confidence <= 0.99 and len(v.scores) == 2
    ev = judge.evidence(19, [noisy, moves], [(lo, hi), (lo, hi)])
    feats = ev.features([0, 2])
    assert len(feats) == 2 and {"surprise@0", "moves@2", "peak@2", "edit:keep@0", "point"} <= set(feats[0])
    assert feats[0]["moves@2"] == 5 and feats[0]["surprise@2"] >= feats[0]["surprise@0"] >= 0
    # the knots: interpolated, 0.5 at no margin, never above the last
    assert confidence(0.0, 1.0, knots) == 0.5 and math.isclose(confidence(0.55, 1.0, knots), 0.75)
    assert confidence(50.0, 1.0, knots) == 0.99 and confidence(50.0, 1.0) == 1.0


def test_choose_uses_the_cards_weights_and_knots(tiny, tmp_path):
    """``decide(ev)`` without settings scores with the card's fitted weights and maps the margin by its knots
    (it once fell back to the formula and the sigmoid, because it filled in the context and the scale first)."""
    import json
    import shutil

    from gofix.repair.judge import confidence

    path = tmp_path / "tagger.pt"
    shutil.copy(tiny, path)
    knots = [[0.1, 0.6], [1.0, 0.9], [5.0, 0.99]]
    weights = {"surprise@2": 1.0, "peak@1": 0.5}
    path.with_suffix(".json").write_text(json.dumps({"judge": {"weights": weights, "calibration": knots,
                                                               "scale": 7.0}}))
    judge = Judge(path)
    ev = Evidence([0, 0], [np.array([0.1, 0.2, 3.0, 0.1, 0.2]), np.array([0.1, 0.2, 0.5, 0.1, 0.2])],
                  [2, 2], [1, 1], [0.0, 0.0])
    v = judge.decide(ev)
    scores = judge.scores(ev, judge.context, judge.point_weight, judge.move_cost, weights)
    assert v.scores == tuple(scores) and v.choice == 1
    assert math.isclose(v.confidence, confidence(scores[0] - scores[1], 7.0, knots))
    formula = judge.decide(ev, context=2)  # a context alone: the formula, as judge_eval --fit asks
    assert formula.scores == tuple(judge.scores(ev, 2, judge.point_weight, judge.move_cost))
