"""Two records of one game, aligned: where they differ, and how.

``align(a, b, size)`` takes two move sequences of the same game (``Move``s; any
of the 8 board symmetries; any lengths) and returns an ``Alignment``: the
symmetry that maps B's points into A's orientation, and the list of differing
``Region``s, each with a *kind*:

===============  =====================================================================
kind             what the two records show there
===============  =====================================================================
substitution     one move at another point (``offset`` = B's point minus A's, in A's
                 orientation, as (dx, dy): dx to the right, dy downwards, the way SGF
                 letters count; ``one_point_off`` when the two points touch)
swap             two moves of one colour exchanged, at most ``SWAP_MAX_DISTANCE`` moves
                 apart, the moves between them the same (i and i+2, i and i+4)
reorder          two pairs of moves in the other order (``X Y`` against ``Y X``, 2 moves each)
moved_block      a run of moves played at another place (``X Y`` against ``Y X``, longer)
replace_block    a stretch that differs in any other way
extra_in_A       moves only in A (``recoloured``: B's colours flip after the gap)
extra_in_B       moves only in B (the same)
truncated_tail   one record stops where the other goes on
recolour         the same points in both, in the other colour (not after an extra move)
===============  =====================================================================

How (the steps, in order):

1. Symmetry: for each of the 8, the points (and setup stones) of the first
   ``OPENING`` moves of A and of B mapped into A's orientation are compared as
   sets; the best few are diffed in full and the one sharing the most moves
   wins (ties: the lower number, so 0 when the game is symmetric).
2. Handicap: a leading run of Black moves in one record equal (as a set) to the
   other's setup stones (AB), or to the other's own leading run of Black moves
   in another order, is the same handicap written another way, not a difference.
3. Diff: ``difflib.SequenceMatcher`` on the points alone (colours ignored, so a
   missing move followed by flipped colours is one gap, not a whole game).
   Its cost grows with the pairs of equal points (quadratic on a long record
   that repeats a few points); past ``DIFFLIB_COST`` such pairs (no game of
   under ~1,400 moves gets there) the diff is bounded instead: the common
   head and tail are matched, then a Myers O((n+m)·d) diff of what lies
   between, given up after ``MAX_EDITS`` edits (the rest is one replaced block).
4. Grouping: neighbouring edits whose moves together are the same moves in
   another order (within ``PERMUTATION_SPAN`` moves) are one region (a swap,
   a reorder, a moved block); then edits at most ``MERGE_GAP`` equal moves
   apart are one region.
5. Each region is classified by its pattern (the table); then the colours of
   the moves matched on both sides are compared: a flip right after an extra
   move marks it ``recoloured``; any other flip is a ``recolour`` region. Two
   recoloured extra moves at most ``FLIP_MAX_RUN`` moves apart (the second
   flips the colours back) are one ``replace_block``.

Two records that share less than ``min_shared`` of the shorter one's moves
(counting runs of two or more) are not the same game: ``DifferentGamesError``.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from gofix.coords import Point, check_size, on_board, to_sgf, transform
from gofix.errors import GofixError
from gofix.record import Move

__all__ = ["Region", "Alignment", "DifferentGamesError", "align", "in_orientation", "KINDS"]

KINDS = ("substitution", "swap", "reorder", "moved_block", "replace_block", "extra_in_A", "extra_in_B",
         "truncated_tail", "recolour")
OPENING = 60  # moves compared as sets to choose the symmetry
SWAP_MAX_DISTANCE = 4  # two moves exchanged further apart than this are two substitutions
PERMUTATION_SPAN = 40  # the most moves a swap / reorder / moved block may span
MERGE_GAP = 2  # edits with at most this many equal moves between them are one region
FLIP_MAX_RUN = 8  # colours flipped by an extra move and flipped back within this many moves: one block
MIN_SHARED_CHECK = 20  # records shorter than this are never called different games
DIFFLIB_COST = 2_000_000  # pairs of equal points past which difflib's diff is replaced by the bounded one
MAX_EDITS = 400  # the bounded diff gives up after this many inserted / deleted moves


class DifferentGamesError(GofixError, ValueError):
    """Two records that share too little to be versions of one game."""


@dataclass(frozen=True)
class Region:
    """One place where the records differ (see the module doc for ``kind``).

    ``a``/``b``: half-open 0-based ranges of move indices in A and in B (empty,
    ``(k, k)``, where a record lacks the moves: k is the index of its next move).
    """

    kind: str
    a: tuple[int, int]
    b: tuple[int, int]
    offset: tuple[int, int] | None = None  # substitution: (dx, dy) of B's point minus A's, in A's orientation
    one_point_off: bool = False  # substitution whose points touch (Chebyshev distance 1)
    recoloured: bool = False  # extra/missing moves after which the later colours are flipped


@dataclass
class Alignment:
    """How B lines up with A: the symmetry into A's orientation and the differing regions."""

    symmetry: int  # coords.transform(b_point, symmetry, size) is the point in A's orientation
    regions: list[Region]
    blocks: list[tuple[int, int, int]] = field(default_factory=list)  # (a_start, b_start, length) matched
    shared: float = 1.0  # share of the shorter record's moves matched (runs of 2+)

    @property
    def agree(self) -> bool:
        return not self.regions

    def b_index(self, i: int) -> int:
        """The index in B of A's boundary ``i`` (a position between moves outside every region)."""
        for r in self.regions:
            if r.a[0] == i:
                return r.b[0]
            if r.a[1] == i:
                return r.b[1]
        for a0, b0, n in self.blocks:
            if a0 <= i <= a0 + n:
                return b0 + i - a0
        return i  # no blocks (nothing matched): the same numbering


def in_orientation(moves: Sequence[Move], sym: int, size: int) -> list[Move]:
    """``moves`` with every point mapped by ``coords.transform(point, sym, size)``.

    Colours and passes are kept; ``sgf`` is rewritten for points on the board
    (an off-board point keeps its original spelling).
    """
    out = []
    for m in moves:
        p = transform(m.point, sym, size) if m.point is not None else None
        sgf = to_sgf(p, size) if p is not None and on_board(p, size) else m.sgf
        out.append(Move(m.colour, p, sgf))
    return out


def align(a: Sequence[Move], b: Sequence[Move], size: int, *, setup_a: Sequence[Point] = (),
          setup_b: Sequence[Point] = (), min_shared: float = 0.5) -> Alignment:
    """Align two move sequences of one game (see the module doc).

    ``setup_a``/``setup_b``: the records' Black setup stones (AB), so that a
    handicap written as setup in one and as Black moves in the other is no
    difference. Raises CoordinateError for an unsupported size, and
    DifferentGamesError when the records share less than ``min_shared`` of the
    shorter one's moves (both at least ``MIN_SHARED_CHECK`` moves long).
    """
    check_size(size)
    a = list(a)
    best = None
    for sym in _candidate_symmetries(a, b, size, setup_a, setup_b):
        bt = in_orientation(b, sym, size)
        sb = [transform(p, sym, size) for p in setup_b]
        skip_a, skip_b = _handicap_prefix(a, bt, setup_a, sb)
        ops = _opcodes(_points(a[skip_a:]), _points(bt[skip_b:]))
        ops = [(op, i1 + skip_a, i2 + skip_a, j1 + skip_b, j2 + skip_b) for op, i1, i2, j1, j2 in ops]
        matched = skip_a if skip_a == skip_b else 0
        matched += sum(i2 - i1 for op, i1, i2, _, _ in ops if op == "equal" and i2 - i1 >= 2)
        if best is None or matched > best[0]:
            best = (matched, sym, bt, ops, skip_a, skip_b)
    matched, sym, bt, ops, skip_a, skip_b = best
    shorter = min(len(a), len(b))
    shared = matched / shorter if shorter else 1.0
    if shorter >= MIN_SHARED_CHECK and shared < min_shared:
        first = next((i1 for op, i1, *_ in ops if op != "equal"), 0)
        raise DifferentGamesError(
            f"not the same game: the records share {matched} of {shorter} moves (under {min_shared:.0%}); "
            f"they part at move {first + 1} (A {_show(a, first)}, B {_show(bt, first)})")
    blocks = [(0, 0, skip_a)] if skip_a and skip_a == skip_b else [(skip_a, skip_b, 0)] if skip_a or skip_b else []
    blocks += [(i1, j1, i2 - i1) for op, i1, i2, j1, _ in ops if op == "equal"]
    edits = [(i1, i2, j1, j2) for op, i1, i2, j1, j2 in ops if op != "equal"]
    regions: list[Region] = []
    for cluster in _clusters(edits, a, bt):
        regions.extend(_classify(cluster, a, bt))
    regions = _colours(regions, blocks, a, bt)
    return Alignment(sym, regions, blocks, shared)


# ---------------------------------------------------------------- steps


def _points(moves: Sequence[Move]) -> list:
    return [m.point for m in moves]


def _opcodes(pa: list, pb: list) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes of two point lists; bounded on long repetitive ones (step 3)."""
    ca, cb = Counter(pa), Counter(pb)
    if sum(n * cb[p] for p, n in ca.items()) <= DIFFLIB_COST:
        return difflib.SequenceMatcher(None, pa, pb, autojunk=False).get_opcodes()
    return _bounded_opcodes(pa, pb, MAX_EDITS)


def _run(a: list, b: list, i: int, j: int) -> int:
    """How many elements from ``a[i]`` and ``b[j]`` on are equal (compared in slices: C speed)."""
    start, step = i, 64
    while step:
        while i + step <= len(a) and j + step <= len(b) and a[i:i + step] == b[j:j + step]:
            i, j = i + step, j + step
        step //= 8
    return i - start


def _bounded_opcodes(a: list, b: list, max_edits: int) -> list[tuple[str, int, int, int, int]]:
    """Opcodes like difflib's: the common head and tail, then a Myers diff of the middle.

    When the middle needs more than ``max_edits`` inserted / deleted elements
    it is one ``replace`` (or ``delete`` / ``insert``): the time is bounded,
    O(n + m + max_edits · (max_edits + n / 64)), whatever the input repeats.
    """
    n, m = len(a), len(b)
    head = _run(a, b, 0, 0)
    tail = 0
    if head < min(n, m):
        ra, rb = a[head:][::-1], b[head:][::-1]
        tail = _run(ra, rb, 0, 0)
    steps = _myers(a[head:n - tail], b[head:m - tail], max_edits)
    if steps is None:
        la, lb = n - tail - head, m - tail - head
        steps = [("replace" if la and lb else "delete" if la else "insert", 0, la, 0, lb)] if la or lb else []
    ops = [("equal", 0, head, 0, head)] if head else []
    ops += [(tag, i1 + head, i2 + head, j1 + head, j2 + head) for tag, i1, i2, j1, j2 in steps]
    if tail:
        ops.append(("equal", n - tail, n, m - tail, m))
    return ops


def _myers(a: list, b: list, max_edits: int) -> list[tuple[str, int, int, int, int]] | None:
    """Myers' shortest edit script as opcodes; None when it needs more than ``max_edits`` edits."""
    n, m = len(a), len(b)
    if not n or not m:
        return [("delete", 0, n, 0, 0)] if n else [("insert", 0, 0, 0, m)] if m else []
    v = {1: 0}  # diagonal k = x - y -> furthest x reached
    trace = []
    for d in range(max_edits + 1):
        trace.append(dict(v))
        for k in range(-d, d + 1, 2):
            down = k == -d or (k != d and v[k - 1] < v[k + 1])
            x = v[k + 1] if down else v[k - 1] + 1
            y = x - k
            if x <= n and y <= m:
                x += _run(a, b, x, y)
            v[k] = x
            if x >= n and x - k >= m:
                return _script(trace, n, m, d)
    return None


def _script(trace: list[dict], n: int, m: int, depth: int) -> list[tuple[str, int, int, int, int]]:
    """The opcodes of the path Myers found (``trace[d]``: the furthest x per diagonal before round d)."""
    edits = []  # (x, y, 'delete' | 'insert'), last first
    equal = []  # (x0, x1, y0) diagonal runs, last first
    x, y = n, m
    for d in range(depth, 0, -1):
        v = trace[d]
        k = x - y
        down = k == -d or (k != d and v[k - 1] < v[k + 1])
        pk = k + 1 if down else k - 1
        px = v[pk]
        py = px - pk
        mx, my = (px, py + 1) if down else (px + 1, py)  # after the edit, before the run
        if x > mx:
            equal.append((mx, x, my))
        edits.append((px, py, "insert" if down else "delete"))
        x, y = px, py
    if x > 0:
        equal.append((0, x, 0))
    items = sorted([(x0, y0, "equal", x1 - x0) for x0, x1, y0 in equal] + [(px, py, tag, 1) for px, py, tag in edits],
                   key=lambda t: (t[0] + t[1], t[2] != "equal"))
    ops: list[list] = []
    for x0, y0, tag, length in items:
        if tag == "equal":
            ops.append(["equal", x0, x0 + length, y0, y0 + length])
            continue
        x1, y1 = (x0 + 1, y0) if tag == "delete" else (x0, y0 + 1)
        if ops and ops[-1][0] != "equal":
            last = ops[-1]
            last[2], last[4] = x1, y1
            last[0] = "replace" if last[2] > last[1] and last[4] > last[3] else last[0]
        else:
            ops.append([tag, x0, x1, y0, y1])
    return [tuple(op) for op in ops]


def _show(moves: Sequence[Move], i: int) -> str:
    if i >= len(moves):
        return "(none)"
    m = moves[i]
    return f"{m.colour.upper()}[{m.sgf if m.point is not None else ''}]"


def _candidate_symmetries(a, b, size, setup_a, setup_b) -> list[int]:
    """The symmetries whose opening point sets come within 2 of the best overlap, best first."""
    pa = {m.point for m in a[:OPENING] if m.point is not None} | set(setup_a)
    scores = []
    for sym in range(8):
        pb = {transform(m.point, sym, size) for m in b[:OPENING] if m.point is not None}
        pb |= {transform(p, sym, size) for p in setup_b}
        scores.append((len(pa & pb), sym))
    top = max(s for s, _ in scores)
    return [sym for s, sym in sorted(scores, key=lambda t: (-t[0], t[1])) if s >= top - 2]


def _lead_black(moves: Sequence[Move]) -> int:
    k = 0
    while k < len(moves) and moves[k].colour == "b" and moves[k].point is not None:
        k += 1
    return k


def _handicap_prefix(a, b, setup_a, setup_b) -> tuple[int, int]:
    """Leading moves of A and B that are one handicap written two ways (see step 2)."""
    ha, hb = _lead_black(a), _lead_black(b)
    if setup_a and not setup_b and hb >= 2 and {m.point for m in b[:hb]} == set(setup_a):
        return 0, hb
    if setup_b and not setup_a and ha >= 2 and {m.point for m in a[:ha]} == set(setup_b):
        return ha, 0
    if ha == hb >= 2 and [m.point for m in a[:ha]] != [m.point for m in b[:hb]] \
            and Counter(m.point for m in a[:ha]) == Counter(m.point for m in b[:hb]):
        return ha, hb
    return 0, 0


def _is_permutation(e, a, b) -> bool:
    i1, i2, j1, j2 = e
    return i2 - i1 == j2 - j1 and Counter(_points(a[i1:i2])) == Counter(_points(b[j1:j2]))


def _clusters(edits, a, b) -> list[tuple[int, int, int, int]]:
    """Edits grouped into regions (step 4), each as (a_start, a_end, b_start, b_end)."""
    grouped = []
    k = 0
    while k < len(edits):
        span = edits[k]
        if not _is_permutation(span, a, b):
            for m in range(k + 1, min(k + 4, len(edits))):
                joined = (edits[k][0], edits[m][1], edits[k][2], edits[m][3])
                if max(joined[1] - joined[0], joined[3] - joined[2]) > PERMUTATION_SPAN:
                    break
                if _is_permutation(joined, a, b):
                    span, k = joined, m
                    break
        grouped.append(span)
        k += 1
    merged: list[tuple[int, int, int, int]] = []
    for g in grouped:
        if merged and g[0] - merged[-1][1] <= MERGE_GAP:
            p = merged[-1]
            merged[-1] = (p[0], g[1], p[2], g[3])
        else:
            merged.append(g)
    return merged


def _offset(pa: Point | None, pb: Point | None) -> tuple[int, int] | None:
    if pa is None or pb is None:
        return None
    return pb[1] - pa[1], pa[0] - pb[0]  # dx: columns right; dy: rows down (SGF letters count from the top)


def _substitution(i: int, j: int, a, b) -> Region:
    off = _offset(a[i].point, b[j].point)
    return Region("substitution", (i, i + 1), (j, j + 1), off,
                  off is not None and max(abs(off[0]), abs(off[1])) == 1)


def _classify(c, a, b) -> list[Region]:
    """The region(s) of one cluster, by pattern (the table in the module doc)."""
    i1, i2, j1, j2 = c
    la, lb = i2 - i1, j2 - j1
    if la == 0 or lb == 0:
        at_end = i2 == len(a) and j2 == len(b)
        kind = "truncated_tail" if at_end else "extra_in_B" if la == 0 else "extra_in_A"
        return [Region(kind, (i1, i2), (j1, j2))]
    if la == lb == 1:
        return [_substitution(i1, j1, a, b)]
    if _is_permutation(c, a, b):
        pa, pb = _points(a[i1:i2]), _points(b[j1:j2])
        diff = [k for k in range(la) if pa[k] != pb[k]]
        if len(diff) == 2:
            p, q = diff
            if q - p <= SWAP_MAX_DISTANCE and a[i1 + p].colour == a[i1 + q].colour:
                return [Region("swap", (i1 + p, i1 + q + 1), (j1 + p, j1 + q + 1))]
            if q - p > SWAP_MAX_DISTANCE:
                return [_substitution(i1 + p, j1 + p, a, b), _substitution(i1 + q, j1 + q, a, b)]
        for s in range(1, la):
            if pa[s:] + pa[:s] == pb:
                x, y = s, la - s
                if x == y == 2:
                    return [Region("reorder", (i1, i2), (j1, j2))]
                if max(x, y) >= 2:
                    return [Region("moved_block", (i1, i2), (j1, j2))]
                break
        if la % 2 == 0 and la > 2:
            pairs_a = [tuple(pa[k:k + 2]) for k in range(0, la, 2)]
            pairs_b = [tuple(pb[k:k + 2]) for k in range(0, la, 2)]
            if Counter(pairs_a) == Counter(pairs_b):
                return [Region("reorder", (i1, i2), (j1, j2))]
    return [Region("replace_block", (i1, i2), (j1, j2))]


def _colours(regions: list[Region], blocks, a, b) -> list[Region]:
    """Step 5: mark extra moves after which colours flip; flips elsewhere become 'recolour' regions."""
    pairs = sorted((a0 + t, b0 + t) for a0, b0, n in blocks for t in range(n))
    regions = sorted(regions, key=lambda r: (r.a[0], r.b[0]))
    out: list[Region] = []
    flip = False
    k = 0  # next matched pair
    run_start = None  # first pair of a run of colour flips against ``flip``

    def close_run(upto: int) -> None:
        nonlocal run_start
        if run_start is not None:
            (i0, j0), (i1, j1) = pairs[run_start], pairs[upto - 1]
            out.append(Region("recolour", (i0, i1 + 1), (j0, j1 + 1)))
            run_start = None

    def scan(until_a: int) -> None:
        nonlocal k, run_start
        while k < len(pairs) and pairs[k][0] < until_a:
            i, j = pairs[k]
            off = (a[i].colour != b[j].colour) != flip
            if off and run_start is None:
                run_start = k
            elif not off:
                close_run(k)
            k += 1

    for r in regions:
        scan(r.a[0])
        close_run(k)
        if r.kind in ("extra_in_A", "extra_in_B"):
            nxt = [p for p in pairs[k:] if p[0] >= r.a[1]]
            following = []
            for i, j in nxt:  # the matched run right after the region
                if following and (i != following[-1][0] + 1 or j != following[-1][1] + 1):
                    break
                following.append((i, j))
            flipped = sum((a[i].colour != b[j].colour) != flip for i, j in following)
            if following and flipped * 2 > len(following):
                r = Region(r.kind, r.a, r.b, recoloured=True)
                flip = not flip
        out.append(r)
        while k < len(pairs) and pairs[k][0] < r.a[1]:  # matched moves inside a merged region
            k += 1
    scan(len(a) + 1)
    close_run(k)
    out.sort(key=lambda r: (r.a[0], r.b[0]))
    merged: list[Region] = []
    for r in out:  # a flip undone by the next extra move soon after: one replaced block
        p = merged[-1] if merged else None
        if p is not None and p.recoloured and r.recoloured and r.a[0] - p.a[1] <= FLIP_MAX_RUN:
            merged[-1] = Region("replace_block", (p.a[0], r.a[1]), (p.b[0], r.b[1]))
        else:
            merged.append(r)
    return merged
