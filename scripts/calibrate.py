"""Choose a tagger's flag threshold on validation games and write its model card.

    python scripts/calibrate.py CHECKPOINT [--games 200] [--card gofix/weights/tagger.json]
                                [--seq2seq S2S.pt [--seq2seq-card S2S.json]]

Builds corrupted cases from the VALIDATION split of ../shared/corpus/pro-games.tar.gz
(seed 1, one error per corrupted game, half clean — not the seed ``gofix eval``
reports with), runs the tagger once per game, and picks the flag threshold with
the best F0.5 of detection. Then, at that threshold, it tries repair
confidence thresholds and keeps the lowest one that leaves at least 99% of the
clean games untouched. Both go into the model card (JSON next to the weights)
together with the figures measured here and the checkpoint's training info.
With ``--seq2seq`` the repair sweep is run again with the encoder-decoder in
the repair engine, and its repair threshold goes into the encoder-decoder's card.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gofix.models import checkpoint  # noqa: E402
from gofix.repair.detect import ModelDetector  # noqa: E402
from gofix.evaluate.eval import ModelSystem, corpus_cases, run_system, score  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint", type=Path)
    ap.add_argument("--games", type=int, default=200)
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "pro-games.tar.gz")
    ap.add_argument("--card", type=Path, default=None, help="model card to write (default: CHECKPOINT with .json)")
    ap.add_argument("--repair-thresholds", default="0.3,0.5,0.7,0.9")
    ap.add_argument("--seq2seq", type=Path, default=None, help="encoder-decoder checkpoint to calibrate with")
    ap.add_argument("--seq2seq-card", type=Path, default=None, help="its card (default: S2S with .json)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    cases = list(corpus_cases(args.corpus, seed=1, split="val", limit=args.games))
    det = ModelDetector(args.checkpoint, threshold=1.0)  # flags nothing yet: detection only
    outs, secs = run_system(ModelSystem("probe", det, repair=False), cases)
    probe = score("probe", cases, outs, seconds=secs)
    flag_t, p, r, f = probe.best_f05()
    result = {"flag_threshold": flag_t, "validation": {"games": len(cases), "seed": 1, "split": "val",
                                                       "precision": p, "recall": r, "f05": f,
                                                       "detect_games_per_s": probe.games_per_s}}
    det.threshold = flag_t

    def sweep(scorer=None) -> tuple[float, list]:
        tried = []
        for rt in [float(x) for x in args.repair_thresholds.split(",")]:
            outs, secs = run_system(ModelSystem("repair", det, threshold=rt, scorer=scorer), cases)
            s = score("repair", cases, outs, seconds=secs, threshold=flag_t)
            tried.append({"repair_threshold": rt, "repaired_exactly": s.repaired_exactly,
                          "clean_untouched": s.clean_untouched, "games_per_s": s.games_per_s})
            print(json.dumps(tried[-1]), file=sys.stderr)
        ok = [t for t in tried if t["clean_untouched"] >= 0.99]
        chosen = max(ok, key=lambda t: (t["repaired_exactly"], t["repair_threshold"])) if ok else \
            max(tried, key=lambda t: t["clean_untouched"])
        return chosen["repair_threshold"], tried

    def model_info(path) -> dict:
        ck = checkpoint.read(path)
        return {"kind": ck["model_kind"], "config": ck["model_config"], "step": ck["step"],
                "train_config": ck["train_config"], "train_metrics": ck["metrics"]}

    result["repair_threshold"], result["validation"]["repair_sweep"] = sweep()
    result["model"] = model_info(args.checkpoint)
    result["history"] = checkpoint.read(args.checkpoint).get("history", [])  # every run behind the weights
    result["moves_seen_total"] = sum(int(r.get("moves_seen") or 0) for r in result["history"])
    card = args.card or args.checkpoint.with_suffix(".json")
    if card.exists():  # runs measured and not shipped stay on record
        old = json.loads(card.read_text(encoding="utf-8"))
        if old.get("other_runs"):
            result["other_runs"] = old["other_runs"]
    card.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    if args.seq2seq is not None:
        from gofix.repair.rescore import Seq2SeqScorer

        rt, tried = sweep(Seq2SeqScorer(args.seq2seq))
        s2s_card = args.seq2seq_card or args.seq2seq.with_suffix(".json")
        s2s = {"repair_threshold": rt, "with_tagger": {"checkpoint": str(args.checkpoint), "flag_threshold": flag_t},
               "validation": {"games": len(cases), "seed": 1, "split": "val", "repair_sweep": tried},
               "model": model_info(args.seq2seq)}
        s2s_card.write_text(json.dumps(s2s, indent=1, default=str) + "\n", encoding="utf-8")
        print(json.dumps({"seq2seq_repair_threshold": rt, "card": str(s2s_card)}))
    print(json.dumps({k: result[k] for k in ("flag_threshold", "repair_threshold")} | {"card": str(card)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
