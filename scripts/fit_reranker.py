"""Fit the repair engine's learned judge (``gofix.rerank.Reranker``) on training-split games.

    python scripts/fit_reranker.py collect --games 1500 --seed 11 --out /tmp/rr/a.npz
    python scripts/fit_reranker.py collect --games 1500 --seed 12 --out /tmp/rr/b.npz
    python scripts/fit_reranker.py fit /tmp/rr/a.npz /tmp/rr/b.npz --out /tmp/rr/reranker.json \
        [--card gofix/weights/tagger.json]

``collect`` corrupts games of the TRAINING split like ``gofix eval`` (one
error per corrupted game, half clean; never the validation or test games the
figures are reported on), runs the bundled engine on them as shipped and
records, for every candidate edit it judged, the features of
``rerank.FEATURES`` and whether applying it gives back the clean record.
``fit`` fits the logistic regression on all but the last file, prints its
log loss and how well it ranks on the last file (held out, other games), then
refits on all files and writes the reranker (JSON); with ``--card`` it is
also stored in that model card under ``reranker``, where ``gofix`` finds it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def collect(args) -> int:
    import torch

    torch.set_num_threads(1)
    from gofix.corrupt import Channel
    from gofix.evaluate import _as_record, make_cases
    from gofix.pretrained import DEFAULT, calibrated_threshold, load_detector
    from gofix.record import GameRecord
    from gofix.repair import ModelRepairer
    from gofix.sgf_io import iter_games

    records = (g for g in iter_games(args.corpus) if isinstance(g, GameRecord))
    cases = list(make_cases(records, channel=Channel(errors_per_game=1, clean_share=0.5), seed=args.seed,
                            split="train", limit=args.games))
    model = args.model or DEFAULT
    # the summed-gains engine (no reranker): the features describe its candidates
    repairer = ModelRepairer(load_detector(model), threshold=calibrated_threshold(model, "repair_threshold"))
    xs, ys, groups = [], [], []
    group = 0
    start = time.perf_counter()
    for case in cases:
        repairer.trace = []
        repairer.repair(_as_record(case))
        want = [(m.colour, m.point) for m in case.clean]
        for judged in repairer.trace:
            for feats, news in judged:
                xs.append(feats)
                ys += [[(m.colour, m.point) for m in new] == want for new in news]
                groups += [group] * len(news)
                group += 1
    x = np.concatenate(xs) if xs else np.zeros((0, 0))
    y = np.array(ys, dtype=np.int8)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, x=x, y=y, group=np.array(groups), seed=args.seed, games=len(cases))
    print(json.dumps({"out": str(args.out), "games": len(cases), "candidates": int(len(y)), "right": int(y.sum()),
                      "groups": group, "seconds": round(time.perf_counter() - start, 1)}))
    return 0


def _load(paths):
    parts = [np.load(p) for p in paths]
    return (np.concatenate([p["x"] for p in parts]), np.concatenate([p["y"] for p in parts]),
            [int(p["seed"]) for p in parts], sum(int(p["games"]) for p in parts))


def _report(model, x, y) -> dict:
    p = np.clip(model.prob(x), 1e-9, 1 - 1e-9)
    loss = float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())
    pos, neg = p[y == 1], p[y == 0]
    # AUC: chance a right candidate scores above a wrong one
    order = np.argsort(np.concatenate([pos, neg]))
    ranks = np.empty(len(order))
    ranks[order] = np.arange(1, len(order) + 1)
    auc = (ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / max(len(pos) * len(neg), 1)
    above = p >= model.threshold
    return {"candidates": int(len(y)), "right": int(y.sum()), "log_loss": round(loss, 4), "auc": round(float(auc), 4),
            "precision_at_threshold": round(float(y[above].mean()), 4) if above.any() else None,
            "recall_at_threshold": round(float(above[y == 1].mean()), 4) if (y == 1).any() else None}


def fit_cmd(args) -> int:
    from gofix.rerank import fit

    if len(args.traces) >= 2:
        x, y, _, _ = _load(args.traces[:-1])
        hx, hy, _, _ = _load(args.traces[-1:])
        held = fit(x, y, l2=args.l2)
        held.threshold = args.threshold
        print(json.dumps({"fit_on": [str(p) for p in args.traces[:-1]], "train": _report(held, x, y),
                          "held_out": _report(held, hx, hy)}))
    x, y, seeds, games = _load(args.traces)
    model = fit(x, y, l2=args.l2)
    model.threshold = args.threshold
    model.info = {"data": "training split of pro-games, one error per corrupted game, half clean",
                  "games": games, "seeds": seeds, "candidates": int(len(y)), "right": int(y.sum()), "l2": args.l2,
                  "command": "python scripts/fit_reranker.py fit " + " ".join(str(p) for p in args.traces)}
    print(json.dumps({"fit_on_all": _report(model, x, y)}))
    data = model.to_dict()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    if args.card is not None:
        card = json.loads(args.card.read_text(encoding="utf-8"))
        card["reranker"] = data
        args.card.write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--games", type=int, default=1500)
    c.add_argument("--seed", type=int, default=11)
    c.add_argument("--out", type=Path, required=True)
    c.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "pro-games.tar.gz")
    c.add_argument("--model", type=Path, default=None)
    f = sub.add_parser("fit")
    f.add_argument("traces", type=Path, nargs="+")
    f.add_argument("--out", type=Path, required=True)
    f.add_argument("--card", type=Path, default=None)
    f.add_argument("--l2", type=float, default=1.0)
    f.add_argument("--threshold", type=float, default=0.5)
    args = ap.parse_args()
    return collect(args) if args.cmd == "collect" else fit_cmd(args)


if __name__ == "__main__":
    sys.exit(main())
