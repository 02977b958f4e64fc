"""Copy a training checkpoint into the package without its optimizer and RNG state.

    python scripts/ship_weights.py runs/gpu/tagger-last.pt gofix/weights/tagger.pt

The shipped file is the same self-describing checkpoint (config, vocabulary,
training config, step, validation metrics), loadable with ``gofix.checkpoint.load``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gofix import checkpoint  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", type=Path)
    ap.add_argument("dst", type=Path)
    args = ap.parse_args()
    ck = checkpoint.read(args.src)
    ck["optimizer"] = None
    ck["rng"] = None
    checkpoint.save(args.dst, ck)
    checkpoint.load(args.dst)  # it must load as shipped
    print(f"{args.dst}: {ck['model_kind']} step {ck['step']}, {args.dst.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
