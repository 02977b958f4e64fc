"""The judge on the real pairs of ../shared/real-dev: per differing region, which record it believes.

    python scripts/judge_real.py [--dir ../shared/real-dev] [--json out.json] [--rules-only] [--model CKPT]
    python scripts/judge_real.py --compare [--unfixed-before] [--dir ../shared/real-dev] [--json out.json]
                                 [--rules-only]

Each pair (``A__*.sgf``, ``B__*.sgf``) is aligned by ``gofix.versions.align`` (B put in
A's orientation; a ``difflib`` fallback when that module is missing). Each
differing region is judged twice, on each record as background: A as read
against A with that one region as B has it, and B as read against B with that
region as A has it (so the versions differ in that region only; after an extra
move that flips the later colours, the background's later colours are flipped
too and the span runs to the end). The two verdicts can differ when a pair has
several regions: one reading of a region may clash with the background's
reading of another (an occupied point later). ``truncated_tail`` regions (one
record stops early) are not judged. Truth is mostly unknown: the table is for
reading by eye. ``chosen_later_illegal`` counts verdicts whose chosen version
has an illegal move at or after the region.

``--compare``: each pair through ``compare.compare_records`` (what ``gofix
compare`` does), twice: *before* (the judge asked in A's context only, every
verdict taken: ``first_context_only=True, min_confidence=0.5``) and *after*
(A's and B's contexts, ``compare.MIN_CONFIDENCE``). Prints per region both
outcomes and the counts: decided by the rules / the model / undecided (by
reason), and how many of the before's rules verdicts the after keeps.
``--unfixed-before``: the before's judge as ``Judge.choose`` was before its
fix (it scored by the formula with the card's context, point weight and move
cost, and mapped the margin by ``sigmoid(scale x margin)``, ignoring the card's
fitted weights and knots): ``Judge(weights={}, calibration=[])``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _regions(a, b, size, setup_a, setup_b):
    """(symmetry, [(kind, (a_lo, a_hi), (b_lo, b_hi), recoloured)]) of B against A."""
    try:
        from gofix.versions.align import align
    except ImportError:
        return 0, _diff_regions(a, b)
    al = align(a, b, size, setup_a=setup_a, setup_b=setup_b)
    return al.symmetry, [(r.kind, r.a, r.b, r.recoloured) for r in al.regions]


def _diff_regions(a, b):
    """Fallback: difflib's non-equal opcodes on (colour, point), same orientation assumed."""
    import difflib

    ops = difflib.SequenceMatcher(None, [tuple(m[:2]) for m in a], [tuple(m[:2]) for m in b],
                                  autojunk=False).get_opcodes()
    return [(tag, (i1, i2), (j1, j2), False) for tag, i1, i2, j1, j2 in ops if tag != "equal"]


def _flip(moves):
    from gofix.record import Move

    return [Move("w" if m.colour == "b" else "b", m.point, m.sgf) for m in moves]


def judge_pair(judge, folder: Path) -> list[dict]:
    from gofix.repair.judge import illegal_count
    from gofix.formats.read import read_game

    fa = sorted(folder.glob("A__*.sgf"))[0]
    fb = sorted(folder.glob("B__*.sgf"))[0]
    ra, rb = read_game(fa), read_game(fb)
    size = ra.size
    sym, regions = _regions(ra.moves, rb.moves, size, ra.setup_black, rb.setup_black)
    try:
        from gofix.versions.align import in_orientation

        bt = in_orientation(rb.moves, sym, size)
    except ImportError:
        bt = list(rb.moves)
    setup = dict(setup_black=ra.setup_black, setup_white=ra.setup_white, handicap=ra.handicap,
                 first_player=ra.first_player)
    out = []
    for kind, (a0, a1), (b0, b1), recoloured in regions:
        row = {"pair": folder.name, "kind": kind, "a": [a0 + 1, a1], "b": [b0 + 1, b1]}
        if kind == "truncated_tail":
            row["verdict"] = "skipped"
            out.append(row)
            continue
        A = list(ra.moves)
        for bg, base, other, (s0, s1), (o0, o1) in (("A", A, bt, (a0, a1), (b0, b1)), ("B", bt, A, (b0, b1), (a0, a1))):
            # ``base`` as read, and ``base`` with this region as ``other`` has it
            tail = _flip(base[s1:]) if recoloured else base[s1:]
            hybrid = base[:s0] + other[o0:o1] + tail
            versions = [base, hybrid] if bg == "A" else [hybrid, base]  # index 0 = A's reading, 1 = B's
            n0 = len(versions[0])
            if recoloured:
                spans = [(s0, n0), (s0, len(versions[1]))]
            else:
                spans = [(s0, s0 + a1 - a0), (s0, s0 + b1 - b0)]
            v = judge.choose(size, versions, spans, **setup)
            bad = [illegal_count(size, x, s0, **setup) for x in versions]
            row[bg] = {"verdict": "AB"[v.choice] if v.choice is not None else "-",
                       "confidence": round(v.confidence, 3), "reason": v.reason,
                       "scores": [round(x, 3) for x in v.scores], "illegal": bad,
                       "chosen_later_illegal": v.choice is not None and bad[v.choice] > 0}
        row["verdict"] = row["A"]["verdict"] if row["A"]["verdict"] == row["B"]["verdict"] else "split"
        out.append(row)
    return out


def compare_pair(judge, folder: Path, before_judge=None) -> list[dict]:
    """One row per region of ``compare_records`` on the pair: before and after (see the module doc)."""
    from gofix.versions.compare import compare_records, load_record

    fa = sorted(folder.glob("A__*.sgf"))[0]
    fb = sorted(folder.glob("B__*.sgf"))[0]
    recs = [load_record(fa), load_record(fb)]
    before = compare_records(recs, before_judge or judge, first_context_only=True, min_confidence=0.5)
    after = compare_records(recs, judge)
    rows = []
    for x, y in zip(before, after):
        assert x.moves == y.moves
        rows.append({"pair": folder.name, "kind": x.kind, "moves": x.moves,
                     **{name: {"verdict": "AB"[r.verdict] if r.verdict is not None else "-",
                               "decided_by": r.decided_by, "confidence": round(r.confidence, 3), "reason": r.reason,
                               "leaning": "AB"[r.judge_choice] if r.judge_choice is not None else "-",
                               "joint": (None if getattr(r, "joint", None) is None else
                                         [r.joint[0], r.joint[1], "AB"[r.joint[2]] if r.joint[2] is not None else "-",
                                          round(r.joint[3], 3), r.joint[4]]),
                               "contexts": [["AB"[i], "AB"[c] if c is not None else "-", round(conf, 3), why]
                                            for i, c, conf, why in r.contexts]}
                        for name, r in (("before", x), ("after", y))}})
    return rows


def compare_main(args, judge) -> int:
    from gofix.errors import GofixError
    from gofix.repair.judge import Judge

    before_judge = Judge(args.model, weights={}, calibration=[]) if args.unfixed_before else None
    rows, failed = [], []
    for folder in sorted(p for p in args.dir.iterdir() if p.is_dir()):
        try:
            rows += compare_pair(judge, folder, before_judge)
        except GofixError as exc:
            failed.append({"pair": folder.name, "error": str(exc)})
    print("| pair | kind | A moves | B moves | before (A's context, every verdict) | after (both contexts, bar) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        cells = []
        for name in ("before", "after"):
            v = r[name]
            cells.append(f"{v['verdict']} {v['decided_by']} {v['confidence']:.2f} {v['reason']}"
                         + (f" (leaning {v['leaning']})" if v["verdict"] == "-" and v["leaning"] != "-" else "")
                         + (" (joint {}-{}: {} {:.2f} {})".format(*v["joint"]) if v["joint"] else ""))
        (a0, a1), (b0, b1) = r["moves"]
        print(f"| {r['pair']} | {r['kind']} | {a0}-{a1} | {b0}-{b1} | {cells[0]} | {cells[1]} |")

    def counts(name):
        out = {"rules": 0, "model": 0, "undecided": 0}
        why: dict[str, int] = {}
        for r in rows:
            v = r[name]
            key = {"illegal": "rules", "judge": "model"}.get(v["decided_by"], "undecided")
            out[key] += 1
            if key == "undecided":
                why[v["reason"]] = why.get(v["reason"], 0) + 1
        joint = [r[name]["joint"] for r in rows if r[name]["joint"] is not None]
        decided = sum(r[name]["joint"] is not None and r[name]["verdict"] != "-" for r in rows)
        return {**out, "undecided_by_reason": dict(sorted(why.items())), "asked_jointly": len(joint),
                "decided_jointly": decided}

    rules_before = [r for r in rows if r["before"]["decided_by"] == "illegal"]
    summary = {"pairs": len({r["pair"] for r in rows}), "regions": len(rows), "before": counts("before"),
               "after": counts("after"), "rules_before": len(rules_before),
               "rules_kept": sum(r["after"]["decided_by"] == "illegal"
                                 and r["after"]["verdict"] == r["before"]["verdict"] for r in rules_before),
               "rules_before_now": dict(sorted({k: sum(f"{r['after']['decided_by']} / {r['after']['reason']}" == k
                                                       for r in rules_before)
                                                for k in {f"{r['after']['decided_by']} / {r['after']['reason']}"
                                                          for r in rules_before}}.items())),
               "failed": failed, "model": not args.rules_only, "unfixed_before": args.unfixed_before}
    print(json.dumps(summary))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "regions": rows}, indent=1) + "\n", encoding="utf-8")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=REPO.parent / "shared" / "real-dev")
    ap.add_argument("--model", type=Path, default=None, help="tagger checkpoint (default: the bundled one)")
    ap.add_argument("--rules-only", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--compare", action="store_true",
                    help="each pair through compare_records: A's context only vs both contexts and the bar")
    ap.add_argument("--unfixed-before", action="store_true",
                    help="with --compare: the before's judge as choose() was before its fix (formula, sigmoid)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from gofix.errors import GofixError
    from gofix.repair.judge import Judge

    judge = Judge(args.model, rules_only=args.rules_only)
    if args.compare:
        return compare_main(args, judge)
    rows, failed = [], []
    for folder in sorted(p for p in args.dir.iterdir() if p.is_dir()):
        try:
            rows += judge_pair(judge, folder)
        except (GofixError, IndexError) as exc:
            failed.append({"pair": folder.name, "error": str(exc)})
    print("| pair | kind | A moves | B moves | on A's background | on B's background "
          "| illegal after (A's, B's reading) on A's / B's |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        head = f"| {r['pair']} | {r['kind']} | {r['a'][0]}-{r['a'][1]} | {r['b'][0]}-{r['b'][1]} |"
        if r["verdict"] == "skipped":
            print(head + " skipped | | |")
            continue
        cells = [f"{v['verdict']} {v['confidence']:.2f} {v['reason']}"
                 + (" (chosen illegal later)" if v["chosen_later_illegal"] else "") for v in (r["A"], r["B"])]
        print(head + f" {cells[0]} | {cells[1]} | {r['A']['illegal']} / {r['B']['illegal']} |")
    judged = [r for r in rows if r["verdict"] != "skipped"]
    views = [r[bg] for r in judged for bg in "AB"]
    summary = {"pairs": len({r["pair"] for r in rows}), "regions": len(rows), "judged": len(judged),
               "same_verdict_on_both_backgrounds": sum(r["verdict"] in ("A", "B", "-") for r in judged),
               "by_reason": {bg: {k: sum(r[bg]["reason"] == k for r in judged)
                                  for k in sorted({r[bg]["reason"] for r in judged})} for bg in "AB"},
               "chosen_later_illegal": sum(bool(v["chosen_later_illegal"]) for v in views),
               "failed": failed, "model": not args.rules_only}
    print(json.dumps(summary))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "regions": rows}, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
