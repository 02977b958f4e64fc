"""KataGo's network inputs (input version 7: 22 spatial planes, 19 globals) for the positions of a game.

Computed here from the moves, with KataGo's own board semantics where they matter to the
network: the simple-ko point (``ko_loc``: set when one stone is captured by a lone stone left with
one liberty), legality (no suicide, simple ko), liberties, and the ladder search of
``cpp/game/board.cpp`` (``searchIsLadderCaptured`` and its two-liberty variant, same base cases,
pruning, double-ko rule and node budget). The planes follow ``NNInputs::fillRowV7``
(cpp/neuralnet/nninputs.cpp):

=====  =======================================================================================
plane  meaning
=====  =======================================================================================
0      on the board
1, 2   a stone of the player to move / of the opponent
3-5    stones of a chain with 1, 2, 3 liberties
6      the simple-ko ban
9-13   the last five moves (9 the latest), while they alternate colour and are not passes
14     stones that can be ladder-captured now; 15, 16 the same one and two moves ago
17     moves that start a working ladder against an opponent chain with two liberties
18-21  area and encore planes: zero (Japanese-style territory rules, before the encore)
=====  =======================================================================================

Globals: 0-4 which of the last five moves were passes, 5 komi from the mover's side / 20, 6-11
the ko / suicide / scoring / tax rules, 14 "a pass would end the phase", 18 the komi parity wave
(area scoring only). Rules: ``japanese`` (KataGo's default here: territory scoring, seki tax,
simple ko) and ``chinese`` are supported; with area scoring the area planes 18-19 need KataGo's
pass-alive analysis, which gofix does not compute yet, so area rules are refused rather than
approximated (``rules_for`` maps a record's RU to what is supported).

Boards: y = 0 is the top row (KataGo's and SGF's order); a gofix point ``(row, col)`` has row 0 at
the bottom, so ``y = size - 1 - row``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

import numpy as np

EMPTY, BLACK, WHITE, WALL = 0, 1, 2, 3
NUM_SPATIAL, NUM_GLOBAL = 22, 19
LADDER_NODE_BUDGET = 25000  # KataGo's MAX_LADDER_SEARCH_NODE_BUDGET
_COLOUR = {"b": BLACK, "w": WHITE, "B": BLACK, "W": WHITE}


def _opp(c: int) -> int:
    return 3 - c


class KBoard:
    """A Go board with KataGo's semantics for the inputs: play/undo, chains, simple ko, ladders."""

    def __init__(self, size: int):
        self.size = size
        w = size + 2
        self.w = w
        self.colors = [WALL] * (w * w)
        for y in range(size):
            for x in range(size):
                self.colors[(y + 1) * w + x + 1] = EMPTY
        self.adj = (-w, -1, 1, w)
        self.ko_loc: Optional[int] = None
        self._cache: dict[int, tuple[list[int], set[int]]] = {}

    def loc(self, x: int, y: int) -> int:
        return (y + 1) * self.w + x + 1

    def place(self, points, colour: int) -> None:
        """Put stones of ``colour`` on ``points`` (``(row, col)``, as gofix's records give setup stones)."""
        for p in points:
            self.colors[to_loc(self, p)] = colour
        self._cache = {}

    def xy(self, loc: int) -> tuple[int, int]:
        return loc % self.w - 1, loc // self.w - 1

    def copy(self) -> "KBoard":
        b = KBoard.__new__(KBoard)
        b.size, b.w, b.adj = self.size, self.w, self.adj
        b.colors = list(self.colors)
        b.ko_loc = self.ko_loc
        b._cache = {}
        return b

    # --- chains ---------------------------------------------------------------------------------
    def chain(self, loc: int) -> tuple[list[int], set[int]]:
        """(stones, liberties) of the chain at ``loc`` (a stone)."""
        got = self._cache.get(loc)
        if got is not None:
            return got
        colors, adj = self.colors, self.adj
        c = colors[loc]
        stones, libs, seen = [loc], set(), {loc}
        i = 0
        while i < len(stones):
            s = stones[i]
            i += 1
            for d in adj:
                n = s + d
                v = colors[n]
                if v == EMPTY:
                    libs.add(n)
                elif v == c and n not in seen:
                    seen.add(n)
                    stones.append(n)
        res = (stones, libs)
        for s in stones:
            self._cache[s] = res
        return res

    def libs(self, loc: int) -> int:
        return len(self.chain(loc)[1])

    def head(self, loc: int) -> int:
        return min(self.chain(loc)[0])

    # --- moves ----------------------------------------------------------------------------------
    def is_legal(self, loc: int, pla: int) -> bool:
        """Legal for KataGo (multi-stone suicide illegal, simple ko)."""
        if self.colors[loc] != EMPTY or loc == self.ko_loc:
            return False
        opp = _opp(pla)
        for d in self.adj:
            n = loc + d
            v = self.colors[n]
            if v == EMPTY:
                return True
            if v == pla and self.libs(n) > 1:
                return True
            if v == opp and self.libs(n) == 1:
                return True
        return False

    def play(self, loc: Optional[int], pla: int):
        """Play (assumed legal; None is a pass); returns a record for ``undo``."""
        prev_ko = self.ko_loc
        if loc is None:
            self.ko_loc = None
            return (None, pla, prev_ko, [])
        colors, opp = self.colors, _opp(pla)
        captured: list[int] = []
        for d in self.adj:
            n = loc + d
            if colors[n] == opp and n not in captured:
                stones, libs = self.chain(n)
                if len(libs) == 1:  # its last liberty is loc
                    captured.extend(stones)
        colors[loc] = pla
        for s in captured:
            colors[s] = EMPTY
        self._cache = {}
        self.ko_loc = None
        if len(captured) == 1:
            stones, libs = self.chain(loc)
            if len(stones) == 1 and len(libs) == 1:
                self.ko_loc = captured[0]
        suicided: list[int] = []
        if not captured and not self.chain(loc)[1]:
            suicided = list(self.chain(loc)[0])
            for s in suicided:
                colors[s] = EMPTY
            self._cache = {}
        return (loc, pla, prev_ko, captured, suicided)

    def undo(self, record) -> None:
        loc, pla, prev_ko = record[0], record[1], record[2]
        self.ko_loc = prev_ko
        if loc is None:
            return
        captured, suicided = record[3], record[4]
        for s in suicided:
            self.colors[s] = pla
        self.colors[loc] = EMPTY
        opp = _opp(pla)
        for s in captured:
            self.colors[s] = opp
        self._cache = {}

    # --- ladders (cpp/game/board.cpp) -----------------------------------------------------------
    def _liberty_gaining_captures(self, loc: int) -> list[int]:
        opp = _opp(self.colors[loc])
        out: list[int] = []
        seen_heads = set()
        for s in self.chain(loc)[0]:
            for d in self.adj:
                n = s + d
                if self.colors[n] == opp:
                    stones, libs = self.chain(n)
                    h = min(stones)
                    if len(libs) == 1 and h not in seen_heads:
                        seen_heads.add(h)
                        for lib in libs:
                            if lib not in out:
                                out.append(lib)
        return out

    def _has_liberty_gaining_captures(self, loc: int) -> bool:
        opp = _opp(self.colors[loc])
        return any(self.colors[s + d] == opp and self.libs(s + d) == 1
                   for s in self.chain(loc)[0] for d in self.adj)

    def _immediate_libs(self, loc: int) -> int:
        return sum(1 for d in self.adj if self.colors[loc + d] == EMPTY)

    def _connection_libs_x2(self, loc: int, pla: int) -> int:
        total = 0
        for d in self.adj:
            n = loc + d
            if self.colors[n] == pla:
                lb = self.libs(n)
                if lb > 1:
                    total += lb * 2 - 3
        return total

    def _would_be_ko_capture(self, loc: int, pla: int) -> bool:
        if self.colors[loc] != EMPTY:
            return False
        opp = _opp(pla)
        capturable = None
        for d in self.adj:
            n = loc + d
            v = self.colors[n]
            if v != WALL and v != opp:
                return False
            if v == opp and self.libs(n) == 1:
                if capturable is not None:
                    return False
                capturable = n
        return capturable is not None and len(self.chain(capturable)[0]) == 1

    def _libs_after_play(self, loc: int, pla: int, cap: int) -> int:
        """getNumLibertiesAfterPlay: liberties a stone of ``pla`` at ``loc`` would have (at most ``cap``)."""
        opp = _opp(pla)
        libs: list[int] = []
        captured_heads = set()
        for d in self.adj:
            n = loc + d
            v = self.colors[n]
            if v == EMPTY or (v == opp and self.libs(n) == 1):
                libs.append(n)
                if len(libs) >= cap:
                    return cap
                if v == opp:
                    captured_heads.add(self.head(n))

        def would_be_empty(p):
            v = self.colors[p]
            return v == EMPTY or (v == opp and self.head(p) in captured_heads)

        seen = set()
        for d in self.adj:
            n = loc + d
            if self.colors[n] == pla:
                h = self.head(n)
                if h in seen:
                    continue
                seen.add(h)
                for s in self.chain(n)[0]:
                    for d2 in self.adj:
                        p = s + d2
                        if p != loc and would_be_empty(p) and p not in libs:
                            libs.append(p)
                            if len(libs) >= cap:
                                return cap
        return len(libs)

    def ladder_captured(self, loc: int, defender_first: bool) -> bool:
        """searchIsLadderCaptured: can the chain at ``loc`` be captured by a ladder?"""
        if self.colors[loc] not in (BLACK, WHITE):
            return False
        n0 = self.libs(loc)
        if n0 > 2 or (defender_first and n0 > 1):
            return False
        pla = self.colors[loc]
        opp = _opp(pla)
        saved_ko = self.ko_loc
        if defender_first:
            self.ko_loc = None
        stack_size = self.size * self.size * 3 // 2 + 1
        lists: list[list[int]] = []
        cur: list[int] = []
        records: list = []
        idx = 0
        nodes = 0
        ret = False
        deeper = False
        lists.append([])
        cur.append(-1)
        records.append(None)
        while True:
            if idx <= -1:
                self.ko_loc = saved_ko
                return ret
            if idx >= stack_size - 1:
                ret, deeper, idx = True, True, idx - 1
                continue
            if nodes >= LADDER_NODE_BUDGET:
                idx -= 1
                while idx >= 0:
                    self.undo(records[idx])
                    idx -= 1
                return False  # as KataGo: the ko point is left cleared on this path
            defender = (defender_first and idx % 2 == 0) or (not defender_first and idx % 2 == 1)
            if cur[idx] == -1:
                libs = self.libs(loc)
                if not defender and libs <= 1:
                    ret, deeper, idx = True, True, idx - 1
                    continue
                if not defender and libs >= 3:
                    ret, deeper, idx = False, True, idx - 1
                    continue
                if defender and libs >= 2:
                    ret, deeper, idx = False, True, idx - 1
                    continue
                if defender and self.ko_loc is not None:
                    ret, deeper, idx = False, True, idx - 1
                    continue
                if defender:
                    moves = self._liberty_gaining_captures(loc)
                    for lib in sorted(self.chain(loc)[1]):
                        if lib not in moves:
                            moves.append(lib)
                    last = moves[-1]
                    after = self._libs_after_play(last, pla, 3)
                    if after >= 3:
                        ret, deeper, idx = False, True, idx - 1
                        continue
                    if len(moves) == 1 and after <= 1:
                        ret, deeper, idx = True, True, idx - 1
                        continue
                else:
                    moves = sorted(self.chain(loc)[1])
                    a, b = moves
                    libs0, libs1 = self._immediate_libs(a), self._immediate_libs(b)
                    if (libs0 == 0 and libs1 == 0 and self._would_be_ko_capture(a, opp)
                            and self._would_be_ko_capture(b, opp)
                            and self._libs_after_play(a, pla, 3) <= 2 and self._libs_after_play(b, pla, 3) <= 2
                            and not self._has_liberty_gaining_captures(loc)):
                        ret, deeper, idx = True, True, idx - 1
                        continue
                    ax, ay = self.xy(a)
                    bx, by = self.xy(b)
                    if abs(ax - bx) + abs(ay - by) != 1:
                        if libs0 >= 3 and libs1 >= 3:
                            ret, deeper, idx = False, True, idx - 1
                            continue
                        if libs0 >= 3:
                            moves = [a]
                        elif libs1 >= 3:
                            moves = [b]
                    if len(moves) > 1:
                        h0 = libs0 * 2 + self._connection_libs_x2(a, pla)
                        h1 = libs1 * 2 + self._connection_libs_x2(b, pla)
                        if h1 > h0:
                            moves = [b, a]
                lists[idx] = moves
                cur[idx] = 0
            else:
                if deeper:
                    self.undo(records[idx])
                if defender and not ret:
                    deeper, idx = True, idx - 1
                    continue
                if not defender and ret:
                    deeper, idx = True, idx - 1
                    continue
                cur[idx] += 1
            if cur[idx] >= len(lists[idx]):
                ret, deeper, idx = defender, True, idx - 1
                continue
            move = lists[idx][cur[idx]]
            p = pla if defender else opp
            if not self.is_legal(move, p):
                ret, deeper = defender, False
                continue
            records[idx] = self.play(move, p)
            nodes += 1
            idx += 1
            if idx >= len(lists):
                lists.append([])
                cur.append(-1)
                records.append(None)
            else:
                lists[idx], cur[idx], records[idx] = [], -1, None

    def ladder_captured_attacker_first(self, loc: int) -> tuple[bool, list[int]]:
        """searchIsLadderCapturedAttackerFirst2Libs: (captured, the attacking moves that work)."""
        if self.colors[loc] not in (BLACK, WHITE) or self.libs(loc) != 2:
            return False, []
        opp = _opp(self.colors[loc])
        working = []
        for move in sorted(self.chain(loc)[1]):
            if self.is_legal(move, opp):
                rec = self.play(move, opp)
                works = self.ladder_captured(loc, True)
                self.undo(rec)
                if works:
                    working.append(move)
        return bool(working), working

    def ladders(self) -> tuple[list[int], dict[int, list[int]]]:
        """iterLadders: (stones in or into inescapable atari, {colour: working moves})

        The working moves are the attacking moves that capture a two-liberty chain of that colour
        by ladder (fillRowV7 marks those against the opponent of the player to move).
        """
        laddered: list[int] = []
        working: dict[int, list[int]] = {BLACK: [], WHITE: []}
        solved: dict[int, bool] = {}
        work = self.copy()  # one copy for every search, as KataGo does
        for y in range(self.size):
            for x in range(self.size):
                loc = self.loc(x, y)
                c = self.colors[loc]
                if c not in (BLACK, WHITE):
                    continue
                libs = self.libs(loc)
                if libs not in (1, 2):
                    continue
                h = self.head(loc)
                if h not in solved:
                    if libs == 1:
                        solved[h] = work.ladder_captured(loc, True)
                    else:
                        solved[h], moves = work.ladder_captured_attacker_first(loc)
                        working[c].extend(m for m in moves if m not in working[c])
                if solved[h]:
                    laddered.append(loc)
        return laddered, working


# --- rules and komi -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rules:
    """The part of KataGo's rules that the inputs see."""
    name: str = "japanese"
    scoring: str = "territory"  # or "area"
    tax: str = "seki"  # "none", "seki", "all"
    ko: str = "simple"
    suicide: bool = False


JAPANESE = Rules()
CHINESE = Rules("chinese", "area", "none", "simple", False)


def rules_for(ru: str | None) -> Rules:
    """The rules gofix evaluates a record under, from its RU value.

    Area-scoring rules need KataGo's pass-alive area planes, not computed here yet, so every
    record is evaluated under Japanese rules; the network's policy barely depends on the scoring
    rule (the komi still comes from the record).
    """
    return JAPANESE


# --- the inputs -----------------------------------------------------------------------------------

def to_loc(board: KBoard, point) -> Optional[int]:
    if point is None:
        return None
    row, col = point
    return board.loc(col, board.size - 1 - row)


def _wave(self_komi: float, size: int) -> float:
    """The komi parity triangle wave of fillRowV7 (global 18)."""
    even = (size * size) % 2 == 0
    if even:
        floor = np.floor(self_komi / 2.0) * 2.0
    else:
        floor = np.floor((self_komi - 1.0) / 2.0) * 2.0 + 1.0
    delta = min(max(self_komi - floor, 0.0), 2.0)
    if delta < 0.5:
        return delta
    if delta < 1.5:
        return 1.0 - delta
    return delta - 2.0


class GameFeatures:
    """Inputs for the positions of one game, built move by move.

    ``moves`` are ``(colour, point)`` pairs (gofix points; None a pass), played on a board with the
    ``setup`` stones. Every move is assumed legal for KataGo (cut a record at its first illegal
    move). ``position(t)`` gives the inputs before move ``t`` (``0 <= t <= len(moves)``) with the
    player to move ``next_player`` (default: the colour of move ``t``, or the opponent of the last
    mover at the end).
    """

    def __init__(self, size: int, moves: Sequence, *, setup_black: Iterable = (), setup_white: Iterable = (),
                 komi: float = 6.5, rules: Rules = JAPANESE, first_player: str = "b", strict: bool = True):
        if rules.scoring != "territory":
            raise ValueError(f"rules {rules.name!r}: area scoring is not supported for the network inputs yet")
        self.size, self.komi, self.rules = size, float(komi), rules
        self.first_player = _COLOUR[first_player]
        board = KBoard(size)
        setup_black_l, setup_white_l = list(setup_black), list(setup_white)
        board.place(setup_black_l, BLACK)
        board.place(setup_white_l, WHITE)
        self.moves = [(_COLOUR[c], to_loc(board, p)) for c, p in moves]
        self._boards = [board.copy()]
        # +1 for every Black stone placed (setup stones and moves, passes not), -1 for every White one
        chill = float(sum(1 for _ in setup_black_l) - sum(1 for _ in setup_white_l))
        self._chill = [chill]
        for k, (c, loc) in enumerate(self.moves):
            if loc is not None and not board.is_legal(loc, c):
                if not strict:
                    self.moves = self.moves[:k]
                    break
                x, y = board.xy(loc)
                raise ValueError(f"move {len(self._boards)} ({'BW'[c - 1]} at x={x}, y={y}) is illegal for KataGo")
            board.play(loc, c)
            self._boards.append(board.copy())
            if loc is not None:
                chill += 1.0 if c == BLACK else -1.0
            self._chill.append(chill)
        self._ladder_cache: dict[int, tuple[list[int], list[int]]] = {}

    @property
    def legal_moves(self) -> int:
        """How many of the moves were kept: all of them, or (``strict=False``) those before the first illegal one."""
        return len(self.moves)

    def board(self, t: int) -> KBoard:
        return self._boards[t]

    def ladders(self, t: int):
        """(laddered stones, {colour: working moves}) of the board before move ``t`` (computed once)."""
        got = self._ladder_cache.get(t)
        if got is None:
            got = self._ladder_cache[t] = self._boards[t].ladders()
        return got

    def next_player(self, t: int) -> int:
        if t < len(self.moves):
            return self.moves[t][0]
        if self.moves:
            return _opp(self.moves[-1][0])
        return self.first_player

    def position(self, t: int, next_player: Optional[int] = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(spatial (22, size, size), globals (19,), legal (size*size + 1,) bool) before move ``t``."""
        n = self.size
        board = self._boards[t]
        pla = self.next_player(t) if next_player is None else next_player
        opp = _opp(pla)
        sp = np.zeros((NUM_SPATIAL, n, n), dtype=np.float32)
        gl = np.zeros(NUM_GLOBAL, dtype=np.float32)
        sp[0] = 1.0
        for y in range(n):
            for x in range(n):
                loc = board.loc(x, y)
                c = board.colors[loc]
                if c == EMPTY:
                    continue
                sp[1 if c == pla else 2, y, x] = 1.0
                lb = board.libs(loc)
                if lb <= 3:
                    sp[2 + lb, y, x] = 1.0
        if board.ko_loc is not None:
            x, y = board.xy(board.ko_loc)
            sp[6, y, x] = 1.0
        # the last five moves, while they alternate back from the player to move
        last_pass_would_end = bool(t > 0 and self.moves[t - 1][1] is None)
        included = 0
        want = opp
        for k in range(1, 6):
            if t - k < 0:
                break
            c, loc = self.moves[t - k]
            if c != want:
                break
            included = k
            if loc is None:
                gl[k - 1] = 1.0
            else:
                x, y = board.xy(loc)
                sp[8 + k, y, x] = 1.0
            want = _opp(want)
        laddered, _ = self.ladders(t)
        for loc in laddered:
            x, y = board.xy(loc)
            sp[14, y, x] = 1.0
        for m in self.ladders(t)[1][opp]:  # moves that ladder-capture an opponent chain of 2 liberties
            x, y = board.xy(m)
            sp[17, y, x] = 1.0
        for plane, back in ((15, 1), (16, 2)):
            tt = t - min(back, included)
            for loc in self.ladders(tt)[0]:
                x, y = board.xy(loc)
                sp[plane, y, x] = 1.0
        white_komi = self.komi
        if self.rules.scoring == "territory":  # KataGo "chills" a point per stone placed (BoardHistory)
            white_komi += self._chill[t]
        self_komi = white_komi if pla == WHITE else -white_komi
        area = n * n
        self_komi = max(min(self_komi, area + 20.0), -area - 20.0)  # NNPos::KOMI_CLIP_RADIUS
        gl[5] = self_komi / 20.0
        if self.rules.ko in ("positional", "spight"):
            gl[6], gl[7] = 1.0, 0.5
        elif self.rules.ko == "situational":
            gl[6], gl[7] = 1.0, -0.5
        if self.rules.suicide:
            gl[8] = 1.0
        if self.rules.scoring == "territory":
            gl[9] = 1.0
        if self.rules.tax in ("seki", "all"):
            gl[10] = 1.0
        if self.rules.tax == "all":
            gl[11] = 1.0
        gl[14] = 1.0 if last_pass_would_end else 0.0
        if self.rules.scoring == "area":
            gl[18] = _wave(self_komi, n)
        legal = np.zeros(n * n + 1, dtype=bool)
        legal[-1] = True
        for y in range(n):
            for x in range(n):
                legal[y * n + x] = board.is_legal(board.loc(x, y), pla)
        return sp, gl, legal

    def batch(self, ts: Iterable[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stacked ``position(t)`` for every ``t`` in ``ts``."""
        rows = [self.position(t) for t in ts]
        return (np.stack([r[0] for r in rows]), np.stack([r[1] for r in rows]), np.stack([r[2] for r in rows]))
