"""Findings about one game: what the rules (and later the models) see wrong.

``check_record`` replays a record under the rules and turns every move that is
not ``ok`` into a ``Finding``. ``GameReport.to_dict`` is the JSON Lines schema
of ``gofix check --json`` (one object per game), exactly::

    {"path": str, "game": int, "status": "clean"|"flagged"|"unreadable",
     "size": int, "moves": int,
     "findings": [{"move": int, "colour": "B"|"W", "point": str, "kind": str,
                   "confidence": float, "repair": str|null}],
     "error": str|null}

``move`` is the 1-based main-line move number as read, ``point`` the SGF
coordinate as written ("" for a pass), ``kind`` one of ``FINDING_KINDS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator, Protocol

from .board import replay_record
from .coords import on_board, to_gtp
from .record import GameRecord

FINDING_KINDS = ("occupied", "suicide", "ko", "superko", "turn", "offboard", "suspect")

_RULE_TEXT = {
    "occupied": "point is already occupied",
    "suicide": "suicide: leaves its own group without liberties",
    "ko": "retakes a ko at once",
    "superko": "repeats an earlier whole-board position",
    "turn": "same colour as the previous move",
    "offboard": "point is off the board",
}


@dataclass
class Finding:
    """One suspicious or illegal move."""

    move: int  # 1-based main-line move number as read
    colour: str  # 'B' or 'W'
    point: str  # SGF coordinate as written, "" for a pass
    kind: str  # one of FINDING_KINDS
    confidence: float  # in [0, 1]; 1.0 for a rule violation
    repair: str | None = None  # proposed repair in words, or None
    gtp: str = ""  # the point in GTP coordinates ('Q16', 'pass', '' if off the board)
    note: str = ""  # what is wrong, in words, for people
    repair_point: tuple[int, int] | None = None  # where the move probably was, for a diagram

    def to_dict(self) -> dict:
        return {
            "move": self.move,
            "colour": self.colour,
            "point": self.point,
            "kind": self.kind,
            "confidence": round(float(self.confidence), 4),
            "repair": self.repair,
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

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "game": self.game,
            "status": self.status,
            "size": self.size,
            "moves": self.moves,
            "findings": [f.to_dict() for f in self.findings],
            "error": self.error,
        }


class Detector(Protocol):
    """Anything that adds findings to a game (the models plug in here)."""

    def findings(self, record: GameRecord, rule_findings: list[Finding]) -> list[Finding]: ...


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


def check_record(record: GameRecord, detectors: Iterable[Detector] = (), repairer=None, first=None) -> GameReport:
    """Report the rule findings of one record, plus those of any detectors.

    With a ``repairer`` (``repair.ModelRepairer``) its findings are used and
    every edit it would apply becomes the finding's proposed repair, with its
    confidence (a finding of kind ``suspect`` is added where an edit touches
    no finding). ``first``: the repairer's ``analyse_many`` result for this
    record, when computed in a batch.
    """
    if repairer is not None:
        result = repairer.repair(record, first=first)
        findings = attach_repairs(list(result.findings), result.edits, record)
    else:
        findings = rule_findings(record)
        for det in detectors:
            findings.extend(det.findings(record, list(findings)))
    findings.sort(key=lambda f: f.move)
    return GameReport(
        path=record.source,
        game=record.index,
        status="flagged" if findings else "clean",
        size=record.size,
        moves=len(record.moves),
        findings=findings,
        warnings=list(record.warnings),
        record=record,
    )


def attach_repairs(findings: list[Finding], edits, record: GameRecord) -> list[Finding]:
    """Put each applied edit (``repair.AppliedEdit``) on the findings at the moves it touches
    (move numbers of the record as read)."""
    for e in edits:
        text = f"{e.description} ({e.confidence:.2f})"
        point = e.edit.insert[0].point if e.kind == "replace" and e.edit.insert else None
        hit = [f for f in findings if f.move in e.moves]
        for f in hit:
            f.repair, f.repair_point = text, point if f.move == e.moves[0] else f.repair_point
        if not hit and e.moves:
            i = e.moves[0] - 1
            if 0 <= i < len(record.moves):
                colour, p, sgf = record.moves[i]
                gtp = to_gtp(p, record.size) if p is None or on_board(p, record.size) else ""
                findings.append(Finding(i + 1, colour.upper(), sgf, "suspect", float(e.confidence), text, gtp,
                                        "the repair engine would change this move", point))
    return findings


def unreadable_report(source: str, index: int, reason: str) -> GameReport:
    return GameReport(path=source, game=index, status="unreadable", error=reason)


def check_path(path, detectors: Iterable[Detector] = (), repairer=None, batch: int = 16) -> Iterator[GameReport]:
    """Check every game under ``path`` (file, directory or archive), streaming; with a
    ``repairer``, the model's first look at ``batch`` games at a time is one forward pass."""
    from .sgf_io import Unreadable, iter_games

    dets = list(detectors)
    analyse = getattr(repairer, "analyse_many", None)
    pending: list = []

    def flush():
        games = [g for g in pending if not isinstance(g, Unreadable)]
        firsts = dict(zip(map(id, games), analyse(games))) if analyse is not None and games else {}
        for item in pending:
            if isinstance(item, Unreadable):
                yield unreadable_report(item.source, item.index, item.reason)
            else:
                yield check_record(item, dets, repairer, first=firsts.get(id(item)))
        pending.clear()

    for item in iter_games(path):
        pending.append(item)
        if len(pending) >= (batch if analyse is not None else 1):
            yield from flush()
    yield from flush()
