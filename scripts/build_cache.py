"""Parse game archives once into a training cache (``gofix.train.cache.build_cache``).

    python scripts/build_cache.py cache/pro19.npz ../shared/corpus/pro-games.tar.gz
    python scripts/build_cache.py cache/pro-tom.npz ../shared/corpus/pro-games.tar.gz \\
        ../shared/corpus/server/tom9d_*.tar.gz

Put the validation corpus first: games keep the order of the sources, and training validates on the
first validation-split games, so the validation set stays the pro corpus's whatever follows it.
Prints the counts (per source too) as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


from gofix.train.cache import build_cache


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", help="the .npz to write")
    ap.add_argument("sources", nargs="+", help="SGF files, folders, zip or tar archives")
    ap.add_argument("--limit", type=int, default=None, help="stop after this many games kept")
    args = ap.parse_args(argv)
    missing = [s for s in args.sources if not os.path.exists(s)]
    if missing:
        print(f"error: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2

    def progress(read: int, kept: int) -> None:
        if read % 10000 == 0:
            print(f"  {read} games read, {kept} kept", file=sys.stderr, flush=True)

    print(json.dumps(build_cache(args.sources, args.out, limit=args.limit, progress=progress)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
