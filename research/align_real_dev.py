"""Check gofix.versions.align on the real pairs of ../shared/real-dev against its pairs.tsv.

For every pair: does the first region start at ``first_diff_move``, is the
symmetry ``sym_A_to_B``, do the kinds match ``region_kinds`` (as a multiset),
and, for substitutions, the offset ``dx, dy``. Prints a table and the counts.

pairs.tsv numbers the symmetries its own way: its 1 (a left-right mirror) is
``coords.transform``'s 2, and the other way round (seen on RD0102/RD0105: only
coords sym 2 lines them up); 0 and 3 are the same. The "sym" column compares
after that mapping, "sym raw" without it. pairs.tsv measures dx/dy in B's
orientation; ``Region.offset`` is in A's, so it is mapped into B's before the
comparison.

Usage: python research/align_real_dev.py [../shared/real-dev] [--verbose]
"""

from __future__ import annotations

import argparse
import csv
import glob
import os
import sys
from collections import Counter

from gofix.versions.align import DifferentGamesError, align
from gofix.coords import transform
from gofix.formats.read import read_game

TSV_TO_COORDS = {0: 0, 1: 2, 2: 1, 3: 3}  # transposes (4..7) do not occur in real-dev


def _inverse(sym: int, size: int) -> int:
    p = (1, 2)
    return next(s for s in range(8) if transform(transform(p, sym, size), s, size) == p)


def _offset_in_b(region, a_moves, sym: int, size: int):
    """The substitution's (dx, dy) measured in B's orientation."""
    inv = _inverse(sym, size)
    pa = a_moves[region.a[0]].point
    dx, dy = region.offset
    pb_in_a = (pa[0] - dy, pa[1] + dx)  # B's point in A's orientation (dy counts rows downwards)
    qa, qb = transform(pa, inv, size), transform(pb_in_a, inv, size)
    return qb[1] - qa[1], qa[0] - qb[0]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", nargs="?", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared",
                                                            "real-dev"))
    ap.add_argument("--verbose", "-v", action="store_true", help="Also print every region found.")
    args = ap.parse_args(argv)
    tsv = os.path.join(args.root, "pairs.tsv")
    if not os.path.exists(tsv):
        print(f"no {tsv}", file=sys.stderr)
        return 2
    rows = list(csv.DictReader(open(tsv, encoding="utf-8"), delimiter="\t"))
    counts = Counter()
    print(f"{'pair':8} {'first':>5} {'sym':>3} {'raw':>3} {'kinds':>5} {'offset':>6}  tsv kinds  ->  found")
    for row in rows:
        folder = os.path.join(args.root, row["pair_id"])
        rec_a = read_game(glob.glob(os.path.join(folder, "A__*"))[0])
        rec_b = read_game(glob.glob(os.path.join(folder, "B__*"))[0])
        try:
            al = align(rec_a.moves, rec_b.moves, rec_a.size, setup_a=rec_a.setup_black, setup_b=rec_b.setup_black)
        except DifferentGamesError as exc:
            print(f"{row['pair_id']:8} not aligned: {exc}")
            counts["pairs"] += 1
            continue
        want = row["region_kinds"].split(",")
        got = [r.kind for r in al.regions]
        first_ok = bool(al.regions) and al.regions[0].a[0] + 1 == int(row["first_diff_move"])
        tsv_sym = int(row["sym_A_to_B"])
        sym_ok = TSV_TO_COORDS.get(tsv_sym) == al.symmetry
        raw_ok = tsv_sym == al.symmetry
        kinds_ok = Counter(want) == Counter(got)
        offset = "-"
        if row["dx"]:
            subs = [r for r in al.regions if r.kind == "substitution"]
            if subs:
                found = _offset_in_b(subs[0], rec_a.moves, al.symmetry, rec_a.size)
                offset = "yes" if found == (int(row["dx"]), int(row["dy"])) else f"{found}"
                counts["offset_pairs"] += 1
                counts["offset"] += offset == "yes"
        counts["pairs"] += 1
        counts["first"] += first_ok
        counts["sym"] += sym_ok
        counts["sym_raw"] += raw_ok
        counts["kinds"] += kinds_ok
        counts["regions_tsv"] += len(want)
        counts["regions_found"] += len(got)
        counts["regions_matched"] += sum((Counter(want) & Counter(got)).values())
        yn = {True: "yes", False: "NO"}
        print(f"{row['pair_id']:8} {yn[first_ok]:>5} {yn[sym_ok]:>3} {yn[raw_ok]:>3} {yn[kinds_ok]:>5} {offset:>6}  "
              f"{','.join(want)}  ->  {','.join(got)}")
        if args.verbose:
            for r in al.regions:
                print(f"{'':10}{r.kind:15} A {r.a[0] + 1}-{r.a[1]}  B {r.b[0] + 1}-{r.b[1]}"
                      + (f"  offset {r.offset}" if r.offset else "") + ("  recoloured" if r.recoloured else ""))
    n = counts["pairs"]
    print(f"\n{n} pairs: first region at first_diff_move {counts['first']}/{n}; symmetry {counts['sym']}/{n} "
          f"({counts['sym_raw']}/{n} without mapping pairs.tsv's numbering); kinds as a multiset "
          f"{counts['kinds']}/{n}; substitution offsets {counts['offset']}/{counts['offset_pairs']}; "
          f"regions: {counts['regions_tsv']} in pairs.tsv, {counts['regions_found']} found, "
          f"{counts['regions_matched']} of matching kind")
    return 0


if __name__ == "__main__":
    sys.exit(main())
