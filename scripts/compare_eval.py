"""The judge through ``compare.compare_records`` on (clean, corrupted) record pairs of validation games.

    python scripts/compare_eval.py --games 200 --seed 3 [--errors 1] [--json out.json] [--rules-only]
                                   [--engine NETWORK.bin.gz]

For each game of the split (``cache/pro19.npz`` when it is there, else the
corpus archive; read as ``judge_eval.py`` reads them: ``gofix.evaluate.judge_fit.kind_trials``,
after ``--skip``) and each error kind of ``corrupt.KINDS``, ``corrupt.Channel(weights={kind: 1},
errors_per_game=--errors)`` plants errors of that kind (seeded by ``--seed``,
the game and the kind). The clean and the corrupted record, in a random order,
go to ``compare_records`` with the real judge and its default bar
(``compare.MIN_CONFIDENCE``), as ``gofix compare`` would see two files. Every
region found counts for the kind: the clean record's version chosen, the
corrupted one's, or undecided (by reason). With one error per game the two
records differ in one place, so both contexts are the same question (asked
once); with ``--errors 2`` each record reads the other region its own way.

Also printed: *before* (the first record's context alone, every verdict
taken, as ``compare_records`` decided before contexts and the bar), read from
each region's first context verdict; and the same regions at other bars (0.5:
every verdict taken), derived from each region's per-context verdicts (the
same rule as ``compare_records``: one choice in every context, its lowest
confidence at or above the bar). The issue's target: the clean version chosen
in >= 95% of the regions of each kind.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

BARS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def at_bar(contexts, bar: float):
    """The record chosen at ``bar`` from a region's per-context verdicts, or None (compare_records' rule)."""
    choices = {c for _, c, _, _ in contexts}
    if len(choices) != 1 or None in choices:
        return None
    return next(iter(choices)) if min(conf for _, _, conf, _ in contexts) >= bar else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--games", type=int, default=200)
    ap.add_argument("--skip", type=int, default=0, help="split games to pass over first")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--errors", type=int, default=1, help="errors planted per corrupted record")
    ap.add_argument("--split", default="val")
    ap.add_argument("--kinds", default="", help="comma-separated kinds (default: all of corrupt.KINDS)")
    ap.add_argument("--cache", type=Path, default=REPO / "cache" / "pro19.npz")
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "pro-games.tar.gz")
    ap.add_argument("--model", type=Path, default=None, help="tagger checkpoint (default: the bundled one)")
    ap.add_argument("--rules-only", action="store_true")
    ap.add_argument("--engine", type=Path, default=None, help="a KataGo network: it judges (engine.judge.VersionJudge)")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--progress", action="store_true")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from gofix.evaluate.judge_fit import kind_trials
    from gofix.versions.compare import MIN_CONFIDENCE, compare_records
    from gofix.train.corrupt import KINDS, Channel
    from gofix.repair.judge import Judge
    from gofix.record import GameRecord, Node

    judge = Judge(args.model, rules_only=args.rules_only)
    if args.engine is not None:
        from gofix.versions.engine import VersionJudge

        judge = VersionJudge(args.engine, threads=1)
    kinds = args.kinds.split(",") if args.kinds else list(KINDS)
    per: dict[str, dict] = {k: {"pairs": 0, "no_region": 0, "regions": 0, "clean": 0, "corrupted": 0,
                                "undecided": 0, "why": {}, "bars": {str(b): [0, 0] for b in BARS},
                                "before": [0, 0, 0], "joint": [0, 0, 0]} for k in kinds}
    failed = []
    t0 = time.time()
    source = args.cache if args.cache.is_file() else args.corpus
    for n, gid, g, trials in kind_trials(source, split=args.split, games=args.games, seed=args.seed, kinds=kinds,
                                         skip=args.skip):
        for kind, rng in trials:
            noisy, truths = Channel(weights={kind: 1.0}, errors_per_game=args.errors).corrupt(g.moves, 19, rng)
            if not truths:
                continue
            recs = [GameRecord(source=name, index=0, size=19, root=Node(), moves=list(m),
                               setup_black=list(g.setup_black), setup_white=list(g.setup_white),
                               handicap=g.handicap, first_player=g.first_player)
                    for name, m in (("clean", g.moves), ("corrupted", noisy))]
            clean = 0
            if rng.random() < 0.5:
                recs, clean = recs[::-1], 1
            row = per[kind]
            row["pairs"] += 1
            try:
                reports = compare_records(recs, judge)
            except Exception as exc:  # noqa: BLE001 - counted and shown, the run goes on
                failed.append(f"{gid} {kind}: {type(exc).__name__}: {exc}")
                continue
            row["no_region"] += not reports
            for rep in reports:
                row["regions"] += 1
                if rep.verdict is None:
                    row["undecided"] += 1
                    row["why"][rep.reason] = row["why"].get(rep.reason, 0) + 1
                else:
                    row["clean" if rep.verdict == clean else "corrupted"] += 1
                if getattr(rep, "joint", None) is not None:  # asked jointly: decided so right / wrong, or not
                    row["joint"][2 if rep.verdict is None or rep.verdict != rep.joint[2] else
                                 int(rep.verdict != clean)] += 1
                first = rep.contexts[0][1] if rep.contexts else None
                row["before"][2 if first is None else int(first != clean)] += 1
                for b in BARS:
                    c = at_bar(rep.contexts, b)
                    if c is not None:
                        row["bars"][str(b)][c != clean] += 1
        if args.progress and (n + 1) % 25 == 0:
            print(f"{n + 1} games, {time.time() - t0:.0f}s", file=sys.stderr)
    secs = time.time() - t0
    total = {key: sum(r[key] for r in per.values()) for key in ("pairs", "no_region", "regions", "clean",
                                                                "corrupted", "undecided")}
    print(f"{total['pairs']} pairs from {args.games} {args.split} games (skip {args.skip}, seed {args.seed}, "
          f"{args.errors} error(s) each), {secs:.1f} s; judge: {'rules only' if args.rules_only else 'model'}; "
          f"bar {MIN_CONFIDENCE}")
    print()
    print("| kind | pairs | regions | before: clean / corrupted / undecided | clean chosen | corrupted chosen "
          "| undecided (reasons) | clean share (before / now) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind, r in list(per.items()):
        why = ", ".join(f"{k} {v}" for k, v in sorted(r["why"].items()))
        bc, bw, bu = r["before"]
        print(f"| {kind} | {r['pairs']} | {r['regions']} | {bc} / {bw} / {bu} | {r['clean']} | {r['corrupted']} | "
              f"{r['undecided']}{f' ({why})' if why else ''} | {bc / max(r['regions'], 1):.3f} / "
              f"{r['clean'] / max(r['regions'], 1):.3f} |")
    bc, bw, bu = (sum(r["before"][k] for r in per.values()) for k in range(3))
    print(f"| all | {total['pairs']} | {total['regions']} | {bc} / {bw} / {bu} | {total['clean']} | "
          f"{total['corrupted']} | {total['undecided']} | {bc / max(total['regions'], 1):.3f} / "
          f"{total['clean'] / max(total['regions'], 1):.3f} |")
    print()
    print("| bar | " + " | ".join(kinds) + " | all |")
    print("|---|" + "---:|" * (len(kinds) + 1))
    for b in BARS:
        cells = []
        for kind in kinds:
            right, wrong = per[kind]["bars"][str(b)]
            cells.append(f"{right}/{wrong}")
        right = sum(per[k]["bars"][str(b)][0] for k in kinds)
        wrong = sum(per[k]["bars"][str(b)][1] for k in kinds)
        print(f"| {b} (clean/corrupted chosen) | " + " | ".join(cells) + f" | {right}/{wrong} |")
    jc, jw, ju = (sum(r["joint"][k] for r in per.values()) for k in range(3))
    print(f"\njudged jointly with neighbours (contexts disagree): {jc + jw + ju} regions; decided so: clean {jc}, "
          f"corrupted {jw}; left undecided {ju}; per kind (clean/corrupted/undecided): "
          + ", ".join(f"{k} {'/'.join(map(str, r['joint']))}" for k, r in per.items() if any(r["joint"])))
    if failed:
        print(f"\n{len(failed)} failed:", *failed[:10], sep="\n  ")
    if args.json:
        args.json.write_text(json.dumps({"games": args.games, "skip": args.skip, "seed": args.seed,
                                         "errors": args.errors, "seconds": round(secs, 1), "kinds": per,
                                         "all": total, "failed": failed}, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
