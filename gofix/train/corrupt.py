"""Seeded transcription errors: each kind returns ``(noisy, truth)``.

The kinds imitate what comparing independent records of the same professional
games shows, most frequent first. ``at`` is the index in the *input* moves of
the first move the error touches (see each kind); ``positions`` are indices in
the *noisy* output.

====================  ==================================================================
kind                  what it does (``m`` = input moves, ``a`` = ``at``)
====================  ==================================================================
near                  m[a] moved to one of its 8 neighbours (Chebyshev distance 1)
two_lines             m[a] moved to a point at Chebyshev distance exactly 2
digit                 m[a]'s row or column *number* gains or loses a ten (16<->6, 3<->13);
                      the same points whether rows count from the bottom (GTP) or the top
swap2                 m[a] and m[a+2] (same colour) exchanged
pair_order            pairs (a, a+1) and (a+2, a+3) exchanged
block_move            a 2-move block moved d = 4..16 plies (even): m[a:a+2] written d
                      plies later, or m[a+d:a+d+2] written d plies earlier, at a
drop_pair             m[a], m[a+1] missing (colours still alternate)
extra_pair            two moves inserted before m[a], colours alternating
drop_one_recolour     m[a] missing and every later colour flipped (alternation kept)
drop_one              m[a] missing, colours kept: two same-colour moves in a row
extra_one_recolour    one move inserted before m[a], every later colour flipped
extra_one             one move inserted before m[a], colours kept
transpose             m[a]'s two SGF letters swapped ('pd' -> 'dp'), see ``transpose``
mirror                m[a]'s row or column counted from the wrong edge
colour                m[a]'s colour flipped, nothing else changes
====================  ==================================================================

Choices made here:

* A new point (near, two_lines, digit, transpose, mirror, and the invented
  extra moves) is always on the board, differs from the original and is EMPTY
  when it is played, by a lenient replay of the noisy-so-far moves
  (``occupancy``, i.e. ``board.replay``); a kind returns None where no such
  point exists. Setup stones (AB/AW, e.g.
  handicap) are not known here, so they do not count as occupied; the first
  handicap Black moves are corrupted like any others.
* An extra move is either a *duplicate* (a move within 4 plies written twice;
  it is occupied when it is a copy of an earlier move, so the record turns
  illegal) or a *plausible* empty point within 2 lines of the previous move;
  each with probability 1/2, the other when the first is impossible. An extra
  pair is a nearby same-coloured pair written twice, or two plausible points
  (the first near the previous move, the second near the first).
* Colour: ``extra_one`` gives a duplicate its source move's colour and a
  plausible point the colour in turn; ``extra_pair`` and ``extra_one_recolour``
  use the colours in turn. Passes are never moved or recoloured.
* Truth ``positions``: the changed/misplaced moves; for ``block_move`` the whole
  span a..a+d+1 (every move in it sits at a wrong index); for a missing move the
  moves either side of the gap ``(gap-1, gap)``, the gap itself being
  ``undo.start``; for a recolour kind only the gap/insertion, not the flipped tail.
* ``Edit`` is a splice plus ``recolour``: when true, every move after the
  inserted ones has its colour flipped, which is how the recolour kinds are
  undone without rewriting the whole tail.
* Points in ``to_dict`` are ``[row, col]`` lists (``None`` for a pass), so they
  survive any board size; a move is ``[colour, [row, col] | None, sgf]``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from gofix.rules.board import Board, replay
from gofix.coords import Point, on_board, to_sgf
from gofix.edits import Edit, apply_edit, flip_colour
from gofix.record import Move, opponent

__all__ = [
    "clean_enough",
    "Truth",
    "Channel",
    "KINDS",
    "DEFAULT_WEIGHTS",
    "undo_all",
    "occupancy",
]


def clean_enough(record, min_moves: int = 30) -> bool:
    """A record usable as ground truth for corruption: long enough and legal throughout.

    'turn' is allowed in handicap or setup games (odd handicap placements), nothing else.
    """
    if len(record.moves) < min_moves:
        return False
    rep = replay(record.size, record.moves, setup_black=record.setup_black, setup_white=record.setup_white,
                 handicap=record.handicap, first_player=record.first_player)
    allowed = ("ok", "turn") if record.handicap or record.setup_black else ("ok",)
    return all(c in allowed for c in rep.classes)


# ---------------------------------------------------------------- truth and edits


@dataclass(frozen=True)
class Truth:
    """One injected error: its ``kind``, the noisy ``positions`` it covers, the ``undo`` edit."""

    kind: str
    positions: tuple[int, ...]
    undo: Edit

    @property
    def span(self) -> tuple[int, int]:
        """Half-open noisy index range covering ``positions`` and the undo splice."""
        lo = min(self.positions + (self.undo.start,))
        hi = max(max(self.positions) + 1, self.undo.start + self.undo.delete)
        return lo, hi

    def to_dict(self) -> dict:
        return {"kind": self.kind, "positions": list(self.positions), "undo": self.undo.to_dict()}

    @classmethod
    def from_dict(cls, data: dict) -> "Truth":
        return cls(
            kind=str(data["kind"]),
            positions=tuple(int(p) for p in data["positions"]),
            undo=Edit.from_dict(data["undo"]),
        )


def undo_all(noisy: Sequence[Move], truths: Iterable[Truth]) -> list[Move]:
    """Undo every error: apply the undo edits from the last ``start`` to the first.

    That is the reverse of the order ``Channel.corrupt`` applied them in, so
    indices never shift under a later edit and recolourings compose.
    """
    out = list(noisy)
    for truth in sorted(truths, key=lambda t: t.undo.start, reverse=True):
        out = apply_edit(out, truth.undo)
    return out


# ---------------------------------------------------------------- occupancy


def occupancy(moves: Sequence[Move], size: int, upto: int | None = None) -> Board:
    """The position after ``moves[:upto]``, replayed leniently by ``board.replay``.

    Nothing raises: off-board and occupied moves change nothing, a suicide
    removes the player's own group, ko is played out. Only ``.get`` is used here.
    """
    return replay(size, moves[:upto], superko=False).board


# ---------------------------------------------------------------- kinds

KindFn = Callable[..., "tuple[list[Move], Truth] | None"]
KINDS: dict[str, KindFn] = {}


def _kind(name: str) -> Callable[[Callable], KindFn]:
    """Register ``impl(moves, size, rng, at)`` as kind ``name``, adding the ``at=None`` case.

    With ``at=None`` the indices are tried in a random order until one applies.
    """

    def register(impl: Callable) -> KindFn:
        def kind_fn(moves: Sequence[Move], size: int, rng: random.Random, at: int | None = None):
            moves = list(moves)
            if at is not None:
                return impl(moves, size, rng, at) if 0 <= at < len(moves) else None
            order = list(range(len(moves)))
            rng.shuffle(order)
            for i in order:
                result = impl(moves, size, rng, i)
                if result is not None:
                    return result
            return None

        kind_fn.__name__ = kind_fn.__qualname__ = name
        kind_fn.__doc__ = impl.__doc__
        KINDS[name] = kind_fn
        return kind_fn

    return register


def _stone(move: Move, size: int) -> bool:
    return move.point is not None and on_board(move.point, size)


def _at_point(move: Move, point: Point, size: int) -> Move:
    return move._replace(point=point, sgf=to_sgf(point, size))


def _gap(at: int, n_noisy: int) -> tuple[int, ...]:
    """Positions of the moves either side of a gap before noisy index ``at``."""
    return tuple(i for i in (at - 1, at) if 0 <= i < n_noisy)


def _within(point: Point, radius: int) -> list[Point]:
    """Points at Chebyshev distance 1..radius, in a fixed order (may be off the board)."""
    r, c = point
    steps = range(-radius, radius + 1)
    return [(r + dr, c + dc) for dr in steps for dc in steps if (dr, dc) != (0, 0)]


def _moved_point(moves, size, rng, at, name, candidates) -> tuple[list[Move], Truth] | None:
    """Move m[at] to a random empty point among ``candidates(point)``."""
    move = moves[at]
    if not _stone(move, size):
        return None
    options = [q for q in candidates(move.point) if on_board(q, size) and q != move.point]
    if not options:
        return None
    board = occupancy(moves, size, at)
    options = [q for q in options if board.get(q) is None]
    if not options:
        return None
    noisy = moves[:at] + [_at_point(move, rng.choice(options), size)] + moves[at + 1 :]
    return noisy, Truth(name, (at,), Edit(at, 1, (move,)))


@_kind("near")
def near(moves, size, rng, at):
    """m[at] to an empty 8-neighbour."""
    return _moved_point(moves, size, rng, at, "near", lambda p: _within(p, 1))


@_kind("two_lines")
def two_lines(moves, size, rng, at):
    """m[at] to an empty point exactly 2 lines away in one or both axes (Chebyshev 2)."""
    def ring(p: Point) -> list[Point]:
        return [q for q in _within(p, 2) if max(abs(q[0] - p[0]), abs(q[1] - p[1])) == 2]

    return _moved_point(moves, size, rng, at, "two_lines", ring)


@_kind("digit")
def digit(moves, size, rng, at):
    """m[at]'s row or column number +-10 (a tens digit added or lost); never on boards < 11."""
    def slips(p: Point) -> list[Point]:
        (r, c) = p
        return [(r + 10, c), (r - 10, c), (r, c + 10), (r, c - 10)]

    return _moved_point(moves, size, rng, at, "digit", slips)


@_kind("transpose")
def transpose(moves, size, rng, at):
    """m[at] with its SGF letters swapped ('pd' -> 'dp').

    In points (row from the bottom) that is ``(r, c) -> (size-1-c, size-1-r)``;
    counting rows from the top (``t = size-1-r``) it is the plain swap
    ``(t, c) -> (c, t)``. Points on that diagonal cannot be transposed.
    """
    m = size - 1
    return _moved_point(moves, size, rng, at, "transpose", lambda p: [(m - p[1], m - p[0])])


@_kind("mirror")
def mirror(moves, size, rng, at):
    """m[at]'s row (r -> size-1-r) or column (c -> size-1-c) counted from the wrong edge."""
    m = size - 1
    return _moved_point(moves, size, rng, at, "mirror", lambda p: [(m - p[0], p[1]), (p[0], m - p[1])])


@_kind("colour")
def colour(moves, size, rng, at):
    """m[at]'s colour flipped (passes excluded)."""
    move = moves[at]
    if move.point is None:
        return None
    noisy = moves[:at] + [flip_colour(move)] + moves[at + 1 :]
    return noisy, Truth("colour", (at,), Edit(at, 1, (move,)))


def _same(a: Sequence[Move], b: Sequence[Move]) -> bool:
    return [(m.colour, m.point) for m in a] == [(m.colour, m.point) for m in b]


@_kind("swap2")
def swap2(moves, size, rng, at):
    """m[at] and m[at+2] exchanged; they must have the same colour and differ."""
    if at + 2 >= len(moves):
        return None
    a, mid, b = moves[at : at + 3]
    if a.colour != b.colour or a.point == b.point:
        return None
    noisy = moves[:at] + [b, mid, a] + moves[at + 3 :]
    return noisy, Truth("swap2", (at, at + 2), Edit(at, 3, (a, mid, b)))


@_kind("pair_order")
def pair_order(moves, size, rng, at):
    """(m[at], m[at+1]) and (m[at+2], m[at+3]) exchanged."""
    if at + 3 >= len(moves):
        return None
    first, second = moves[at : at + 2], moves[at + 2 : at + 4]
    if _same(first, second):
        return None
    noisy = moves[:at] + second + first + moves[at + 4 :]
    return noisy, Truth("pair_order", tuple(range(at, at + 4)), Edit(at, 4, tuple(first + second)))


BLOCK_DISTANCES = tuple(range(4, 17, 2))  # plies a block_move block travels


@_kind("block_move")
def block_move(moves, size, rng, at):
    """A 2-move block displaced by d in BLOCK_DISTANCES plies, later or earlier.

    Later: m[at:at+2] reappears after m[at+2:at+d+2]. Earlier: m[at+d:at+d+2]
    appears at ``at``, before m[at:at+d]. Either way the span at..at+d+1 changes.
    """
    options = [d for d in BLOCK_DISTANCES if at + d + 1 < len(moves)]
    if not options:
        return None
    d = rng.choice(options)
    span = moves[at : at + d + 2]
    if rng.random() < 0.5:
        moved = span[2:] + span[:2]
    else:
        moved = span[d:] + span[:d]
    if _same(moved, span):
        return None
    noisy = moves[:at] + moved + moves[at + d + 2 :]
    return noisy, Truth("block_move", tuple(range(at, at + d + 2)), Edit(at, d + 2, tuple(span)))


def _drop(moves, at, count, name, recolour):
    if at < 1 or at + count >= len(moves):  # keep a move before and after the gap
        return None
    tail = moves[at + count :]
    if recolour:
        tail = [flip_colour(m) for m in tail]
    noisy = moves[:at] + tail
    return noisy, Truth(name, _gap(at, len(noisy)), Edit(at, 0, tuple(moves[at : at + count]), recolour))


@_kind("drop_pair")
def drop_pair(moves, size, rng, at):
    """m[at] and m[at+1] missing."""
    return _drop(moves, at, 2, "drop_pair", False)


@_kind("drop_one_recolour")
def drop_one_recolour(moves, size, rng, at):
    """m[at] missing and every later colour flipped."""
    return _drop(moves, at, 1, "drop_one_recolour", True)


@_kind("drop_one")
def drop_one(moves, size, rng, at):
    """m[at] missing, colours kept."""
    return _drop(moves, at, 1, "drop_one", False)


def _plausible(board: Board, near_to: Move, size: int, rng: random.Random) -> Point | None:
    """A random empty point within 2 lines of ``near_to``, or None."""
    if not _stone(near_to, size):
        return None
    options = [q for q in _within(near_to.point, 2) if on_board(q, size) and board.get(q) is None]
    return rng.choice(options) if options else None


def _duplicate(moves, size, rng, at) -> Move | None:
    """A random stone among m[at-4..at+3] (a move written twice), or None."""
    options = [m for m in moves[max(0, at - 4) : at + 4] if _stone(m, size)]
    return rng.choice(options) if options else None


def _extra_one(moves, size, rng, at) -> Move | None:
    """The move extra_one inserts before m[at]: a duplicate or a plausible point."""
    in_turn = opponent(moves[at - 1].colour)
    for dup in ((True, False) if rng.random() < 0.5 else (False, True)):
        if dup:
            source = _duplicate(moves, size, rng, at)
            if source is not None:
                return Move(source.colour, source.point, to_sgf(source.point, size))
        else:
            point = _plausible(occupancy(moves, size, at), moves[at - 1], size, rng)
            if point is not None:
                return Move(in_turn, point, to_sgf(point, size))
    return None


def _extra(moves, size, rng, at, name, recolour):
    if at < 1:
        return None
    extra = _extra_one(moves, size, rng, at)
    if extra is None:
        return None
    tail = moves[at:]
    if recolour:
        extra = extra._replace(colour=opponent(moves[at - 1].colour))
        tail = [flip_colour(m) for m in tail]
    noisy = moves[:at] + [extra] + tail
    return noisy, Truth(name, (at,), Edit(at, 1, (), recolour))


@_kind("extra_one_recolour")
def extra_one_recolour(moves, size, rng, at):
    """A move inserted before m[at] in turn, every later colour flipped."""
    return _extra(moves, size, rng, at, "extra_one_recolour", True)


@_kind("extra_one")
def extra_one(moves, size, rng, at):
    """A move inserted before m[at], colours kept."""
    return _extra(moves, size, rng, at, "extra_one", False)


@_kind("extra_pair")
def extra_pair(moves, size, rng, at):
    """Two moves inserted before m[at], in turn: a nearby pair written twice, or two plausible points."""
    if at < 1:
        return None
    first, second = opponent(moves[at - 1].colour), moves[at - 1].colour
    pair: list[Move] | None = None
    for dup in ((True, False) if rng.random() < 0.5 else (False, True)):
        if dup:
            starts = [
                j
                for j in range(max(0, at - 6), min(len(moves) - 1, at + 4))
                if moves[j].colour == first and moves[j + 1].colour == second
                and _stone(moves[j], size) and _stone(moves[j + 1], size)
            ]
            if starts:
                j = rng.choice(starts)
                pair = [Move(m.colour, m.point, to_sgf(m.point, size)) for m in moves[j : j + 2]]
                break
        else:
            board = occupancy(moves, size, at)
            p1 = _plausible(board, moves[at - 1], size, rng)
            if p1 is None:
                continue
            one = Move(first, p1, to_sgf(p1, size))
            board.play_unchecked(first, p1)
            p2 = _plausible(board, one, size, rng)
            if p2 is None:
                continue
            pair = [one, Move(second, p2, to_sgf(p2, size))]
            break
    if pair is None:
        return None
    noisy = moves[:at] + pair + moves[at:]
    return noisy, Truth("extra_pair", (at, at + 1), Edit(at, 2, ()))


# ---------------------------------------------------------------- channel

# Relative frequencies (they need not sum to 1). Wrong points: near 0.40 of
# 0.54 in all (~3/4), the rest 2 lines, digit slips, transpositions, mirrors.
DEFAULT_WEIGHTS: dict[str, float] = {
    "near": 0.40,
    "two_lines": 0.05,
    "digit": 0.04,
    "swap2": 0.15,
    "pair_order": 0.07,
    "block_move": 0.06,
    "drop_pair": 0.04,
    "extra_pair": 0.03,
    "drop_one_recolour": 0.03,
    "drop_one": 0.02,
    "extra_one_recolour": 0.02,
    "extra_one": 0.02,
    "transpose": 0.03,
    "mirror": 0.02,
    "colour": 0.02,
}

# A mix closer to the real errors of ../shared/real-dev (scripts/real_dev.py --channel-games 300):
# there, moves played in another order (swaps 15%, reordered pairs 15%, displaced blocks 11%, and
# most of the 18% "replaced blocks") outnumber wrong points (16%, three in four one line off), and
# moves missing or extra are 23%; 55% of the differences lie in the last third of the game (the
# default channel: 31%). Order errors are up-weighted here, and LATE_BIAS[mix] puts errors late.
REAL_WEIGHTS: dict[str, float] = {
    "near": 0.16,
    "two_lines": 0.03,
    "digit": 0.02,
    "swap2": 0.16,
    "pair_order": 0.16,
    "block_move": 0.16,
    "drop_pair": 0.04,
    "extra_pair": 0.04,
    "drop_one_recolour": 0.04,
    "drop_one": 0.03,
    "extra_one_recolour": 0.04,
    "extra_one": 0.03,
    "transpose": 0.03,
    "mirror": 0.01,
    "colour": 0.03,
}
MIXES: dict[str, dict[str, float]] = {"default": DEFAULT_WEIGHTS, "real": REAL_WEIGHTS}
LATE_BIAS: dict[str, float] = {"default": 0.0, "real": 1.0}


def mix_channel(mix: str = "default", **kw) -> "Channel":
    """A ``Channel`` with the kind weights and late bias of the named mix (``MIXES``); ``kw`` as for Channel.

    Raises ValueError naming the known mixes for an unknown one.
    """
    if mix not in MIXES:
        raise ValueError(f"unknown error mix {mix!r}; known: {sorted(MIXES)}")
    return Channel(weights=dict(MIXES[mix]), late_bias=LATE_BIAS[mix], **kw)


_MAX_SPAN = 2 + max(BLOCK_DISTANCES)  # the widest window a kind makes (block_move)
_TRIES = 40  # draws of (kind, at) per error before giving that error up
_JITTER = (-6, 2)  # range of at - anchor after the first _TRIES // 4 draws (block_move needs 6 moves)


@dataclass
class Channel:
    """A noise channel: how many errors of which kinds a clean record receives.

    ``corrupt`` leaves a game clean with probability ``clean_share``; otherwise
    it injects exactly ``errors_per_game`` errors when the game is long enough,
    i.e. ``len(moves) >= k + (k-1) * (min_gap + 19)`` (guaranteed room for the
    widest kind; 79 moves for k=4, min_gap=6), and usually when it has at least
    ``k + (k-1) * (min_gap + 2)`` moves. A shorter game gets as many as fit.
    """

    # kind -> relative weight; a kind left out has weight 0
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    errors_per_game: int = 1  # exact count in a corrupted game (0 leaves every game clean)
    clean_share: float = 0.0  # probability that a game is returned untouched
    min_gap: int = 6  # free moves between two errors' windows (Truth.span)
    late_bias: float = 0.0  # anchors drawn with density ~ x**late_bias over the game (0: uniform; 1: 56% in the last third)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.weights) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown error kind(s) {unknown}; known: {sorted(KINDS)}")
        bad = {k: w for k, w in self.weights.items() if not w >= 0}
        if bad:
            raise ValueError(f"error kind weights must be >= 0, got {bad}")
        if self.errors_per_game < 0:
            raise ValueError(f"errors_per_game must be >= 0, got {self.errors_per_game}")
        if not 0.0 <= self.clean_share <= 1.0:
            raise ValueError(f"clean_share must be in [0, 1], got {self.clean_share}")
        if self.min_gap < 0:
            raise ValueError(f"min_gap must be >= 0, got {self.min_gap}")
        if not self.late_bias >= 0:
            raise ValueError(f"late_bias must be >= 0, got {self.late_bias}")
        if self.errors_per_game > 0 and not sum(self.weights.values()) > 0:
            raise ValueError("every error kind has weight 0; give at least one a positive weight")

    def corrupt(self, moves: Sequence[Move], size: int, rng: random.Random) -> tuple[list[Move], list[Truth]]:
        """Return ``(noisy, truths)``; ``undo_all(noisy, truths)`` gives ``moves`` back.

        Errors are placed at sorted random anchors at least ``min_gap + 19``
        apart (less in short games) and applied from the first to the last, each
        to the record already corrupted before it, so every ``Truth`` holds in
        the final noisy record. At each anchor up to 40 (kind, at) draws are
        tried; a kind that cannot apply there is drawn again, and after 10
        draws ``at`` is jittered (6 plies earlier to 2 later) so that kinds
        that need moves after ``at`` fit at the end of the game too.
        """
        noisy = list(moves)
        if rng.random() < self.clean_share or self.errors_per_game == 0:
            return noisy, []
        names = [k for k in KINDS if self.weights.get(k, 0) > 0]
        weights = [self.weights[k] for k in names]
        count, slot = self._fit(len(noisy))
        if count == 0:
            return noisy, []
        anchors = self._anchors(len(noisy) - (count - 1) * slot, count, rng)
        anchors = [a + j * slot for j, a in enumerate(anchors)]
        truths: list[Truth] = []
        lo = shift = 0  # first index the next window may use; length change so far
        for j, anchor in enumerate(anchors):
            for attempt in range(_TRIES):
                at = anchor + shift + (rng.randint(*_JITTER) if attempt >= _TRIES // 4 else 0)
                kind = rng.choices(names, weights)[0]
                if not 0 <= at < len(noisy):
                    continue
                result = KINDS[kind](noisy, size, rng, at)
                if result is None:
                    continue
                after, truth = result
                start, end = truth.span
                moved = shift + len(after) - len(noisy)
                room = anchors[j + 1] + moved - 1 if j + 1 < count else len(after) + self.min_gap
                if start < lo or end + self.min_gap > room:
                    continue
                noisy, shift, lo = after, moved, end + self.min_gap
                truths.append(truth)
                break
        return noisy, truths

    def _anchors(self, n: int, count: int, rng: random.Random) -> list[int]:
        """``count`` distinct sorted anchors in range(n), uniform or biased late (``late_bias``)."""
        if not self.late_bias:
            return sorted(rng.sample(range(n), count))
        chosen: set[int] = set()
        while len(chosen) < count:  # count <= n (see _fit), so this ends
            chosen.add(min(n - 1, int(n * rng.random() ** (1.0 / (1.0 + self.late_bias)))))
        return sorted(chosen)

    def _fit(self, n: int) -> tuple[int, int]:
        """(errors that fit a game of n moves, anchor spacing)."""
        for count in range(self.errors_per_game, 0, -1):
            for slot in (self.min_gap + _MAX_SPAN + 1, self.min_gap + 2):
                if n - (count - 1) * slot >= count:
                    return count, slot
        return 0, 1
