"""What the rules see wrong in a record: every move they reject, as a ``Finding``."""

from __future__ import annotations

from gofix.coords import on_board, to_gtp
from gofix.findings import Finding
from gofix.record import GameRecord
from .board import replay_record


_RULE_TEXT = {
    "occupied": "point is already occupied",
    "suicide": "suicide: leaves its own group without liberties",
    "ko": "retakes a ko at once",
    "superko": "repeats an earlier whole-board position",
    "turn": "same colour as the previous move",
    "offboard": "point is off the board",
}


def rule_findings(record: GameRecord) -> list[Finding]:
    """Every move the rules reject, in move order. Never raises on bad moves."""
    rep = replay_record(record)
    out: list[Finding] = []
    last = len(record.moves)
    for i, cls in enumerate(rep.classes):
        if cls == "ok":
            continue
        colour, point, sgf = record.moves[i]
        note = _RULE_TEXT[cls]
        if i + 1 == last and cls in ("ko", "superko", "turn", "suicide"):
            note += " (final move: may be a real foul that ended the game; left as played)"
        gtp = to_gtp(point, record.size) if point is None or on_board(point, record.size) else ""
        out.append(Finding(i + 1, colour.upper(), sgf, cls, 1.0, None, gtp, note))
    return out
