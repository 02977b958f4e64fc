"""Copy a training checkpoint into the package without its optimizer and RNG state.

    python scripts/ship_weights.py runs/gpu/tagger-last.pt gofix/weights/tagger.pt [--card gofix/weights/tagger.json]

``gofix.train.ship.ship_weights``: the shipped file is the same self-describing checkpoint
(config, vocabulary, training config, step, validation metrics, training history), loadable with
``gofix.models.checkpoint.load``. The history lists every training run that led to the weights
(``gofix.train.loop.past_runs``): a checkpoint written before histories were kept gets one rebuilt entry
(``--device`` says where it ran), preceded by the history of the checkpoint it was fine-tuned
from (its ``--init-from``), read before ``dst`` is overwritten. ``--card`` also copies the history
into that model card. Then ``gofix calibrate DST --data ../shared/corpus/pro-games.tar.gz --force``
measures the shipped weights into their card (thresholds, judge, trust).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gofix.errors import CheckpointError
from gofix.train.ship import ship_weights


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", type=Path)
    ap.add_argument("dst", type=Path)
    ap.add_argument("--device", default=None, help="where src's run ran, when its checkpoint does not say")
    ap.add_argument("--card", type=Path, default=None, help="model card whose 'history' to update")
    args = ap.parse_args(argv)
    try:
        ck = ship_weights(args.src, args.dst, device=args.device, card=args.card)
    except CheckpointError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.dst}: {ck['model_kind']} step {ck['step']}, {args.dst.stat().st_size / 1e6:.1f} MB, "
          f"{len(ck['history'])} run(s) in its history")
    return 0


if __name__ == "__main__":
    sys.exit(main())
