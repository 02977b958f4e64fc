"""Findings about one game, and the report of one game: the types every output is made from.

``GameReport.to_dict`` is the JSON Lines schema
of ``gofix check --json`` (one object per game), exactly::

    {"path": str, "game": int, "status": "clean"|"flagged"|"unreadable",
     "size": int, "moves": int,
     "findings": [{"move": int, "colour": "B"|"W", "point": str, "gtp": str, "kind": str,
                   "confidence": float, "note": str, "repair": {...}|null}],
     "error": str|null}

plus ``"more_findings": int`` when a game has more than ``MAX_FINDINGS``
findings: the first ``MAX_FINDINGS`` in move order are listed, the rest only
counted (the key is absent otherwise).

``move`` is the 1-based main-line move number as read, ``point`` the SGF
coordinate as written ("" for a pass), ``gtp`` the same as people read it,
``kind`` one of ``FINDING_KINDS``, ``confidence`` how suspicious the move is
(1.0 for a rule violation), ``note`` what is wrong in words, ``repair`` the
repair that answers it (``edits.Repair.to_dict``: its own ``confidence``,
``description``, from/to points) or null.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

from .coords import on_board, to_gtp
from .edits import Repair
from .record import GameRecord


MAX_FINDINGS = 1_000  # findings listed per game; past it they are counted (GameReport.more_findings), not listed


FINDING_KINDS = ("occupied", "suicide", "ko", "superko", "turn", "offboard", "suspect")


@dataclass
class Finding:
    """One suspicious or illegal move."""

    move: int  # 1-based main-line move number as read
    colour: str  # 'B' or 'W'
    point: str  # SGF coordinate as written, "" for a pass
    kind: str  # one of FINDING_KINDS
    confidence: float  # in [0, 1]: how suspicious the move is; 1.0 for a rule violation
    repair: Repair | None = None  # the repair that answers it (``attach_repairs``), or None
    gtp: str = ""  # the point in GTP coordinates ('Q16', 'pass', '' if off the board)
    note: str = ""  # what is wrong, in words, for people
    repair_point: tuple[int, int] | None = None  # where the move probably was (or the missing move), for a diagram
    repair_colour: str | None = None  # 'b'/'w' of a proposed missing move (None: the finding's own colour)

    def to_dict(self) -> dict:
        return {
            "move": self.move,
            "colour": self.colour,
            "point": self.point,
            "gtp": self.gtp,
            "kind": self.kind,
            "confidence": round(float(self.confidence), 4),
            "note": self.note,
            "repair": self.repair.to_dict() if self.repair is not None else None,
        }


@dataclass
class GameReport:
    """What gofix found in one game (or why it could not read it)."""

    path: str
    game: int
    status: str  # 'clean' | 'flagged' | 'unreadable'
    size: int = 0
    moves: int = 0
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    record: GameRecord | None = field(default=None, repr=False)  # for diagrams; not serialised
    engine: str | None = None  # the KataGo network that judged the repairs, by name (None: no engine)
    # the repairs as clean's report line holds them ('changed', 'edits', 'caused') and the repaired
    # main line ('moves'), for the review report (gofix.review); not serialised
    repairs: dict | None = field(default=None, repr=False)
    more_findings: int = 0  # findings past MAX_FINDINGS: counted, not listed

    def __post_init__(self) -> None:
        # a record of thousands of illegal moves must not make a report (or its JSON) of thousands
        if len(self.findings) > MAX_FINDINGS:
            self.more_findings += len(self.findings) - MAX_FINDINGS
            self.findings = self.findings[:MAX_FINDINGS]

    @property
    def n_findings(self) -> int:
        """All the game's findings, listed or not."""
        return len(self.findings) + self.more_findings

    def to_dict(self) -> dict:
        extra = {"engine": self.engine} if self.engine else {}
        if self.more_findings:
            extra["more_findings"] = self.more_findings
        return {
            "path": self.path,
            "game": self.game,
            "status": self.status,
            "size": self.size,
            "moves": self.moves,
            "findings": [f.to_dict() for f in self.findings],
            "error": self.error,
            **extra,
        }


class Detector(Protocol):
    """Anything that adds findings to a game (the models plug in here)."""

    def findings(self, record: GameRecord, rule_findings: list[Finding]) -> list[Finding]: ...


def answers(kind: str, moves: Sequence[int], move: int) -> bool:
    """Whether an applied edit answers a finding at ``move``: the edit is the repair that finding
    asked for, so the finding counts as repaired.

    ``kind`` and ``moves`` are those of a ``repairer.AppliedEdit`` (or its ``to_dict``): 1-based
    numbers, in the record as read, of the moves the edit touches; for an insert, the move before
    which the moves are inserted (and, for a pair, the one after it). The edit answers the finding
    when it touches that move (changes, moves, recolours or deletes it), or when it is an insert
    right after it (``move == moves[0] - 1``: the finding's "missing move after"). An insert right
    before it is touching it. A deletion answers only the moves it deletes. An insert after the
    last move (``moves`` empty) answers nothing: there is no number to place it by.
    """
    if move in moves:
        return True
    return kind == "insert" and bool(moves) and move == moves[0] - 1


def not_repaired(line: dict) -> list[dict]:
    """The findings of one report line (``clean.clean_file``: ``findings``, ``edits``, ``changed``
    and, when there are any, ``caused``) that no edit answers (``answers``) and that the edits did
    not make legal (``caused``: rule findings of moves the repair left as they were). Edits of a
    game not written repaired (``changed`` false: a file with an unreadable game is copied as it
    is) answer nothing."""
    written = line.get("changed", True)
    caused = set(line.get("caused", ())) if written else set()
    edits = line.get("edits", ()) if written else ()
    return [f for f in line.get("findings", ())
            if f["move"] not in caused and not any(answers(e["kind"], e["moves"], f["move"]) for e in edits)]


def attach_repairs(findings: list[Finding], edits, record: GameRecord) -> list[Finding]:
    """Put each applied edit (``repairer.AppliedEdit``) on the findings it answers (``answers``:
    at the moves it touches, or just before an insert; move numbers of the record as read)."""
    for e in edits:
        fix = e.as_repair()
        one = e.edit.insert[0] if len(e.edit.insert) == 1 and e.kind in ("replace", "insert") else None
        point = one.point if one is not None else None
        colour = one.colour if one is not None and e.kind == "insert" else None
        hit = [f for f in findings if answers(e.kind, e.moves, f.move)]
        for f in hit:
            f.repair = fix
            if f.move == e.moves[0]:
                f.repair_point, f.repair_colour = point, colour
        if not hit and e.moves:
            i = e.moves[0] - 1
            if 0 <= i < len(record.moves):
                colour, p, sgf = record.moves[i]
                gtp = to_gtp(p, record.size) if p is None or on_board(p, record.size) else ""
                findings.append(Finding(i + 1, colour.upper(), sgf, "suspect", float(e.confidence), fix, gtp,
                                        "the repair engine would change this move", point))
    return findings


def attach_declined(findings: list[Finding], declined, record: GameRecord) -> list[Finding]:
    """Put each repair found but not applied (``RepairResult.declined``: ``edits.Repair`` with
    ``applied`` False) on the findings it answers that no applied edit answers, so a shown repair
    says when ``gofix fix`` would not apply it and why; one that answers no finding (an earlier
    stone a rule finding collides with) becomes a ``suspect`` finding at its first move, as
    ``attach_repairs`` does for an applied edit."""
    for fix in declined:
        hit = [f for f in findings if answers(fix.kind, fix.moves, f.move)]
        for f in hit:
            if f.repair is None:
                f.repair = fix
        if not hit and fix.moves and 0 < fix.moves[0] <= len(record.moves):
            colour, p, sgf = record.moves[fix.moves[0] - 1]
            gtp = to_gtp(p, record.size) if p is None or on_board(p, record.size) else ""
            findings.append(Finding(fix.moves[0], colour.upper(), sgf, "suspect", float(fix.confidence), fix, gtp,
                                    "the repair engine found a repair here it would not apply"))
    return findings


def unlisted(more: int) -> str:
    """The words for findings counted, not listed: 'and 8,765 more findings not listed'."""
    return f"and {more:,} more finding{'' if more == 1 else 's'} not listed (gofix lists {MAX_FINDINGS:,} per game)"


def unreadable_report(source: str, index: int, reason: str) -> GameReport:
    return GameReport(path=source, game=index, status="unreadable", error=reason)
