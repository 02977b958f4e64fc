"""Which repairs the repair engine considers: the candidate edits at a suspect move.

Each kind of transcription error has its candidates (one point off, two lines off, transposed,
mirrored, the digit, i/i+2 exchanged, a pair reordered, a moved block, a move or pair missing, an
extra move, a wrong colour), plus the points the rules find and, with a network, the network's own
inserts. ``Candidates`` is the part of ``repairer.ModelRepairer`` that makes them; the repairer
judges them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gofix.coords import on_board, to_gtp
from gofix.edits import Edit, apply_edit
from gofix.record import Move
from gofix.rules.board import replay

REPLACE = ("near", "two_lines", "digit", "transpose", "mirror")
FOULS = ("ko", "superko", "turn", "suicide")  # on the last move: possibly a real foul, left as played


@dataclass
class Candidate:
    kind: str
    edit: Edit  # splice on the current moves
    touched: tuple[int, ...]  # 0-based indices in the current moves
    words: str
    by_engine: bool = False  # proposed by the network (``_engine_candidates``)


class Edited:
    """``moves`` with ``edit`` applied, made only when asked (``whole``): a candidate holds this, not a
    copy of the whole record."""

    __slots__ = ("moves", "edit", "n")

    def __init__(self, moves, edit: Edit, n: int):
        self.moves, self.edit, self.n = moves, edit, n

    def __len__(self) -> int:
        return self.n

    def whole(self) -> list[Move]:
        return apply_edit(self.moves, self.edit)


class Seen:
    """The edited versions of ``moves`` already kept, by the hash of their (colour, point) sequence
    with the edits that made them: exact (a match is checked against the version made again), and
    a few words per version, not a copy of the record."""

    def __init__(self, moves):
        self.moves = moves
        self.by_hash: dict[int, list[Edit]] = {}

    @staticmethod
    def key(moves) -> tuple:
        """What makes two versions the same: their (colour, point) sequence (made once per candidate)."""
        return tuple((m[0], m[1]) for m in moves)

    def holds(self, key: tuple) -> bool:
        return any(self.key(apply_edit(self.moves, e)) == key for e in self.by_hash.get(hash(key), ()))

    def add(self, key: tuple, edit: Edit) -> None:
        self.by_hash.setdefault(hash(key), []).append(edit)


def edit_size(edit: Edit) -> int:
    """How much an edit changes the length and colours of a record: moves removed or added, +1 for a recolouring."""
    return abs(edit.delete - len(edit.insert)) + int(edit.recolour)


class Candidates:
    """The candidate-making half of ``repairer.ModelRepairer`` (a mixin: it reads the repairer's
    settings, e.g. ``gap_radius``, ``edits_per_flag``, ``points_per_flag``)."""

    def _engine_candidates(self, record, moves, i) -> list[Candidate]:
        """The network's likeliest points for move ``i`` among those a typo reaches from the recorded
        one (one point off, two lines off, x and y swapped, read from the wrong edge, a digit slip)."""

        m = moves[i]
        if not self.engine_proposals or m.point is None or not on_board(m.point, record.size):
            return []
        size = record.size
        r, c = m.point
        reach = {(r + dr, c + dc): ("one point off" if max(abs(dr), abs(dc)) == 1 else "two lines off")
                 for dr in range(-2, 3) for dc in range(-2, 3) if (dr, dc) != (0, 0)}
        reach.setdefault((size - 1 - c, size - 1 - r), "x and y swapped")
        reach.setdefault((size - 1 - r, c), "read from the wrong edge")
        reach.setdefault((r, size - 1 - c), "read from the wrong edge")
        for dr, dc in ((10, 0), (-10, 0), (0, 10), (0, -10)):
            reach.setdefault((r + dr, c + dc), "digit slip")
        best = [(p, lp) for p, lp in self.engine.best_moves(record, moves, i, k=size * size + 1)
                if p is not None and p in reach and p != m.point]
        where = to_gtp(m.point, size)
        out = [Candidate("replace", Edit(i, 1, (Move(m.colour, p, ""),)), (i,),
                          f"{m.colour.upper()} {self._num(i)} at {where} -> {to_gtp(p, size)} ({reach[p]})",
                          by_engine=True)
               for p, _ in best[: self.engine_proposals]]
        num = self._num
        if self.engine_inserts:
            out += self._engine_inserts(record, moves, i)
        # two moves of one colour exchanged with the suspect anywhere in them (the network is often
        # surprised by the move between them, or by the answer to the first)
        for a in (i - 2, i - 1, i):
            if 0 <= a and a + 2 < len(moves):
                out.append(Candidate("swap2", Edit(a, 3, (moves[a + 2], moves[a + 1], moves[a])), (a, a + 2),
                                      f"moves {num(a)} and {num(a + 2)} swapped", by_engine=True))
        return out

    def _engine_inserts(self, record, moves, g) -> list[Candidate]:
        """What a dropped move or pair before current index ``g`` was, by the network: its likeliest
        move there (the colour follows from the colours around the gap, as ``_gap_inserts``), and its
        likeliest move for the recorded colour followed by its likeliest answer (a pair dropped)."""

        n = len(moves)
        if not 0 < g < n or record.size != 19:
            return []
        before, after = moves[g - 1].colour, moves[g].colour
        other = {"b": "w", "w": "b"}
        recolour = before != after
        colour = after if recolour else other.get(after, "b")
        out = []
        tail = ", later colours flipped" if recolour else " (missing move)"
        probe = moves[:g] + [Move(colour, None, "")]
        for p, _ in self.engine.best_moves(record, probe, g, k=2)[:1]:
            if p is not None:
                out.append(Candidate("insert", Edit(g, 0, (Move(colour, p, ""),), recolour=recolour), (g,),
                                      f"{colour.upper()} {to_gtp(p, 19)} inserted before move {self._num(g)}{tail}",
                                      by_engine=True))
        if not recolour:  # a dropped pair leaves the colours alternating
            return out
        for p, _ in self.engine.best_moves(record, moves, g, k=2)[:1]:
            if p is None:
                continue
            first = Move(after, p, "")
            probe = moves[:g] + [first, Move(other.get(after, "b"), None, "")]
            for q, _ in self.engine.best_moves(record, probe, g + 1, k=2)[:1]:
                if q is not None and q != p:
                    second = Move(other.get(after, "b"), q, "")
                    out.append(Candidate("insert", Edit(g, 0, (first, second)), (g, g + 1),
                                          f"{after.upper()} {to_gtp(p, 19)} and {second.colour.upper()} "
                                          f"{to_gtp(q, 19)} inserted before move {self._num(g)} (missing pair)",
                                          by_engine=True))
        return out

    def _proposed(self, src, moves, i, scores) -> list[Candidate]:
        """The encoder-decoder's own ideas at flagged move ``i``: other moves there, moves missing around it."""

        out: list[Candidate] = []
        num = self._num
        m = moves[i]
        name = f"{m.colour.upper()} {num(i)}"
        for alt, _ in self.scorer.next_moves(src, moves, i, self.proposals + 1):
            if alt.colour == m.colour and alt.point != m.point:
                was = to_gtp(m.point, 19) if m.point is not None and on_board(m.point, 19) else (m.sgf or "pass")
                out.append(Candidate("replace", Edit(i, 1, (Move(m.colour, alt.point, ""),)), (i,),
                                      f"{name} at {was} -> {to_gtp(alt.point, 19)}"))
        top = set(scores.edit_classes[k] for k in np.argsort(-scores.edit_probs[i])[: self.edits_per_flag + 1])
        gaps = [g for g, cls in ((i, "missing_before"), (i + 1, "missing_after")) if cls in top]
        for g in gaps:
            if g > len(moves):
                continue
            for first, _ in self.scorer.next_moves(src, moves, g, self.proposals):
                where = to_gtp(first.point, 19)
                out.append(Candidate("insert", Edit(g, 0, (first,)), (g,),
                                      f"{first.colour.upper()} {where} inserted before move {num(g)} (missing move)"))
                out.append(Candidate("insert", Edit(g, 0, (first,), recolour=True), (g,),
                                      f"{first.colour.upper()} {where} inserted before move {num(g)}, "
                                      f"later colours flipped"))
                then = moves[:g] + [first]
                for second, _ in self.scorer.next_moves(src, then, g + 1, 2):
                    if second.point == first.point:
                        continue
                    out.append(Candidate("insert", Edit(g, 0, (first, second)), (g, g + 1),
                                          f"{first.colour.upper()} {where} and {second.colour.upper()} "
                                          f"{to_gtp(second.point, 19)} inserted before move {num(g)} "
                                          f"(missing pair)"))
        return out

    def _num(self, i: int) -> str:
        """Move number, in the record as read, of current index ``i`` (for the words of an edit)."""
        origin = self._origin
        if origin is None:  # outside repair(): the moves are the record as read
            return str(i + 1)
        if i >= len(origin):
            return str(self._n_read + 1)
        return "(inserted)" if origin[i] is None else str(origin[i] + 1)

    @staticmethod
    def _setup(record, moves, lo):
        """The position before move ``lo`` as (black, white) stones: a window's setup."""

        rep = replay(record.size, moves[:lo], setup_black=record.setup_black, setup_white=record.setup_white,
                     handicap=record.handicap, first_player=record.first_player, superko=False)
        return rep.board.stones()

    @staticmethod
    def _classes(record, moves) -> list[str]:
        """Rule classes of every move; a superko repetition counts as legal here (under Japanese
        rules a triple ko voids the game, it is not a transcription error to repair)."""

        return replay(record.size, moves, setup_black=record.setup_black, setup_white=record.setup_white,
                      handicap=record.handicap, first_player=record.first_player, superko=False).classes

    def _illegal(self, record, moves) -> int:
        """Illegal moves, not counting a foul on the last move (a real foul that may have ended the game)."""
        return len(self._ruled_moves(self._classes(record, moves)))

    @staticmethod
    def _ruled_moves(classes) -> list[int]:
        last = len(classes) - 1
        return [i for i, c in enumerate(classes) if c != "ok" and not (i == last and c in FOULS)]

    def _ruled(self, moves, classes) -> list[int]:
        """Moves the rules point at, given the rule ``classes`` of ``moves``: each illegal move (bar a
        foul as the last move) and, for a stone on an occupied point, the earlier move that put a stone there."""
        out = []
        for i in self._ruled_moves(classes):
            c = classes[i]
            out.append(i)
            if c == "occupied":
                p = moves[i].point
                for j in range(i - 1, -1, -1):
                    if moves[j].point == p:
                        out.append(j)
                        break
        return out

    def _gap_inserts(self, record, moves, g) -> list[Candidate]:
        """A move missing before current index ``g``: one candidate per empty point within
        ``gap_radius`` (on both axes) of the two moves each side of the gap.

        Its colour follows from the colours around the gap: two moves of one colour in a row
        lack a move of the other colour between them (colours kept); when the colours
        alternate, the missing move has the colour of move ``g`` as recorded and every later
        colour flips back. The judge, not the point list, decides which point it was.
        """

        n = len(moves)
        if not 0 < g < n:
            return []
        rad = self.gap_radius
        black, white = self._setup(record, moves, g)
        taken = set(black) | set(white)
        centres = [moves[j].point for j in range(g - 2, g + 2)
                   if 0 <= j < n and moves[j].point is not None and on_board(moves[j].point, 19)]
        points = sorted({(r + dr, c + dc) for r, c in centres for dr in range(-rad, rad + 1)
                         for dc in range(-rad, rad + 1)
                         if 0 <= r + dr < 19 and 0 <= c + dc < 19 and (r + dr, c + dc) not in taken})
        before, after = moves[g - 1].colour, moves[g].colour
        recolour = before != after
        colour = after if recolour else ("w" if after == "b" else "b")
        tail = ", later colours flipped" if recolour else " (missing move)"
        return [Candidate("insert", Edit(g, 0, (Move(colour, p, ""),), recolour=recolour), (g,),
                           f"{colour.upper()} {to_gtp(p, 19)} inserted before move {self._num(g)}{tail}")
                for p in points]

    def candidates(self, record, moves, i, scores, also: tuple = ()) -> list[Candidate]:
        """Candidate edits at move ``i``: those of the tagger's ``edits_per_flag`` likeliest edit
        classes, and of the classes in ``also`` whatever the tagger says (the network judges them)."""

        n = len(moves)
        size = 19
        out: list[Candidate] = []
        num = self._num
        probs = scores.edit_probs[i]
        classes = scores.edit_classes
        top = [classes[k] for k in np.argsort(-probs) if classes[k] != "keep"][: self.edits_per_flag]
        top += [k for k in also if k not in top]
        m = moves[i]
        name = f"{m.colour.upper()} {num(i)}"
        where = to_gtp(m.point, size) if m.point is not None and on_board(m.point, size) else (m.sgf or "pass")

        def replace_with(p, why):
            if p is None or not on_board(p, size) or p == m.point:
                return
            new = Move(m.colour, p, "")
            out.append(Candidate("replace", Edit(i, 1, (new,)), (i,),
                                  f"{name} at {where} -> {to_gtp(p, size)} ({why})"))

        for kind in top:
            if kind in REPLACE and m.point is not None and on_board(m.point, size):
                r, c = m.point
                if kind in ("near", "two_lines"):
                    tops = scores.top_points[i] if scores.top_points is not None else [scores.best_point[i]]
                    for p in tops[: self.points_per_flag]:
                        if p is not None:
                            d = max(abs(p[0] - r), abs(p[1] - c))
                            replace_with(p, {1: "one point off", 2: "two lines off"}.get(d, f"{d} lines off"))
                elif kind == "transpose":
                    replace_with((size - 1 - c, size - 1 - r), "x and y swapped")
                elif kind == "mirror":
                    replace_with((size - 1 - r, c), "read from the wrong edge")
                    replace_with((r, size - 1 - c), "read from the wrong edge")
                elif kind == "digit":
                    for dr, dc in ((10, 0), (-10, 0), (0, 10), (0, -10)):
                        replace_with((r + dr, c + dc), "digit slip")
            elif kind == "swap2":
                for a in (i - 2, i):
                    if 0 <= a and a + 2 < n:
                        out.append(Candidate("swap2", Edit(a, 3, (moves[a + 2], moves[a + 1], moves[a])),
                                              (a, a + 2), f"moves {num(a)} and {num(a + 2)} swapped"))
            elif kind == "pair_order":
                for a in range(i - 3, i + 1):
                    if 0 <= a and a + 4 <= n:
                        out.append(Candidate("pair_order", Edit(a, 4, tuple(moves[a + 2:a + 4] + moves[a:a + 2])),
                                              tuple(range(a, a + 4)),
                                              f"pairs {num(a)}-{num(a + 1)} and {num(a + 2)}-{num(a + 3)} in the wrong order"))
            elif kind == "block" and (kind == top[0] or kind in also):  # ~50: only when likeliest (or asked)
                # the flagged move is in a 2-move block that belongs d plies later or earlier,
                # or it is where such a block should land (the block now sits d plies later)
                for d in range(4, 17, 2):
                    for a in (i + d, i + d - 1):
                        if a + 2 <= n and a - d >= 0:
                            seg = moves[a:a + 2] + moves[a - d:a]
                            out.append(Candidate("block", Edit(a - d, d + 2, tuple(seg)),
                                                  tuple(range(a - d, a + 2)),
                                                  f"moves {num(a)}-{num(a + 1)} belong {d} plies earlier"))
                for a in (i - 1, i):
                    for d in range(4, 17, 2):
                        if 0 <= a and a + d + 2 <= n:  # block at a really belongs d plies later
                            seg = moves[a + 2:a + d + 2] + moves[a:a + 2]
                            out.append(Candidate("block", Edit(a, d + 2, tuple(seg)), tuple(range(a, a + d + 2)),
                                                  f"moves {num(a)}-{num(a + 1)} belong {d} plies later"))
                        if a - d >= 0 and a + 2 <= n:  # block at a really belongs d plies earlier
                            seg = moves[a:a + 2] + moves[a - d:a]
                            out.append(Candidate("block", Edit(a - d, d + 2, tuple(seg)),
                                                  tuple(range(a - d, a + 2)),
                                                  f"moves {num(a)}-{num(a + 1)} belong {d} plies earlier"))
            elif kind == "extra":
                out.append(Candidate("delete", Edit(i, 1, ()), (i,), f"{name} at {where} deleted (extra move)"))
                out.append(Candidate("delete", Edit(i, 1, (), recolour=True), (i,),
                                      f"{name} at {where} deleted, later colours flipped"))
                for a in (i - 1, i):
                    if 0 <= a and a + 2 <= n:
                        out.append(Candidate("delete", Edit(a, 2, ()), (a, a + 1),
                                              f"moves {num(a)} and {num(a + 1)} deleted (extra pair)"))
            elif kind in ("missing_before", "missing_after") and self.gap_radius is not None:
                out += self._gap_inserts(record, moves, i if kind == "missing_before" else i + 1)
            elif kind == "colour":
                flipped = Move("w" if m.colour == "b" else "b", m.point, m.sgf)
                out.append(Candidate("colour", Edit(i, 1, (flipped,)), (i,), f"{name}: colour should be "
                                      f"{flipped.colour.upper()}"))
        return out
