"""The rules of Go for any square board from 2x2 to 25x25.

``Board.play`` raises ``IllegalMoveError`` and leaves the board unchanged;
``Board.legality`` answers without changing anything; ``replay`` classifies
every move of a record and never raises on a bad move.

Move classes (``MOVE_CLASSES``), in priority order when several apply:

==========  ==================================================================
offboard    the point is not on the board (not placed)
occupied    the point holds a stone (not placed)
suicide     leaves its own group without liberties after captures (replay
            plays it out: the group is removed, as under rules that allow it)
ko          retakes a simple ko at once: a single-stone capture of the stone
            that has just captured a single stone (replay plays it anyway)
superko     repeats an earlier whole-board position of the game, stones only
            (positional superko; only reported when it is not already 'ko')
turn        the same colour as the previous move (replay only; played)
ok          none of these
==========  ==================================================================

Inside, the board is a padded 1-D list (row-major, one border ring holding
``_BORDER``) of plain ints, with per-size neighbour tuples, Zobrist keys and
point->index maps built lazily on first use of a size. Groups are kept
incrementally: ``_gid[i]`` is the root index of the group of stone ``i`` and
the root owns the group's stone list (``_gstones``) and liberty set
(``_glibs``), so captures, liberty counts and ataris cost no flood fill.
``replay`` records the Zobrist hash after each move and looks for repeated
positions once at the end (one set insertion per move); ``legality`` checks
the hash of the position a move would make against ``_seen``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from gofix.coords import Point, check_size, to_gtp
from gofix.errors import CoordinateError, IllegalMoveError

MOVE_CLASSES = ("ok", "occupied", "suicide", "ko", "superko", "turn", "offboard")
OK, OCCUPIED, SUICIDE, KO, SUPERKO, TURN, OFFBOARD = MOVE_CLASSES

_EMPTY, _BLACK, _WHITE, _BORDER = 0, 1, 2, 3
_CODE = {"b": _BLACK, "w": _WHITE, "B": _BLACK, "W": _WHITE}
_NAME = (None, "b", "w")
_ASCII = {".": _EMPTY, "X": _BLACK, "O": _WHITE}

_REASONS = {
    OCCUPIED: "the point is occupied",
    SUICIDE: "suicide (the group would have no liberties)",
    KO: "retakes the ko at once",
    SUPERKO: "repeats an earlier position (positional superko)",
}


class _Geometry:
    """Everything about one board size that never changes (built once per size)."""

    __slots__ = ("size", "width", "length", "index", "points", "nbrs", "zobrist", "template")

    def __init__(self, size: int):
        w = size + 2
        self.size = size
        self.width = w
        self.length = w * w
        self.index: dict[Point, int] = {}
        self.points: list[Point | None] = [None] * self.length
        template = [_BORDER] * self.length
        for row in range(size):
            for col in range(size):
                i = (row + 1) * w + col + 1
                self.index[(row, col)] = i
                self.points[i] = (row, col)
                template[i] = _EMPTY
        self.template = template
        self.nbrs: list[tuple[int, ...]] = [
            tuple(n for n in (i - w, i - 1, i + 1, i + w) if template[n] == _EMPTY)
            if template[i] == _EMPTY
            else ()
            for i in range(self.length)
        ]
        rng = random.Random(0x60F1C5 + size)  # fixed: hashes are reproducible
        keys = [rng.getrandbits(60) for _ in range(2 * self.length)]
        self.zobrist = (None, keys[: self.length], keys[self.length :])


_GEOMETRIES: dict[int, _Geometry] = {}


def _geometry(size: int) -> _Geometry:
    geo = _GEOMETRIES.get(size)
    if geo is None:
        geo = _GEOMETRIES[size] = _Geometry(check_size(size))
    return geo


def _code(colour: str) -> int:
    try:
        return _CODE[colour]
    except (KeyError, TypeError):
        raise ValueError(f"colour {colour!r} is not 'b' or 'w'") from None


class Board:
    """A position under the rules, with simple ko and (optionally) positional superko.

    ``size`` is 2..25 (CoordinateError otherwise). Points are ``(row, col)``
    with row 0 at the bottom; a pass is ``None``; colours are ``'b'``/``'w'``.
    ``superko`` is fixed at construction: with ``superko=False`` positions
    are neither recorded nor checked (a little faster).
    """

    __slots__ = (
        "size", "superko", "_geo", "_board", "_gid", "_glibs", "_gstones",
        "_hash", "_seen", "_ko", "_kocol", "_captured",
    )

    def __init__(self, size: int, *, superko: bool = True):
        geo = _geometry(size)
        self.size = size
        self.superko = superko
        self._geo = geo
        self._board = geo.template.copy()  # _EMPTY/_BLACK/_WHITE, _BORDER outside
        self._gid = [0] * geo.length  # root index of each stone's group
        self._glibs: list[set[int] | None] = [None] * geo.length  # liberties, at the root
        self._gstones: list[list[int] | None] = [None] * geo.length  # stones, at the root
        self._hash = 0  # Zobrist hash of the stones
        self._seen: set[int] = set()  # hashes of the positions the moves played went through
        self._ko = -1  # index that _kocol may not play at now, or -1
        self._kocol = 0
        self._captured: list[int] | tuple = ()  # indices captured by the last move played

    # ------------------------------------------------------------------ queries

    @property
    def ko_point(self) -> Point | None:
        """The point where the opponent of the last capturer may not retake now, or None."""
        return self._geo.points[self._ko] if self._ko >= 0 else None

    def _index(self, point) -> int | None:
        try:
            return self._geo.index.get(point)
        except TypeError:  # an unhashable point, e.g. a list
            return self._geo.index.get(tuple(point))

    def _on_board_index(self, point) -> int:
        i = self._index(point) if point is not None else None
        if i is None:
            raise CoordinateError(f"point {point!r} is off the {self.size}x{self.size} board")
        return i

    def get(self, point) -> str | None:
        """'b', 'w' or None at ``point``. Raises CoordinateError off the board."""
        return _NAME[self._board[self._on_board_index(point)]]

    def liberties(self, point) -> int:
        """Number of liberties of the group at ``point``; 0 if the point is empty."""
        i = self._on_board_index(point)
        return len(self._glibs[self._gid[i]]) if self._board[i] else 0

    def legality(self, colour: str, point) -> str:
        """'ok' or why ``colour`` may not play at ``point`` now.

        One of 'occupied', 'suicide', 'ko', 'superko', 'offboard'; a pass is
        always 'ok'. Whose turn it is is not considered. Changes nothing.
        """
        c = _code(colour)
        if point is None:
            return OK
        i = self._index(point)
        if i is None:
            return OFFBOARD
        return self._check(c, i)

    def is_legal(self, colour: str, point) -> bool:
        return self.legality(colour, point) == OK

    def _check(self, c: int, i: int) -> str:
        board = self._board
        if board[i]:
            return OCCUPIED
        if i == self._ko and c == self._kocol:
            return KO  # a ko retake always captures, so it is never suicide
        gid, glibs = self._gid, self._glibs
        safe = False
        dead = None
        for n in self._geo.nbrs[i]:
            v = board[n]
            if not v:
                safe = True
            elif v == c:
                if len(glibs[gid[n]]) > 1:
                    safe = True
            else:
                g = gid[n]
                if len(glibs[g]) == 1:  # its one liberty is i
                    if dead is None:
                        dead = [g]
                    elif g not in dead:
                        dead.append(g)
        if dead:
            safe = True
        if not safe:
            return SUICIDE
        if self.superko:
            zob = self._geo.zobrist
            h = self._hash ^ zob[c][i]
            if dead:
                zo = zob[3 - c]
                for g in dead:
                    for s in self._gstones[g]:
                        h ^= zo[s]
            if h in self._seen:  # (a move that places a stone never recreates the position now)
                return SUPERKO
        return OK

    def stones(self) -> tuple[list[Point], list[Point]]:
        """(black points, white points), in row-major order from the bottom row."""
        board, points = self._board, self._geo.points
        black = [points[i] for i, v in enumerate(board) if v == _BLACK]
        white = [points[i] for i, v in enumerate(board) if v == _WHITE]
        return black, white

    def planes(self):
        """The position as a numpy int8 array (size, size): 1 black, -1 white, 0 empty.

        ``planes()[row, col]``, row 0 at the bottom.
        """
        import numpy as np

        w, n = self._geo.width, self.size
        a = np.array(self._board, dtype=np.int8).reshape(w, w)[1 : n + 1, 1 : n + 1]
        out = np.zeros((n, n), dtype=np.int8)
        out[a == _BLACK] = 1
        out[a == _WHITE] = -1
        return out

    def position_hash(self) -> int:
        """Zobrist hash of the stones (equal positions of one size hash equal)."""
        return self._hash

    # ------------------------------------------------------------------ moves

    def play(self, colour: str, point) -> list[Point]:
        """Play a legal move (or a pass) and return the points it captured.

        Raises IllegalMoveError(kind, colour, point, message) with kind one of
        'occupied', 'suicide', 'ko', 'superko', 'offboard', and then leaves
        the board unchanged. Raises ValueError for a colour not 'b'/'w'.
        """
        kind = self.legality(colour, point)
        if kind != OK:
            raise IllegalMoveError(kind, colour, point, self._message(kind, colour, point))
        return self.play_unchecked(colour, point)[1]

    def play_unchecked(self, colour: str, point) -> tuple[str, list[Point]]:
        """Play a move whatever it is, as ``replay`` does; return (class, captured points).

        'offboard' and 'occupied' moves change nothing; 'suicide' removes the
        player's own group; 'ko' and 'superko' are played (with captures).
        Never raises on a bad move.
        """
        (kind,), _, _, _ = self._run(((colour, point),), 0, 0)
        points = self._geo.points
        return kind, [points[i] for i in self._captured]

    def _message(self, kind: str, colour: str, point) -> str:
        if kind == OFFBOARD:
            return (
                f"illegal move {colour.upper()} at {point!r}: "
                f"off the {self.size}x{self.size} board"
            )
        return f"illegal move {colour.upper()} {to_gtp(point, self.size)}: {_REASONS[kind]}"

    def _run(self, moves, expected: int, hleft: int):
        """Play ``moves`` ((colour, point, ...) items) unchecked and classify each.

        ``expected`` is the colour code due to move first (0: either);
        ``hleft`` how many leading Black moves are handicap stones (exempt
        from turn order, White is due after them). Returns four lists:
        classes, captures, liberties after the move, atari (bool).

        This is the one hot loop: everything is a local, the outputs are
        preallocated (a plain move writes only its liberty count), one pass
        over the neighbours does all the work, and rare cases (captures,
        merging groups, suicide, turn errors) are kept off the main path.
        """
        if not isinstance(moves, (list, tuple)):
            moves = list(moves)
        hcount = 0  # the leading Black moves that are handicap stones
        while hcount < hleft and hcount < len(moves) and moves[hcount][0] in ("b", "B"):
            hcount += 1
        geo = self._geo
        board, gid, glibs, gstones = self._board, self._gid, self._glibs, self._gstones
        nbrs, pidx, zob = geo.nbrs, geo.index, geo.zobrist
        hashes = [self._hash]  # the position now, then after each move placed
        hashes_append = hashes.append
        check_superko = self.superko
        h, ko, kocol = self._hash, self._ko, self._kocol
        codes = _CODE
        count = len(moves)
        classes = [OK] * count
        caps = [0] * count
        libs_out = [0] * count
        ataris = [False] * count
        captured = ()
        turns = []  # moves by the same colour as the one before
        if expected == 0 and count:  # either colour may move first
            expected = codes.get(moves[0][0], 0)
        for k, move in enumerate(moves):
            try:
                c = codes[move[0]]
            except (KeyError, TypeError):
                c = _code(move[0])
            if c != expected:
                turns.append(k)
            expected = 3 - c
            point = move[1]
            if point is None:
                ko = -1
                continue
            try:
                i = pidx[point]
            except KeyError:
                classes[k] = OFFBOARD
                continue
            except TypeError:  # an unhashable point, e.g. a list
                i = pidx.get(tuple(point))
                if i is None:
                    classes[k] = OFFBOARD
                    continue
            if board[i] != 0:
                classes[k] = OCCUPIED
                continue

            if i == ko and c == kocol:
                classes[k] = KO
            board[i] = c
            h ^= zob[c][i]
            libs = set()
            own = -1
            more = None
            dead = None
            for n in nbrs[i]:
                v = board[n]
                if v == 0:
                    libs.add(n)
                elif v == c:
                    if own < 0:
                        own = gid[n]
                    elif gid[n] != own:
                        if more is None:
                            more = [gid[n]]
                        elif gid[n] not in more:
                            more.append(gid[n])
                else:
                    gl = glibs[gid[n]]
                    if i in gl:  # the first stone met of this group
                        gl.remove(i)
                        if len(gl) < 2:
                            if gl:
                                ataris[k] = True
                            elif dead is None:
                                dead = [gid[n]]
                            else:
                                dead.append(gid[n])
            if own < 0:
                root = i
                gid[i] = i
                gstones[i] = [i]
                glibs[i] = gl = libs
            else:
                root = own
                if more is not None:  # join several groups: relabel into the largest
                    size = len(gstones[own])
                    for g in more:
                        if len(gstones[g]) > size:
                            root = g
                            size = len(gstones[g])
                    more.append(own)
                    rstones = gstones[root]
                    gl = glibs[root]
                    for g in more:
                        if g != root:
                            st = gstones[g]
                            for s in st:
                                gid[s] = root
                            rstones.extend(st)
                            gl |= glibs[g]
                            gstones[g] = glibs[g] = None
                gid[i] = root
                gstones[root].append(i)
                gl = glibs[root]
                gl.remove(i)
                gl |= libs
            if dead is not None:
                captured = []
                for g in dead:
                    st = gstones[g]
                    for s in st:
                        board[s] = 0
                        for n in nbrs[s]:
                            if board[n] == c:
                                glibs[gid[n]].add(s)
                    captured.extend(st)
                    gstones[g] = glibs[g] = None
                zo = zob[3 - c]
                for s in captured:
                    h ^= zo[s]
                caps[k] = len(captured)
                if own < 0 and len(captured) == 1 and len(gl) == 1:
                    ko = captured[0]
                    kocol = 3 - c
                else:
                    ko = -1
            else:
                ko = -1
            nl = len(gl)
            if nl != 0:
                libs_out[k] = nl
            else:  # suicide: the group leaves the board
                classes[k] = SUICIDE
                zc = zob[c]
                st = gstones[root]
                for s in st:
                    board[s] = 0
                    h ^= zc[s]
                    for n in nbrs[s]:
                        v = board[n]
                        if v and v != c:
                            glibs[gid[n]].add(s)
                gstones[root] = glibs[root] = None
            hashes_append(h)
        # positional superko, found after the fact: almost no game repeats a position
        if check_superko:
            seen = self._seen
            if not seen:  # a fresh game: one set insertion per position
                seen.update(hashes)
                if len(seen) < len(hashes):
                    self._mark_superko(moves, classes, hashes, set())
            else:
                if len(set(hashes)) < len(hashes) or not seen.isdisjoint(hashes[1:]):
                    self._mark_superko(moves, classes, hashes, set(seen))
                seen.update(hashes)
        for k in turns:
            if k >= hcount and classes[k] is OK:
                classes[k] = TURN
        self._hash, self._ko, self._kocol = h, ko, kocol
        self._captured = captured if count and caps[-1] else ()
        return classes, caps, libs_out, ataris

    @staticmethod
    def _mark_superko(moves, classes, hashes, earlier: set) -> None:
        """Mark as 'superko' the moves of ``_run`` whose position (``hashes[1:]``,
        one per move placed) is in ``earlier`` or repeats an earlier one of the
        run, unless they are already classed otherwise."""
        earlier.add(hashes[0])
        j = 1
        for k, move in enumerate(moves):
            kind = classes[k]
            if move[1] is None or kind is OFFBOARD or kind is OCCUPIED:
                continue
            h = hashes[j]
            j += 1
            if kind is OK and h in earlier:
                classes[k] = SUPERKO
            earlier.add(h)

    # ------------------------------------------------------------------ setup

    def place(self, colour: str, point) -> None:
        """Put a setup stone (AB/AW): no captures, no checks; clears the ko.

        A stone of the other colour there is replaced. Raises CoordinateError
        off the board.
        """
        c = _code(colour)
        i = self._on_board_index(point)
        self._ko = -1
        board = self._board
        if board[i] == c:
            return
        if board[i]:
            self._remove(i)
        board[i] = c
        self._hash ^= self._geo.zobrist[c][i]
        gid, glibs = self._gid, self._glibs
        for n in self._geo.nbrs[i]:
            v = board[n]
            if v and v != c:
                glibs[gid[n]].discard(i)
        self._build_group(i)

    def remove(self, point) -> None:
        """Empty ``point`` (AE); clears the ko. Raises CoordinateError off the board."""
        i = self._on_board_index(point)
        self._ko = -1
        if self._board[i]:
            self._remove(i)

    def _remove(self, i: int) -> None:
        board, gid, glibs = self._board, self._gid, self._glibs
        c = board[i]
        root = gid[i]
        rest = [s for s in self._gstones[root] if s != i]
        self._gstones[root] = glibs[root] = None
        board[i] = _EMPTY
        self._hash ^= self._geo.zobrist[c][i]
        for n in self._geo.nbrs[i]:
            v = board[n]
            if v and v != c:
                glibs[gid[n]].add(i)
        done: set[int] = set()
        for s in rest:  # the group may fall apart
            if s not in done:
                done.update(self._build_group(s))

    def _build_group(self, start: int) -> list[int]:
        """Flood-fill the group at ``start`` and make ``start`` its root."""
        board, nbrs, gid = self._board, self._geo.nbrs, self._gid
        c = board[start]
        stones = [start]
        libs = set()
        gid[start] = -1  # marks 'in this group' during the fill
        stack = [start]
        while stack:
            s = stack.pop()
            for n in nbrs[s]:
                v = board[n]
                if not v:
                    libs.add(n)
                elif v == c and gid[n] != -1:
                    gid[n] = -1
                    stones.append(n)
                    stack.append(n)
        for s in stones:
            gid[s] = start
        self._gstones[start] = stones
        self._glibs[start] = libs
        return stones

    # ------------------------------------------------------------------ copies and text

    def copy(self) -> "Board":
        """An independent copy, history (ko, superko) included."""
        new = Board.__new__(Board)
        new.size, new.superko, new._geo = self.size, self.superko, self._geo
        new._board = self._board.copy()
        new._gid = self._gid.copy()
        length = self._geo.length
        new._glibs = [None] * length
        new._gstones = [None] * length
        board, gid = self._board, self._gid
        for r in {gid[i] for i, v in enumerate(board) if v == _BLACK or v == _WHITE}:
            new._glibs[r] = self._glibs[r].copy()
            new._gstones[r] = self._gstones[r].copy()
        new._hash, new._seen = self._hash, self._seen.copy()
        new._ko, new._kocol, new._captured = self._ko, self._kocol, ()
        return new

    @classmethod
    def from_ascii(cls, text: str, *, superko: bool = True) -> "Board":
        """A board from rows top to bottom: 'X' black, 'O' white, '.' empty.

        Spaces inside a row and blank lines are ignored; the size is the
        number of rows. Raises ValueError for a ragged or unknown character.
        """
        rows = [line.replace(" ", "").replace("\t", "") for line in text.splitlines()]
        rows = [r for r in rows if r]
        size = len(rows)
        board = cls(size, superko=superko)
        for k, line in enumerate(rows):
            if len(line) != size:
                raise ValueError(f"row {k + 1} {line!r} has {len(line)} points, not {size}")
            row = size - 1 - k
            for col, ch in enumerate(line):
                v = _ASCII.get(ch)
                if v is None:
                    raise ValueError(f"row {k + 1} {line!r}: {ch!r} is not 'X', 'O' or '.'")
                if v:
                    board.place(_NAME[v], (row, col))
        return board

    def __repr__(self) -> str:
        black, white = self.stones()
        return f"<Board {self.size}x{self.size} black={len(black)} white={len(white)}>"


@dataclass
class Replay:
    """What the rules say about each move of a game (lists are one entry per move)."""

    classes: list[str]  # one MOVE_CLASSES value per move
    captures: list[int]  # opponent stones captured by the move (0 for suicide)
    liberties: list[int]  # liberties of the played group after the move; 0 if none placed
    atari: list[bool]  # the move left an adjacent opponent group with one liberty
    board: Board | None = field(default=None, repr=False, compare=False)  # final position

    def problems(self) -> list[tuple[int, str]]:
        """(move index, class) for every move that is not 'ok'."""
        return [(k, c) for k, c in enumerate(self.classes) if c != OK]


def replay(
    size: int,
    moves,
    *,
    setup_black=(),
    setup_white=(),
    handicap: int = 0,
    first_player: str | None = None,
    superko: bool = True,
) -> Replay:
    """Replay ``moves`` (``Move`` or ``(colour, point)`` items) and classify each.

    Never raises on a bad move (see the module doc for what is played).
    Setup points off the board are ignored. Turn order: the first move may be
    either colour unless ``first_player`` ('b'/'w', from PL) says which; with
    ``handicap`` > 0 and no setup stones, up to that many leading Black moves
    are handicap stones (not 'turn') and White is due after them. Passes take
    part in turn order. Raises CoordinateError for an unsupported size and
    ValueError for a colour not 'b'/'w'.
    """
    board = Board(size, superko=superko)
    for colour, points in (("b", setup_black), ("w", setup_white)):
        for p in points:
            if p is not None and board._index(p) is not None:
                board.place(colour, p)
    hleft = handicap if handicap and handicap > 0 and not (setup_black or setup_white) else 0
    expected = _CODE.get(first_player, 0) if first_player else 0
    classes, captures, liberties, atari = board._run(moves, expected, hleft)
    return Replay(classes, captures, liberties, atari, board)


def replay_record(record) -> Replay:
    """``replay`` of a ``GameRecord``'s size, setup, handicap, PL and main line."""
    return replay(
        record.size,
        record.moves,
        setup_black=record.setup_black,
        setup_white=record.setup_white,
        handicap=record.handicap,
        first_player=record.first_player,
    )
