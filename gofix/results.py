"""What a system says about one evaluation case: the result type shared by the
systems (``repair.detect.ModelSystem``, ``evaluate.eval.RulesOnly``, repairers) and the
harness that scores them (``evaluate.eval``). It lives below both so that neither
imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from .record import Move

Flag = tuple[int, float]  # (0-based move index in the noisy record, confidence in [0, 1])


@dataclass
class Output:
    """What a system says about one case."""

    flags: list[Flag]
    repaired: list[Move] | None = None  # None: the system does not repair
