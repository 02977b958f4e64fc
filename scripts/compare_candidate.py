"""A candidate tagger against the shipped one, on the fixed measurements that decide shipping.

    python scripts/compare_candidate.py runs/cpu-s19/last.pt [--base gofix/weights/tagger.pt]
                                        [--out runs/compare-cpu-s19] [--repair-games 1000] [--eval-games 400]

The candidate is copied into ``--out`` and calibrated there (``gofix calibrate --steps
thresholds``: flag and repair thresholds on 200 validation games, seed 1, the protocol behind the
shipped card; the shipped card is not touched). Then, for both models, each at its own calibrated thresholds:

1. detection on the calibration games: precision, recall, F0.5 (from the cards);
2. repair on the default mix (``scripts/ablate_repair.py --games N --seed 2``: validation games,
   one error per corrupted game, half clean): exact repair, changes right, clean untouched;
3. the real mix (``gofix eval --split val --seed 0 --limit N --mix real --no-seq2seq``): precision,
   recall, exact repair, clean untouched;
4. real discrepancies (``scripts/real_dev.py``): pairs flagged, top-1 / top-3 regions, findings
   elsewhere per record.

Every command's output stays in ``--out``; a table of the two columns is printed and written to
``--out/summary.json``. The decision (ship or not) is the reader's: the script says which figures
moved by more than their noise (two standard errors of the difference of two shares).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "pro-games.tar.gz"


def run(cmd: list[str], log: Path) -> str:
    """Run ``cmd`` from the repository root, its output into ``log``; returns stdout. Exits on failure."""
    res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    log.write_text(res.stdout + "\n--- stderr ---\n" + res.stderr, encoding="utf-8")
    if res.returncode not in (0, 1):  # gofix eval exits 0; a script 0
        sys.exit(f"failed ({res.returncode}): {' '.join(cmd)}; see {log}")
    return res.stdout


def gofix() -> list[str]:
    """The installed command beside this Python, else the same app."""
    entry = Path(sys.executable).with_name("gofix")
    return [str(entry)] if entry.is_file() else [sys.executable, "-m", "gofix.cli"]


def figures(model: Path, out: Path, tag: str, args) -> dict:
    py = sys.executable
    card = json.loads(model.with_suffix(".json").read_text(encoding="utf-8"))
    val = card.get("validation", {})
    fig = {"flag_threshold": card.get("flag_threshold"), "repair_threshold": card.get("repair_threshold"),
           "cal_precision": val.get("precision"), "cal_recall": val.get("recall"), "cal_f05": val.get("f05")}
    line = run([py, "scripts/ablate_repair.py", "--games", str(args.repair_games), "--seed", "2", "--model", str(model)],
               out / f"{tag}-repair.log").strip().splitlines()[-1]
    rep = json.loads(line)
    fig.update(repair_games=rep["games"], repaired_exactly=rep["repaired_exactly"], changes_right=rep["changes_right"],
               changed_games=rep["changed_games"], clean_untouched=rep["clean_untouched"])
    ev = json.loads(run([*gofix(), "eval", str(args.corpus), "--split", "val", "--seed", "0", "--limit",
                         str(args.eval_games), "--mix", "real", "--no-seq2seq", "--model", str(model),
                         "--threshold", str(fig["flag_threshold"]), "--json"], out / f"{tag}-eval-real.log"))
    tagger = next(r for r in ev["results"] if r["system"] != "rules only")
    fig.update(real_mix_games=tagger["games"], real_mix_precision=tagger["precision"],
               real_mix_recall=tagger["recall"], real_mix_repaired=tagger["repaired_exactly"],
               real_mix_clean_untouched=tagger["clean_untouched"], real_mix_corrupted=tagger["corrupted_games"])
    rd_json = out / f"{tag}-real-dev.json"
    run([py, "scripts/real_dev.py", "--model", str(model), "--json", str(rd_json)], out / f"{tag}-real-dev.log")
    rd = json.loads(rd_json.read_text(encoding="utf-8"))["figures"]
    fig.update(real_dev_pairs_flagged=rd["pairs_flagged"], real_dev_pairs=rd["pairs"],
               real_dev_top1=rd["regions_top1"], real_dev_top3=rd["regions_top3"], real_dev_regions=rd["regions"],
               real_dev_elsewhere=rd["elsewhere_per_record"])
    return fig


def noise(a: float, b: float, n: int) -> float:
    """Two standard errors of the difference of two shares ``a``, ``b``, each measured on ``n`` trials
    (pooled; conservative, since both models see the same games)."""
    p = (a + b) / 2
    return 2 * math.sqrt(2 * max(p * (1 - p), 1e-9) / max(n, 1))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("candidate", type=Path)
    ap.add_argument("--base", type=Path, default=REPO / "gofix" / "weights" / "tagger.pt")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--repair-games", type=int, default=1000)
    ap.add_argument("--eval-games", type=int, default=400)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    args = ap.parse_args(argv)
    for p in (args.candidate, args.base, args.corpus):
        if not p.is_file():
            sys.exit(f"error: no such file: {p}")
    out = args.out or REPO / "runs" / f"compare-{args.candidate.parent.name}"
    out.mkdir(parents=True, exist_ok=True)
    cand = out / "candidate.pt"
    shutil.copyfile(args.candidate, cand)
    cand.with_suffix(".json").unlink(missing_ok=True)  # an earlier candidate's card: this one gets its own
    run([*gofix(), "calibrate", str(cand), "--data", str(args.corpus), "--steps", "thresholds",
         "--repair-thresholds", "0.3,0.5,0.7"], out / "candidate-calibrate.log")
    cols = {"shipped": figures(args.base.resolve(), out, "shipped", args), "candidate": figures(cand, out, "candidate", args)}
    b, c = cols["shipped"], cols["candidate"]
    shares = {  # figure -> trials it is a share of (for the noise column)
        "repaired_exactly": b["repair_games"] // 2, "changes_right": max(b["changed_games"], 1),
        "clean_untouched": b["repair_games"] // 2, "real_mix_recall": b["real_mix_corrupted"],
        "real_mix_repaired": b["real_mix_corrupted"], "real_mix_clean_untouched": b["real_mix_games"] - b["real_mix_corrupted"],
    }
    rows = []
    print(f"{'figure':28s} {'shipped':>10s} {'candidate':>10s}  moved beyond noise")
    for k in b:
        bv, cv = b[k], c[k]
        moved = ""
        if k in shares and isinstance(bv, float):
            n = noise(bv, cv, shares[k])
            moved = "" if abs(cv - bv) <= n else ("up" if cv > bv else "down")
        fmt = (lambda v: f"{v:10.4f}") if isinstance(bv, float) else (lambda v: f"{v!s:>10s}")
        print(f"{k:28s} {fmt(bv)} {fmt(cv)}  {moved}")
        rows.append({"figure": k, "shipped": bv, "candidate": cv, "moved": moved})
    (out / "summary.json").write_text(json.dumps({"candidate": str(args.candidate), "base": str(args.base),
                                                  "columns": cols, "rows": rows}, indent=1), encoding="utf-8")
    print(f"logs and summary.json in {out}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
