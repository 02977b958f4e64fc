"""What a review report shows, read from the findings and repairs of a run.

``game_from_line`` is the ONE place that knows the layout of a finding and a repair in a report
line (``findings.GameReport.to_dict`` plus ``changed``/``edits``/``caused`` as ``clean.clean_file``
writes them in ``report.jsonl``, and ``check --html`` builds them): when that layout changes, only
this function changes. Everything else in ``gofix.review`` works on ``ReviewGame``/``ReviewFinding``.

The boards of a finding come from the record as read and the repaired main line: the two are
aligned on their points (``difflib``, as ``rewrite.with_repairs`` aligns them), and the changed
region nearest the finding is what its boards show (``Region``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Sequence

from gofix.findings import FINDING_KINDS, not_repaired
from gofix.record import GameRecord, Move

RULE_KINDS = tuple(k for k in FINDING_KINDS if k != "suspect")


@dataclass
class Region:
    """Where the record as read and the repaired line differ: ``recorded[i1:i2]`` became
    ``repaired[j1:j2]`` (0-based; colour flips after an insert or a deletion are not differences)."""

    i1: int
    i2: int
    j1: int
    j2: int


@dataclass
class ReviewFinding:
    move: int  # 1-based, in the record as read
    colour: str  # 'B' / 'W'
    point: str  # SGF coordinate as written
    kind: str
    confidence: float
    repair: str | None  # the proposed repair in words, or None
    repaired: bool  # an edit answers it (or made it legal)
    found_by: str  # 'rules' or 'tagger'
    judged_by: str  # what chose the repair: 'rules only', 'tagger', 'engine NAME', or '' when none


@dataclass
class ReviewGame:
    path: str  # the record's source as the run named it
    game: int  # its index in the file
    status: str  # clean | flagged | unreadable | refused | exists
    changed: bool  # a repair was applied (clean) or proposed (check)
    size: int = 0
    moves: int = 0
    error: str | None = None
    findings: list[ReviewFinding] = field(default_factory=list)
    edits: list[str] = field(default_factory=list)  # each applied edit in words, with its confidence
    record: GameRecord | None = None  # the record as read (None: not at hand, no boards)
    repaired: list[Move] | None = None  # the repaired main line (None: no repair)
    link: str | None = None  # relative path of the SGF written for it (or of the record)
    command: str = ""  # the command that reproduces the finding

    def player(self, key: str) -> str:
        return (self.record.text(key) or "") if self.record is not None else ""


def repair_words(repair) -> str | None:
    """A report's repair in words with its confidence: the ``edits.Repair`` object (``description``,
    ``confidence``, and ``why_not`` when it would not be applied), or the plain text of earlier reports."""
    if not repair:
        return None
    if isinstance(repair, dict):
        text = f"{repair.get('description', '')} ({float(repair.get('confidence', 0.0)):.2f})"
        return text + (f"; not applied: {repair['why_not']}" if repair.get("why_not") else "")
    return str(repair)


def game_from_line(line: dict, record: GameRecord | None = None, repaired: Sequence[Move] | None = None, *,
                   rules_only: bool = False, repairer: str = "tagger") -> ReviewGame:
    """A ``ReviewGame`` from one report line (``clean`` report.jsonl, or ``check``'s game dict with
    ``edits``/``changed`` added), the record as read and the repaired main line, if at hand.
    ``repairer``: what found suspects and chose repairs when no engine did (the bundled models:
    'tagger'; another repairer: its name)."""
    open_ = {id(f) for f in not_repaired(line)}
    engine = line.get("engine")
    edits = list(line.get("edits") or ())
    judged = f"engine {engine}" if engine else ("rules only" if rules_only else repairer)
    findings = [
        ReviewFinding(
            move=int(f["move"]), colour=f["colour"], point=f["point"], kind=f["kind"],
            confidence=float(f["confidence"]), repair=repair_words(f.get("repair")), repaired=id(f) not in open_,
            found_by="rules" if f["kind"] in RULE_KINDS else repairer,
            judged_by=judged if f.get("repair") else "",
        )
        for f in line.get("findings") or ()
    ]
    changed = bool(line.get("changed", bool(edits)))
    return ReviewGame(
        path=line.get("path") or "", game=int(line.get("game") or 0), status=line.get("status", ""),
        changed=changed, size=int(line.get("size") or 0), moves=int(line.get("moves") or 0),
        error=line.get("error"), findings=findings,
        edits=[repair_words(e) for e in edits],
        record=record, repaired=list(repaired) if repaired is not None and changed else None,
    )


def regions(recorded: Sequence[Move], repaired: Sequence[Move], join: int = 3) -> list[Region]:
    """The regions where ``repaired`` differs from ``recorded`` in points, neighbours closer than
    ``join`` moves merged into one."""
    sm = SequenceMatcher(None, [m[1] for m in recorded], [m[1] for m in repaired], autojunk=False)
    out: list[Region] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        if out and i1 - out[-1].i2 < join:
            out[-1].i2, out[-1].j2 = i2, j2
        else:
            out.append(Region(i1, i2, j1, j2))
    # a recolouring with the same points (a colour edit) is a region too: the first flipped colour
    if not out and len(recorded) == len(repaired):
        flips = [k for k, (a, b) in enumerate(zip(recorded, repaired)) if a[0] != b[0]]
        if flips:
            out.append(Region(flips[0], flips[0] + 1, flips[0], flips[0] + 1))
    return out


def nearest(found: list[Region], move: int, reach: int = 12) -> Region | None:
    """The region touching (or nearest, within ``reach`` moves of) the 1-based ``move``."""
    i = move - 1
    best = None
    for r in found:
        gap = 0 if r.i1 <= i < max(r.i2, r.i1 + 1) else min(abs(i - r.i1), abs(i - (r.i2 - 1)))
        if gap <= reach and (best is None or gap < best[0]):
            best = (gap, r)
    return best[1] if best else None
