"""Compare settings of the repair engine on the same corrupted games (an A/B of its knobs).

    python scripts/ablate_repair.py --games 1000 --seed 2 \
        --configs '[{"point_weight": 0, "low_flag": null}, {}]'

Builds corrupted cases like ``gofix eval`` (one error per corrupted game, half
clean; the VALIDATION split by default, a seed other than the reported 0 so
that tuning does not fit the reported figures), then for each config — a JSON
object of ``repair.repairer.ModelRepairer`` attributes to override on the bundled
tagger's engine (``{}``: the defaults; ``--model``: another tagger) — prints one JSON line: exact repair,
the games it changed and the share of those it restored exactly, clean games
untouched, games/s, and exact repair per error kind. The bundled
model card's flag and repair thresholds are used unless a config sets
``flag_threshold`` / ``threshold``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--games", type=int, default=400)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--split", default="val")
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "pro-games.tar.gz")
    ap.add_argument("--configs", default="[{}]", help="JSON list of ModelRepairer attribute overrides")
    ap.add_argument("--model", type=Path, default=None,
                    help="tagger checkpoint with its model card beside it (default: the bundled one)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from gofix.evaluate.eval import ModelSystem, corpus_cases, run_system, score
    from gofix.repair.pretrained import DEFAULT, calibrated_threshold, load_detector

    configs = json.loads(args.configs)
    cases = list(corpus_cases(args.corpus, seed=args.seed, split=args.split, limit=args.games))
    model = args.model or DEFAULT
    detector = load_detector(model)
    for cfg in configs:
        system = ModelSystem("tagger", detector, threshold=calibrated_threshold(model, "repair_threshold"))
        for key, value in cfg.items():
            if not hasattr(system.repairer, key):
                raise SystemExit(f"ModelRepairer has no setting {key!r}")
            setattr(system.repairer, key, value)
        outputs, seconds = run_system(system, cases)
        s = score("tagger", cases, outputs, seconds=seconds, threshold=detector.threshold)
        print(json.dumps({"model": str(model), "config": cfg, "games": len(cases), "split": args.split, "seed": args.seed,
                          "repaired_exactly": round(s.repaired_exactly, 4),
                          "changed_games": s.changed_games, "changes_right": round(s.changes_right, 4),
                          "clean_untouched": round(s.clean_untouched, 4), "games_per_s": round(s.games_per_s, 2),
                          "by_kind": {k: round(v["repaired_exactly"], 2) for k, v in sorted(s.by_kind.items())}}),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
