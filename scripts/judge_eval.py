"""How often the judge picks the clean version of a region: (clean, corrupted) pairs from validation games.

    python scripts/judge_eval.py --games 300 --skip 200 --seed 2 [--json out.json] [--model CKPT] [--formula]
    python scripts/judge_eval.py --games 200 --seed 1 --fit [--weights CARD.json]

For each game of the split (``cache/pro19.npz`` when it is there, else the
corpus archive) and each error kind of ``corrupt.KINDS``, one error is planted
at a random move (seeded by ``--seed``, the game and the kind); the clean and
the corrupted record, in a random order, go to ``Judge.choose`` with the
truth's span in each (for the kinds that flip every later colour, the span runs
to the end of the game). Prints per kind: regions, chosen right, wrong,
undecided, and the share right, for the rules alone and for rules + model; then
the wrong rate of decided verdicts per confidence bin.

``--fit``: choose the settings on these pairs instead and print them
(``gofix.evaluate.judge_fit.fit_settings``: the formula's context, point weight and move cost — a
grid: the best worst kind, then the most regions right — or, with ``--weights``, that fitted
score; then the confidence knots, isotonic in the margin). The model card's ``judge`` entry is
written by ``gofix calibrate`` (which fits the weighting on training games first); this script
only measures. Fit and report on different games (``--skip``). ``--formula``: report the formula
with ``judge.DEFAULTS`` whatever the card holds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from gofix.evaluate.judge_fit import CONTEXTS, collect, fit_settings

REPO = Path(__file__).resolve().parent.parent

BINS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0001)


def verdict(row, judge, settings: dict | None):
    """The judge's verdict on a collected row with ``settings``; None: the rules alone."""
    ev = row["ev"]
    if settings is None:
        from gofix.repair.judge import Evidence

        return judge.decide(Evidence(ev.illegal))
    keys = ("context", "point_weight", "move_cost", "scale", "min_confidence", "calibration", "weights")
    return judge.decide(ev, **{k: settings.get(k) for k in keys})


def table(rows, judge, settings):
    """Per kind {regions, right, wrong, undecided, share_right} and per confidence bin {decided, wrong}."""
    kinds: dict[str, dict] = {}
    bins: dict[str, dict] = {}
    reasons: dict[str, dict] = {}
    for row in rows:
        v = verdict(row, judge, settings)
        k = kinds.setdefault(row["kind"], {"regions": 0, "right": 0, "wrong": 0, "undecided": 0})
        k["regions"] += 1
        r = reasons.setdefault(v.reason, {"regions": 0, "right": 0, "wrong": 0})
        r["regions"] += 1
        if v.choice is None:
            k["undecided"] += 1
            continue
        ok = v.choice == row["clean"]
        k["right" if ok else "wrong"] += 1
        r["right" if ok else "wrong"] += 1
        lo = max(b for b in BINS if b <= v.confidence)
        hi = min(b for b in BINS if b > v.confidence)
        b = bins.setdefault(f"[{lo:.2f}, {min(hi, 1.0):.2f}{']' if hi > 1 else ')'}",
                            {"decided": 0, "wrong": 0, "mean_confidence": 0.0})
        b["decided"] += 1
        b["wrong"] += not ok
        b["mean_confidence"] += v.confidence
    for k in kinds.values():
        k["share_right"] = round(k["right"] / k["regions"], 3)
    for b in bins.values():
        b["wrong_rate"] = round(b["wrong"] / b["decided"], 3)
        b["mean_confidence"] = round(b["mean_confidence"] / b["decided"], 3)
    total = {key: sum(k[key] for k in kinds.values()) for key in ("regions", "right", "wrong", "undecided")}
    total["share_right"] = round(total["right"] / max(total["regions"], 1), 3)
    return {"kinds": dict(sorted(kinds.items())), "all": total, "bins": dict(sorted(bins.items())),
            "reasons": reasons}


def row_dict(r, judge) -> dict:
    """A row as plain numbers: the illegal counts, and per context the surprise and moves scored."""
    ev = r["ev"]
    out = {k: r[k] for k in ("game", "kind", "clean", "spans")}
    out["illegal"] = ev.illegal
    if ev.surprise is not None:
        out["surprise"] = {c: ev.window_surprise(c) for c in CONTEXTS if c <= judge.context}
        out["moves"] = {c: ev.window_moves(c) for c in CONTEXTS if c <= judge.context}
        out["point"] = ev.point
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--games", type=int, default=300)
    ap.add_argument("--skip", type=int, default=0, help="split games to pass over first (fit and report apart)")
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--split", default="val")
    ap.add_argument("--kinds", default="", help="comma-separated kinds (default: all of corrupt.KINDS)")
    ap.add_argument("--cache", type=Path, default=REPO / "cache" / "pro19.npz")
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "pro-games.tar.gz")
    ap.add_argument("--model", type=Path, default=None, help="tagger checkpoint (default: the bundled one)")
    ap.add_argument("--symmetries", type=int, default=1)
    ap.add_argument("--pad", type=int, default=8, help="unscored moves fed to the tagger each side of the window")
    ap.add_argument("--json", type=Path, default=None, help="write the tables (and settings) here")
    ap.add_argument("--rows", type=Path, default=None, help="write the per-region evidence here (JSON lines)")
    ap.add_argument("--fit", action="store_true", help="choose the settings on these pairs")
    ap.add_argument("--weights", type=Path, default=None,
                    help="a fitted weighting: a model card (its judge's weights) or a JSON with 'weights' "
                         "(default: the model card's, else the formula)")
    ap.add_argument("--settings", type=Path, default=None,
                    help="judge settings to report with (a --json output's 'settings'), instead of the model card's")
    ap.add_argument("--formula", action="store_true",
                    help="the formula with judge.DEFAULTS, ignoring the model card's fitted weights and knots")
    ap.add_argument("--progress", action="store_true")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from gofix.repair.judge import Judge

    # evidence with the widest context; narrower ones are sums over part of it
    fitted = json.loads(args.weights.read_text(encoding="utf-8")) if args.weights else {}
    weights = fitted.get("weights") or (fitted.get("judge") or {}).get("weights")
    given = json.loads(args.settings.read_text(encoding="utf-8"))["settings"] if args.settings else {}
    if given:
        weights = weights or given.get("weights")
    if args.formula:  # empty weights and knots: the formula, whatever the card holds
        from gofix.repair.judge import DEFAULTS

        judge = Judge(args.model, **{**DEFAULTS, "weights": {}, "calibration": []},
                      symmetries=args.symmetries, pad=args.pad)
    else:
        judge = Judge(args.model, context=max(CONTEXTS) if args.fit or given else None, weights=weights,
                      symmetries=args.symmetries, pad=args.pad)
    t0 = time.time()
    source = args.cache if args.cache.is_file() else args.corpus

    def progress(n, k, s):
        print(f"{n} games, {k} regions, {s:.0f}s", file=sys.stderr)

    rows = collect(judge, source, split=args.split, games=args.games, seed=args.seed, skip=args.skip,
                   kinds=args.kinds.split(",") if args.kinds else None, progress=progress if args.progress else None)
    secs = time.time() - t0
    if args.rows:
        args.rows.write_text("".join(json.dumps(row_dict(r, judge)) + "\n" for r in rows), encoding="utf-8")
    settings = {"context": judge.context, "point_weight": judge.point_weight, "move_cost": judge.move_cost,
                "scale": judge.scale, "min_confidence": judge.min_confidence,
                "rules_confidence": judge.rules_confidence, "calibration": judge.calibration,
                "weights": judge.weights}
    if given:
        settings.update({k: v for k, v in given.items() if k in settings})
    if args.fit:
        settings = fit_settings(rows, judge)
        print(json.dumps({"fitted": settings}))
    rules = table(rows, judge, None)
    model = table(rows, judge, settings) if judge.uses_model else None
    report = {"games": args.games, "skip": args.skip, "seed": args.seed, "split": args.split,
              "regions": len(rows), "seconds": round(secs, 1), "settings": settings,
              "rules_only": rules, "rules_and_model": model}
    print(markdown(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


def markdown(report) -> str:
    rules, model = report["rules_only"], report["rules_and_model"]
    lines = [f"{report['regions']} regions from {report['games']} {report['split']} games (skip "
             f"{report['skip']}, seed {report['seed']}), {report['seconds']} s; settings {report['settings']}", "",
             "| kind | regions | rules: right / wrong / undecided | rules + model: right / wrong / undecided "
             "| share right (rules / +model) |",
             "|---|---:|---:|---:|---:|"]
    for kind, r in list(rules["kinds"].items()) + [("all", rules["all"])]:
        m = (model["kinds"].get(kind) if kind != "all" else model["all"]) if model else None
        ms = f"{m['right']} / {m['wrong']} / {m['undecided']}" if m else "-"
        share = f"{r['share_right']:.3f} / {m['share_right']:.3f}" if m else f"{r['share_right']:.3f}"
        lines.append(f"| {kind} | {r['regions']} | {r['right']} / {r['wrong']} / {r['undecided']} | {ms} | {share} |")
    if model:
        lines += ["", "| confidence | decided | wrong | wrong rate |", "|---|---:|---:|---:|"]
        for b, v in model["bins"].items():
            lines.append(f"| {b} | {v['decided']} | {v['wrong']} | {v['wrong_rate']:.3f} |")
        lines += ["", "| reason | regions | right | wrong |", "|---|---:|---:|---:|"]
        for reason, v in model["reasons"].items():
            lines.append(f"| {reason} | {v['regions']} | {v['right']} | {v['wrong']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
