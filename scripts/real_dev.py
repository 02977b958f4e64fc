"""How gofix sees real transcription errors: the pairs of ``../shared/real-dev/``.

    python scripts/real_dev.py [--dir ../shared/real-dev] [--model CKPT] [--threshold T] [--json OUT]
                               [--engine NETWORK.bin.gz --cache results/real-dev-engine.json]
                               [--sweep 0.05,0.1,0.2,0.3,0.5,0.75] [--channel-games 400]

Each pair holds two real records of one game that disagree (which one is right is
mostly unknown; where they differ is known). ``gofix.versions.align`` finds the differing
regions; the tagger (and the rules) then look at each record on its own, as
``gofix check`` does, and the script reports:

- **flagged**: a region counts as flagged when a finding (rules, or the tagger at
  the threshold) lies on one of its moves in either record (for moves missing from
  a record: on the move just before or after the gap);
- **top-1 / top-3**: the region holds the record's most suspicious move (by the
  tagger's p_wrong; rule findings first), or one of its three most suspicious, in
  either record;
- **elsewhere**: findings outside every region (per record: the false alarms a
  user would read, if the region holds the only error);
- a threshold sweep of the two (what each threshold costs on real records);
- the channel check: the kinds, distances and positions in the game of the real
  differences beside those ``gofix corrupt``'s default channel makes.

Pass ``--model`` for another checkpoint; ``--rules-only`` for the rules alone.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections import Counter
from pathlib import Path


import numpy as np

from gofix.formats.read import read_game
from gofix.rules.findings import rule_findings
from gofix.versions.align import align

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "real-dev"


def load_pairs(directory: Path) -> list[dict]:
    """The rows of ``pairs.tsv`` with both records read."""
    rows = []
    with open(directory / "pairs.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            folder = directory / row["pair_id"]
            a = next(folder.glob("A__*"))
            b = next(folder.glob("B__*"))
            row["records"] = (read_game(a), read_game(b))
            rows.append(row)
    return rows


def region_moves(lo: int, hi: int, n: int) -> set[int]:
    """0-based moves a finding may lie on to count for the region [lo, hi) of a record of n moves."""
    if hi > lo:
        return set(range(lo, hi))
    return {i for i in (lo - 1, lo) if 0 <= i < n}  # moves missing here: the moves around the gap


def suspicion(record, detector) -> np.ndarray:
    """Per move, a sortable suspicion: rule findings above everything, then the tagger's p_wrong."""
    n = len(record.moves)
    s = np.zeros(n)
    if detector is not None and n:
        scores = detector.analyse(record)
        if scores is not None:
            s[: len(scores.p_wrong)] = scores.p_wrong
    for f in rule_findings(record):
        if 1 <= f.move <= n:
            s[f.move - 1] = 2.0
    return s


def engine_suspicion(record, repairer, cache: dict, key: str, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Per move, with the KataGo network: (the judge's confidence that an edit there is right, at the
    judge's settings over ``window`` moves after an edit, the raw pass's surprise -log P / 100), rule findings 2.0 in both. The repair
    engine applies nothing here (``engine_threshold`` above 1), so every candidate is judged on the
    record as read. ``cache``: earlier traces by ``key`` (~30-60 s a record here): any window up to
    the collected one and any calibration can be scored from them."""
    import math

    from gofix.engine.judge import window_margin

    n = len(record.moves)
    if key not in cache:
        repairer.trace = []
        repairer.repair(record)
        lp = repairer.engine.pass_logp(record, record.moves) if record.size == 19 else np.zeros(0)
        cache[key] = {"trace": [{k: t[k] for k in ("suspect", "edited", "recorded", "head", "fixed", "size")}
                                for t in repairer.trace],
                      "surprise": [float(-x / 100) for x in lp]}
    got = cache[key]
    judged, raw = np.zeros(n), np.zeros(n)
    for t in got["trace"]:
        margin, _ = window_margin(t["edited"], t["recorded"], t["head"][0], t["head"][1], window)
        gain = margin + repairer.legal_bonus * t["fixed"] - repairer.edit_cost * t["size"]
        z = repairer.engine_scale * gain + repairer.engine_offset
        conf = 1 / (1 + math.exp(-z)) if math.isfinite(z) else 0.0
        if t["suspect"] < n:
            judged[t["suspect"]] = max(judged[t["suspect"]], conf)
    raw[: len(got["surprise"])] = got["surprise"][:n]
    for f in rule_findings(record):
        if 1 <= f.move <= n:
            judged[f.move - 1] = raw[f.move - 1] = 2.0
    return judged, raw


def analyse(rows: list[dict], detector, repairer=None, cache_path: Path | None = None, window: int = 12) -> list[dict]:
    """Per pair: its regions and both records' suspicion arrays (with ``repairer``, one judged by the
    network: ``susp`` the judge's, ``raw`` the network's own surprise)."""
    out = []
    cache: dict = {}
    if cache_path is not None and cache_path.exists():
        cache = json.loads(cache_path.read_text())
    for row in rows:
        a, b = row["records"]
        al = align(a.moves, b.moves, a.size)
        raw = None
        if repairer is not None:
            (ja, ra), (jb, rb) = (engine_suspicion(r, repairer, cache, f"{row['pair_id']}/{side}", window)
                                  for r, side in ((a, "A"), (b, "B")))
            susp, raw = (ja, jb), (ra, rb)
            if cache_path is not None:
                cache_path.write_text(json.dumps(cache))
        else:
            susp = (suspicion(a, detector), suspicion(b, detector))
        regions = [{"kind": r.kind, "a": list(r.a), "b": list(r.b)} for r in al.regions]
        out.append({"pair": row["pair_id"], "tsv_kind": row["kind"], "regions": regions, "susp": susp,
                    "n": (len(a.moves), len(b.moves)), "raw": raw})
    return out


def score(pairs: list[dict], threshold: float) -> dict:
    """The figures at one threshold (see the module doc)."""
    regions = flagged = top1 = top3 = 0
    pairs_flagged = pairs_top1 = 0
    elsewhere = []  # findings outside the regions, per record
    by_kind: dict[str, list[int]] = {}
    for p in pairs:
        any_flag = any_top1 = False
        inside = [set(), set()]
        for r in p["regions"]:
            hit = t1 = t3 = False
            for x, key in ((0, "a"), (1, "b")):
                s = p["susp"][x]
                moves = region_moves(r[key][0], r[key][1], len(s))
                inside[x] |= moves
                if not moves:
                    continue
                hit |= bool(any(s[i] >= threshold for i in moves))
                order = list(np.argsort(-s, kind="stable"))
                best = min(order.index(i) for i in moves)
                t1 |= bool(best == 0 and s[order[0]] > 0)
                t3 |= bool(best < 3 and s[order[best]] > 0)
            regions += 1
            flagged += int(hit)
            top1 += int(t1)
            top3 += int(t3)
            any_flag |= hit
            any_top1 |= t1
            k = by_kind.setdefault(r["kind"], [0, 0, 0])
            k[0] += 1
            k[1] += int(hit)
            k[2] += int(t1)
        pairs_flagged += int(any_flag)
        pairs_top1 += int(any_top1)
        for x in (0, 1):
            s = p["susp"][x]
            elsewhere.append(int(sum(1 for i in np.flatnonzero(s >= threshold) if i not in inside[x])))
    n = len(pairs)
    return {"threshold": threshold, "pairs": n, "regions": regions,
            "pairs_flagged": pairs_flagged, "pairs_top1": pairs_top1,
            "regions_flagged": flagged, "regions_top1": top1, "regions_top3": top3,
            "elsewhere_per_record": sum(elsewhere) / max(1, len(elsewhere)),
            "records_with_elsewhere": sum(1 for e in elsewhere if e) / max(1, len(elsewhere)),
            "by_kind": {k: {"regions": v[0], "flagged": v[1], "top1": v[2]} for k, v in sorted(by_kind.items())}}


# ---------------------------------------------------------------- the channel against real errors


def real_mix(rows: list[dict]) -> dict:
    """Kinds, substitution distances and positions (share of the game) of the real regions."""
    kinds, dist, pos = Counter(), Counter(), []
    for row in rows:
        a, b = row["records"]
        al = align(a.moves, b.moves, a.size)
        for r in al.regions:
            kinds[r.kind] += 1
            if r.kind == "substitution" and r.offset is not None:
                dist[max(abs(r.offset[0]), abs(r.offset[1]))] += 1
            pos.append(r.a[0] / max(1, len(a.moves)))
    return {"kinds": dict(kinds), "distances": dict(sorted(dist.items())), "positions": pos}


CHANNEL_AS_REAL = {  # gofix corrupt's kinds in real-dev's vocabulary
    "near": "substitution", "two_lines": "substitution", "digit": "substitution", "transpose": "substitution",
    "mirror": "substitution", "colour": "substitution", "swap2": "swap", "pair_order": "reorder",
    "block_move": "moved_block", "drop_pair": "extra_in_B", "drop_one": "extra_in_B",
    "drop_one_recolour": "extra_in_B", "extra_pair": "extra_in_A", "extra_one": "extra_in_A",
    "extra_one_recolour": "extra_in_A",
}


def channel_mix(games: int, seed: int = 0) -> dict:
    """The same figures for the default channel on validation games (one error each)."""
    from gofix.train.corrupt import Channel, undo_all
    from gofix.evaluate.eval import corpus_cases

    corpus = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "pro-games.tar.gz"
    channel = Channel(errors_per_game=1)
    rng = random.Random(seed)
    kinds, dist, pos = Counter(), Counter(), []
    for case in corpus_cases(str(corpus), seed=seed, split="val", limit=games):
        noisy, truths = channel.corrupt(case.clean, case.size, rng)
        for t in truths:
            kinds[CHANNEL_AS_REAL.get(t.kind, t.kind)] += 1
            if t.kind in ("near", "two_lines", "digit", "transpose", "mirror") and t.undo.insert:
                i = t.positions[0]
                p, q = noisy[i].point, undo_all(noisy, [t])[i].point
                if p is not None and q is not None:
                    dist[max(abs(p[0] - q[0]), abs(p[1] - q[1]))] += 1
            pos.append(t.span[0] / max(1, len(noisy)))
    return {"kinds": dict(kinds), "distances": dict(sorted(dist.items())), "positions": pos}


def synthetic_sweep(detector, games: int, thresholds: list[float], mix: str = "default", seed: int = 1) -> list[dict]:
    """Detection figures at each threshold on ``games`` validation games (half corrupted, one error
    each from ``mix``): precision, recall, flags on clean games per 100 (what each threshold costs)."""
    from gofix.train.corrupt import mix_channel
    from gofix.evaluate.eval import ModelSystem, corpus_cases, run_system, score

    corpus = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "pro-games.tar.gz"
    channel = mix_channel(mix, errors_per_game=1, clean_share=0.5)
    cases = list(corpus_cases(str(corpus), channel=channel, seed=seed, split="val", limit=games))
    outs, secs = run_system(ModelSystem("tagger", detector, repair=False), cases)
    rows = []
    for t in thresholds:
        sc = score("tagger", cases, outs, seconds=secs, threshold=t)
        rows.append({"threshold": t, "mix": mix, "games": len(cases), "precision": sc.precision,
                     "recall": sc.recall, "false_flags_per_100_clean": sc.false_flags_per_100_clean})
    return rows


def _shares(counter: dict) -> dict:
    total = sum(counter.values()) or 1
    return {k: round(v / total, 3) for k, v in sorted(counter.items(), key=lambda kv: -kv[1])}


def _thirds(pos: list[float]) -> list[float]:
    if not pos:
        return [0.0, 0.0, 0.0]
    h = np.histogram(pos, bins=[0, 1 / 3, 2 / 3, 1.0001])[0]
    return [round(float(x) / len(pos), 3) for x in h]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--model", type=Path, default=None, help="tagger checkpoint (default: the bundled one)")
    ap.add_argument("--rules-only", action="store_true")
    ap.add_argument("--threshold", type=float, default=None, help="flag threshold (default: the model card's)")
    ap.add_argument("--sweep", default="0.02,0.05,0.1,0.2,0.3,0.5,0.75")
    ap.add_argument("--channel-games", type=int, default=0, help="also compare the channel on this many val games")
    ap.add_argument("--synthetic-games", type=int, default=0,
                    help="also sweep the thresholds on this many validation games (half corrupted), "
                         "default and real mixes: the cost of each threshold on both kinds of error")
    ap.add_argument("--json", type=Path, default=None, help="write every figure here")
    ap.add_argument("--engine", type=Path, default=None,
                    help="a KataGo network: the repair engine with the network as judge gives the suspicions")
    ap.add_argument("--cache", type=Path, default=None, help="with --engine: keep per-record results here (resumable)")
    ap.add_argument("--threads", type=int, default=None, help="with --engine: torch threads (default: the cores)")
    ap.add_argument("--pairs", type=int, default=None, help="only the first N pairs of pairs.tsv")
    ap.add_argument("--symmetries", type=int, default=1, choices=(1, 8),
                    help="8: the tagger's scores averaged over the 8 board symmetries (slower)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1 if args.engine is None else (args.threads or 2))
    from gofix.repair.pretrained import calibrated_threshold, default_checkpoint, load_detector

    detector = None if args.rules_only else load_detector(args.model)
    if detector is not None:
        detector.syms = tuple(range(args.symmetries))
    path = args.model or default_checkpoint()
    threshold = args.threshold if args.threshold is not None else (
        calibrated_threshold(path) if detector is not None else 0.5)
    rows = load_pairs(args.dir)[: args.pairs]
    repairer = None
    if args.engine is not None:
        from gofix.engine.judge import load_judge, repairer_settings, settings
        from gofix.repair.repairer import ModelRepairer

        knobs = repairer_settings(2.0)  # detection only: nothing applied, every candidate judged as read
        judge = load_judge(args.engine, threads=args.threads)
        judge.window = max(16, int(settings()["window"]))  # traces collected this far; scored at the settings' window
        repairer = ModelRepairer(detector, threshold=0.5, engine=judge, **knobs)
        threshold = knobs["engine_flag"]
    pairs = analyse(rows, detector, repairer, args.cache,
                    int(settings()["window"]) if repairer is not None else 12)
    main_fig = score(pairs, threshold)
    raw_fig = score([{**p, "susp": p["raw"]} for p in pairs], 1.5) if repairer is not None else None
    sweep = [score(pairs, float(t)) for t in args.sweep.split(",")] if detector is not None else []
    print(f"real-dev: {main_fig['pairs']} pairs, {main_fig['regions']} regions; "
          f"{'rules only' if detector is None else f'tagger {path} at {threshold}'}"
          f"{'' if repairer is None else f', judged by the KataGo network {repairer.engine.name}'}")
    print(f"  pairs with a region flagged: {main_fig['pairs_flagged']}/{main_fig['pairs']}; "
          f"regions flagged {main_fig['regions_flagged']}/{main_fig['regions']}; "
          f"top-1 {main_fig['regions_top1']}, top-3 {main_fig['regions_top3']} regions "
          f"(pairs with a top-1 region: {main_fig['pairs_top1']}); "
          f"findings elsewhere {main_fig['elsewhere_per_record']:.2f} per record "
          f"({main_fig['records_with_elsewhere']:.0%} of records have one)")
    print("  by kind (regions, flagged, top-1):",
          ", ".join(f"{k} {v['regions']}/{v['flagged']}/{v['top1']}" for k, v in main_fig["by_kind"].items()))
    if raw_fig is not None:  # rule findings only count at 1.5: top-1 is this row's figure
        print(f"  the network's raw surprise alone: top-1 {raw_fig['regions_top1']}, top-3 {raw_fig['regions_top3']} "
              f"regions (pairs with a top-1 region: {raw_fig['pairs_top1']}/{raw_fig['pairs']})")
    if sweep:
        print("  threshold | pairs flagged | regions flagged | elsewhere per record | records with one")
        for s in sweep:
            print(f"  {s['threshold']:9.2f} | {s['pairs_flagged']:13d} | {s['regions_flagged']:15d} | "
                  f"{s['elsewhere_per_record']:20.2f} | {s['records_with_elsewhere']:.0%}")
    if args.synthetic_games and detector is not None:
        thresholds = [float(t) for t in args.sweep.split(",")]
        syn = {m: synthetic_sweep(detector, args.synthetic_games, thresholds, m) for m in ("default", "real")}
        print(f"  the same thresholds on {syn['default'][0]['games']} validation games (half corrupted, one error):")
        print("  threshold | real-dev pairs flagged | elsewhere per record | default mix P / R / false flags per "
              "100 clean | real mix P / R / false flags per 100 clean")
        for s_real, d, r in zip(sweep, syn["default"], syn["real"]):
            print(f"  {d['threshold']:9.2f} | {s_real['pairs_flagged']:22d} | {s_real['elsewhere_per_record']:20.2f} | "
                  f"{d['precision']:.3f} / {d['recall']:.3f} / {d['false_flags_per_100_clean']:5.1f} | "
                  f"{r['precision']:.3f} / {r['recall']:.3f} / {r['false_flags_per_100_clean']:5.1f}")
    else:
        syn = {}
    result = {"threshold": threshold, "synthetic": syn, "raw_network": raw_fig, "model": None if detector is None else str(path), "figures": main_fig,
              "sweep": sweep}
    if args.channel_games:
        real, chan = real_mix(rows), channel_mix(args.channel_games)
        result["channel"] = {"real": real, "corrupt": chan}
        print("  kinds, real:   ", _shares(real["kinds"]))
        print("  kinds, channel:", _shares(chan["kinds"]))
        print("  substitution distance (Chebyshev), real:", real["distances"], " channel:", chan["distances"])
        print("  position in the game (thirds), real:", _thirds(real["positions"]),
              " channel:", _thirds(chan["positions"]))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
