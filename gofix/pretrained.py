"""The models shipped inside the package, and loading a model by path.

``gofix/weights/tagger.pt`` is the default board-aware tagger (both sides of
every move); ``gofix/weights/tagger-causal.pt`` its left-context ablation, used
only by ``gofix eval`` to show what looking at both sides buys. Either may be
absent (a source checkout before training); then gofix falls back to the rules.
"""

from __future__ import annotations

from pathlib import Path

WEIGHTS = Path(__file__).resolve().parent / "weights"
DEFAULT = WEIGHTS / "tagger.pt"
CAUSAL = WEIGHTS / "tagger-causal.pt"


def default_checkpoint() -> Path | None:
    """The bundled tagger's path, or None if this installation has none."""
    return DEFAULT if DEFAULT.is_file() else None


def causal_checkpoint() -> Path | None:
    return CAUSAL if CAUSAL.is_file() else None


def calibrated_threshold(path, key: str = "flag_threshold", fallback: float = 0.5) -> float:
    """A threshold chosen on validation data for the model at ``path`` (scripts/calibrate.py).

    Read from the model card next to it (``tagger.pt`` -> ``tagger.json``):
    ``flag_threshold`` (flag a move) or ``repair_threshold`` (apply a
    repair); ``fallback`` when there is none.
    """
    import json

    card = Path(path).with_suffix(".json")
    try:
        return float(json.loads(card.read_text(encoding="utf-8"))[key])
    except (OSError, ValueError, KeyError, TypeError):
        return fallback


def load_detector(path=None, *, threshold: float | None = None):
    """A ``detect.ModelDetector`` from ``path`` (default: the bundled model), or None if there is none.

    ``threshold`` None: the model card's calibrated threshold (0.5 without one).
    Raises CheckpointError for a file that is not a usable gofix checkpoint.
    """
    path = path or default_checkpoint()
    if path is None:
        return None
    from .detect import ModelDetector

    if threshold is None:
        threshold = calibrated_threshold(path)
    return ModelDetector(path, threshold=threshold)


class RepairerFactory:
    """Builds the repairer for ``clean``/``fix`` (picklable, so worker processes can build their own)."""

    def __init__(self, model_path=None, *, rules_only: bool = False, threshold: float | None = None,
                 flag_threshold: float | None = None, threads: int | None = 1):
        self.model_path = None if model_path is None else str(model_path)
        self.threads = threads
        self.rules_only = rules_only
        self.threshold = threshold
        self.flag_threshold = flag_threshold

    def __call__(self):
        from .repair import ModelRepairer, RulesRepairer

        if self.rules_only:
            return RulesRepairer()
        detector = load_detector(self.model_path, threshold=self.flag_threshold)
        if detector is None:
            return RulesRepairer()
        threshold = self.threshold
        if threshold is None:
            threshold = calibrated_threshold(self.model_path or DEFAULT, "repair_threshold")
        if self.threads:
            import torch

            torch.set_num_threads(self.threads)  # 1 when each core runs its own worker
        return ModelRepairer(detector, threshold=threshold)
