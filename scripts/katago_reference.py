"""Make the KataGo reference fixture: the official binary's raw policy and value on real positions.

    python scripts/katago_reference.py tests/data/katago_reference.json.gz

Reads games from ../shared/corpus (professional games, and KGS handicap games for setup stones),
plants errors in some of them (gofix's own channel), picks positions by kind — openings, middle
game, simple-ko points, working and broken ladders, captures, late endgame, handicap, the moves
after a planted error — and asks ../shared/katago's binary (KataGo 1.17.2, CPU) for the raw
network output at each: one visit, no random symmetry (``nnRandomize=false``), the plain policy
(``rootPolicyOptimism=0``) and the moves before the position given as history
(``ignorePreRootHistory=false``), Japanese rules, the record's komi. Stored per position: the
top-10 moves with probabilities, the probability mass of the legal moves, Black's win rate, the
no-result probability and Black's lead. ``tests/test_engine_reference.py`` compares gofix's
torch network against it.

Seeded: the same corpus, binary and network give the same file.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from gofix import formats as sgf_io
from gofix.coords import to_gtp
from gofix.train.corrupt import Channel
from gofix.engine.features import BLACK, GameFeatures, KBoard, to_loc
from gofix.komi import normalise_komi
from gofix.record import GameRecord

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
KATAGO = SHARED / "katago"
OVERRIDES = "nnRandomize=false,rootPolicyOptimism=0,ignorePreRootHistory=false"
QUOTAS = {"opening": 40, "middle": 45, "ko": 40, "ladder": 40, "ladder_broken": 25, "capture": 35,
          "endgame": 35, "handicap": 35, "planted": 45}


def _usable(record: GameRecord):
    """The main line as (colour, point) up to the first move KataGo would refuse or a same-colour pair."""
    if not isinstance(record, GameRecord) or record.size != 19:
        return None
    board = KBoard(19)
    board.place(record.setup_black, BLACK)
    board.place(record.setup_white, 3 - BLACK)
    out, last = [], None
    for m in record.moves:
        if m.point is not None and not (0 <= m.point[0] < 19 and 0 <= m.point[1] < 19):
            break
        c = 1 if m.colour == "b" else 2
        if c == last:
            break
        loc = to_loc(board, m.point)
        if loc is not None and not board.is_legal(loc, c):
            break
        board.play(loc, c)
        out.append((m.colour, m.point))
        last = c
    return out


def _komi(record: GameRecord) -> float:
    raw = record.root.props.get("KM")
    if not raw:
        return 6.5
    komi, _ = normalise_komi(raw[0])
    return 6.5 if komi is None else komi


def _categories(gf: GameFeatures, t: int) -> list[str]:
    cats = []
    n = len(gf.moves)
    if t < 30:
        cats.append("opening")
    if t > 180 or t > n - 30:
        cats.append("endgame")
    board = gf.board(t)
    if board.ko_loc is not None:
        cats.append("ko")
    if t > 0:
        prev = gf.board(t - 1)
        if sum(c != 0 for c in prev.colors if c in (1, 2)) >= sum(c != 0 for c in board.colors if c in (1, 2)):
            cats.append("capture")
    if 40 <= t <= 180:
        cats.append("middle")
    return cats


def _ladder_kind(gf: GameFeatures, t: int) -> str | None:
    laddered, working = gf.ladders(t)
    if working[1] or working[2] or laddered:
        return "ladder"
    board = gf.board(t)
    two = [loc for loc in range(len(board.colors)) if board.colors[loc] in (1, 2) and board.libs(loc) == 2]
    return "ladder_broken" if two else None


def collect(rng: random.Random, n_pro: int, n_kgs: int):
    pro = SHARED / "corpus" / "pro-games.tar.gz"
    kgs = sorted((SHARED / "corpus" / "server").glob("KGS-*.tar.gz"))
    games = []
    for rec in itertools.islice(sgf_io.iter_games(pro), 0, 20000, 37):
        moves = _usable(rec)
        if moves and len(moves) >= 120:
            games.append(("pro", rec, moves))
        if len(games) >= n_pro:
            break
    hand = []
    for path in kgs:
        for rec in sgf_io.iter_games(path):
            if isinstance(rec, GameRecord) and len(rec.setup_black) >= 2:
                moves = _usable(rec)
                if moves and len(moves) >= 60:
                    hand.append(("handicap", rec, moves))
            if len(hand) >= n_kgs:
                break
        if len(hand) >= n_kgs:
            break
    return games, hand


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=20261202)
    ap.add_argument("--pro-games", type=int, default=60)
    ap.add_argument("--handicap-games", type=int, default=20)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    games, hand = collect(rng, args.pro_games, args.handicap_games)
    channel = Channel(errors_per_game=1)
    pool: dict[str, list] = {k: [] for k in QUOTAS}
    entries = []
    for gi, (kind, rec, moves) in enumerate(games + hand):
        setup_b = list(rec.setup_black)
        setup_w = list(rec.setup_white)
        planted = None
        if kind == "pro" and gi % 3 == 0:
            from gofix.record import Move
            from gofix.coords import to_sgf
            mv = [Move(c, p, to_sgf(p, 19)) for c, p in moves]
            noisy, truths = channel.corrupt(mv, 19, rng)
            if truths:
                rec2 = GameRecord(rec.source, rec.index, 19, rec.root, noisy, setup_b, setup_w)
                cut = _usable(rec2) or []
                start = truths[0].span[0]
                if len(cut) > start + 2:
                    moves, planted = cut, (start, truths[0].kind)
        gf = GameFeatures(19, moves, setup_black=setup_b, setup_white=setup_w, komi=_komi(rec),
                          first_player=moves[0][0] if moves else "b")
        entry = {"id": f"g{gi}", "source": rec.source.split("/")[-1], "size": 19, "komi": _komi(rec),
                 "rules": "japanese", "setup_black": [to_gtp(p, 19) for p in setup_b],
                 "setup_white": [to_gtp(p, 19) for p in setup_w],
                 "moves": [[c.upper(), to_gtp(p, 19)] for c, p in moves], "positions": []}
        if planted:
            entry["planted"] = {"at": planted[0], "kind": planted[1]}
        entries.append((entry, gf))
        turns = range(len(moves))
        if kind == "handicap":
            for t in rng.sample(list(turns), min(3, len(moves))):
                pool["handicap"].append((len(entries) - 1, t, "handicap"))
            continue
        if planted:
            for t in range(planted[0] + 1, min(planted[0] + 13, len(moves))):
                pool["planted"].append((len(entries) - 1, t, "planted"))
        for t in rng.sample(list(turns), min(60, len(moves))):
            for cat in _categories(gf, t):
                pool[cat].append((len(entries) - 1, t, cat))
            lk = _ladder_kind(gf, t)
            if lk:
                pool[lk].append((len(entries) - 1, t, lk))
    chosen = {}
    for cat, quota in QUOTAS.items():
        items = pool[cat]
        rng.shuffle(items)
        taken = 0
        for gi, t, c in items:
            if (gi, t) in chosen:
                continue
            chosen[(gi, t)] = c
            taken += 1
            if taken >= quota:
                break
        print(f"{cat}: {taken} positions (of {len(items)} candidates)", file=sys.stderr)
    queries = []
    for gi, (entry, _) in enumerate(entries):
        turns = sorted(t for (g, t) in chosen if g == gi)
        if not turns:
            continue
        q = {"id": entry["id"], "moves": entry["moves"][: max(turns)], "rules": "japanese", "komi": entry["komi"],
             "boardXSize": 19, "boardYSize": 19, "analyzeTurns": turns, "includePolicy": True,
             "initialPlayer": entry["moves"][0][0] if entry["moves"] else "B"}
        stones = [["B", p] for p in entry["setup_black"]] + [["W", p] for p in entry["setup_white"]]
        if stones:
            q["initialStones"] = stones
        queries.append(q)
    answers = run_katago(queries)
    out_games = []
    for gi, (entry, _) in enumerate(entries):
        turns = sorted(t for (g, t) in chosen if g == gi)
        if not turns:
            continue
        entry["moves"] = entry["moves"][: max(turns)]
        for t in turns:
            a = answers[(entry["id"], t)]
            pol = a["policy"]
            order = sorted(range(len(pol)), key=lambda i: -pol[i])[:10]
            names = [_policy_name(i) for i in order]
            info = a["rootInfo"]
            entry["positions"].append({
                "turn": t, "category": chosen[(gi, t)],
                "top": [[nm, round(pol[i], 7)] for nm, i in zip(names, order)],
                "n_legal": sum(1 for p in pol if p >= 0),
                "winrate_black": round(info["rawWinrate"], 6), "no_result": round(info["rawNoResultProb"], 6),
                "lead_black": round(info["rawLead"], 4)})
        out_games.append(entry)
    version = subprocess.run([str(KATAGO / "katago"), "version"], capture_output=True, text=True).stdout.split("\n")[0]
    doc = {"made_by": "python scripts/katago_reference.py " + " ".join(argv or sys.argv[1:]),
           "katago": version, "network": "b10c384h6nbttflrs.bin.gz (the katrain 1.20.0 wheel's)",
           "config": "shared/katago/analysis.cfg with " + OVERRIDES,
           "winrate": "Black's, from rawWinrate (win + no_result / 2)", "games": out_games}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(args.out, "wt", encoding="utf-8", compresslevel=9) as f:
        json.dump(doc, f, separators=(",", ":"))
    n = sum(len(g["positions"]) for g in out_games)
    print(f"wrote {args.out}: {n} positions in {len(out_games)} games ({os.path.getsize(args.out)} bytes)", file=sys.stderr)
    return 0


def _policy_name(i: int) -> str:
    if i == 361:
        return "pass"
    y, x = divmod(i, 19)
    return to_gtp((18 - y, x), 19)


def run_katago(queries: list[dict]) -> dict:
    with tempfile.TemporaryDirectory() as logs:
        proc = subprocess.run(
            [str(KATAGO / "katago"), "analysis", "-model", str(KATAGO / "b10c384h6nbttflrs.bin.gz"),
             "-config", str(KATAGO / "analysis.cfg"), "-override-config", f"logDir={logs},{OVERRIDES}"],
            input="".join(json.dumps(q) + "\n" for q in queries), capture_output=True, text=True, check=True)
    answers = {}
    for line in proc.stdout.splitlines():
        a = json.loads(line)
        if "error" in a:
            raise SystemExit(f"KataGo refused query {a.get('id')}: {a['error']}")
        answers[(a["id"], a["turnNumber"])] = a
    return answers


if __name__ == "__main__":
    raise SystemExit(main())
