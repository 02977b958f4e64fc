"""The learned judge of repairs: fitting, storing, and how the engine uses it."""

import json
import random

import numpy as np
import pytest

from gofix.corrupt import KINDS
from gofix.rerank import FEATURES, Reranker, RerankerError, fit
from gofix.repair import ModelRepairer
from gofix.synth import random_game
from test_repair import KnowingDetector, _record

F = len(FEATURES)


def _only(feature: str, weight: float, bias: float, threshold: float = 0.5) -> Reranker:
    """A reranker that reads one feature: sigmoid(weight * x + bias)."""
    w = np.zeros(F)
    w[FEATURES.index(feature)] = weight
    return Reranker(np.zeros(F), np.ones(F), w, bias, threshold)


def test_fit_learns_a_rule_and_its_probabilities():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, F))
    truth = 1 / (1 + np.exp(-(2.0 * x[:, 0] - 1.0 * x[:, 3] - 1.0)))
    y = (rng.random(4000) < truth).astype(int)
    model = fit(x, y, l2=0.1)
    p = model.prob(x)
    assert np.abs(p - truth).mean() < 0.05  # calibrated, not just ranked
    big = np.abs(model.weights * 1)
    assert big[0] > 1.5 and big[3] > 0.6 and np.delete(big, [0, 3]).max() < 0.2


def test_fit_survives_separable_data_and_refuses_one_class():
    x = np.zeros((50, F))
    x[:25, 0] = 1.0
    y = np.r_[np.ones(25), np.zeros(25)]
    p = fit(x, y).prob(x)
    assert np.isfinite(p).all() and p[:25].min() > 0.9 and p[25:].max() < 0.1
    with pytest.raises(ValueError, match="both"):
        fit(x, np.ones(50))
    with pytest.raises(ValueError):
        fit(x[:, :3], y)


def test_round_trip_and_refusal_of_other_features():
    rng = np.random.default_rng(1)
    model = Reranker(rng.normal(size=F), rng.random(F) + 0.5, rng.normal(size=F), 0.3, 0.7, {"games": 3})
    back = Reranker.from_dict(json.loads(json.dumps(model.to_dict())))
    x = rng.normal(size=(20, F))
    assert np.allclose(back.prob(x), model.prob(x), atol=1e-5) and back.threshold == 0.7 and back.info == {"games": 3}
    data = model.to_dict()
    data["features"] = data["features"][::-1]
    with pytest.raises(RerankerError, match="refit"):
        Reranker.from_dict(data)
    data = model.to_dict()
    data["weights"] = data["weights"][:-1]
    with pytest.raises(RerankerError):
        Reranker.from_dict(data)


def _near_case(seed=2):
    clean = random_game(random.Random(seed), 100)
    noisy, truth = KINDS["near"](clean, 19, random.Random(seed), None)
    return clean, noisy, KnowingDetector(clean, "near", truth.undo.insert[0].point)


def test_engine_applies_what_the_reranker_is_sure_of_at_its_probability():
    clean, noisy, det = _near_case()
    sure = ModelRepairer(det, reranker=_only("tagger_drop", 1.0, 3.0), threshold=0.5).repair(_record(noisy))
    assert [(m[0], m[1]) for m in sure.moves] == [(m[0], m[1]) for m in clean]
    drop_rank = sure.edits[0].confidence
    assert 0.95 < drop_rank < 1.0  # the reranker's probability, not the gain rule's confidence
    # a reranker that finds nothing likely changes nothing, even where the gain rule would
    assert ModelRepairer(det, keep_bias=0.1).repair(_record(noisy)).changed
    assert not ModelRepairer(det, keep_bias=0.1, reranker=_only("gain", 0.0, -3.0)).repair(_record(noisy)).changed
    # the threshold is the reranker's probability
    assert not ModelRepairer(det, reranker=_only("gain", 0.0, 0.0), threshold=0.6).repair(_record(noisy)).changed
    assert ModelRepairer(det, reranker=_only("gain", 0.0, 0.0), threshold=0.4).repair(_record(noisy)).changed


def test_engine_picks_the_candidate_the_reranker_ranks_first():
    clean, noisy, det = _near_case()
    right = ModelRepairer(det, reranker=_only("tagger_drop", 2.0, 0.0)).repair(_record(noisy))
    wrong = ModelRepairer(det, reranker=_only("tagger_drop", -2.0, 0.0), threshold=0.0).repair(_record(noisy))
    want = [(m[0], m[1]) for m in clean]
    assert [(m[0], m[1]) for m in right.moves] == want
    assert wrong.changed and [(m[0], m[1]) for m in wrong.moves] != want


def test_trace_records_one_row_per_candidate():
    clean, noisy, det = _near_case()
    engine = ModelRepairer(det, keep_bias=0.1)
    engine.trace = []
    engine.repair(_record(noisy))
    assert engine.trace, "no pass was judged"
    want = [(m[0], m[1]) for m in clean]
    rights = 0
    for judged in engine.trace:
        for feats, news in judged:
            assert feats.shape == (len(news), F) and np.isfinite(feats).all()
            rights += sum([(m[0], m[1]) for m in new] == want for new in news)
            kinds = feats[:, FEATURES.index("kind_replace"):]
            assert (kinds.sum(axis=1) == 1).all()
    assert rights >= 1  # the true repair is among the candidates it judged


def test_the_card_brings_the_reranker_and_its_threshold(tmp_path):
    from gofix.pretrained import load_reranker, repair_engine

    ckpt = tmp_path / "tagger.pt"
    assert load_reranker(ckpt) is None
    (tmp_path / "tagger.json").write_text(json.dumps({"repair_threshold": 0.3,
                                                      "reranker": _only("gain", 1.0, 0.0, 0.65).to_dict()}))
    clean, noisy, det = _near_case()
    engine = repair_engine(det, ckpt)
    assert engine.reranker is not None and engine.threshold == 0.65
    assert repair_engine(det, ckpt, threshold=0.9).threshold == 0.9
    assert repair_engine(det, ckpt, scorer=object()).reranker is None  # the encoder-decoder's gains: the old rule
    bad = _only("gain", 1.0, 0.0).to_dict()
    bad["features"] = ["gain"]
    (tmp_path / "tagger.json").write_text(json.dumps({"reranker": bad}))
    with pytest.raises(RerankerError, match="refit"):
        load_reranker(ckpt)
