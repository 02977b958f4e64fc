"""Copy a training checkpoint into the package without its optimizer and RNG state.

    python scripts/ship_weights.py runs/gpu/tagger-last.pt gofix/weights/tagger.pt [--card gofix/weights/tagger.json]

The shipped file is the same self-describing checkpoint (config, vocabulary,
training config, step, validation metrics, training history), loadable with
``gofix.models.checkpoint.load``. The history lists every training run that led to the
weights (``train.past_runs``): a checkpoint written before histories were kept
gets one rebuilt entry (``--device`` says where it ran), preceded by the history
of the checkpoint it was fine-tuned from (its ``--init-from``), read before
``dst`` is overwritten. ``--card`` also copies the history into that model card.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gofix.models import checkpoint  # noqa: E402
from gofix.errors import CheckpointError  # noqa: E402
from gofix.train.loop import past_runs  # noqa: E402


def history_of(ck: dict, src: Path, device: str | None) -> list[dict]:
    """``ck``'s training history, rebuilt (with its --init-from's) when it has none."""
    if ck.get("history"):
        return [dict(r) for r in ck["history"]]
    runs = past_runs(ck, str(src))
    if device:
        runs[-1]["device"] = device
    init = (ck.get("train_config") or {}).get("init_from")
    if init and os.path.exists(init):
        try:
            runs = history_of(checkpoint.read(init), Path(init), None) + runs
        except CheckpointError:
            pass
    return runs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", type=Path)
    ap.add_argument("dst", type=Path)
    ap.add_argument("--device", default=None, help="where src's run ran, when its checkpoint does not say")
    ap.add_argument("--card", type=Path, default=None, help="model card whose 'history' to update")
    args = ap.parse_args()
    ck = checkpoint.read(args.src)
    ck["history"] = history_of(ck, args.src, args.device)
    ck["optimizer"] = None
    ck["rng"] = None
    checkpoint.save(args.dst, ck)
    checkpoint.load(args.dst)  # it must load as shipped
    if args.card is not None:
        card = json.loads(args.card.read_text(encoding="utf-8")) if args.card.exists() else {}
        card["history"] = ck["history"]
        card["moves_seen_total"] = sum(int(r.get("moves_seen") or 0) for r in ck["history"])
        args.card.write_text(json.dumps(card, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"{args.dst}: {ck['model_kind']} step {ck['step']}, {args.dst.stat().st_size / 1e6:.1f} MB, "
          f"{len(ck['history'])} run(s) in its history")
    return 0


if __name__ == "__main__":
    sys.exit(main())
