"""Repairs: from findings to concrete edits, applied only when the models are sure.

``RepairResult`` is what every repairer returns for one record: the repaired
moves, the edits applied (kind, the moves they touch, confidence, words) and
the findings on the record as read. ``RulesRepairer`` repairs nothing: the
rules can say a move is illegal, but not which earlier move was mistyped, so
it only reports. The model-based engine lives in ``ModelRepairer``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .check import Finding, rule_findings
from .corrupt import Edit
from .record import GameRecord, Move


@dataclass
class AppliedEdit:
    """One change made to a record."""

    kind: str  # replace | swap2 | pair_order | block | delete | insert | colour
    moves: tuple[int, ...]  # 1-based move numbers it touches, in the record as it stood
    confidence: float  # in [0, 1]
    description: str  # e.g. "W 57 at Q4 -> R4"
    edit: Edit  # the splice that makes the change

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "moves": list(self.moves),
            "confidence": round(float(self.confidence), 4),
            "description": self.description,
        }


@dataclass
class RepairResult:
    moves: list[Move]  # the repaired main line
    edits: list[AppliedEdit] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # on the record as read

    @property
    def changed(self) -> bool:
        return bool(self.edits)


class RulesRepairer:
    """Reports rule findings; repairs nothing."""

    name = "rules only"

    def repair(self, record: GameRecord) -> RepairResult:
        return RepairResult(list(record.moves), [], rule_findings(record))
