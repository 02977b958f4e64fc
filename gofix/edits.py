"""Edits of a record's moves, and one repair object: what gofix changes, told the same way everywhere.

``Edit`` is a splice on a move list (``apply_edit``): the noise generator's undo steps, the repair
engine's candidates and the applied repairs are all edits.

``Repair`` is the structured form of a change (``repairer.AppliedEdit`` makes one), and every
output renders from it: ``gofix check`` (its table and ``--json``), ``gofix fix`` (its lines and
the comments it writes into the record), ``gofix clean``'s ``report.jsonl`` (``edits`` and each
finding's ``repair``) and ``gofix compare --json`` (a region's ``repair`` of record [0]).

``Repair.to_dict()`` is flat, exactly::

    {"kind": str,          # replace | insert | delete | swap2 | pair_order | block | colour
     "what": str,          # the error in words: "one point off", "missing move", "extra pair", ...
     "moves": [int],       # 1-based numbers, in the record as read, of the moves it touches; for an
                           # insert the move it goes before ([] after the last move)
     "colour": "B"|"W"|"", # the colour of the first move it touches (an insert: the inserted move's)
     "from": [str], "to": [str],          # SGF points of the moves taken out / put in, in order
     "from_gtp": [str], "to_gtp": [str],  # the same as people read them ('Q16', 'pass')
     "confidence": float,  # how sure gofix is of this repair, in [0, 1] (one figure per repair)
     "decided_by": str,    # tagger | seq2seq | tagger+seq2seq | engine | rules | majority
     "description": str,   # describe(): the repair in words, rendered from the fields above
     "applied": bool,      # false: `gofix check` shows it, `fix` would not apply it (below its threshold)
     "why_not": str|null}  # why not, in words: "confidence 0.41 below the 0.90 to apply"

``kind`` is a stable token for programs; people read ``what`` and ``description``. No torch, no
files: the ground layer (coords, record) only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from typing import Sequence

from .coords import on_board, to_gtp, to_sgf
from .record import Move, opponent

def _move_to_json(move: Move) -> list:
    point = None if move.point is None else [move.point[0], move.point[1]]
    return [move.colour, point, move.sgf]


def _move_from_json(data: Sequence) -> Move:
    player, point, sgf = data
    if player not in ("b", "w"):
        raise ValueError(f"move {data!r} has colour {player!r}, not 'b' or 'w'")
    return Move(player, None if point is None else (int(point[0]), int(point[1])), str(sgf))


@dataclass(frozen=True)
class Edit:
    """A splice on a move list: delete ``delete`` moves at ``start``, insert ``insert`` there.

    With ``recolour`` the colour of every move after the inserted ones (index
    ``start + len(insert)`` onwards, after the splice) is flipped as well.
    """

    start: int
    delete: int
    insert: tuple[Move, ...] = ()
    recolour: bool = False

    def to_dict(self) -> dict:
        return {
            "start": self.start,
            "delete": self.delete,
            "insert": [_move_to_json(m) for m in self.insert],
            "recolour": self.recolour,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Edit":
        return cls(
            start=int(data["start"]),
            delete=int(data["delete"]),
            insert=tuple(_move_from_json(m) for m in data.get("insert", ())),
            recolour=bool(data.get("recolour", False)),
        )


def apply_edit(moves: Sequence[Move], edit: Edit) -> list[Move]:
    """Return a new list with ``edit`` applied. Raises ValueError if it does not fit ``moves``."""
    n = len(moves)
    if not (0 <= edit.start <= n and edit.delete >= 0 and edit.start + edit.delete <= n):
        raise ValueError(f"edit {edit.start}+{edit.delete} does not fit a record of {n} moves")
    out = list(moves[: edit.start]) + list(edit.insert) + list(moves[edit.start + edit.delete :])
    if edit.recolour:
        tail = edit.start + len(edit.insert)
        out[tail:] = [flip_colour(m) for m in out[tail:]]
    return out


def flip_colour(move: Move) -> Move:
    """The same move by the other colour."""
    return move._replace(colour=opponent(move.colour))


REPAIR_KINDS = ("replace", "insert", "delete", "swap2", "pair_order", "block", "colour")

# who decided a repair, in words (``Repair.decided_by`` -> text)
_DECIDERS = {
    "tagger": "the tagger",
    "seq2seq": "the encoder-decoder",
    "tagger+seq2seq": "the tagger and the encoder-decoder",
    "engine": "the KataGo network",
    "rules": "the rules",
    "majority": "the majority of the records",
}


def decider_words(decided_by: str | None) -> str:
    """Who decided a repair, in words: 'tagger' -> 'the tagger', 'engine' -> 'the KataGo network'."""
    return _DECIDERS.get(decided_by or "tagger", decided_by or "the tagger")


def point_words(point, size: int) -> tuple[str, str]:
    """A point as (SGF, GTP): ('pd', 'Q16'); a pass ('', 'pass'); off the board ('?', '?')."""
    if point is None:
        return "", "pass"
    if not on_board(point, size):
        return "?", "?"
    return to_sgf(point, size), to_gtp(point, size)


def replace_reason(was, now, size: int) -> str:
    """Why a stone at ``was`` may belong at ``now``, in words: the typo that maps one to the other
    ('one point off', 'two lines off', 'x and y swapped', 'read from the wrong edge', 'digit
    slip'), else 'N lines off'; 'another point' when either is a pass or off the board."""
    if was is None or now is None or not on_board(was, size) or not on_board(now, size):
        return "another point"
    (r, c), (r2, c2) = was, now
    d = max(abs(r - r2), abs(c - c2))
    if d == 1:
        return "one point off"
    if d == 2:
        return "two lines off"
    if (r2, c2) == (size - 1 - c, size - 1 - r):
        return "x and y swapped"
    if (r2, c2) in ((size - 1 - r, c), (r, size - 1 - c)):
        return "read from the wrong edge"
    if d == 10 and (r == r2 or c == c2):
        return "digit slip"
    return f"{d} lines off"


def edit_what(kind: str, was, now, recolour: bool, size: int) -> str:
    """The error a change of ``kind`` mends, in words (``Repair.what``); ``was``/``now`` the moves
    ``(colour, point)`` it takes out and puts in."""
    if kind == "replace":
        return replace_reason(was[0][1], now[0][1], size) if was and now else "another point"
    if kind == "insert":
        return "missing pair" if len(now) == 2 else ("missing move, later colours flipped" if recolour
                                                     else "missing move")
    if kind == "delete":
        return "extra pair" if len(was) == 2 else ("extra move, later colours flipped" if recolour
                                                   else "extra move")
    if kind == "swap2":
        return "two moves of one colour swapped"
    if kind == "pair_order":
        return "two pairs in the wrong order"
    if kind == "block":
        if len(was) >= 4 and tuple(now[:2]) == tuple(was[-2:]):
            return f"a block of 2 moves {len(was) - 2} plies too late"
        return f"a block of 2 moves {max(len(was) - 2, 0)} plies too early"
    if kind == "colour":
        return "wrong colour"
    return kind


@dataclass(frozen=True)
class Repair:
    """One change to a record, structured (see the module doc for ``to_dict``).

    ``was``/``now``: the moves taken out and put in, as ``(colour, point)`` ('b'/'w', ``(row,
    col)`` or None for a pass), in order; ``moves``: 1-based numbers as read of the moves it
    touches; ``at``: the number as read of the first move the change starts at (an insert goes
    before it; ``None``: at a move gofix itself inserted; one past the last move: at the end).
    """

    kind: str
    moves: tuple[int, ...]
    was: tuple = ()
    now: tuple = ()
    confidence: float = 0.0
    decided_by: str = "tagger"
    recolour: bool = False  # later colours flipped too
    size: int = 19
    at: int | None = None
    what: str = field(default="")
    applied: bool = True  # False: found, but below what applying needs (``why_not`` says what)
    why_not: str = ""  # e.g. 'confidence 0.41 below the 0.90 to apply'

    def __post_init__(self):
        if not self.what:
            object.__setattr__(self, "what", edit_what(self.kind, self.was, self.now, self.recolour, self.size))

    # -------------------------------------------------------------- words

    def _move(self, colour: str, point) -> str:
        return f"{colour.upper()} {point_words(point, self.size)[1]}"

    def _num(self, k: int) -> str:
        return str(self.moves[k]) if k < len(self.moves) else "(inserted)"

    def describe(self, confidence: bool = False) -> str:
        """The repair in words, e.g. 'B 69 at E6 -> G6 (two lines off)'; with ``confidence``,
        followed by ', confidence 0.95, decided by the tagger'."""
        k, was, now = self.kind, self.was, self.now
        at = f"move {self.at if self.at is not None else '(inserted)'}"
        span = (f"moves {self.moves[0]}-{self.moves[-1]}" if len(self.moves) > 1
                else f"move {self.moves[0]}" if self.moves else "the end")
        if k == "replace" and len(was) == 1 and len(now) == 1:
            text = (f"{was[0][0].upper()} {self._num(0)} at {point_words(was[0][1], self.size)[1]} -> "
                    f"{point_words(now[0][1], self.size)[1]} ({self.what})")
        elif k == "colour" and len(was) == 1 and len(now) == 1:
            text = f"{was[0][0].upper()} {self._num(0)}: colour should be {now[0][0].upper()}"
        elif k == "insert" and now:
            where = "after the last move" if not self.moves else f"before {at}"
            added = " and ".join(self._move(*m) for m in now)
            text = f"{added} inserted {where}" + (", later colours flipped" if self.recolour and len(now) == 1
                                                   else f" ({self.what})")
        elif k == "delete" and len(was) == 1:
            text = (f"{was[0][0].upper()} {self._num(0)} at {point_words(was[0][1], self.size)[1]} deleted"
                    + (", later colours flipped" if self.recolour else f" ({self.what})"))
        elif k == "delete" and len(was) == 2 and len(self.moves) == 2:
            text = f"moves {self._num(0)} and {self._num(1)} deleted ({self.what})"
        elif k == "swap2" and len(self.moves) >= 2:
            text = f"moves {self.moves[0]} and {self.moves[-1]} swapped"
        elif k == "pair_order" and len(self.moves) == 4:
            text = f"pairs {self._num(0)}-{self._num(1)} and {self._num(2)}-{self._num(3)} in the wrong order"
        elif k == "block" and "plies" in self.what:
            late = "too late" in self.what
            first = len(self.moves) - 2 if late else 0
            d = max(len(was) - 2, 0)
            text = (f"moves {self._num(first)}-{self._num(first + 1)} moved {d} plies "
                    f"{'earlier' if late else 'later'} ({self.what})")
        elif k == "delete":
            text = f"{span} deleted ({self.what})"
        else:  # several moves (compare's regions): the span and what it becomes
            text = f"{span} ({self.what})" + (f" -> {' '.join(self._move(*m) for m in now)}" if now else "")
        if confidence:
            text += f", confidence {self.confidence:.2f}, decided by {self.decider()}"
            if not self.applied:
                text += f"; not applied: {self.why_not}"
        return text

    def decider(self) -> str:
        """Who decided, in words: 'the tagger', 'the KataGo network', ..."""
        return decider_words(self.decided_by)

    def to_dict(self) -> dict:
        """The flat JSON object (module doc)."""
        first = self.now[0][0] if self.kind == "insert" and self.now else self.was[0][0] if self.was else ""
        return {
            "kind": self.kind,
            "what": self.what,
            "moves": list(self.moves),
            "colour": first.upper(),
            "from": [point_words(p, self.size)[0] for _, p in self.was],
            "to": [point_words(p, self.size)[0] for _, p in self.now],
            "from_gtp": [point_words(p, self.size)[1] for _, p in self.was],
            "to_gtp": [point_words(p, self.size)[1] for _, p in self.now],
            "confidence": round(float(self.confidence), 4),
            "decided_by": self.decided_by,
            "description": self.describe(),
            "applied": self.applied,
            "why_not": self.why_not or None,
        }
