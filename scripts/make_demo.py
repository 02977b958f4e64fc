"""Make ``data/demo.sgf``: a real 19th-century game with three planted transcription errors.

The game is the "ear-reddening game", Yasuda (later Honinbo) Shusaku (Black, 4 dan) against Inoue
Gennan Inseki (White, 8 dan), played 1846-09-11, 14 and 15 (Koka 3-7-21, 24, 25), Black won by 2
points; 325 moves. A game played in 1846 is in the public domain; its moves are facts. The moves
below are Andries Brouwer's transcription (homepages.cwi.nl/~aeb/go/games/, the "aeb collection"),
as public repositories quote it move for move, e.g. a Haskell SGF parser's example
(``earReddeningGame_sgf``) and a KataGo front end's bundled sample (``SampleGames.swift``);
kota7/gogamer (GPL-2) ``inst/extdata/mimiaka.sgf`` is the same game with moves 22-25 and 113-117
in another order. They were checked move by move against ``pro/Shusaku/126.sgf`` of the project's
corpus (/work/shared, not in this repository): all 325 moves agree (tests/test_demo.py does this
where the corpus is at hand).

Three errors of the commonest real kinds are planted, at moves drawn with ``--seed`` (chosen before
anyone looked at what gofix makes of them; README says what it does):

1. one point off: a move between 40 and 110 recorded on an empty neighbouring point;
2. two moves of one colour exchanged: moves ``k`` and ``k + 2`` between 120 and 200;
3. a dropped pair: two moves (one of each colour) between 210 and 290 left out, so the colours
   after them stay right and every later number is two less.

The planted errors are written into the root comment, so a user can compare what ``gofix check``
reports against the truth. Run from the repository root:

    python scripts/make_demo.py            # writes data/demo.sgf
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

from gofix.rules.board import Board, replay
from gofix.coords import from_sgf, to_gtp, to_sgf
from gofix.record import Move

SIZE = 19
SOURCE = "Andries Brouwer's collection (homepages.cwi.nl/~aeb/go/games/), as public repositories quote it"
HEADER = ("PB[Yasuda Shusaku]BR[4d]PW[Inoue Gennan Inseki]WR[8d]RE[B+2]KM[0]RU[Japanese]"
          "JD[Koka 3-7-21,24,25]DT[1846-09-11,14,15]GN[The ear-reddening game]")
MOVES = """
;B[qd];W[dc];B[pq];W[oc];B[cp];W[cf];B[ep];W[qo];B[pe];W[np];B[po];W[pp];B[op];W[qp];B[oq];W[oo];B[pn];W[qq]
;B[nq];W[on];B[pm];W[om];B[pl];W[mp];B[mq];W[ol];B[pk];W[lq];B[lr];W[kr];B[lp];W[kq];B[qr];W[rr];B[rs];W[mr]
;B[nr];W[pr];B[ps];W[qs];B[no];W[mo];B[qr];W[rm];B[rl];W[qs];B[lo];W[mn];B[qr];W[qm];B[or];W[ql];B[qj];W[rj]
;B[ri];W[rk];B[ln];W[mm];B[qi];W[rq];B[jn];W[ls];B[ns];W[gq];B[go];W[ck];B[kc];W[ic];B[pc];W[nj];B[ke];W[og]
;B[oh];W[pb];B[qb];W[ng];B[mi];W[mj];B[nd];W[ph];B[qg];W[pg];B[hq];W[hr];B[ir];W[iq];B[hp];W[jr];B[fc];W[lc]
;B[ld];W[mc];B[lb];W[mb];B[md];W[qf];B[pf];W[qh];B[rg];W[rh];B[sh];W[rf];B[sg];W[pj];B[pi];W[oi];B[oj];W[ni]
;B[qk];W[ok];B[qe];W[kb];B[jb];W[ka];B[jc];W[ob];B[ja];W[la];B[db];W[cc];B[fe];W[cn];B[gr];W[is];B[fq];W[io]
;B[ji];W[eb];B[fb];W[eg];B[dj];W[dk];B[ej];W[cj];B[dh];W[ij];B[hm];W[gj];B[eh];W[fl];B[fg];W[er];B[dm];W[fn]
;B[dn];W[gn];B[jj];W[jk];B[kk];W[ii];B[ik];W[jl];B[kl];W[il];B[jh];W[co];B[do];W[ih];B[hn];W[hl];B[bl];W[dg]
;B[gh];W[ch];B[ig];W[ec];B[cr];W[fd];B[gd];W[ed];B[gc];W[bk];B[cm];W[gs];B[gp];W[li];B[kg];W[in];B[lj];W[lg]
;B[gm];W[jf];B[jg];W[im];B[fm];W[kf];B[lf];W[mf];B[le];W[gf];B[hf];W[ff];B[gg];W[lk];B[kj];W[km];B[lm];W[ll]
;B[jm];W[ge];B[he];W[ef];B[ea];W[cb];B[fr];W[fs];B[dr];W[qa];B[ra];W[pa];B[rb];W[da];B[gi];W[fj];B[fi];W[fa]
;B[ga];W[gl];B[ek];W[em];B[ho];W[el];B[en];W[jo];B[kn];W[ci];B[lh];W[mh];B[mg];W[di];B[ei];W[lg];B[qn];W[rn]
;B[re];W[sl];B[mg];W[bm];B[am];W[lg];B[eq];W[es];B[mg];W[ha];B[gb];W[lg];B[ds];W[hs];B[mg];W[sj];B[si];W[lg]
;B[sr];W[sq];B[mg];W[hd];B[hb];W[lg];B[ro];W[so];B[mg];W[ss];B[qs];W[lg];B[sn];W[rp];B[mg];W[cl];B[bn];W[lg]
;B[ml];W[mk];B[mg];W[pj];B[sf];W[lg];B[nn];W[nl];B[mg];W[ib];B[ia];W[lg];B[nc];W[nb];B[mg];W[jd];B[kd];W[lg]
;B[ma];W[na];B[mg];W[qc];B[rc];W[lg];B[js];W[ks];B[mg];W[hc];B[id];W[lg];B[fk];W[hj];B[mg];W[hh];B[hg];W[lg]
;B[gk];W[hk];B[mg];W[ak];B[lg];W[al];B[bm];W[nf];B[od];W[ki];B[ms];W[kp];B[ip];W[jp];B[lr];W[oj];B[mr];W[ea]
;B[sr]
"""


def source_moves() -> list[Move]:
    """The 325 moves of the game as transcribed (see the module doc)."""
    return [Move(c.lower(), from_sgf(v, SIZE), v) for c, v in re.findall(r";([BW])\[([a-s]{2})\]", MOVES)]


def _board_before(moves: list[Move], i: int) -> Board:
    b = Board(SIZE, superko=False)
    for colour, p, _ in moves[:i]:
        b.play_unchecked(colour, p)
    return b


def _name(m: Move) -> str:
    return f"{m.colour.upper()} {to_gtp(m.point, SIZE)}"


def plant_errors(moves: list[Move], rng: random.Random) -> tuple[list[Move], list[str]]:
    """The record with the three errors of the module doc, and a line for each (numbers as in the
    record as written, i.e. after the errors before it)."""
    noisy = list(moves)
    notes = []
    # 1. one point off, onto an empty neighbouring point (legal there)
    while True:
        i = rng.randrange(39, 110)
        colour, real, _ = noisy[i]
        board = _board_before(noisy, i)
        spots = [(real[0] + dr, real[1] + dc) for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0))]
        spots = [p for p in spots if 0 <= p[0] < SIZE and 0 <= p[1] < SIZE and board.is_legal(colour, p)]
        if spots:
            p = rng.choice(spots)
            noisy[i] = Move(colour, p, to_sgf(p, SIZE))
            notes.append(f"move {i + 1}: {colour.upper()} {to_gtp(p, SIZE)} was really {to_gtp(real, SIZE)} "
                         "(one point off)")
            break
    # 2. two moves of one colour exchanged
    k = rng.randrange(119, 198)
    noisy[k], noisy[k + 2] = noisy[k + 2], noisy[k]
    notes.append(f"moves {k + 1} and {k + 3} exchanged: the record has {_name(noisy[k])} then {_name(noisy[k + 2])}, "
                 f"the game {_name(moves[k])} then {_name(moves[k + 2])}")
    # 3. a dropped pair
    j = rng.randrange(209, 289)
    dropped = noisy[j:j + 2]
    del noisy[j:j + 2]
    notes.append(f"after move {j}: the pair {_name(dropped[0])}, {_name(dropped[1])} (moves {j + 1} and {j + 2} of "
                 f"the game) is missing; every later move is numbered two less")
    return noisy, notes


def to_sgf_text(moves: list[Move], notes: list[str], seed: int) -> str:
    comment = (
        "A real game with three planted transcription errors, made by scripts/make_demo.py "
        f"--seed {seed}.\nThe game: Yasuda Shusaku (B) - Inoue Gennan Inseki (W), 1846, the ear-reddening "
        f"game (public domain). Moves: {SOURCE}.\nPlanted errors:\n" + "\n".join(notes)
    )
    comment = comment.replace("\\", "\\\\").replace("]", "\\]")
    head = f"(;FF[4]GM[1]CA[UTF-8]SZ[{SIZE}]AP[gofix make_demo]{HEADER}C[{comment}]\n"
    body = "".join(f";{m.colour.upper()}[{m.sgf}]" + ("\n" if (k + 1) % 18 == 0 else "") for k, m in enumerate(moves))
    return head + body + ")\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1846)
    ap.add_argument("--out", type=Path, default=Path("data/demo.sgf"))
    args = ap.parse_args()
    clean = source_moves()
    assert len(clean) == 325 and all(c == "ok" for c in replay(SIZE, clean).classes)
    noisy, notes = plant_errors(clean, random.Random(args.seed))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(to_sgf_text(noisy, notes, args.seed), encoding="utf-8")
    print(f"wrote {args.out}: {len(noisy)} moves; planted: " + "; ".join(notes))


if __name__ == "__main__":
    main()
