"""Measure ``gofix reconcile``'s grouping on an archive (default: ../shared/corpus/pro-games.tar.gz).

Prints: grouping time and peak memory, groups found, records in groups, the size
distribution; a check that no two different games were merged (every member's
agreement with its group's base, recomputed pairwise); the exact-duplicate sets
(identical move sequences under the 8 symmetries) and how many of them the
grouping reunites; and a sample of groups with their players and dates, to read
by eye. ``--reconcile DST`` then runs the whole ``reconcile_tree`` into DST
(``--rules-only`` for the rules alone as judge) and prints its summary.

    .venv/bin/python scripts/reconcile_bench.py --jobs 2
    .venv/bin/python scripts/reconcile_bench.py --reconcile /tmp/recon --rules-only
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import resource
import time

import numpy as np


from gofix.versions.grouping import Compact, GroupConfig, agreement, group_compacts, iter_compacts, sequence_key

DEFAULT = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "corpus", "pro-games.tar.gz")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", nargs="?", default=DEFAULT)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--sample", type=int, default=5, help="groups of identical records shown by eye")
    ap.add_argument("--show", type=int, default=40, help="groups of differing records shown by eye")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--reconcile", metavar="DST", help="also run reconcile_tree into DST")
    ap.add_argument("--rules-only", action="store_true")
    ap.add_argument("--check-output", metavar="DST", help="only check the files a finished run wrote into DST")
    args = ap.parse_args()
    if args.check_output:
        check_output(args.check_output)
        return
    cfg = GroupConfig()

    t0 = time.perf_counter()
    items = list(iter_compacts(args.src, cfg, jobs=args.jobs))
    t_read = time.perf_counter() - t0
    g = group_compacts(items, cfg)
    t_group = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    compacts = [c for c in items if isinstance(c, Compact)]
    tokens = [np.frombuffer(c.tokens, dtype=np.uint16) for c in compacts]
    del items

    sizes = collections.Counter(len(grp) for grp in g.groups)
    print(f"== grouping {args.src} (jobs {args.jobs})")
    print(f"records {g.stats.records}, unreadable {g.stats.unreadable}, "
          f"under {cfg.min_moves} moves {g.stats.too_short}")
    print(f"time {t_group:.1f} s (reading, parsing and keys {t_read:.1f} s; linking {t_group - t_read:.1f} s); "
          f"peak RSS {rss:.0f} MB (the records' compact data included)")
    print(f"stats {g.stats}")
    print(f"groups {len(g.groups)}, records in groups {sum(map(len, g.groups))}, "
          f"sizes {dict(sorted(sizes.items()))}")

    # no two different games merged: every member against the base, pairwise, recomputed
    worst_short, worst_long, exact_groups, below = 1.0, 1.0, 0, []
    shares = []
    for grp in g.groups:
        a = tokens[grp[0]]
        identical = True
        for i in grp[1:]:
            b = tokens[i]
            matched, _ = agreement(a, b, g.refs[i].size)
            short, long_ = sorted((len(a), len(b)))
            s_short, s_long = matched / short, matched / long_
            shares.append(s_short)
            identical &= matched == len(a) == len(b)
            worst_short, worst_long = min(worst_short, s_short), min(worst_long, s_long)
            if s_short < cfg.min_agreement or s_long < cfg.min_cover:
                below.append((g.refs[grp[0]].game_id, g.refs[i].game_id, round(s_short, 3), round(s_long, 3)))
        exact_groups += identical
    hist = np.histogram(shares, bins=[0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999999, 1.0])[0] if shares else []
    print(f"agreement with the base (moves matched / shorter record): min {worst_short:.3f}; "
          f"matched / longer record: min {worst_long:.3f}; thresholds {cfg.min_agreement} / {cfg.min_cover}")
    print(f"  members by agreement [0,.5,.8,.9,.95,.99,1) and ==1: {list(hist)}")
    print(f"  groups whose records are all identical under symmetry: {exact_groups}; members below a threshold "
          f"against the base (linked through another member): {len(below)} {below[:5]}")

    # exact duplicates: identical move sequences under the 8 symmetries
    group_of = {i: k for k, grp in enumerate(g.groups) for i in grp}
    by_key: dict[tuple, list[int]] = collections.defaultdict(list)
    for i, (c, t) in enumerate(zip(compacts, tokens)):
        if len(t):
            by_key[(c.ref.size, sequence_key(t, c.ref.size))].append(i)
    sets = [v for v in by_key.values() if len(v) > 1]
    long_sets = [v for v in sets if len(tokens[v[0]]) >= cfg.min_moves]
    reunited = sum(1 for v in long_sets if v[0] in group_of and len({group_of.get(i) for i in v}) == 1)
    print(f"exact-duplicate sets: {len(sets)} ({sum(map(len, sets))} records); of {cfg.min_moves}+ moves "
          f"{len(long_sets)} ({sum(map(len, long_sets))} records), reunited in one group: {reunited}; "
          f"shorter ones (never grouped): {len(sets) - len(long_sets)}")
    by_size = collections.Counter(len(v) for v in long_sets)
    print(f"  exact-duplicate set sizes: {dict(sorted(by_size.items()))}")

    # by eye: every group whose records differ (up to --show), and a sample of the identical ones
    rng = random.Random(args.seed)
    differing = [grp for grp in g.groups if any(len(tokens[i]) != len(tokens[grp[0]])
                                                 or agreement(tokens[grp[0]], tokens[i], g.refs[i].size)[0]
                                                 != len(tokens[i]) for i in grp[1:])]
    rest = [grp for grp in g.groups if grp not in differing]
    pick = differing[:args.show] + rng.sample(rest, min(len(rest), args.sample))
    want = {g.refs[i].source for grp in g.groups for i in grp}
    info = {}
    from gofix.formats.sources import iter_sources
    from gofix.formats.read import parse_items

    for source, load in iter_sources(args.src):
        if source in want:
            for rec in parse_items(load(), source):
                if hasattr(rec, "text"):
                    info[rec.game_id] = {k: (rec.text(k) or "").strip() for k in ("PB", "PW", "DT", "RE")}
    # metadata that says "another game": a date (first 10 characters) or both players differ
    other_date = other_players = 0
    strangers = []
    for grp in g.groups:
        ms = [info.get(g.refs[i].game_id, {}) for i in grp]
        dates = {m.get("DT", "")[:10] for m in ms if m.get("DT")}
        other_date += len(dates) > 1
        names = [{m.get("PB", "").split(",")[0].split(" ")[0], m.get("PW", "").split(",")[0].split(" ")[0]}
                 for m in ms]
        if any(not (n & names[0]) for n in names[1:]):
            other_players += 1
            strangers.append(grp)
    print(f"groups whose members carry different dates (DT, first 10 characters): {other_date}; "
          f"with no player's first name in common with the base: {other_players}")
    print(f"== by eye: the {min(len(differing), args.show)} of {len(differing)} groups whose records differ, "
          f"then {len(pick) - min(len(differing), args.show)} identical ones, then the groups whose players differ")
    for grp in pick + [grp for grp in strangers if grp not in pick]:
        a = tokens[grp[0]]
        for i in grp:
            matched, sym = agreement(a, tokens[i], g.refs[i].size)
            m = info.get(g.refs[i].game_id, {})
            print(f"  {g.refs[i].game_id.split('!')[-1][-40:]:>40} {len(tokens[i]):>3} mv sym {sym} "
                  f"match {matched:>3}  " + " | ".join(f"{k} {v[:28]}" for k, v in m.items()))
        print()

    if args.reconcile:
        import functools

        from gofix.repair.judge import Judge
        from gofix.archive.reconcile import reconcile_tree

        t0 = time.perf_counter()
        stats = reconcile_tree(args.src, args.reconcile, jobs=args.jobs,
                               judge_factory=functools.partial(Judge, rules_only=args.rules_only))
        print(f"== reconcile_tree -> {args.reconcile} ({'rules only' if args.rules_only else 'model'}): "
              f"{time.perf_counter() - t0:.1f} s")
        print(stats)
        check_output(args.reconcile)


def check_output(dst: str) -> None:
    """Every file the report lists re-reads with gofix's reader (no warnings) and with sgfmill
    (the parser of several Go programs' Python tools), its main line as long as gofix reads it."""
    import json

    from gofix.formats.read import read_file

    try:
        from sgfmill import sgf as sgfmill_sgf
    except ImportError:
        sgfmill_sgf = None
    n = bad = warned = mill_bad = variations = 0
    with open(os.path.join(dst, "reconcile.jsonl"), encoding="utf-8") as f:
        lines = [json.loads(x) for x in f.read().split("\n") if x]
    for line in lines:
        if not line.get("output"):
            continue
        n += 1
        path = os.path.join(dst, *line["output"].split("/"))
        items = read_file(path)
        if len(items) != 1 or not hasattr(items[0], "moves"):
            bad += 1
            continue
        warned += bool(items[0].warnings)
        if sgfmill_sgf is not None:
            try:
                game = sgfmill_sgf.Sgf_game.from_bytes(open(path, "rb").read())
                seq = game.get_main_sequence()
                if sum(node.get_move()[0] is not None for node in seq) != len(items[0].moves):
                    mill_bad += 1
                variations += sum(1 for node in seq if len(node) > 1)
            except Exception:  # noqa: BLE001 - counted
                mill_bad += 1
    print(f"output check {dst}: {n} files; unreadable {bad}; read with warnings {warned}; "
          f"sgfmill failures or other main-line length {mill_bad}; main-line nodes with variations {variations}")


if __name__ == "__main__":
    main()
