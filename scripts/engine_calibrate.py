"""Calibrate the KataGo judge of repairs on corrupted games, and measure it.

Three commands:

``collect``: corrupt games of a split (one error per corrupted game, half the games clean: the
reported mix), run the repair engine with the network as judge but applying nothing, and write
per game every candidate the network judged — its kind, the log-probabilities of the edited and
the recorded moves from the edit on (so any window up to the one collected can be scored
afterwards), the moves it makes legal, the tagger's gain — and whether it restores the clean
record. One JSON line per game; a rerun appends only games not yet in the file (resumable).

    python scripts/engine_calibrate.py collect --split val --games 80 --out results/engine-val.jsonl

``fit``: from collected files, per window length, fit the confidence sigmoid(scale * gain + offset
of the edit's kind) that a judged candidate is the right repair (logistic regression over each
game's best candidate, ``--level game``; or every candidate), choose the window and threshold (clean games left alone >= 99.5%, then exact repairs less three
times the wrong ones, then the higher threshold), and
report what the repair engine would then do per game (exact repairs, clean games left alone,
flags precision/recall); with ``--write`` the chosen settings go to gofix/engine/calibration.json.

    python scripts/engine_calibrate.py fit results/engine-val.jsonl [--write]

``score``: the shipped calibration as it is (nothing fitted) on collected files: what the repair
engine would do per game, and per kind of error how often the right repair was judged at all.
``collect --also swap2,pair_order,block,extra --inserts`` collects with the broader candidate set
(those classes at every suspect, the network's own inserts) that the calibration names.

    python scripts/engine_calibrate.py score results/engine-test.jsonl

Needs the network (``--katago-model`` or anything ``gofix engine info`` finds) and the corpus.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from gofix.edits import apply_edit
from gofix.engine import locate
from gofix.engine.judge import load_judge, repairer_settings, window_margin
from gofix.evaluate.eval import as_record, corpus_cases
from gofix.repair.pretrained import load_detector
from gofix.repair.repairer import ModelRepairer

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "pro-games.tar.gz"


def _key(m):
    return (m.colour, m.point)


def collect(args) -> None:
    found = locate.find_network(args.katago_model)
    if found is None:
        raise SystemExit("no KataGo network found (--katago-model PATH)")
    judge = load_judge(found.path, threads=args.threads)
    knobs = repairer_settings(2.0)  # apply nothing: every candidate is judged in the first pass
    if args.also is not None:  # the candidate set judged (written with each game, kept by fit --write)
        knobs["engine_also"] = [k for k in args.also.split(",") if k]
    if args.inserts is not None:
        knobs["engine_inserts"] = args.inserts
    candidates = {"engine_also": list(knobs["engine_also"]), "engine_inserts": bool(knobs["engine_inserts"])}
    judge.window = args.window
    repairer = ModelRepairer(load_detector(), engine=judge, **knobs)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if out.exists():
        done = {json.loads(line)["game"] for line in out.read_text().splitlines() if line.strip()}
    cases = corpus_cases(args.corpus, split=args.split, seed=args.seed, limit=args.games)
    with out.open("a") as fh:
        for case in cases:
            if case.game_id in done:
                continue
            t0, n0 = time.perf_counter(), judge.evaluated
            repairer.trace = []
            record = as_record(case)
            result = repairer.repair(record)
            clean = [_key(m) for m in case.clean]
            cands = []
            for tr in repairer.trace:
                right = [_key(m) for m in apply_edit(case.noisy, tr["edit"])] == clean
                cands.append({k: v for k, v in tr.items() if k not in ("edit", "confidence")} | {"right": right})
            fh.write(json.dumps({
                "game": case.game_id, "moves": len(case.noisy),
                "truths": [{"kind": t.kind, "positions": list(t.positions)} for t in case.truths],
                "tagger": [float(p) for p in result.scores.p_wrong] if result.scores is not None else [],
                "rules": [f.move - 1 for f in result.findings if f.kind != "suspect"],
                "candidates": cands, "positions": judge.evaluated - n0, "candidate_set": candidates,
                # the network's log P of every recorded move (cached by the repair: free), for
                # choosing suspects offline
                "pass": [round(float(v), 3) for v in judge.pass_logp(record, list(record.moves))],
                "seconds": round(time.perf_counter() - t0, 2),
            }) + "\n")
            fh.flush()


# ------------------------------------------------------------------ fitting


def _gain(c, window: int, legal_bonus: float = 1.0, edit_cost: float = 0.5) -> float:
    """A traced candidate's gain at ``window``, as the repair engine computes it (``ModelRepairer``)."""
    margin, _ = window_margin(c["edited"], c["recorded"], c["head"][0], c["head"][1], window)
    return margin + legal_bonus * c["fixed"] - edit_cost * c["size"]


KIND_GROUPS = {"replace": "replace", "swap2": "swap2", "pair_order": "order", "block": "order",
               "delete": "length", "insert": "length", "colour": "colour"}
GROUPS = ("replace", "swap2", "order", "length", "colour")
SHRINK = 2.0  # L2 penalty on a group's deviation from the common intercept
SLOPE_RIDGE = 0.05  # ... and on the slope: the few games can separate right from wrong completely


def _logistic(x: np.ndarray, y: np.ndarray, ridge, steps: int = 100) -> np.ndarray:
    """Weights of a logistic regression of y on the columns of x (Newton's method; ``ridge``: the
    L2 penalty of each column)."""
    w = np.zeros(x.shape[1])
    r = np.asarray(ridge, dtype=float)
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(x @ w, -30, 30)))
        g = x.T @ (p - y) + r * w
        h = (x * (p * (1 - p))[:, None]).T @ x + np.diag(r)
        step = np.linalg.solve(h, g)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return w


def _design(gain: float, kind: str) -> list[float]:
    """[gain, 1, one-hot of the kind's group]: a common intercept and each group's deviation from it."""
    g = KIND_GROUPS.get(kind, "length")
    return [gain, 1.0] + [1.0 if g == k else 0.0 for k in GROUPS]


def fit_params(games: list[dict], window: int, level: str = "game") -> tuple[float, dict[str, float]]:
    """(scale, intercept per kind) of P(the repair is right | its gain, its kind). ``level`` "game":
    fitted on each game's best candidate by gain — the decision the repair engine makes (clean
    games' best is always wrong); "candidate": on every judged candidate (many easy wrong ones,
    which flatten the slope: on the validation games it put a right repair of 23.7 nats at 0.43)."""
    xs, ys = [], []
    for g in games:
        scored = [(_gain(c, window), c) for c in g["candidates"]]
        scored = [(x, c) for x, c in scored if math.isfinite(x)]
        if level == "game":
            scored = [max(scored, key=lambda t: t[0])] if scored else []
        for gain, c in scored:
            xs.append(_design(gain, c["kind"]))
            ys.append(float(c["right"]))
    x, y = np.array(xs), np.array(ys)
    # the groups' deviations are shrunk towards the common intercept (few right candidates per kind)
    w = _logistic(x, y, ridge=[SLOPE_RIDGE, 1e-3] + [SHRINK] * len(GROUPS))
    offsets = {name: float(w[1] + w[2 + k]) for k, name in enumerate(GROUPS)}
    return float(w[0]), {kind: round(offsets[grp], 4) for kind, grp in KIND_GROUPS.items()}


def _conf(gain: float, kind: str, scale: float, offsets: dict) -> float:
    if not math.isfinite(gain):
        return 0.0
    z = scale * gain + offsets.get(kind, min(offsets.values()))
    return 1 / (1 + math.exp(-max(min(z, 30), -30)))


def simulate(games: list[dict], window: int, scale: float, offsets: dict, threshold: float,
             flag: float | None = None) -> dict:
    """What the repair engine does per game with these settings: the candidate of highest confidence
    is applied when it reaches ``threshold``; moves whose best candidate reaches ``flag`` (default:
    the threshold) are flagged."""
    flag = threshold if flag is None else flag
    corrupted = [g for g in games if g["truths"]]
    clean = [g for g in games if not g["truths"]]
    exact = wrong_fix = touched_clean = 0
    flags = true_flags = detected = errors = 0
    for g in games:
        best = None
        per_move: dict[int, float] = {}
        for c in g["candidates"]:
            conf = _conf(_gain(c, window), c["kind"], scale, offsets)
            per_move[c["suspect"]] = max(per_move.get(c["suspect"], 0.0), conf)
            if conf >= threshold and (best is None or conf > best[0]):
                best = (conf, c)
        kept = [m for m, v in per_move.items() if v >= flag]
        if not (best is not None and best[1]["right"]):  # a right repair makes the error's rule findings legal
            kept += [m for m in g["rules"] if m not in kept]
        wins = [{p + d for p in t["positions"] for d in (-1, 0, 1)} for t in g["truths"]]
        union = set().union(*wins) if wins else set()
        flags += len(kept)
        true_flags += sum(1 for m in kept if m in union)
        errors += len(wins)
        detected += sum(1 for w in wins if any(m in w for m in kept))
        if g["truths"]:
            if best is not None and best[1]["right"]:
                exact += 1
            elif best is not None:
                wrong_fix += 1
        elif best is not None:
            touched_clean += 1
    return {"window": window, "threshold": threshold, "flag": flag, "games": len(games), "corrupted": len(corrupted),
            "exact_repair": exact / max(1, len(corrupted)), "wrong_repairs": wrong_fix,
            "clean_untouched": 1 - touched_clean / max(1, len(clean)),
            "flag_precision": true_flags / flags if flags else 1.0, "recall": detected / max(1, errors),
            "flags": flags}


def judged_by_kind(games: list[dict]) -> dict[str, str]:
    """Per kind of planted error: games whose right repair was among the judged candidates / games."""
    kinds: dict[str, list[int]] = {}
    for g in games:
        for t in g["truths"]:
            k = kinds.setdefault(t["kind"], [0, 0])
            k[0] += 1
            k[1] += any(c["right"] for c in g["candidates"])
    return {k: f"{v[1]}/{v[0]}" for k, v in sorted(kinds.items())}


def _read(files) -> list[dict]:
    """The games of collected files (``.jsonl``, or ``.jsonl.gz`` as research/engine/ keeps them)."""
    import gzip

    def text(f):
        return gzip.open(f, "rt").read() if str(f).endswith(".gz") else Path(f).read_text()

    return [json.loads(line) for f in files for line in text(f).splitlines() if line.strip()]


def score(args) -> None:
    """The shipped calibration (``gofix/engine/calibration.json``), not refitted, on collected files."""
    from gofix.engine.judge import settings

    st = settings()
    games = _read(args.files)
    r = simulate(games, int(st["window"]), st["engine_scale"], st["engine_offsets"], st["engine_threshold"],
                 st["engine_flag"])
    print(f"{len(games)} games ({r['corrupted']} corrupted), window {r['window']}, threshold {r['threshold']}: "
          f"exact {round(r['exact_repair'] * r['corrupted'])}/{r['corrupted']}, {r['wrong_repairs']} wrong, "
          f"clean untouched {r['clean_untouched']:.3f}, flag precision {r['flag_precision']:.3f} "
          f"({r['flags']} flags), recall {r['recall']:.3f}")
    print("games whose right repair was among the judged candidates, per kind:", judged_by_kind(games))
    print(json.dumps(r))


def fit(args) -> None:
    games = _read(args.files)
    rows = []
    best_row, best_key = None, None
    for window in args.windows:
        scale, offsets = fit_params(games, window, args.level)
        for thr in args.thresholds:
            r = simulate(games, window, scale, offsets, thr) | {"scale": round(scale, 4), "offsets": offsets}
            rows.append(r)
            # clean games left alone first; then exact repairs less three times the wrong ones (a wrong
            # change costs a user more than a missed one), the higher threshold (the more cautious of
            # equals), the best flag precision
            key = (round(r["exact_repair"] - 3 * r["wrong_repairs"] / max(1, r["corrupted"]), 6),
                   r["threshold"], r["flag_precision"])
            if r["clean_untouched"] >= 0.995 and (best_row is None or key > best_key):
                best_row, best_key = r, key
    print(f"{len(games)} games ({sum(1 for g in games if g['truths'])} corrupted), "
          f"{sum(g['positions'] for g in games)} positions evaluated, "
          f"{np.median([g['seconds'] for g in games]):.1f} s median per game")
    print("| window | scale | threshold | exact repair | wrong repairs | clean untouched | flag precision | recall |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['window']} | {r['scale']} | {r['threshold']} | {r['exact_repair']:.3f} | "
              f"{r['wrong_repairs']} | {r['clean_untouched']:.3f} | {r['flag_precision']:.3f} | {r['recall']:.3f} |")
    print("games whose right repair was among the judged candidates, per kind:", judged_by_kind(games))
    if best_row is not None:
        print("chosen:", json.dumps(best_row))
    if best_row is not None and args.test:
        held = _read(args.test)
        best_row["held_out"] = simulate(held, best_row["window"], best_row["scale"], best_row["offsets"],
                                        best_row["threshold"]) | {"files": [str(f) for f in args.test]}
        print("held out:", json.dumps(best_row["held_out"]))
    if args.write and best_row is not None:
        path = Path(__file__).resolve().parents[1] / "gofix" / "engine" / "calibration.json"
        sets = {json.dumps(g.get("candidate_set", {}), sort_keys=True) for g in games}
        if len(sets) > 1:
            raise SystemExit(f"the files were collected with different candidate sets: {sorted(sets)}")
        settings = {"window": best_row["window"], "engine_scale": best_row["scale"],
                    "engine_offsets": best_row["offsets"], "engine_threshold": best_row["threshold"],
                    "engine_flag": best_row["flag"], **json.loads(sets.pop())}
        path.write_text(json.dumps({
            "settings": settings,
            "fitted_on": f"{len(games)} games of {', '.join(str(f) for f in args.files)}",
            "command": "python scripts/engine_calibrate.py " + " ".join(sys.argv[1:]),
            "collected_by": args.collected_by,
            "simulated": best_row,
        }, indent=1) + "\n")
        print("wrote", path)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--corpus", default=str(CORPUS))
    c.add_argument("--split", default="val")
    c.add_argument("--games", type=int, default=80)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--window", type=int, default=16, help="moves after an edit collected (fit may use fewer)")
    c.add_argument("--threads", type=int, default=None)
    c.add_argument("--katago-model", default=None)
    c.add_argument("--out", required=True)
    c.add_argument("--also", default=None, help="edit classes tried at every suspect, comma-separated "
                   "(e.g. swap2,pair_order,block,extra; default: the shipped calibration's)")
    c.add_argument("--inserts", action=argparse.BooleanOptionalAction, default=None,
                   help="the network's own inserts (a dropped move or pair) at every suspect")
    f = sub.add_parser("fit")
    f.add_argument("files", nargs="+")
    f.add_argument("--windows", type=int, nargs="+", default=[2, 4, 8, 12, 16])
    f.add_argument("--thresholds", type=float, nargs="+", default=[0.5, 0.7, 0.8, 0.9, 0.95])
    f.add_argument("--write", action="store_true")
    f.add_argument("--collected-by", default="python scripts/engine_calibrate.py collect --split val --games 60 "
                   "--threads 1 --out results/engine-val.jsonl (stopped after the games it holds)",
                   help="the collect command, written into the calibration")
    f.add_argument("--level", choices=("game", "candidate"), default="game")
    f.add_argument("--test", nargs="*", default=[], help="held-out collected files: the chosen settings measured on them")
    sc = sub.add_parser("score", help="the shipped calibration measured on collected files (nothing fitted)")
    sc.add_argument("files", nargs="+")
    args = ap.parse_args(argv)
    {"collect": collect, "fit": fit, "score": score}[args.cmd](args)


if __name__ == "__main__":
    main()
