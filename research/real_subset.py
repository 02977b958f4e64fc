"""Copy N real single-game 19x19 records of one split out of the corpus, byte for byte.

    python research/real_subset.py OUT_DIR [--games 3000] [--split test]

For measuring what gofix does to real, uncorrupted archives: e.g.
``gofix clean OUT_DIR --out cleaned/ --jobs 2`` then count ``"changed": true``
in ``cleaned/report.jsonl``. Members are taken in archive order; files are
named 00000.sgf, 00001.sgf, ... (the report's ``path`` maps back through
OUT_DIR/sources.txt). With ``--confirmed``, only games that a second record in
the corpus repeats move for move: any change gofix makes to those is most
likely damage (``research/second_records.py`` checks each change).
"""

from __future__ import annotations

import argparse
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    from gofix.record import GameRecord
    from gofix.formats.read import parse_collection
    from gofix.train.splits import game_key, split_of

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--games", type=int, default=3000)
    ap.add_argument("--split", default="test", choices=["train", "val", "test"])
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "pro-games.tar.gz")
    ap.add_argument("--confirmed", action="store_true",
                    help="only records whose whole main line a second record in the corpus repeats "
                         "(any symmetry): games two sources agree on, for measuring damage")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    names = []
    confirmed = _confirmed_keys(args.corpus) if args.confirmed else None
    with tarfile.open(args.corpus) as tar:
        for member in tar:
            if not member.isfile() or not member.name.lower().endswith(".sgf"):
                continue
            data = tar.extractfile(member).read()
            games = [g for g in parse_collection(data, member.name) if isinstance(g, GameRecord)]
            if len(games) != 1 or games[0].size != 19 or len(games[0].moves) < 30:
                continue
            if split_of(game_key(games[0].moves, 19)) != args.split:
                continue
            if confirmed is not None and _full_key(games[0].moves) not in confirmed:
                continue
            (args.out / f"{len(names):05d}.sgf").write_bytes(data)
            names.append(member.name)
            if len(names) >= args.games:
                break
    (args.out / "sources.txt").write_text("".join(f"{i:05d}.sgf {n}\n" for i, n in enumerate(names)), encoding="utf-8")
    print(f"{len(names)} records of the {args.split} split written to {args.out}")
    return 0


def _full_key(moves) -> str:
    from gofix.train.splits import game_key

    return game_key(moves, 19, prefix=max(1, len(moves)))


def _confirmed_keys(corpus: Path) -> set[str]:
    """Whole-game keys that two or more 19x19 records of the corpus share."""
    from collections import Counter

    from gofix.record import GameRecord
    from gofix.formats.read import iter_games

    counts = Counter(_full_key(g.moves) for g in iter_games(corpus)
                     if isinstance(g, GameRecord) and g.size == 19 and len(g.moves) >= 30)
    return {k for k, n in counts.items() if n >= 2}


if __name__ == "__main__":
    sys.exit(main())
