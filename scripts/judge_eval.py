"""How often the judge picks the clean version of a region: (clean, corrupted) pairs from validation games.

    python scripts/judge_eval.py --games 300 --skip 200 --seed 2 [--json out.json] [--model CKPT] [--formula]
    python scripts/judge_eval.py --games 200 --seed 1 --fit [--weights runs/judge_weights.json]
                                 [--card gofix/weights/tagger.json]

For each game of the split (``cache/pro19.npz`` when it is there, else the
corpus archive) and each error kind of ``corrupt.KINDS``, one error is planted
at a random move (seeded by ``--seed``, the game and the kind); the clean and
the corrupted record, in a random order, go to ``Judge.choose`` with the
truth's span in each (for the kinds that flip every later colour, the span runs
to the end of the game). Prints per kind: regions, chosen right, wrong,
undecided, and the share right, for the rules alone and for rules + model; then
the wrong rate of decided verdicts per confidence bin.

``--fit``: choose the settings on these pairs instead and print them: the
formula's context, point weight and move cost (a grid: the best worst kind,
then the most regions right), or with ``--weights`` (``judge_train.py``) that
fitted score; then the confidence knots (isotonic in the margin). ``--card``:
store them as the ``judge`` entry of a model card, which ``Judge`` reads. Fit
and report on different games (``--skip``). ``--formula``: report the formula
with ``judge.DEFAULTS`` whatever the card holds.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BINS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0001)
RECOLOUR = ("drop_one_recolour", "extra_one_recolour")
CONTEXTS = (0, 1, 2, 4, 6, 8, 12, 16)
POINT_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0)
MOVE_COSTS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5)


def games_from(args):
    """(game id, Game-like) of the split, in the cache's order (or the corpus's), after ``--skip``."""
    from types import SimpleNamespace

    if args.cache.is_file():
        from gofix.train.cache import GameCache
        from gofix.train.corrupt import clean_enough

        cache = GameCache.load(args.cache)
        n = 0
        for i in cache.indices(args.split):
            g = cache.game(int(i))
            rec = SimpleNamespace(size=19, **{k: getattr(g, k) for k in ("moves", "setup_black", "setup_white",
                                                                        "handicap", "first_player")})
            if not clean_enough(rec):
                continue
            n += 1
            if n <= args.skip:
                continue
            yield f"cache#{int(i)}", rec
    else:
        from gofix.evaluate.eval import corpus_cases

        for n, case in enumerate(corpus_cases(args.corpus, split=args.split, limit=args.skip + args.games)):
            if n >= args.skip:
                yield case.game_id, SimpleNamespace(size=19, moves=case.clean, setup_black=case.setup_black,
                                                    setup_white=case.setup_white, handicap=case.handicap,
                                                    first_player=None)


def pair_for(rec, kind: str, rng: random.Random):
    """(versions, spans, index of the clean one) for one planted error of ``kind``, or None."""
    from gofix.train.corrupt import KINDS

    res = KINDS[kind](rec.moves, 19, rng)
    if res is None:
        return None
    noisy, truth = res
    clean = list(rec.moves)
    lo, hi = truth.span
    if kind in RECOLOUR:
        spans = [(lo, len(clean)), (lo, len(noisy))]
    else:
        spans = [(lo, hi + len(truth.undo.insert) - truth.undo.delete), (lo, hi)]
    versions = [clean, noisy]
    if rng.random() < 0.5:
        return versions[::-1], spans[::-1], 1
    return versions, spans, 0


def kind_trials(args, kinds):
    """The first ``--games`` games of ``games_from(args)``, each as ``(n, id, game, [(kind, rng)])``: per
    error kind the rng that plants it in that game (seeded by ``--seed``, the game and the kind)."""
    for n, (gid, game) in enumerate(games_from(args)):
        if n >= args.games:
            break
        yield n, gid, game, [(kind, random.Random(f"{args.seed}:{gid}:{kind}")) for kind in kinds]


def collect(args, judge) -> list[dict]:
    """One row per region: game, kind, which version is clean, spans, and the judge's ``Evidence``."""
    from gofix.train.corrupt import KINDS

    kinds = args.kinds.split(",") if args.kinds else list(KINDS)
    rows = []
    t0 = time.time()
    for n, gid, rec, trials in kind_trials(args, kinds):
        for kind, rng in trials:
            pair = pair_for(rec, kind, rng)
            if pair is None:
                continue
            versions, spans, clean = pair
            ev = judge.evidence(19, versions, spans, setup_black=rec.setup_black, setup_white=rec.setup_white,
                                handicap=rec.handicap, first_player=rec.first_player)
            rows.append({"game": gid, "kind": kind, "clean": clean, "spans": spans, "ev": ev})
        if args.progress and (n + 1) % 25 == 0:
            print(f"{n + 1} games, {len(rows)} regions, {time.time() - t0:.0f}s", file=sys.stderr)
    return rows


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


def _model_rows(rows):
    """Rows the rules leave to the model (the fewest illegal moves tied)."""
    out = []
    for r in rows:
        bad = r["ev"].illegal
        if r["ev"].surprise is not None and sum(b == min(bad) for b in bad) > 1:
            out.append(r)
    return out


def margins(rows, judge, ctx, pw, mc, weights=None) -> list[float]:
    """Per row: the best wrong version's score minus the clean one's (> 0: the clean one wins)."""
    out = []
    for r in rows:
        sc = judge.scores(r["ev"], ctx, pw, mc, weights)
        c = r["clean"]
        out.append(min(sc[k] for k in range(len(sc)) if k != c) - sc[c])
    return out


def fit(rows, judge) -> dict:
    """Settings that maximise the share of model-judged regions right, kind by kind (the worst kind
    first, then all), then the confidence scale by maximum likelihood of sigmoid(scale * margin)."""
    from gofix.repair.judge import _sigmoid

    model_rows = _model_rows(rows)
    kinds = sorted({r["kind"] for r in model_rows})
    best = None
    if judge.weights:  # a fitted weighting (judge_train.py): only the confidence is fitted here
        widest = max(int(k.rsplit("@", 1)[1]) for k in judge.weights if "@" in k)
        best = (None, widest, 0.0, 0.0, margins(model_rows, judge, 0, 0.0, 0.0, judge.weights))
    for ctx in CONTEXTS if best is None else ():
        if ctx > judge.context:
            continue
        for pw in POINT_WEIGHTS:
            for mc in MOVE_COSTS:
                m = margins(model_rows, judge, ctx, pw, mc)
                right = sum(x > 0 for x in m)
                per = [sum(x > 0 for x, r in zip(m, model_rows) if r["kind"] == k) /
                       sum(r["kind"] == k for r in model_rows) for k in kinds]
                key = (round(min(per), 3), right)
                if best is None or key > best[0]:
                    best = (key, ctx, pw, mc, m)
    _, ctx, pw, mc, m = best
    scale = 1.0
    for _ in range(100):  # Newton steps on the log-likelihood of sign(margin) given |margin|
        g = h = 0.0
        for x in m:
            a = abs(x)
            p = _sigmoid(scale * a)
            g += ((1.0 if x > 0 else 0.0) - p) * a
            h += p * (1 - p) * a * a
        if h <= 0:
            break
        step = g / h
        scale += step
        if abs(step) < 1e-6:
            break
    return {"context": ctx, "point_weight": pw, "move_cost": mc, "scale": round(scale, 4),
            "calibration": isotonic(m), "weights": judge.weights, "min_confidence": 0.5,
            "rules_confidence": rules_confidence(rows), "fit_regions": len(rows),
            "fit_model_regions": len(model_rows)}


def isotonic(margins, knots: int = 12) -> list:
    """Knots ``[[margin, confidence], ...]``: the share right of the model's verdicts as a
    non-decreasing function of |margin| (pool-adjacent-violators over the regions sorted by |margin|,
    each pool's share taken as (right + 1) / (n + 2)), kept at about ``knots`` quantiles. A verdict's
    right when the clean version scores better (margin > 0); a tie counts half."""
    pts = sorted((abs(x), 1.0 if x > 0 else 0.5 if x == 0 else 0.0) for x in margins)
    pools: list[list[float]] = []  # [sum right, n, last margin]
    for a, y in pts:
        pools.append([y, 1, a])
        while len(pools) > 1 and pools[-2][0] / pools[-2][1] >= pools[-1][0] / pools[-1][1]:
            s, n, a = pools.pop()
            pools[-1][0] += s
            pools[-1][1] += n
            pools[-1][2] = a
    curve = [(a, (s + 1) / (n + 2)) for s, n, a in pools]
    step = max(1, len(curve) // knots)
    kept = curve[::step][:-1] + [curve[-1]] if len(curve) > 1 else curve
    out, top = [], 0.5
    for a, c in kept:  # the smoothing can break monotonicity between pools: keep it non-decreasing
        top = max(top, c)
        out.append([round(a, 4), round(top, 4)])
    return out


def rules_confidence(rows) -> float:
    """Share right of the rules' verdicts, with one wrong added (an upper bound on what was seen)."""
    n = right = 0
    for r in rows:
        bad = r["ev"].illegal
        keep = [k for k, b in enumerate(bad) if b == min(bad)]
        if len(keep) == 1:
            n += 1
            right += keep[0] == r["clean"]
    return round(min(0.99, right / (n + 1)), 4) if n else 0.99


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
    ap.add_argument("--card", type=Path, default=None, help="with --fit: store the settings in this model card")
    ap.add_argument("--weights", type=Path, default=None,
                    help="a fitted weighting from judge_train.py (default: the model card's, else the formula)")
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
    weights = fitted.get("weights")
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
    rows = collect(args, judge)
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
        settings = fit(rows, judge)
        print(json.dumps({"fitted": settings}))
        if args.card is not None:
            card = json.loads(args.card.read_text(encoding="utf-8")) if args.card.exists() else {}
            card["judge"] = {**settings, "games": args.games, "skip": args.skip, "seed": args.seed,
                             "split": args.split}
            if "train" in fitted:
                card["judge"]["weights_fitted_on"] = fitted["train"]
            args.card.write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
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
